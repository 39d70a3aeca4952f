/**
 * ISO 8601 durations as the county files write them (`PT24H`, `PT30S`, `P3D`, `P1DT12H`).
 * Years and months are refused: their length depends on the calendar, a deadline must not.
 */
const DURATION = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;
/** The ISO 8601 duration syntax parseDuration accepts (it also refuses zero and more than a year). */
export const DURATION_PATTERN = /^P(?!$)(?:\d+W)?(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?$/;
/** Working time is written in hours and minutes only (contract §7): `PT4H`, `PT1H30M`. */
export const WORKING_DURATION_PATTERN = /^PT(?=\d)(?:\d+H)?(?:\d+M)?$/;

/** A Standard Step Functions execution (and so any wait inside it) lasts at most a year. */
export const MAX_DURATION_MS = 365 * 86_400_000;

export function parseDuration(iso: string): number {
  const m = DURATION.exec(iso);
  if (!m || iso === 'P' || iso.endsWith('T')) throw new Error(`"${iso}" is not an ISO 8601 duration such as PT24H, PT30S or P3D`);
  const [, w, d, h, min, s] = m;
  const ms = Math.round(((Number(w ?? 0) * 7 + Number(d ?? 0)) * 86_400 + Number(h ?? 0) * 3_600 + Number(min ?? 0) * 60 + Number(s ?? 0)) * 1_000);
  if (ms <= 0) throw new Error(`"${iso}" must be longer than zero`);
  if (ms > MAX_DURATION_MS) throw new Error(`"${iso}" is longer than a year (P365D), the longest wait a workflow allows`);
  return ms;
}

/** About a working year: a workflow waits at most a year (MAX_DURATION_MS). */
export const MAX_WORKING_MS = 2000 * 3_600_000;
export const MAX_WORKING_DAYS = 250;

/** Working time (`{ "working": "PT4H" }`, contract §7): hours and minutes only, positive, at most PT2000H. */
export function parseWorkingDuration(iso: string): number {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?$/.exec(iso);
  if (!m || iso === 'PT') throw new Error(`"${iso}" is not working time in hours and minutes such as PT4H or PT1H30M`);
  const ms = (Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60_000;
  if (ms <= 0) throw new Error(`"${iso}" must be longer than zero`);
  if (ms > MAX_WORKING_MS) throw new Error(`"${iso}" is more than PT2000H, about a working year (a workflow waits at most a year)`);
  return ms;
}

export function isDuration(iso: string): boolean {
  try { parseDuration(iso); return true; } catch { return false; }
}
