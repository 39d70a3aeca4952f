/** The body of POST /incidents/{id}/actions (contract §4 and §8). */
import * as z from 'zod';
import { DURATION_PATTERN, WORKING_DURATION_PATTERN } from '#config/duration.js';
import { ACTIONS } from '#domain/incident.js';
import { NOTE_REQUIRED } from '#domain/lifecycle.js';
import { text } from '#commons/text.js';
import { id } from './schema-parts.js';

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
