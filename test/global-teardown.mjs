/** Stops the engines test/global-setup.mjs started (their watchdogs also stop them if jest dies). */
export default async function globalTeardown() {
  await Promise.all((globalThis.gridflowTestEngines ?? []).map((e) => e.stop()));
}
