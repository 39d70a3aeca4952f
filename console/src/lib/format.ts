/** Times in the county's time zone and "time left" as people read it. */
import type { Locale, Messages } from '../i18n/messages';

export function formatDateTime(iso: string, locale: Locale, timeZone: string): string {
  return new Intl.DateTimeFormat(locale, {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).format(new Date(iso));
}

export function formatTime(date: Date, locale: Locale, timeZone: string): string {
  return new Intl.DateTimeFormat(locale, { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(date);
}

/** `2 d 3 h`, `3 h 20 min`, `12 min`: the two largest units, as a glance needs. */
export function formatDuration(ms: number, t: Messages): string {
  const minutes = Math.floor(Math.abs(ms) / 60_000);
  if (minutes < 1) return t.lessThanAMinute;
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  const parts: string[] = [];
  if (d > 0) parts.push(`${d} ${t.units.d}`);
  if (h > 0 && parts.length < 2) parts.push(`${h} ${t.units.h}`);
  if (m > 0 && d === 0 && parts.length < 2) parts.push(`${m} ${t.units.min}`);
  return parts.join(' ');
}

export type DeadlineState = { kind: 'none'; text: string } | { kind: 'left' | 'overdue'; text: string; ms: number };

/** Overdue when the deadline has passed or the top level missed it (`overdue`). */
export function deadlineState(incident: { deadline: string | null; overdue: boolean }, now: number, t: Messages): DeadlineState {
  if (!incident.deadline) return incident.overdue ? { kind: 'overdue', text: t.overdueTag, ms: 0 } : { kind: 'none', text: t.noDeadline };
  const ms = Date.parse(incident.deadline) - now;
  if (ms < 0) return { kind: 'overdue', text: t.overdueBy(formatDuration(ms, t)), ms };
  if (incident.overdue) return { kind: 'overdue', text: t.overdueTag, ms };
  return { kind: 'left', text: t.timeLeft(formatDuration(ms, t)), ms };
}

/** Offset of `timeZone` from UTC at `instant`, in ms. */
function zoneOffset(instant: number, timeZone: string): number {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** `2026-05-04T08:30` read as wall time in the county's time zone, as an ISO instant in UTC. */
export function zonedToUtc(local: string, timeZone: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$/.exec(local);
  if (!m) return undefined;
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0));
  let instant = wall - zoneOffset(wall, timeZone);
  instant = wall - zoneOffset(instant, timeZone); // again, in case the first guess crossed a DST change
  return new Date(instant).toISOString();
}

/** The calendar date (YYYY-MM-DD) of `instant` in the county's time zone. */
export function zonedDate(instant: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(instant);
}
