/**
 * Request schemas of contract §4: validated at the edge, so the domain only sees well-formed input. Every
 * text field is built with `text()` (functions/commons/text.ts); every value that reaches DynamoDB is bounded
 * so that no accepted request can fail there (key sizes, number range, dates the API can write back).
 */
import * as z from 'zod';
import { DURATION_PATTERN, WORKING_DURATION_PATTERN } from '#config/duration.js';
import { ACTIONS, ALL_LEVELS, STATUSES } from '#domain/incident.js';
import { NOTE_REQUIRED } from '#domain/lifecycle.js';
import { nowMs } from '#commons/clock.js';
import { text } from '#commons/text.js';
import { GROUP_KINDS } from '#domain/stats.js';

const id = z.string().regex(/^[a-z0-9-]+$/, 'ids are lowercase letters, digits and hyphens').max(100);

/** The instants Date#toISOString writes as `YYYY-...`: outside them it writes `+010000-...`, which no reader expects. */
const EARLIEST_MS = Date.parse('0000-01-01T00:00:00Z');
const LATEST_MS = Date.parse('9999-12-31T23:59:59.999Z');
const isoDateTime = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time such as 2026-11-29T08:00:00Z' })
  .refine((v) => { const t = Date.parse(v); return t >= EARLIEST_MS && t <= LATEST_MS; }, 'must fall between the years 0000 and 9999 in UTC');

/** A report may say when the incident happened, not when it will: a little clock skew is forgiven. */
export const OCCURRED_AT_SKEW_MS = 10 * 60_000;

/**
 * Coordinates are kept to 7 decimal places (about 1 cm): GPS readings come with 15 digits, and a value such
 * as 1e-131 is below the smallest number DynamoDB stores (1e-130).
 */
const coordinate = (limit: number) => z.number().min(-limit).max(limit).transform((v) => Math.round(v * 1e7) / 1e7 || 0);

export const ReportBody = z.strictObject({
  category: id,
  gridId: id,
  title: text({ max: 120 }),
  description: text({ max: 4000, multiline: true }),
  location: z.strictObject({
    lat: coordinate(90),
    lng: coordinate(180),
    address: text({ min: 0, max: 500 }).optional(),
  }).optional(),
  reporter: z.strictObject({
    name: text({ max: 100 }).optional(),
    phone: z.string().regex(/^\+?[0-9 -]{3,20}$/, 'a phone number of digits, spaces and hyphens').optional(),
  }).optional(),
  occurredAt: isoDateTime.refine((v) => Date.parse(v) <= nowMs() + OCCURRED_AT_SKEW_MS, 'must not be in the future').optional(),
  resolvedOnSpot: z.strictObject({ note: text({ max: 2000, multiline: true }) }).optional(),
});
export type ReportBody = z.output<typeof ReportBody>;

/**
 * How much longer (contract §8): a duration of calendar time, `{ working }` working time in hours and minutes, or
 * `{ workingDays }`. The shape is checked here (400); whether it can be granted (positive, at most P30D, a calendar
 * for working time) by the domain (422).
 */
export const ExtensionSpec = z.union([
  z.string().regex(DURATION_PATTERN, 'an ISO 8601 duration such as PT24H or P2D'),
  z.strictObject({ working: z.string().regex(WORKING_DURATION_PATTERN, 'working time in hours and minutes, such as PT4H or PT1H30M') }),
  z.strictObject({ workingDays: z.number().int().min(1) }),
], { error: 'a duration such as "PT24H", { "working": "PT4H" } or { "workingDays": 2 }' }).meta({
  description: 'A duration string (calendar time), `{ "working": "PT4H" }` (working time) or `{ "workingDays": N }` '
    + '(to the close of the Nth working day after the day of the current deadline).',
});

/** Body fields that belong to one action each (contract §8). */
const FIELD_OWNER = { extension: 'request-extension', gridId: 'reassign' } as const;

export const ActionBody = z.strictObject({
  action: z.enum(ACTIONS),
  note: text({ max: 2000, multiline: true }).optional(),
  expectedVersion: z.number().int().min(1).optional(),
  extension: ExtensionSpec.optional(),
  gridId: id.optional(),
}).superRefine((body, ctx) => {
  if (NOTE_REQUIRED.has(body.action) && body.note === undefined) {
    ctx.addIssue({ code: 'custom', path: ['note'], message: `a note is required to ${body.action}` });
  }
  for (const [field, owner] of Object.entries(FIELD_OWNER) as Array<[keyof typeof FIELD_OWNER, string]>) {
    if (body.action === owner && body[field] === undefined) {
      ctx.addIssue({ code: 'custom', path: [field], message: `"${field}" is required to ${owner}` });
    } else if (body.action !== owner && body[field] !== undefined) {
      ctx.addIssue({ code: 'custom', path: [field], message: `"${field}" belongs to the ${owner} action only` });
    }
  }
});
export type ActionBody = z.output<typeof ActionBody>;

export const ListQuery = z.strictObject({
  status: z.enum(STATUSES).optional(),
  level: z.enum(ALL_LEVELS).optional(),
  townId: id.optional(),
  gridId: id.optional(),
  category: id.optional(),
  overdue: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  limit: z.string().regex(/^\d+$/, 'limit is a whole number from 1 to 100').transform(Number)
    .pipe(z.number().int().min(1).max(100)).default(20),
  cursor: text({ max: 2000 }).optional(),
});
export type ListQuery = z.output<typeof ListQuery>;

export const StatsQuery = z.strictObject({
  from: isoDateTime.optional(),
  to: isoDateTime.optional(),
  groupBy: z.enum(GROUP_KINDS).optional(),
  series: z.enum(['day']).optional(),
})
  .refine((q) => !q.from || !q.to || Date.parse(q.from) <= Date.parse(q.to), { path: ['to'], message: 'to must not be before from' })
  .refine((q) => !q.series || (q.from !== undefined && q.to !== undefined), { path: ['series'], message: 'series=day needs both from and to' });
export type StatsQuery = z.output<typeof StatsQuery>;

