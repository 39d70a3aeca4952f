/**
 * The OpenAPI 3.1 document of contract §4, built from the code rather than kept by hand: request bodies and
 * query parameters from the zod schemas the handlers validate with (functions/api/schemas.ts), responses
 * from the zod response schemas the integration tests check real responses against
 * (functions/api/response-schemas.ts). `npm run openapi` writes it to docs/openapi.json; a unit test fails
 * when the committed file differs from what this builds.
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { ACTIONS, ROLES } from '#domain/incident.js';
import { ActionBody, ListQuery, ReportBody, StatsQuery } from './schemas.js';
import {
  DeadlineSpec, FieldError, GatewayMessage, Health, Incident, IncidentPage, ListedIncident, Location, PendingExtension, Problem, Reporter,
  Resolution, Stats, StatsDay, StatsGroup, StatsWindow, TimelineEvent,
  type IncidentBody, type IncidentPageBody, type ProblemBody, type StatsBody,
} from './response-schemas.js';

export const OPENAPI_VERSION = '3.1.1';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
export type OpenApiDocument = JsonObject & { openapi: string; paths: Record<string, Record<string, JsonObject>> };

export type HttpMethod = 'get' | 'post';
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 500;

/** One route of contract §4 and what it may answer. */
export interface OperationDoc {
  method: HttpMethod;
  path: string;
  operationId: string;
  tag: 'incidents' | 'stats' | 'health';
  summary: string;
  description: string;
  auth: boolean;
  idempotent: boolean;
  body?: 'ReportBody' | 'ActionBody';
  query?: z.ZodObject;
  /** Answers with names in the caller's language (`Accept-Language`). */
  localized?: boolean;
  success: { status: 200 | 201; description: string; schema: string; example?: string; location?: boolean };
  /** The error statuses that apply, each with what it means for this route. */
  errors: Partial<Record<ErrorStatus, string>>;
}

const SCHEMA_REF = (name: string) => `#/components/schemas/${name}`;
const UNEXPECTED = 'Something failed on the server side; the request may be retried (with the same Idempotency-Key on a POST).';

const AUTH_401 = 'No token, a bad signature, an expired token, a wrong issuer or audience, or a token without valid `sub`, `role` and `scope` claims.';

export const OPERATIONS: readonly OperationDoc[] = [
  {
    method: 'post', path: '/incidents', operationId: 'reportIncident', tag: 'incidents',
    summary: 'Report an incident',
    description: 'Creates an incident in a grid, open at the first level of the county ladder with that level\'s deadline for '
      + 'its category, or, with `resolvedOnSpot`, already resolved at grid level. The 201 already holds the `reported` and '
      + '`assigned` events. Who may report: `reporter` anywhere in its county, `grid` in its own grid (only a grid worker '
      + 'may send `resolvedOnSpot`); other roles get 403.',
    auth: true, idempotent: true, body: 'ReportBody',
    success: { status: 201, description: 'The new incident.', schema: 'Incident', example: 'reportedIncident', location: true },
    errors: {
      400: 'Malformed JSON, a schema violation (missing or unknown field, a title over 120 characters...) or a malformed Idempotency-Key.',
      401: AUTH_401,
      403: 'The role may not report here: a grid leader outside its grid, a supervisor role, or a reporter sending `resolvedOnSpot`.',
      409: 'A request with the same Idempotency-Key is still being processed.',
      413: 'The body is over 64 KiB.',
      415: 'The body is not sent as JSON (`application/json` or `*+json`).',
      422: '`gridId` or `category` is unknown in this county, or the Idempotency-Key was used before with a different body.',
      500: UNEXPECTED,
    },
  },
  {
    method: 'get', path: '/incidents', operationId: 'listIncidents', tag: 'incidents',
    summary: 'List incidents in the caller\'s jurisdiction',
    description: 'Filters combine. With `status=open` the soonest deadline comes first, otherwise the newest report. '
      + 'A filter outside the caller\'s jurisdiction gives an empty list, not an error. Page with `nextCursor`: it is opaque, '
      + 'signed and bound to the caller and the query, so a forged or foreign cursor is a 400.',
    auth: true, idempotent: false, query: ListQuery,
    success: { status: 200, description: 'One page of incidents.', schema: 'IncidentPage', example: 'incidentPage' },
    errors: {
      400: 'An unknown parameter or value, `limit` outside 1–100, or a forged, truncated or foreign `cursor`.',
      401: AUTH_401,
      500: UNEXPECTED,
    },
  },
  {
    method: 'get', path: '/incidents/{id}', operationId: 'getIncident', tag: 'incidents',
    summary: 'One incident with its timeline',
    description: 'The reporter\'s phone is shown only to the reporter, to the grid leader of the incident\'s grid and to the county role.',
    auth: true, idempotent: false,
    success: { status: 200, description: 'The incident.', schema: 'Incident', example: 'resolvedIncident' },
    errors: {
      401: AUTH_401,
      404: 'No such incident, or it is outside the caller\'s jurisdiction.',
      500: UNEXPECTED,
    },
  },
  {
    method: 'post', path: '/incidents/{id}/actions', operationId: 'actOnIncident', tag: 'incidents',
    summary: 'Act on an incident',
    description: 'acknowledge, comment, resolve, escalate, verify, reopen, reject, and the case flow of contract §8: '
      + 'request-extension, approve-extension, deny-extension, return, reassign. A supervisor acts at its own level or below '
      + '(grid < town < county < city); `county` and `city` act at any level. `verify` and `reopen` belong to the incident\'s '
      + 'reporter, the grid leader of its grid and the county role. `reopen` returns the incident to the level that resolved it '
      + 'with a new deadline from now and clears `resolution` and `overdue`. Only the level holding the incident asks for an '
      + 'extension (`extension`: a duration, `{working}` or `{workingDays}`, at most P30D); the level above or the county role '
      + 'decides, never the one who asked; an approved extension moves the deadline later from the current deadline, once per '
      + 'stay at a level. `return` (the grid leader, at grid level) sends the incident to its town with the town\'s deadline; '
      + '`reassign` (its town supervisor or the county role, after a return) gives it to a grid of the same town (`gridId`) '
      + 'with a fresh grid deadline. Any change of level or status closes a pending request with `extension-lapsed`. Every '
      + 'incident returned carries `allowedActions`, the actions this caller may take now. Every action adds one timeline '
      + 'event and bumps `version` by 1; send `expectedVersion` to act only on the version you read.',
    auth: true, idempotent: true, body: 'ActionBody',
    success: { status: 200, description: 'The incident after the action.', schema: 'Incident', example: 'resolvedIncident' },
    errors: {
      400: 'Malformed JSON, an unknown action, a missing note (comment, resolve, reopen, reject, request-extension, deny-extension, '
        + 'return), a note over 2000 characters, `extension` missing for request-extension or sent with another action, `gridId` '
        + 'missing for reassign or sent with another action, a malformed `extension`, or a malformed Idempotency-Key.',
      401: AUTH_401,
      403: 'The role may not do this: a reporter resolving, a grid leader acting once the incident is at town, a town supervisor verifying, '
        + 'someone other than the holding level asking for an extension, someone other than the level above or the county deciding one '
        + '(or deciding their own request), someone other than its grid leader returning it, or its town reassigning it.',
      404: 'No such incident, or it is outside the caller\'s jurisdiction.',
      409: 'The action is not valid in the current status or level (verify an open incident, escalate at the top, acknowledge twice, '
        + 'ask for an extension at the top, while one is pending, after one was granted at this level or once the deadline passed, '
        + 'decide when none is pending, reassign an incident that was not returned), `expectedVersion` is stale, the incident changed '
        + 'concurrently, or a request with the same Idempotency-Key is still being processed.',
      413: 'The body is over 64 KiB.',
      415: 'The body is not sent as JSON (`application/json` or `*+json`).',
      422: 'An extension that cannot be granted (not positive, over P30D, working time in a county without a calendar), a `gridId` '
        + 'unknown in this county or in another town than the incident\'s, or the Idempotency-Key was used before with a different body.',
      500: UNEXPECTED,
    },
  },
  {
    method: 'get', path: '/stats', operationId: 'getStats', tag: 'stats',
    summary: 'Figures for the caller\'s jurisdiction',
    description: 'Counts the incidents reported in the window, in the caller\'s jurisdiction: a grid leader its grid, a town '
      + 'supervisor its town, the county and city roles the whole county, a reporter what it reported. All time when `from` and '
      + '`to` are absent; otherwise widened to whole days of the county\'s time zone, and `window` says which period was counted. '
      + '`groupBy` adds the same figures per town, community, grid or category of the jurisdiction (names in the caller\'s '
      + 'language); `series=day` adds the reports, resolutions, escalations and closings of every day from `from` to `to` '
      + '(both needed, at most 366 days). Summed from counters kept per day, month and all time, never by reading incidents '
      + '(a reporter\'s from its own incidents). The counters follow each change within moments: see docs/api.md. A token for '
      + 'another county or city gets zero figures, not an error.',
    auth: true, idempotent: false, query: StatsQuery, localized: true,
    success: { status: 200, description: 'The figures.', schema: 'Stats', example: 'stats' },
    errors: {
      400: 'An unknown parameter or `groupBy`, a `from` or `to` that is not an ISO 8601 date-time with offset, `to` before `from`, '
        + 'or `series=day` without both `from` and `to` or over more than 366 days.',
      401: AUTH_401,
      500: UNEXPECTED,
    },
  },
  {
    method: 'get', path: '/health', operationId: 'health', tag: 'health',
    summary: 'Liveness, no token',
    description: 'Answers 200 as soon as the API can run a handler. Needs no token and reads nothing.',
    auth: false, idempotent: false,
    success: { status: 200, description: 'Alive.', schema: 'Health' },
    errors: { 500: UNEXPECTED },
  },
];

/** Descriptions of the query parameters (their schemas come from the zod query schemas). */
const QUERY_DESCRIPTIONS: Record<string, string> = {
  status: 'Only incidents in this status. `open` also orders the list by soonest deadline.',
  level: 'Only incidents at this level.',
  townId: 'Only incidents in this town.',
  gridId: 'Only incidents in this grid.',
  category: 'Only incidents of this category.',
  overdue: 'Only incidents whose top level missed its deadline (`true`) or not (`false`).',
  limit: 'Page size, 1–100.',
  cursor: 'The `nextCursor` of the previous page of the same query, as returned.',
  from: 'Count incidents reported from the day (in the county\'s time zone) of this instant on (ISO 8601 date-time with offset, e.g. `2026-11-01T00:00:00+08:00`).',
  to: 'Count incidents reported up to the end of the day (in the county\'s time zone) of this instant (ISO 8601 date-time with offset); not before `from`.',
  groupBy: 'Add `groups`: the same figures per town, community, grid or category of the caller\'s jurisdiction, every unit listed.',
  series: 'Add `series`: per day of the county\'s time zone from `from` to `to` (both needed, at most 366 days), the reports, resolutions, escalations and closings that day.',
};

// ---------------------------------------------------------------------------------------------
// JSON Schema from zod

const TARGET = 'draft-2020-12' as const;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * What zod emits that the document does not need: `$schema`/`$id` per component (OpenAPI 3.1 already
 * declares the 2020-12 dialect), the regex zod checks a `format` with (the format says it), and the
 * safe-integer bounds of `z.number().int()`.
 */
function tidy(node: Json): Json {
  if (Array.isArray(node)) return node.map(tidy);
  if (node === null || typeof node !== 'object') return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema' || key === '$id') continue;
    if (key === 'pattern' && typeof node.format === 'string') continue;
    if ((key === 'maximum' && value === MAX_SAFE) || (key === 'minimum' && value === -MAX_SAFE)) continue;
    out[key] = tidy(value);
  }
  return out;
}

function componentSchemas(entries: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, JsonObject> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(entries)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { target: TARGET, io, uri: SCHEMA_REF });
  if ('__shared' in schemas) throw new Error('a schema reused without a component name: register it in openapi.ts');
  return Object.fromEntries(Object.entries(schemas).map(([id, s]) => [id, tidy(s as Json) as JsonObject]));
}

/** The actions `ActionBody` refuses without a note, found by asking the schema itself. */
export function actionsNeedingNote(): string[] {
  return ACTIONS.filter((action) => {
    const result = ActionBody.safeParse({ action });
    return !result.success && result.error.issues.some((i) => i.path[0] === 'note');
  });
}

function requestSchemas(): Record<string, JsonObject> {
  const schemas = componentSchemas({ ReportBody, ActionBody }, 'input');
  // The note rule and the fields that belong to one action are zod refinements, which JSON Schema cannot derive;
  // state them with if/then.
  const ownedBy = (field: string, action: string): JsonObject => ({
    if: { properties: { action: { const: action } }, required: ['action'] },
    then: { required: [field] },
    else: { not: { required: [field] } },
  });
  schemas.ActionBody = {
    ...schemas.ActionBody!,
    if: { properties: { action: { enum: actionsNeedingNote() } }, required: ['action'] },
    then: { required: ['note'] },
    allOf: [ownedBy('extension', 'request-extension'), ownedBy('gridId', 'reassign')],
  };
  return schemas;
}

/**
 * Query parameters from a zod query schema. The query string carries text: where zod turns the text into
 * a number (`limit`), the parameter is documented with the number's schema, since that is what a client
 * means; other parameters keep the schema of the text they accept.
 */
function queryParameters(schema: z.ZodObject): JsonObject[] {
  const input = z.toJSONSchema(schema, { target: TARGET, io: 'input' }) as { properties: Record<string, Json>; required?: string[] };
  const output = z.toJSONSchema(schema, { target: TARGET, io: 'output', unrepresentable: 'any' }) as { properties: Record<string, JsonObject> };
  return Object.entries(input.properties).map(([name, wire]) => {
    const typed = output.properties[name];
    const numeric = typed?.type === 'integer' || typed?.type === 'number';
    const description = QUERY_DESCRIPTIONS[name];
    if (description === undefined) throw new Error(`query parameter "${name}" has no description in openapi.ts`);
    return {
      name, in: 'query', required: input.required?.includes(name) ?? false, description,
      schema: tidy(numeric ? typed! : wire),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Examples (a unit test checks each against its zod schema)

const EXAMPLE_ID = '556ae50e-5dad-4e68-918a-cdf87327c18e';

const reportedIncident: IncidentBody = {
  id: EXAMPLE_ID, countyId: 'shouyang', category: 'conflict', title: 'Dispute over a courtyard wall',
  description: 'Two neighbours argue over a collapsed wall', gridId: 'heishui-09', communityId: 'heishui', townId: 'pingtou',
  location: { lat: 37.75, lng: 113.18, address: 'No. 12 Heishui Lane' },
  reporter: { name: 'Wang Fang', phone: '13800001111' },
  occurredAt: null, status: 'open', level: 'grid', deadline: '2026-11-30T10:52:14.396Z', overdue: false,
  acknowledgedBy: null, pendingExtension: null, resolution: null, resolvedOnSpot: false,
  createdAt: '2026-11-29T10:52:14.396Z', updatedAt: '2026-11-29T10:52:14.396Z', version: 1,
  timeline: [
    { at: '2026-11-29T10:52:14.396Z', type: 'reported', level: 'grid', actor: 'resident-17', note: null, reason: null },
    { at: '2026-11-29T10:52:14.396Z', type: 'assigned', level: 'grid', actor: null, note: null, reason: null },
  ],
  allowedActions: [],
};

const resolvedIncident: IncidentBody = {
  ...reportedIncident,
  reporter: { name: 'Wang Fang' },
  status: 'resolved', level: 'town', deadline: null,
  resolution: { note: 'Town land office set the boundary; both agreed', by: 'pt-1', level: 'town', at: '2026-11-29T10:52:18.773Z' },
  updatedAt: '2026-11-29T10:52:18.773Z', version: 4,
  timeline: [
    ...reportedIncident.timeline,
    { at: '2026-11-29T10:52:17.919Z', type: 'acknowledged', level: 'grid', actor: 'hs-09', note: null, reason: null },
    { at: '2026-11-29T10:52:18.346Z', type: 'escalated', level: 'town', actor: 'hs-09', note: 'Needs the town land office', reason: 'manual' },
    { at: '2026-11-29T10:52:18.773Z', type: 'resolved', level: 'town', actor: 'pt-1', note: 'Town land office set the boundary; both agreed', reason: null },
  ],
  allowedActions: ['comment'],
};

const extensionRequested: IncidentBody = {
  ...reportedIncident,
  reporter: { name: 'Wang Fang' },
  updatedAt: '2026-11-29T15:02:40.118Z', version: 2,
  pendingExtension: { extension: { workingDays: 2 }, by: 'hs-09', at: '2026-11-29T15:02:40.118Z', note: 'Waiting for the village committee to meet' },
  timeline: [
    ...reportedIncident.timeline,
    {
      at: '2026-11-29T15:02:40.118Z', type: 'extension-requested', level: 'grid', actor: 'hs-09',
      note: 'Waiting for the village committee to meet', reason: null, extension: { workingDays: 2 },
    },
  ],
  allowedActions: ['acknowledge', 'comment', 'resolve', 'escalate', 'reject', 'approve-extension', 'deny-extension'],
};

const { timeline: _timeline, ...listedIncident } = resolvedIncident;
const incidentPage: IncidentPageBody = {
  items: [listedIncident],
  nextCursor: 'eyJhZnRlciI6IjIwMjYtMTEtMjlUMTA6NTI6MTcuNTAwWiM1NTZhZTUwZSJ9.4HB4Y9hZFrPB4zD_Yo8DcwxJ0g_bRcriVqgWbGrC2qU',
};

const stats: StatsBody = {
  window: { from: '2026-10-31T16:00:00.000Z', to: '2026-11-30T15:59:59.999Z' },
  total: 42,
  byCategory: {
    conflict: 18, 'safety-hazard': 11, 'epidemic-prevention': 0, sanitation: 9, 'public-order': 2,
    'elderly-care': 2, 'information-collection': 0, 'policy-publicity': 0,
  },
  byStatus: { open: 9, resolved: 4, closed: 27, rejected: 2 },
  resolvedAtLevel: { grid: 24, town: 6, city: 1 },
  resolvedOnSpot: 7,
  onTimeRate: 0.87,
  overdueOpen: 2,
};

const statsByGrid: StatsBody = {
  window: { from: '2026-11-29T16:00:00.000Z', to: '2026-11-30T15:59:59.999Z' },
  total: 3,
  byCategory: {
    conflict: 2, 'safety-hazard': 0, 'epidemic-prevention': 0, sanitation: 1, 'public-order': 0,
    'elderly-care': 0, 'information-collection': 0, 'policy-publicity': 0,
  },
  byStatus: { open: 1, resolved: 1, closed: 1, rejected: 0 },
  resolvedAtLevel: { grid: 2, town: 0, city: 0 },
  resolvedOnSpot: 1,
  onTimeRate: 1,
  overdueOpen: 0,
  groups: [
    {
      id: 'heishui-09', name: '第9网格', total: 3,
      byCategory: {
        conflict: 2, 'safety-hazard': 0, 'epidemic-prevention': 0, sanitation: 1, 'public-order': 0,
        'elderly-care': 0, 'information-collection': 0, 'policy-publicity': 0,
      },
      byStatus: { open: 1, resolved: 1, closed: 1, rejected: 0 },
      resolvedAtLevel: { grid: 2, town: 0, city: 0 },
      resolvedOnSpot: 1,
      onTimeRate: 1,
      overdueOpen: 0,
    },
  ],
  series: [{ date: '2026-11-30', reported: 3, resolved: 2, escalated: 0, closed: 1 }],
};

const validationProblem: ProblemBody = {
  type: 'https://gridflow.dev/problems/validation', title: 'Invalid request', status: 400,
  detail: 'The request does not match the schema.', instance: '/incidents',
  errors: [
    { path: 'title', message: 'Too small: expected string to have >=1 characters' },
    { path: '(root)', message: 'Unrecognized key: "colour"' },
  ],
};

const conflictProblem: ProblemBody = {
  type: 'https://gridflow.dev/problems/conflict', title: 'Conflict', status: 409,
  detail: 'The incident is at version 4, not 3.', instance: `/incidents/${EXAMPLE_ID}/actions`,
};

/** Examples by name, with the zod schema each must satisfy. */
export const EXAMPLES: Record<string, { schema: z.ZodType; value: unknown; summary: string }> = {
  reportedIncident: { schema: Incident, value: reportedIncident, summary: 'A new incident, open at grid level' },
  resolvedIncident: { schema: Incident, value: resolvedIncident, summary: 'Escalated by the grid leader, resolved by the town' },
  extensionRequested: { schema: Incident, value: extensionRequested, summary: 'The grid leader asked for two more working days (as the town sees it)' },
  incidentPage: { schema: IncidentPage, value: incidentPage, summary: 'A page with more to come' },
  stats: { schema: Stats, value: stats, summary: 'A town\'s November (Asia/Shanghai)' },
  statsByGrid: { schema: Stats, value: statsByGrid, summary: 'A grid leader\'s 30 November by grid, with its day (`groupBy=grid&series=day`, Accept-Language: zh-CN)' },
  validationProblem: { schema: Problem, value: validationProblem, summary: 'A schema violation' },
  conflictProblem: { schema: Problem, value: conflictProblem, summary: 'A stale expectedVersion' },
};

const REQUEST_EXAMPLES: Record<'ReportBody' | 'ActionBody', Record<string, { summary: string; value: Json }>> = {
  ReportBody: {
    report: {
      summary: 'A resident reports',
      value: {
        category: 'conflict', gridId: 'heishui-09', title: 'Dispute over a courtyard wall',
        description: 'Two neighbours argue over a collapsed wall',
        location: { lat: 37.75, lng: 113.18, address: 'No. 12 Heishui Lane' },
        reporter: { name: 'Wang Fang', phone: '13800001111' },
      },
    },
    resolvedOnSpot: {
      summary: 'A grid worker reports what it already settled',
      value: {
        category: 'sanitation', gridId: 'heishui-09', title: 'Rubbish by the well',
        description: 'A pile of rubbish next to the village well', resolvedOnSpot: { note: 'Cleared it with two volunteers' },
      },
    },
  },
  ActionBody: {
    resolve: { summary: 'Resolve', value: { action: 'resolve', note: 'Town land office set the boundary; both agreed', expectedVersion: 3 } },
    escalate: { summary: 'Escalate to the next level', value: { action: 'escalate', note: 'Needs the town land office' } },
    verify: { summary: 'The reporter confirms', value: { action: 'verify' } },
    reopen: { summary: 'The reporter reopens', value: { action: 'reopen', note: 'The wall is still down' } },
    requestExtension: {
      summary: 'The holder asks for more time',
      value: { action: 'request-extension', note: 'Waiting for the village committee to meet', extension: { workingDays: 2 } },
    },
    approveExtension: { summary: 'The level above approves', value: { action: 'approve-extension' } },
    denyExtension: { summary: 'The level above denies', value: { action: 'deny-extension', note: 'Settle it this week' } },
    return: { summary: 'The grid leader sends it back: not theirs', value: { action: 'return', note: 'The wall belongs to the next grid' } },
    reassign: { summary: 'The town dispatches it to another grid', value: { action: 'reassign', gridId: 'heishui-10', note: 'Your grid' } },
  },
};

// ---------------------------------------------------------------------------------------------
// The document

const PROBLEM_JSON = 'application/problem+json';

function errorResponse(status: ErrorStatus, description: string): JsonObject {
  const content: JsonObject = { [PROBLEM_JSON]: { schema: { $ref: SCHEMA_REF('Problem') } } };
  if (status === 400) (content[PROBLEM_JSON] as JsonObject).examples = { validation: { $ref: '#/components/examples/validationProblem' } };
  if (status === 409) (content[PROBLEM_JSON] as JsonObject).examples = { staleVersion: { $ref: '#/components/examples/conflictProblem' } };
  if (status === 401) {
    // In the cloud API Gateway's JWT authorizer answers before any handler, with its own body.
    content['application/json'] = { schema: { $ref: SCHEMA_REF('GatewayMessage') }, example: { message: 'Unauthorized' } };
    return {
      description: `${description} In the cloud a token the JWT authorizer rejects gets API Gateway's own \`{"message":"Unauthorized"}\` `
        + '(application/json); the handlers, and the local stand-in, answer problem+json.',
      headers: { 'WWW-Authenticate': { $ref: '#/components/headers/WWW-Authenticate' } },
      content,
    };
  }
  return { description, content };
}

function operation(op: OperationDoc): JsonObject {
  const parameters: JsonObject[] = [];
  if (op.path.includes('{id}')) parameters.push({ $ref: '#/components/parameters/IncidentId' });
  if (op.query) parameters.push(...queryParameters(op.query));
  if (op.idempotent) parameters.push({ $ref: '#/components/parameters/IdempotencyKey' });

  const headers: JsonObject = {};
  if (op.success.location) headers.Location = { description: 'The new incident: `/incidents/{id}`.', schema: { type: 'string' } };
  if (op.idempotent) headers['Idempotent-Replayed'] = { $ref: '#/components/headers/Idempotent-Replayed' };
  const media: JsonObject = { schema: { $ref: SCHEMA_REF(op.success.schema) } };
  if (op.success.example) media.examples = { [op.success.example]: { $ref: `#/components/examples/${op.success.example}` } };
  if (op.localized) {
    parameters.push({ $ref: '#/components/parameters/AcceptLanguage' });
    if (op.operationId === 'getStats') (media.examples as JsonObject).statsByGrid = { $ref: '#/components/examples/statsByGrid' };
  }

  const responses: JsonObject = {
    [String(op.success.status)]: {
      description: op.success.description,
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
      content: { 'application/json': media },
    },
  };
  for (const [status, description] of Object.entries(op.errors)) {
    responses[status] = errorResponse(Number(status) as ErrorStatus, description);
  }
  return {
    operationId: op.operationId,
    tags: [op.tag],
    summary: op.summary,
    description: op.description,
    ...(op.auth ? {} : { security: [] }),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(op.body ? {
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: { $ref: SCHEMA_REF(op.body) },
            examples: REQUEST_EXAMPLES[op.body],
          },
        },
      },
    } : {}),
    responses,
  };
}

const ROLE_TABLE = [
  '| role | scope | may |',
  '| --- | --- | --- |',
  '| `reporter` | county id | report anywhere in the county; read, verify or reopen its own incidents |',
  '| `grid` | grid id | report in its grid; read and act on incidents of its grid |',
  '| `town` | town id | read and act on incidents of its town |',
  '| `county` | county id | read everything in the county; act at any level |',
  '| `city` | city id | read everything of its counties; act at any level |',
].join('\n');

const BEARER_DESCRIPTION = [
  'A JWT in `Authorization: Bearer <token>` on every route but `GET /health`. The API reads four claims:',
  '`sub` (who acts: timeline `actor`, `resolution.by`, the reporter of its reports), `name`, `role` (one of '
    + `${ROLES.map((r) => `\`${r}\``).join(', ')}) and \`scope\` (the id of the county, town, grid or city the role is for).`,
  '',
  ROLE_TABLE,
  '',
  'In the cloud the tokens come from the county\'s identity provider: by default its Cognito user pool (send the ID token; a '
    + 'pre-token-generation trigger sets `role` and `scope` from the admin-only attributes `custom:role` and `custom:scope`), '
    + 'or the OIDC issuer named in the county file\'s `deployment.identity` (issuer and audience), which must issue the same '
    + 'claims. Locally: `npm run -s token -- --role town --scope pingtou [--sub ID] [--name NAME] [--data-dir DIR]`.',
].join('\n');

function readPackageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new Error('package.json has no version');
  return pkg.version;
}

export function buildOpenApi(): OpenApiDocument {
  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const op of OPERATIONS) (paths[op.path] ??= {})[op.method] = operation(op);

  return {
    openapi: OPENAPI_VERSION,
    info: {
      title: 'gridflow incident API',
      version: readPackageVersion(),
      summary: 'Incident escalation for grid-based local governance: one API per county.',
      description: 'The HTTP API of one county (contract §4). JSON in UTF-8; errors are `application/problem+json` (RFC 9457). '
        + 'When several errors apply, the first in this order wins: 401, 413, 415, 400, 422, 404, 403, 409. '
        + 'Both POST routes accept an `Idempotency-Key`. People\'s guide: docs/api.md. '
        + 'Generated by `npm run openapi` from the zod schemas in functions/api; do not edit by hand.',
    },
    servers: [
      { url: 'http://localhost:3000', description: 'The county on this machine (`npm start`)' },
      {
        url: 'https://{apiId}.execute-api.{region}.{urlSuffix}',
        description: 'A deployed county (API Gateway HTTP API, `$default` stage)',
        variables: {
          apiId: { default: 'abcdef1234', description: 'The HTTP API id (stack output)' },
          region: { default: 'cn-north-1' },
          urlSuffix: { default: 'amazonaws.com.cn', enum: ['amazonaws.com', 'amazonaws.com.cn'] },
        },
      },
    ],
    security: [{ bearerAuth: [] }],
    tags: [
      { name: 'incidents', description: 'Report, read, list and act on incidents' },
      { name: 'stats', description: 'Figures for the caller\'s jurisdiction' },
      { name: 'health', description: 'Liveness' },
    ],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: BEARER_DESCRIPTION },
      },
      parameters: {
        IncidentId: { name: 'id', in: 'path', required: true, description: 'The incident id (a UUID).', schema: { type: 'string', minLength: 1 } },
        AcceptLanguage: {
          name: 'Accept-Language', in: 'header', required: false,
          description: 'The language of the names in the response: `zh-CN` (any `zh`) or `en` (any `en`), the first of them listed wins; '
            + 'otherwise the county\'s locale.',
          schema: { type: 'string' },
          example: 'zh-CN,zh;q=0.9,en;q=0.8',
        },
        IdempotencyKey: {
          name: 'Idempotency-Key', in: 'header', required: false,
          description: 'A repeat with the same key and body within 24 h answers the first response again (same status, same body) '
            + 'and changes nothing. Keys are per caller (`sub`). The same key with a different body is a 422; a key whose first '
            + 'request is still running is a 409; a request that failed stores nothing, so its retry is evaluated afresh.',
          schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
          example: 'report-0001',
        },
      },
      headers: {
        'Idempotent-Replayed': {
          description: '`true` when this is the stored response of an earlier request with the same Idempotency-Key.',
          schema: { type: 'string', enum: ['true'] },
        },
        'WWW-Authenticate': { description: '`Bearer`, with `error="invalid_token"` for a token that failed verification.', schema: { type: 'string' } },
      },
      schemas: {
        ...requestSchemas(),
        ...componentSchemas({
          Incident, ListedIncident, TimelineEvent, DeadlineSpec, PendingExtension, Location, Reporter, Resolution, IncidentPage, Stats, StatsWindow,
          StatsGroup, StatsDay, Health, Problem, FieldError, GatewayMessage,
        }, 'output'),
      },
      examples: Object.fromEntries(Object.entries(EXAMPLES).map(([name, e]) => [name, { summary: e.summary, value: e.value as Json }])),
    },
  };
}

/** The file's text: what `npm run openapi` writes and the drift test compares. */
export const renderOpenApi = (): string => `${JSON.stringify(buildOpenApi(), null, 2)}\n`;
