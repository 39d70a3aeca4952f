/**
 * Issue 9, "done when": generated requests against the local county (real DynamoDB Local, the synthesized state
 * machine, the same handlers behind the API Gateway stand-in) never answer 5xx, every error is problem+json, every
 * answer is well-formed JSON, and afterwards every workflow is healthy: none failed, each incident that was created
 * is in the hands of its first level, none is marked stuck.
 *
 * The requests are built by fast-check from the edge's zod schemas (functions/api/schemas.ts): every field the
 * schema knows, each valid, hostile (lone surrogates, controls, bidi overrides), of another JSON type, or an edge
 * number or date; fields the schema does not know (`__proto__` included); broken JSON; ids and query strings of
 * arbitrary bytes; odd Idempotency-Keys and tokens. FUZZ_RUNS (default 2,000) requests per run, one after the other;
 * a failure prints fast-check's seed and the shrunk request.
 */
import fc from 'fast-check';
import * as z from 'zod';
import { ActionBody, ListQuery, ReportBody, StatsQuery } from '#api/schemas.js';
import { ACTIONS } from '#domain/incident.js';
import { startTestCounty, type TestCounty } from '../helpers/local-county.js';
import { writeCountyCopy } from '../helpers/spawned-county.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2_000);
const CATEGORIES = ['conflict', 'safety-hazard'];
const GRIDS = ['north-01', 'north-02', 'south-01', 'south-02'];

let t: TestCounty;
let tokens: string[];
const created: string[] = [];
const statuses = new Map<number, number>();

beforeAll(async () => {
  // Day-long deadlines: the workflows wait instead of climbing the ladder while the fuzz runs.
  const config = writeCountyCopy('testville', (c) => {
    for (const category of c.categories) for (const level of Object.keys(category.deadlines)) category.deadlines[level] = 'P1D';
  }, 'testville-fuzz');
  t = await startTestCounty(config);
  tokens = await Promise.all([
    t.token('reporter', 'testville', 'fuzz-resident'), t.token('grid', 'north-01', 'fuzz-leader'), t.token('town', 'north', 'fuzz-town'),
    t.token('county', 'testville', 'fuzz-county'), t.token('city', 'testcity', 'fuzz-city'),
  ]);
  const seed = await t.call('POST', '/incidents', { token: tokens[0], body: { category: 'conflict', gridId: 'north-01', title: 'Seed', description: 'Fuzz target' } });
  expect(seed.status).toBe(201);
  created.push(seed.body.id);
}, 120_000);
afterAll(async () => { await t?.stop(); });

// ---------------------------------------------------------------------------------------------------------
// Values

const hostileChar = fc.oneof(
  fc.constantFrom('\ud800', '\udfff', '\u0000', '\u0007', '\n', '\r', '\t', '\u0085', '\u2028', '\u202e', '\u2066', '\u007f', '\ufeff', '"', '\\', '%', '&', '='),
  fc.constantFrom('详', '情', '：', 'a', ' ', '😀', 'é', '-', '0'),
  fc.string({ unit: 'binary', maxLength: 1 }),
);
const hostileString = (maxLength = 40) => fc.array(hostileChar, { maxLength }).map((parts) => parts.join(''));
const edgeNumber = fc.oneof(
  fc.constantFrom(1e-131, -1e-131, 1e-130, 1e126, -1e126, Number.MAX_VALUE, Number.MIN_VALUE, 0, -0, 91, -181, 2 ** 53 + 1, 0.1 + 0.2),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);
const edgeDate = fc.oneof(
  fc.constantFrom('+010000-01-01T00:00:00.000Z', '-000001-01-01T00:00:00.000Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59Z',
    '2026-02-30T00:00:00Z', '2099-01-01T00:00:00Z', '2026-12-01T10:00:00+08:00', '2026-12-01', 'yesterday', '', '2026-11-30T24:00:00Z'),
  fc.date({ min: new Date(-8_640_000_000_000_000), max: new Date(8_640_000_000_000_000), noInvalidDate: true }).map((d) => d.toISOString()),
);
const anyJson = fc.jsonValue({ maxDepth: 2 });
/** A field's value: mostly valid, else hostile text, another JSON type, an edge number or date. */
const field = (valid: fc.Arbitrary<unknown>) => fc.oneof(
  { weight: 6, arbitrary: valid }, { weight: 2, arbitrary: hostileString() }, { weight: 1, arbitrary: anyJson },
  { weight: 1, arbitrary: edgeNumber }, { weight: 1, arbitrary: edgeDate }, { weight: 1, arbitrary: fc.string({ minLength: 100, maxLength: 5000 }) },
);
const text = (max: number) => fc.string({ minLength: 1, maxLength: max }).filter((s) => s.trim().length > 0);

/** The keys of a zod object, and of the objects in it (`location.lat`): every field the edge validates. */
function pathsOf(schema: z.ZodObject): string[] {
  return Object.entries(schema.shape).flatMap(([key, field]) => {
    let inner: z.ZodType = field as z.ZodType;
    while (inner instanceof z.ZodOptional || inner instanceof z.ZodNullable) inner = inner.unwrap() as z.ZodType;
    return [key, ...(inner instanceof z.ZodObject ? pathsOf(inner).map((k) => `${key}.${k}`) : [])];
  });
}

const wrongValue = fc.oneof(hostileString(), anyJson, edgeNumber, edgeDate, fc.string({ minLength: 100, maxLength: 5000 }));
const UNKNOWN_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'extra', 'status', 'version', 'id'];

/**
 * A request body for a schema: a valid one, then none to three mutations over the schema's own keys (a field set to
 * a hostile value or another type, a field dropped) or a key the schema does not know. About half stay valid,
 * so the handlers' own paths (200, 201, 403, 404, 409, 422) are reached, not only the edge's 400.
 */
function bodyOf(schema: z.ZodObject, valid: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Record<string, unknown>> {
  const keys = pathsOf(schema);
  const mutation = fc.oneof(
    { weight: 4, arbitrary: fc.record({ op: fc.constant('set' as const), key: fc.constantFrom(...keys), value: wrongValue }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('drop' as const), key: fc.constantFrom(...keys), value: fc.constant(null) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('add' as const), key: fc.constantFrom(...UNKNOWN_KEYS), value: anyJson }) },
  );
  const mutations = fc.oneof({ weight: 1, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }) });
  return fc.tuple(valid, mutations).map(([body, ms]) => {
    const out: Record<string, unknown> = { ...body };
    for (const m of ms) {
      if (m.op === 'add') { out[`\u0000extra:${m.key}`] = m.value; continue; }
      // A nested path (location.lat) reaches into its object, which the valid body may have left out.
      const [head, leaf] = m.key.split('.') as [string, string | undefined];
      let target = out;
      if (leaf !== undefined) {
        const inner = out[head];
        target = inner && typeof inner === 'object' && !Array.isArray(inner) ? { ...(inner as Record<string, unknown>) } : {};
        out[head] = target;
      }
      const key = leaf ?? head;
      if (m.op === 'drop') delete target[key];
      else target[key] = m.value;
    }
    return out;
  });
}

const YEAR_MS = 365 * 86_400_000;
const reportBody = bodyOf(ReportBody, fc.record({
  category: fc.constantFrom(...CATEGORIES),
  gridId: fc.constantFrom(...GRIDS),
  title: text(120),
  description: text(300),
  location: fc.record({ lat: fc.double({ min: -90, max: 90, noNaN: true }), lng: fc.double({ min: -180, max: 180, noNaN: true }), address: text(100) }, { requiredKeys: ['lat', 'lng'] }),
  reporter: fc.record({ name: text(40), phone: fc.stringMatching(/^\+?[0-9]{5,15}$/) }, { requiredKeys: [] }),
  occurredAt: fc.integer({ min: 60_000, max: YEAR_MS }).map((ago) => new Date(Date.now() - ago).toISOString()),
}, { requiredKeys: ['category', 'gridId', 'title', 'description'] }).chain((body) =>
  // Settled on the spot: now and then (only a grid leader in its own grid may).
  fc.oneof({ weight: 7, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.record({ note: text(200) }) }).map((spot) => (spot ? { ...body, resolvedOnSpot: spot } : body))));
const actionBody = bodyOf(ActionBody, fc.record({
  action: fc.constantFrom(...ACTIONS),
  note: text(300),
  expectedVersion: fc.integer({ min: 1, max: 12 }),
  extension: fc.oneof(fc.constantFrom('PT1H', 'P1D', 'P31D', 'PT0S', 'P-1D', 'PT99999999H'), fc.record({ working: fc.constantFrom('PT4H', 'P1D', 'PT1H30M') }), fc.record({ workingDays: edgeNumber })),
  gridId: fc.constantFrom(...GRIDS),
}, { requiredKeys: ['action'] }));

/** Serialize, keeping an unknown key's name exactly (`__proto__` too), which an object literal cannot. */
const toJson = (body: Record<string, unknown>) => JSON.stringify(body).replace(/"\\u0000extra:([^"]*)"/g, '"$1"');

/** A path segment or query value of arbitrary bytes (invalid UTF-8 included), percent-encoded. */
const bytesEncoded = (bytes: Uint8Array) => [...bytes].map((b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`).join('');
const utf8Encoded = (s: string) => bytesEncoded(Buffer.from(s, 'utf8'));
const queryValue = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('open', 'resolved', 'grid', 'town', 'county', 'city', 'true', 'false', '1', '100', '101', '0', '-1', '1e3',
    'north', 'north-01', 'conflict', 'town', 'grid', 'category', 'community', 'day', '2026-01-01T00:00:00Z', '2026-12-31T00:00:00Z', '').map(encodeURIComponent) },
  { weight: 1, arbitrary: hostileString().map(utf8Encoded) },
  { weight: 1, arbitrary: edgeDate.map(encodeURIComponent) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 12 }).map(bytesEncoded) },
);
const queryOf = (keys: readonly string[]) => fc.array(
  fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'x', '__proto__[a]', 'limit[]') }), queryValue),
  { maxLength: 5 },
).map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${v}`).join('&')}` : ''));

const idSegment = fc.oneof(
  { weight: 4, arbitrary: fc.nat().map((n) => ({ known: n })) },
  { weight: 1, arbitrary: fc.uuid().map((u) => ({ raw: u })) },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(3000), '%F0%9F', '..%2F..', '%00', 'INC%23x', '%E2%80%AE').map((raw) => ({ raw })) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => ({ raw: bytesEncoded(b) })) },
);
const visibleAscii = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));
const idempotencyKey = fc.option(fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: visibleAscii, minLength: 8, maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom('k'.repeat(255), 'k'.repeat(256), 'k'.repeat(2000), ' ', 'é', 'a b') },
), { freq: 3 });
/** Mostly a valid token of one of the five roles (a report mostly a reporter's: the others may not report). */
const token = (reporting = false) => fc.oneof(
  { weight: 12, arbitrary: (reporting ? fc.constantFrom(0, 0, 0, 0, 0, 1, 2, 3) : fc.nat({ max: 4 })).map((i) => ({ index: i })) },
  { weight: 1, arbitrary: fc.constantFrom('', 'a.b.c', 'eyJhbGciOiJub25lIn0.e30.', 'x'.repeat(9000)).map((raw) => ({ raw })) },
);

type Encoding = 'json' | 'truncated' | 'form';
const encoding = fc.constantFrom<Encoding>('json', 'json', 'json', 'json', 'json', 'json', 'truncated', 'form');

const request = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('report' as const), body: reportBody, encoding, key: idempotencyKey, token: token(true), cut: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('act' as const), id: idSegment, body: actionBody, encoding, key: idempotencyKey, token: token(), cut: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('list' as const), query: queryOf(Object.keys(ListQuery.shape)), token: token() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stats' as const), query: queryOf(Object.keys(StatsQuery.shape)), token: token() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('get' as const), id: idSegment, query: fc.constantFrom('', '?x=1'), token: token() }) },
);
type Request = typeof request extends fc.Arbitrary<infer R> ? R : never;

// ---------------------------------------------------------------------------------------------------------
// Sending

const tokenOf = (tk: Request['token']) => ('index' in tk ? tokens[tk.index]! : tk.raw);
const idOf = (id: { known: number } | { raw: string }) => ('known' in id ? created[id.known % created.length]! : id.raw);

async function send(r: Request) {
  const headers: Record<string, string> = {};
  const auth = tokenOf(r.token);
  if (auth) headers.authorization = `Bearer ${auth}`;
  let method = 'GET';
  let path: string;
  let body: string | undefined;
  if (r.kind === 'report' || r.kind === 'act') {
    method = 'POST';
    path = r.kind === 'report' ? '/incidents' : `/incidents/${idOf(r.id)}/actions`;
    const json = toJson(r.body);
    body = r.encoding === 'truncated' ? json.slice(0, r.cut % Math.max(1, json.length)) : json;
    headers['content-type'] = r.encoding === 'form' ? 'application/x-www-form-urlencoded' : 'application/json';
    if (r.key !== null) headers['idempotency-key'] = r.key;
  } else if (r.kind === 'list') {
    path = `/incidents${r.query}`;
  } else if (r.kind === 'stats') {
    path = `/stats${r.query}`;
  } else {
    path = `/incidents/${idOf(r.id)}${r.query}`;
  }
  const res = await fetch(`${t.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** What is wrong with an answer; empty when nothing is. */
function faultsOf(res: { status: number; contentType: string; text: string }): string[] {
  const faults: string[] = [];
  if (res.status >= 500) faults.push(`answered ${res.status}`);
  if (!res.text.isWellFormed()) faults.push('the answer is not well-formed Unicode');
  let parsed: { status?: unknown } | undefined;
  try { parsed = JSON.parse(res.text) as { status?: unknown }; } catch { faults.push('the answer is not JSON'); }
  if (res.status >= 400) {
    if (!/^application\/problem\+json/.test(res.contentType)) faults.push(`an error as ${res.contentType}`);
    if (parsed?.status !== res.status) faults.push('the problem\'s status is not the answer\'s');
  } else if (!/^application\/json/.test(res.contentType)) {
    faults.push(`a success as ${res.contentType}`);
  }
  return faults;
}

/** Requests in flight at once: the county answers them concurrently, as it would a crowd. */
const CONCURRENCY = 6;

test(`${RUNS} generated requests: never a 5xx, every error problem+json, every answer well-formed JSON; every workflow healthy after`, async () => {
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
  const requests = fc.sample(request, { numRuns: RUNS, seed });
  const started = Date.now();
  const faults: { request: Request; faults: string[]; answer: string }[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < requests.length) {
      const r = requests[next++]!;
      const res = await send(r);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const found = faultsOf(res);
      if (found.length > 0) faults.push({ request: r, faults: found, answer: res.text.slice(0, 500) });
      if (r.kind === 'report' && res.status === 201) created.push((JSON.parse(res.text) as { id: string }).id);
    }
  }));
  // FUZZ_SEED=<seed> repeats this run's requests.
  if (faults.length > 0) console.log(`fuzz seed ${seed}: ${faults.length} faults, the first: ${JSON.stringify(faults.slice(0, 3), null, 2)}`);
  expect(faults).toEqual([]);
  const tally = Object.fromEntries([...statuses].sort(([a], [b]) => a - b));
  console.log(`fuzz (seed ${seed}): ${RUNS} requests in ${((Date.now() - started) / 1000).toFixed(1)} s; statuses ${JSON.stringify(tally)}; ${created.length} incidents created`);
  expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(RUNS);
  // The fuzz reached the handlers' success paths too, not only the edge's refusals.
  expect(statuses.get(201) ?? 0).toBeGreaterThan(10);
  expect(statuses.get(200) ?? 0).toBeGreaterThan(50);

  // Every workflow healthy: none failed, each waits at a stage, each created incident reached its first level.
  await t.settled(60_000);
  expect(t.county.stepFunctions.listExecutions({ status: 'FAILED' })).toEqual([]);
  const county = tokens[3]!;
  for (const id of created) {
    const incident = (await t.call('GET', `/incidents/${id}`, { token: county })).body as { status: string; timeline: { type: string }[]; workflow?: unknown };
    if (incident.status === 'open') expect(incident.timeline.map((e) => e.type)).toContain('assigned');
  }
  const pass = await t.county.reconcile();
  expect(pass.stuck).toEqual([]);
  expect(pass.failed).toEqual([]);
}, 600_000);
