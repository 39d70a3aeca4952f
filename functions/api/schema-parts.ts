/** What several request schemas share (functions/api/schemas.ts lists them all). */
import * as z from 'zod';

/** An id of the county file (category, grid, town): how every request names one. */
export const id = z.string().regex(/^[a-z0-9-]+$/, 'ids are lowercase letters, digits and hyphens').max(100);

/** The instants Date#toISOString writes as `YYYY-...`: outside them it writes `+010000-...`, which no reader expects. */
const EARLIEST_MS = Date.parse('0000-01-01T00:00:00Z');
const LATEST_MS = Date.parse('9999-12-31T23:59:59.999Z');
export const isoDateTime = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time such as 2026-11-29T08:00:00Z' })
  .refine((v) => { const t = Date.parse(v); return t >= EARLIEST_MS && t <= LATEST_MS; }, 'must fall between the years 0000 and 9999 in UTC');
