/** The body of POST /incidents (contract §4). */
import * as z from 'zod';
import { nowMs } from '#commons/clock.js';
import { text } from '#commons/text.js';
import { id, isoDateTime } from './schema-parts.js';

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
