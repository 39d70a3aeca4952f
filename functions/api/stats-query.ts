/** The query string of GET /stats (contract §4, §10). */
import * as z from 'zod';
import { GROUP_KINDS } from '#domain/stats.js';
import { isoDateTime } from './schema-parts.js';

export const StatsQuery = z.strictObject({
  from: isoDateTime.optional(),
  to: isoDateTime.optional(),
  groupBy: z.enum(GROUP_KINDS).optional(),
  series: z.enum(['day']).optional(),
})
  .refine((q) => !q.from || !q.to || Date.parse(q.from) <= Date.parse(q.to), { path: ['to'], message: 'to must not be before from' })
  .refine((q) => !q.series || (q.from !== undefined && q.to !== undefined), { path: ['series'], message: 'series=day needs both from and to' });
export type StatsQuery = z.output<typeof StatsQuery>;
