/**
 * docs/openapi.json is generated (functions/api/openapi.ts, `npm run openapi`) and must describe contract §4:
 * every route with its success status, the error statuses that apply as problem+json, bearer JWT security,
 * the Idempotency-Key on both POSTs, and request schemas that are the handlers' own zod schemas.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ActionBody, ListQuery, ReportBody, StatsQuery } from '#api/schemas.js';
import { actionsNeedingNote, buildOpenApi, EXAMPLES, renderOpenApi } from '#api/openapi.js';
import { Incident, Problem } from '#api/response-schemas.js';
import type { Caller } from '#domain/incident.js';
import { applyAction, reportIncident } from '#domain/lifecycle.js';
import { toIncidentView } from '#domain/view.js';
import { domainCounty } from '../helpers/domain-county.js';
import { ROUTES as STACK_ROUTES } from '#infra/handlers.js';

const FILE = new URL('../../docs/openapi.json', import.meta.url);
const doc = buildOpenApi();
type Obj = Record<string, any>;

/** Contract §4: every route, its success status and the error statuses of the error table that apply to it. */
const CONTRACT: Record<string, { success: number; errors: number[] }> = {
  'POST /incidents': { success: 201, errors: [400, 401, 403, 409, 413, 415, 422] },
  'GET /incidents/{id}': { success: 200, errors: [401, 404] },
  'GET /incidents': { success: 200, errors: [400, 401] },
  'POST /incidents/{id}/actions': { success: 200, errors: [400, 401, 403, 404, 409, 413, 415, 422] },
  'GET /stats': { success: 200, errors: [400, 401] },
  'GET /health': { success: 200, errors: [] },
};

const operations = (): [string, Obj][] =>
  Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([m, op]): [string, Obj] => [`${m.toUpperCase()} ${path}`, op]));
const op = (key: string): Obj => {
  const found = operations().find(([k]) => k === key);
  if (!found) throw new Error(`no operation ${key}`);
  return found[1];
};
const resolveRef = (ref: string): unknown => ref.slice(2).split('/').reduce<any>((node, part) => node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], doc);

describe('docs/openapi.json', () => {
  test('is exactly what `npm run openapi` generates now (run it after changing a schema or a route)', () => {
    expect(readFileSync(FILE, 'utf8')).toBe(renderOpenApi());
  });

  test('is OpenAPI 3.1 and every $ref resolves', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    const refs: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          if (k === '$ref' && typeof v === 'string') refs.push(v);
          else walk(v);
        }
      }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\//);
      expect([ref, resolveRef(ref)]).toEqual([ref, expect.anything()]);
    }
  });
});

describe('routes and statuses', () => {
  test('has every route of contract §4 and no other, the same as the county stack declares', () => {
    expect(operations().map(([k]) => k).sort()).toEqual(Object.keys(CONTRACT).sort());
    expect(STACK_ROUTES.map((r) => `${r.method} ${r.path}`).sort()).toEqual(Object.keys(CONTRACT).sort());
  });

  test.each(Object.entries(CONTRACT))('%s answers its success status with a JSON schema', (key, { success }) => {
    const responses = op(key).responses as Obj;
    const ok = Object.keys(responses).filter((s) => s.startsWith('2'));
    expect(ok).toEqual([String(success)]);
    expect(responses[String(success)].content['application/json'].schema.$ref).toMatch(/^#\/components\/schemas\//);
  });

  test.each(Object.entries(CONTRACT))('%s lists the error statuses that apply, each as application/problem+json', (key, { errors }) => {
    const responses = op(key).responses as Obj;
    const listed = Object.keys(responses).map(Number).filter((s) => s >= 400 && s !== 500);
    expect(listed.sort()).toEqual([...errors].sort());
    for (const status of [...errors, 500]) {
      const response = responses[String(status)];
      expect(response.description.length).toBeGreaterThan(10);
      expect(response.content['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/Problem' });
    }
  });

  test('a report answers 201 with a Location header', () => {
    expect(op('POST /incidents').responses['201'].headers.Location).toBeDefined();
  });

  test('a 401 also documents API Gateway\'s own body in the cloud', () => {
    const unauthorized = op('GET /incidents').responses['401'];
    expect(unauthorized.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/GatewayMessage' });
  });
});

describe('security', () => {
  test('bearer JWT on every route but /health, with the role and scope claims explained', () => {
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
    const scheme = (doc.components as Obj).securitySchemes.bearerAuth;
    expect(scheme).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    for (const word of ['`role`', '`scope`', '`sub`', 'reporter', 'grid', 'town', 'county', 'city', 'Cognito', 'npm run -s token']) {
      expect(scheme.description).toContain(word);
    }
    for (const [key, operation] of operations()) {
      if (key === 'GET /health') expect(operation.security).toEqual([]);
      else expect(operation.security).toBeUndefined(); // inherits the document's bearerAuth
    }
  });
});

describe('request schemas come from the handlers\' zod schemas', () => {
  const schemas = () => (doc.components as Obj).schemas as Obj;

  test('the report and action bodies are the zod schemas as JSON Schema 2020-12', () => {
    for (const [name, zodSchema] of [['ReportBody', ReportBody], ['ActionBody', ActionBody]] as const) {
      const generated = z.toJSONSchema(zodSchema, { target: 'draft-2020-12', io: 'input' }) as Obj;
      expect(Object.keys(schemas()[name].properties)).toEqual(Object.keys(generated.properties));
      expect(schemas()[name].required).toEqual(generated.required);
      expect(schemas()[name].additionalProperties).toBe(false);
    }
    expect(schemas().ReportBody.properties.title).toMatchObject({ minLength: 1, maxLength: 120 });
    expect(schemas().ReportBody.properties.description).toMatchObject({ minLength: 1, maxLength: 4000 });
    expect(schemas().ActionBody.properties.note).toMatchObject({ minLength: 1, maxLength: 2000 });
  });

  test('the note rule of contract §4 is stated with if/then and found from ActionBody itself', () => {
    const needing = ['comment', 'deny-extension', 'reject', 'reopen', 'request-extension', 'resolve', 'return'];
    expect(actionsNeedingNote().sort()).toEqual(needing);
    expect(schemas().ActionBody.if.properties.action.enum.sort()).toEqual(needing);
    expect(schemas().ActionBody.then).toEqual({ required: ['note'] });
  });

  test('query parameters are those of the zod query schemas; limit is 1-100, default 20', () => {
    const names = (key: string) => (op(key).parameters as Obj[]).filter((p) => p.in === 'query').map((p) => p.name);
    expect(names('GET /incidents')).toEqual(Object.keys(ListQuery.shape));
    expect(names('GET /stats')).toEqual(Object.keys(StatsQuery.shape));
    const limit = (op('GET /incidents').parameters as Obj[]).find((p) => p.name === 'limit');
    expect(limit?.schema).toEqual({ type: 'integer', minimum: 1, maximum: 100, default: 20 });
  });

  test('the Idempotency-Key header is on both POSTs and nowhere else', () => {
    for (const [key, operation] of operations()) {
      const refs = ((operation.parameters ?? []) as Obj[]).map((p) => p.$ref);
      expect([key, refs.includes('#/components/parameters/IdempotencyKey')]).toEqual([key, key.startsWith('POST')]);
    }
    const header = resolveRef('#/components/parameters/IdempotencyKey') as Obj;
    expect(header).toMatchObject({ name: 'Idempotency-Key', in: 'header', required: false });
    expect(header.description).toContain('24 h');
  });
});

describe('response schemas', () => {
  test('the Incident schema requires every field of contract §4', () => {
    const incident = (doc.components as Obj).schemas.Incident;
    for (const field of ['id', 'countyId', 'category', 'title', 'description', 'gridId', 'communityId', 'townId', 'location',
      'status', 'level', 'deadline', 'overdue', 'acknowledgedBy', 'resolution', 'createdAt', 'updatedAt', 'version', 'timeline']) {
      expect(incident.required).toContain(field);
    }
    expect(incident.additionalProperties).toBe(false);
  });

  test.each(Object.entries(EXAMPLES))('example %s satisfies its zod schema', (_name, example) => {
    expect(example.schema.safeParse(example.value).error).toBeUndefined();
  });

  test('the incident view the handlers send satisfies the Incident schema, before and after actions', () => {
    const county = domainCounty();

    const resident: Caller = { sub: 'resident-1', name: 'Wang', role: 'reporter', scope: 'shouyang' };
    const leader: Caller = { sub: 'hs-09', name: 'Zhao', role: 'grid', scope: 'heishui-09' };
    const ctx = { countyId: 'shouyang', cityId: 'jinzhong', county };
    const t0 = new Date('2026-03-01T00:00:00.000Z');
    const reported = reportIncident({
      category: 'conflict', gridId: 'heishui-09', title: 'Wall', description: 'Dispute',
      location: { lat: 37.9, lng: 113.2 }, reporter: { name: 'Wang', phone: '13800000000' }, occurredAt: '2026-02-28T20:00:00+08:00',
    }, resident, county, t0, '0b6f3c4e-8a1d-4f7e-9c2b-5d4a3e2f1a0b');
    const escalated = applyAction(reported, leader, { action: 'escalate', note: 'town please' }, new Date(t0.getTime() + 1000), ctx).incident;
    for (const [incident, caller] of [[reported, resident], [reported, leader], [escalated, leader], [escalated, resident]] as const) {
      expect(Incident.safeParse(toIncidentView(incident, caller, t0, ctx)).error).toBeUndefined();
    }
    // And the schema is not a rubber stamp: a field the contract does not name fails it.
    expect(Incident.safeParse({ ...toIncidentView(reported, resident, t0, ctx), reportedBy: 'resident-1' }).success).toBe(false);
    expect(Problem.safeParse({ type: 'x', title: 'x', status: 404 }).success).toBe(false); // detail is required
  });
});
