/**
 * Readable stack traces in a Lambda bundle's logs, paid for only when a trace is formatted. Node's
 * `--enable-source-maps` reads and decodes the bundle's whole source map while the bundle loads, at every cold
 * start (measured in docs/performance.md, "Cold start"); this reads it on the first stack trace a process
 * formats (V8 formats `error.stack` when it is first read) and maps each frame of the bundle to its source
 * file, line and column. Function names stay as the minifier left them; the location is the original.
 * Installed on import, only when running from a bundle (`index.mjs` with its `.map` beside it) and only when
 * Node does not map traces itself; under tsx or jest traces stay as Node formats them.
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** A stack trace with the frames of `bundleFile` mapped through `${bundleFile}.map` (read on first use). */
export function sourceMappedStacks(bundleFile: string): (error: Error, frames: NodeJS.CallSite[]) => string {
  const bundleUrl = pathToFileURL(bundleFile).href;
  let map: SourceMap | null | undefined;
  const load = (): SourceMap | null => {
    try {
      return new SourceMap(JSON.parse(readFileSync(`${bundleFile}.map`, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]);
    } catch {
      return null;
    }
  };
  const frame = (site: NodeJS.CallSite): string => {
    const text = site.toString();
    const file = site.getFileName();
    const line = site.getLineNumber();
    const column = site.getColumnNumber();
    if ((file !== bundleUrl && file !== bundleFile) || line === null || column === null) return text;
    map ??= load();
    const entry = map?.findEntry(line - 1, column - 1);
    if (!entry || !('originalSource' in entry)) return text;
    const source = entry.originalSource.startsWith('file:') ? fileURLToPath(entry.originalSource) : resolve(dirname(bundleFile), entry.originalSource);
    return text.replace(`${file}:${line}:${column}`, `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`);
  };
  return (error, frames) => {
    let header: string;
    try { header = Error.prototype.toString.call(error); } catch { header = 'Error'; }
    return [header, ...frames.map((site) => `    at ${frame(site)}`)].join('\n');
  };
}

const self = fileURLToPath(import.meta.url);
// `process.sourceMapsEnabled`: Node 20.7 and later, true under --enable-source-maps (Node then maps traces itself).
if (self.endsWith('.mjs') && !(process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled) {
  Error.prepareStackTrace = sourceMappedStacks(self);
}
