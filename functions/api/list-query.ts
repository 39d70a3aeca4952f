/** The query string of GET /incidents (contract §4). */
import * as z from 'zod';
import { ALL_LEVELS, STATUSES } from '#domain/incident.js';
import { text } from '#commons/text.js';
import { id } from './schema-parts.js';

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
