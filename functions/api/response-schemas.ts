/**
 * Response schemas of contract §4 as zod schemas: the OpenAPI document is generated from them
 * (functions/api/openapi.ts) and the integration tests validate real responses with them, so the
 * documentation cannot describe JSON the API does not send. Strict objects: a field the API starts
 * sending without documenting it fails those tests.
 */
import * as z from 'zod';
import { ACTIONS, ALL_LEVELS, EVENT_TYPES, STATUSES } from '#domain/incident.js';

const id = z.string().regex(/^[a-z0-9-]+$/);
/** Every time the API writes is ISO 8601 UTC with a `Z` (Date#toISOString). */
const utc = z.iso.datetime({ offset: false }).meta({ description: 'ISO 8601 date-time in UTC.' });
const level = z.enum(ALL_LEVELS);

export const Location = z.strictObject({
  lat: z.number().min(-90).max(90),
  lng: z.number().min(-180).max(180),
  address: z.string().optional(),
});

export const Reporter = z.strictObject({
  name: z.string().optional(),
  phone: z.string().optional().meta({
    description: 'Shown only to the reporter, to the grid leader of the incident\'s grid and to the county role.',
  }),
}).meta({ description: 'Contact the reporter gave. The name is shown to every reader in jurisdiction.' });

export const Resolution = z.strictObject({
  note: z.string(),
  by: z.string().meta({ description: '`sub` of whoever resolved it.' }),
  level,
  at: utc,
});

/** A deadline or an extension as contract §7 writes it. */
export const DeadlineSpec = z.union([
  z.string().meta({ description: 'An ISO 8601 duration of calendar time, e.g. `PT24H`.' }),
  z.strictObject({ working: z.string().meta({ description: 'Working time in hours and minutes, e.g. `PT4H`.' }) }),
  z.strictObject({ workingDays: z.number().int().min(1).meta({ description: 'To the close of the Nth working day.' }) }),
]).meta({ description: 'Calendar time (a duration string), working time (`{working}`) or working days (`{workingDays}`), contract §7.' });

export const PendingExtension = z.strictObject({
  extension: DeadlineSpec,
  by: z.string().meta({ description: '`sub` of who asked.' }),
  at: utc,
  note: z.string(),
}).meta({ description: 'A request for more time waiting for the level above (or the county role) to approve or deny it.' });

export const EVENT_REASONS = ['deadline', 'manual', 'reconfigured', 'approaching', 'overdue', 'verified', 'verification-window'] as const;

export const TimelineEvent = z.strictObject({
  at: utc,
  type: z.enum(EVENT_TYPES),
  level: level.meta({ description: 'The incident\'s level once the event has happened (an escalation to town says `town`).' }),
  actor: z.string().nullable().meta({ description: '`sub` of the caller; null for the system (the workflow).' }),
  note: z.string().nullable(),
  reason: z.enum(EVENT_REASONS).nullable().meta({
    description: '`escalated`: deadline | manual | reconfigured (the county\'s ladder lost the level it was at); `reminded`: approaching (80 % of the deadline) | overdue (at the top level); '
      + '`closed`: verified | verification-window; null otherwise.',
  }),
  extension: DeadlineSpec.optional().meta({ description: 'On `extension-requested`, `-approved`, `-denied` and `-lapsed`: the extension asked for.' }),
  fromGridId: id.optional().meta({ description: 'On `returned` and `reassigned`: the grid the incident was in before.' }),
});

export const Incident = z.strictObject({
  id: z.uuid(),
  countyId: id,
  category: id,
  title: z.string(),
  description: z.string(),
  gridId: id,
  communityId: id,
  townId: id,
  location: Location.nullable(),
  reporter: Reporter.nullable(),
  occurredAt: utc.nullable(),
  status: z.enum(STATUSES),
  level: level.meta({ description: 'The level whose hands the incident is in (for a resolved one, the level that resolved it).' }),
  deadline: utc.nullable().meta({ description: 'When the current level\'s deadline passes; null once resolved, closed or rejected.' }),
  overdue: z.boolean().meta({ description: 'The top level missed its deadline. Cleared by `reopen`.' }),
  acknowledgedBy: z.string().nullable().meta({ description: '`sub` of who acknowledged it at the current level; reset when the level changes.' }),
  pendingExtension: PendingExtension.nullable().meta({
    description: 'The extension request waiting for a decision, or null. Any change of level or status closes it (`extension-lapsed`).',
  }),
  resolution: Resolution.nullable(),
  resolvedOnSpot: z.boolean().meta({ description: 'Reported already settled by the grid worker (`resolvedOnSpot` in the report).' }),
  createdAt: utc,
  updatedAt: utc,
  version: z.number().int().min(1).meta({ description: 'Starts at 1 and grows by 1 with every change a reader can see, the workflow\'s included.' }),
  timeline: z.array(TimelineEvent).min(1).meta({ description: 'Oldest first. A new incident already holds `reported` and `assigned`.' }),
  allowedActions: z.array(z.enum(ACTIONS)).meta({
    description: 'The actions the caller may take on this incident now, by the same rules `POST /incidents/{id}/actions` enforces '
      + '(role, level, status, pending request, deadline). A client offers exactly these.',
  }),
});

export const ListedIncident = Incident.omit({ timeline: true }).meta({
  description: 'An incident as a list shows it: every field but `timeline` (read it with GET /incidents/{id}), so that a page of 100 stays small.',
});

export const IncidentPage = z.strictObject({
  items: z.array(ListedIncident),
  nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
});

const count = z.number().int().min(0);

export const StatsWindow = z.strictObject({
  from: utc.nullable().meta({ description: 'First instant covered: the start of `from`\'s day in the county\'s time zone; null: since the beginning.' }),
  to: utc.nullable().meta({ description: 'Last instant covered (inclusive): the end of `to`\'s day in the county\'s time zone; null: until now.' }),
}).meta({ description: 'The period actually counted: `from`/`to` widened to whole days of the county\'s time zone (counters are kept per day).' });

const figures = {
  total: count.meta({ description: 'Incidents reported in the window.' }),
  byCategory: z.record(z.string(), count).meta({ description: 'Incidents by category id; every category of the county is listed, 0 when none.' }),
  byStatus: z.record(z.enum(STATUSES), count).meta({ description: 'Incidents by current status; every status is listed.' }),
  resolvedAtLevel: z.partialRecord(level, count).meta({
    description: 'Incidents resolved (now `resolved` or `closed`) by the level that resolved them; every level of the county ladder is listed.',
  }),
  resolvedOnSpot: count.meta({ description: 'Incidents reported already resolved on the spot by the grid worker (and not reopened since).' }),
  onTimeRate: z.number().min(0).max(1).nullable().meta({
    description: 'Resolved before the deadline in force when they were resolved / resolved, from 0 to 1; null when nothing was resolved.',
  }),
  overdueOpen: count.meta({ description: 'Open incidents marked overdue (the top level missed its deadline).' }),
};

export const StatsGroup = z.strictObject({
  id: z.string().meta({ description: 'The town, community, grid or category id.' }),
  name: z.string().meta({ description: 'Its name in the caller\'s language (`Accept-Language` zh-CN or en, else the county\'s locale).' }),
  ...figures,
}).meta({ description: 'The figures of one unit of the caller\'s jurisdiction, over the same incidents as the totals.' });

export const StatsDay = z.strictObject({
  date: z.iso.date().meta({ description: 'A calendar day of the county\'s time zone.' }),
  reported: count.meta({ description: 'Incidents reported that day.' }),
  resolved: count.meta({ description: '`resolved` events that day.' }),
  escalated: count.meta({ description: '`escalated` events that day (every escalation: by deadline, by hand, by reconfiguration; a return is not one).' }),
  closed: count.meta({ description: '`closed` events that day.' }),
});

export const Stats = z.strictObject({
  window: StatsWindow,
  ...figures,
  groups: z.array(StatsGroup).optional().meta({
    description: 'With `groupBy`: one entry per unit of the caller\'s jurisdiction in the county file\'s order, units with no incident '
      + 'included (figures zero); for a jurisdiction smaller than the unit (a grid leader grouping by town), the one unit that holds it.',
  }),
  series: z.array(StatsDay).optional().meta({
    description: 'With `series=day`: one entry per day of the county\'s time zone from `from`\'s day to `to`\'s day, counting events by the day '
      + 'they happened (not only those of the incidents reported in the window).',
  }),
}).meta({
  description: 'Figures for the caller\'s jurisdiction, over the incidents reported in the window; all time when `from` and `to` are absent.',
});

export const Health = z.strictObject({ status: z.literal('ok') });

export const FieldError = z.strictObject({
  path: z.string().meta({ description: 'Dotted path of the offending field (`title`, `location.lat`), `(body)`, `(root)` or a header name.' }),
  message: z.string(),
});

export const Problem = z.strictObject({
  type: z.string().meta({ description: 'A URI naming the problem, e.g. `https://gridflow.dev/problems/not-found`.' }),
  title: z.string(),
  status: z.number().int().min(400).max(599),
  detail: z.string(),
  instance: z.string().optional().meta({ description: 'The request path.' }),
  errors: z.array(FieldError).optional().meta({ description: 'Every problem by path (400 and 422).' }),
}).meta({ description: 'RFC 9457 problem details.' });

/** API Gateway's own 401 in the cloud: its JWT authorizer answers before any handler runs. */
export const GatewayMessage = z.strictObject({ message: z.string() });

export type IncidentBody = z.infer<typeof Incident>;
export type IncidentPageBody = z.infer<typeof IncidentPage>;
export type StatsBody = z.infer<typeof Stats>;
export type ProblemBody = z.infer<typeof Problem>;
