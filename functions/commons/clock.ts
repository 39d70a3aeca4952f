/**
 * The one clock of the product. In the cloud it is the real clock. The local county may start it at another
 * instant (`npm start -- --clock ISO`, contract §7) and it then runs at normal speed from there: handlers, the
 * workflow's waits and the runtime all read it here, never `new Date()` of their own.
 */
let offsetMs = 0;

/** The current instant. */
export function now(): Date {
  return new Date(Date.now() + offsetMs);
}

/** Milliseconds since the epoch, on this clock. */
export function nowMs(): number {
  return Date.now() + offsetMs;
}

/** Local runtime only: the clock reads `at` now and runs on at normal speed. */
export function startClockAt(at: Date): void {
  if (Number.isNaN(at.getTime())) throw new Error('the clock needs a valid instant');
  offsetMs = at.getTime() - Date.now();
}

/** Back to the real clock (tests). */
export function resetClock(): void {
  offsetMs = 0;
}
