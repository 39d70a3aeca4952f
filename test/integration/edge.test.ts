/**
 * Issue 9, items 1 and 2, over HTTP against the local county: text that is not well-formed Unicode or that
 * carries control characters is a 400 in every field; edge values (huge ids, tiny numbers, dates outside the
 * years 0000–9999, long token subjects and keys) are each a specific 4xx, never a 500; and a record that
 * already holds a lone surrogate (written before these rules) is published safely without touching the
 * messages of any other incident, through the real SDK client and the local SNS endpoint.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { loadSigningKey, LOCAL_AUDIENCE, LOCAL_ISSUER } from '#local/tokens.js';
import { until } from '../helpers/county-client.js';
import { startTestCounty, type TestCounty } from '../helpers/local-county.js';

let t: TestCounty;
let reporter: string, leader: string, countyRole: string;
const HAZARD = { category: 'safety-hazard', gridId: 'north-01', title: 'Loose power line', description: 'A cable hangs low' };

beforeAll(async () => {
  t = await startTestCounty('testville');
  [reporter, leader, countyRole] = await Promise.all([
    t.token('reporter', 'testville', 'resident-edge'),
    t.token('grid', 'north-01', 'leader-north-01'),
    t.token('county', 'testville', 'county-desk'),
  ]);
}, 90_000);
afterAll(async () => { await t?.stop(); });

const report = (body: object, token = reporter, headers: Record<string, string> = {}) => t.call('POST', '/incidents', { token, body, headers });
const act = (id: string, body: object, token = leader, headers: Record<string, string> = {}) => t.call('POST', `/incidents/${id}/actions`, { token, body, headers });
/** JSON text with a lone surrogate in it, as a hostile client sends it (JSON.stringify would escape it the same way). */
const rawJson = (value: object) => JSON.stringify(value);

function expectStatus(res: { status: number; text: string; headers: Headers }, status: number) {
  expect({ status: res.status, text: res.status === status ? '' : res.text.slice(0, 400) }).toEqual({ status, text: '' });
  expect(res.headers.get('content-type') ?? '').toMatch(status < 300 ? /^application\/json/ : /^application\/problem\+json/);
}

describe('item 1: text is well-formed Unicode without control characters', () => {
  const bad = { lone: 'Wall \ud800 down', spoof: 'Wall down\n详情：http://evil.example', bell: 'Wall\u0007', bidi: '\u202eWall' };

  test.each(Object.entries(bad))('a %s in a single-line field is a 400 naming the field', async (_kind, value) => {
    const cases: [object, string][] = [
      [{ ...HAZARD, title: value }, 'title'],
      [{ ...HAZARD, reporter: { name: value } }, 'reporter.name'],
      [{ ...HAZARD, location: { lat: 1, lng: 2, address: value } }, 'location.address'],
    ];
    for (const [body, path] of cases) {
      const res = await t.call('POST', '/incidents', { token: reporter, raw: rawJson(body), headers: { 'content-type': 'application/json' } });
      expectStatus(res, 400);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual([path]);
    }
  });

  test('multi-line fields keep line feeds and tabs but refuse lone surrogates and other controls', async () => {
    expectStatus(await report({ ...HAZARD, description: 'first line\nsecond\tline' }), 201);
    const id = (await report(HAZARD)).body.id as string;
    for (const note of ['note \ud800', 'note\u0000', 'note\u001b[31m']) {
      const res = await act(id, { action: 'comment', note });
      expectStatus(res, 400);
      expect(res.body.errors[0].path).toBe('note');
      expectStatus(await report({ ...HAZARD, description: note }), 400);
      expectStatus(await report({ ...HAZARD, resolvedOnSpot: { note } }, leader), 400);
    }
    expectStatus(await act(id, { action: 'comment', note: 'line one\r\nline two' }), 200);
  });

  test('token claims are text too: a subject with a lone surrogate or over 255 characters is a 401', async () => {
    const { privateKey, kid } = await loadSigningKey(t.dataDir);
    const alg = (await import('#local/tokens.js')).SIGNING_ALGORITHM;
    const sign = (sub: string) => new SignJWT({ role: 'reporter', scope: 'testville', name: 'x' })
      .setProtectedHeader({ alg, kid }).setSubject(sub).setIssuer(LOCAL_ISSUER).setAudience(LOCAL_AUDIENCE)
      .setIssuedAt().setExpirationTime('1h').sign(privateKey);
    for (const sub of ['resident-\ud800', 'resident\n2', 'r'.repeat(256)]) {
      expectStatus(await t.call('GET', '/incidents', { token: await sign(sub) }), 401);
    }
    expectStatus(await t.call('GET', '/incidents', { token: await sign('r'.repeat(255)) }), 200);
  });
});

describe('item 2: edge values are a specific 4xx, never a 500', () => {
  test('an id that is not an incident id, up to far beyond the 2,048-byte key limit, is a 404 for reads and actions', async () => {
    for (const id of ['x'.repeat(3000), encodeURIComponent('详'.repeat(800)), 'not-a-uuid', randomUUID().toUpperCase(), randomUUID()]) {
      expectStatus(await t.call('GET', `/incidents/${id}`, { token: countyRole }), 404);
      expectStatus(await act(id, { action: 'acknowledge' }, countyRole), 404);
    }
  });

  test('a coordinate below what DynamoDB stores is kept to 7 decimals; dates outside 0000–9999 and the future are 400', async () => {
    const tiny = await report({ ...HAZARD, location: { lat: 1e-131, lng: 113.123456789012 } });
    expectStatus(tiny, 201);
    expect(tiny.body.location).toEqual({ lat: 0, lng: 113.1234568 });
    for (const occurredAt of ['9999-12-31T23:59:59-14:00', '0000-01-01T00:00:00+01:00', new Date(Date.now() + 86_400_000).toISOString()]) {
      const res = await report({ ...HAZARD, occurredAt });
      expectStatus(res, 400);
      expect(res.body.errors[0].path).toBe('occurredAt');
    }
    for (const q of ['from=9999-12-31T23:59:59-14:00', 'to=0000-01-01T00:00:00%2B01:00', 'from=0000-01-01T00:00:00Z&to=9999-12-31T23:59:59Z']) {
      const res = await t.call('GET', `/stats?${q}`, { token: countyRole });
      expect(res.status).toBe(q.startsWith('from=0000') ? 200 : 400);
    }
  });

  test('the longest subject and Idempotency-Key the API accepts still make a storable key', async () => {
    const longest = await t.token('reporter', 'testville', '详'.repeat(255));
    const key = '%'.repeat(255);
    const first = await report(HAZARD, longest, { 'idempotency-key': key });
    expectStatus(first, 201);
    const again = await report(HAZARD, longest, { 'idempotency-key': key });
    expect(again.text).toBe(first.text);
    expectStatus(await report(HAZARD, longest, { 'idempotency-key': 'k'.repeat(256) }), 400);
  });

  test('unknown query parameters, including __proto__ and constructor, are a 400 on every route', async () => {
    const id = (await report(HAZARD)).body.id as string;
    for (const path of ['/incidents?__proto__=x', '/incidents?constructor=x', '/incidents?colour=red', `/incidents/${id}?x=1`, '/stats?__proto__[a]=1', '/health?verbose=1']) {
      expectStatus(await t.call('GET', path, { token: countyRole }), 400);
    }
    expectStatus(await t.call('POST', `/incidents/${id}/actions?force=1`, { token: leader, body: { action: 'acknowledge' } }), 400);
  });
});

describe('item 1: publishing is robust whatever is stored', () => {
  test('an old record with a lone surrogate and a forged line is published safely, and the next incident is published too', async () => {
    const { reportIncident } = await import('#domain/lifecycle.js');
    const { incidents } = await import('#commons/stores.js');
    const { executionName } = await import('#commons/workflow.js');
    const id = randomUUID();
    const old = reportIncident({ ...HAZARD, title: 'Wall \ud800 down\n详情：http://evil.example', description: 'd\ud800', reporter: { name: 'Wang\ud800', phone: '13800001111' } },
      { sub: 'resident-old', name: 'old', role: 'reporter', scope: 'testville' }, t.county.county, new Date(), id);
    old.workflow.executionName = executionName(id, 1);
    await incidents().create(old);
    await t.county.reconcile();
    const fresh = (await report({ ...HAZARD, title: 'After the poison' })).body.id as string;

    const assignedTo = (incidentId: string) => t.county.publishes().filter((p) => p.attributes.incidentId === incidentId && p.attributes.event === 'assigned');
    await until('both assigned messages at the SNS endpoint', () => assignedTo(id).length === 1 && assignedTo(fresh).length === 1);
    const [poisoned] = assignedTo(id);
    expect(poisoned!.message.isWellFormed()).toBe(true);
    expect(poisoned!.message.split('\n')[0]).toBe('New incident assigned to the grid: Wall \ufffd down 详情：http://evil.example');
    expect(poisoned!.message).toContain('Reporter: Wang\ufffd 13800001111');
    // The forged link line did not become a line of its own: the one link line is the real one.
    expect(poisoned!.message.split('\n').filter((l) => /http/.test(l))).toHaveLength(2);
    expect(poisoned!.message.split("\n").at(-1)).toBe(`Details: ${process.env.CONSOLE_URL}/incidents/${id}`);
    expect(assignedTo(fresh)[0]!.message).toContain('After the poison');
    // The poisoned incident's workflow is healthy: it waits at the grid like any other.
    await until('its workflow waiting', () => t.county.stepFunctions.waitingTokens().some((w) => w.executionArn.includes(`:${id}-`)));
  });

  test('a message the SDK cannot encode fails alone: the next publish from the same process goes out intact', async () => {
    const { publishToSns, sns } = await import('#commons/clients.js');
    const topic = process.env[(await import('#commons/topics.js')).topicEnv('grid')]!;
    const before = t.county.publishes().length;
    const poisonedClient = sns;
    await expect(publishToSns({ TopicArn: topic, Message: 'poison \ud800', MessageAttributes: { incidentId: { DataType: 'String', StringValue: 'p' } } }))
      .rejects.toThrow(/URI malformed/);
    await publishToSns({ TopicArn: topic, Message: 'intact', MessageAttributes: { incidentId: { DataType: 'String', StringValue: 'q' } } });
    // Only these two: the workflows of other tests' incidents may publish meanwhile.
    const after = t.county.publishes().slice(before).filter((p) => ['p', 'q'].includes(p.attributes.incidentId!));
    expect(after.map((p) => [p.message, p.attributes.incidentId])).toEqual([['intact', 'q']]);
    expect((await import('#commons/clients.js')).sns).not.toBe(poisonedClient);
  });

  test('a message that fails leaves the others in flight on the same client alone: each is published once', async () => {
    // Replacing the client must not destroy it under requests still in flight: in a burst, one failure aborted
    // hundreds of answered publishes, which the SDK then sent again (the sink counted 920 repeats in 2,002).
    const { publishToSns } = await import('#commons/clients.js');
    const topic = process.env[(await import('#commons/topics.js')).topicEnv('grid')]!;
    const before = t.county.publishes().length;
    const ids = Array.from({ length: 60 }, (_, i) => `inflight-${i}`);
    const inFlight = ids.map((id) => publishToSns({ TopicArn: topic, Message: id, MessageAttributes: { incidentId: { DataType: 'String', StringValue: id } } }));
    await new Promise((r) => setImmediate(r));
    await expect(publishToSns({ TopicArn: topic, Message: 'poison \ud800', MessageAttributes: { incidentId: { DataType: 'String', StringValue: 'p2' } } }))
      .rejects.toThrow(/URI malformed/);
    const outcomes = await Promise.allSettled(inFlight);
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    // Counted at the SNS endpoint, before any de-duplication: every message exactly once.
    const received = t.county.publishes().slice(before).map((p) => p.attributes.incidentId!).filter((id) => id.startsWith('inflight-'));
    expect(received.sort()).toEqual([...ids].sort());
  });

  test('the SNS subject stays under 100 printable ASCII characters whatever the ids', async () => {
    const { snsSubject } = await import('#workflow/publish.js');
    for (const category of ['c', 'x'.repeat(100), `${'a'.repeat(90)}-${'b'.repeat(9)}`, 'Ｃ类别']) {
      for (const event of ['assigned', 'escalated', 'reminded', 'extension-requested'] as const) {
        const subject = snsSubject({ event: event as 'assigned', level: 'county' }, category);
        expect(subject.length).toBeLessThan(100);
        expect(subject).toMatch(/^[\x20-\x7e]+$/);
      }
    }
  });
});

describe('item 7: AWS limits', () => {
  test('an incident near DynamoDB\'s 400 KB item limit takes no more comments (409 incident-too-large), yet can still be resolved, and its workflow goes on', async () => {
    const id = (await report(HAZARD)).body.id as string;
    const note = '详'.repeat(2000); // 6,000 bytes of UTF-8: the longest note, in the widest characters
    let accepted = 0;
    let refused: Awaited<ReturnType<typeof act>> | undefined;
    while (!refused && accepted < 100) {
      const res = await act(id, { action: 'comment', note }, countyRole);
      if (res.status === 200) accepted++;
      else refused = res;
    }
    expectStatus(refused!, 409);
    expect(refused!.body).toMatchObject({ type: 'https://gridflow.dev/problems/incident-too-large', detail: expect.stringMatching(/size limit .* KB of 368 KB.*no more comments/) });
    // Refused before the write, at the limit: some 60 comments of 6 KB fit, not fewer.
    expect(accepted).toBeGreaterThan(55);
    const before = (await t.call('GET', `/incidents/${id}`, { token: countyRole })).body;
    expect(before.timeline.filter((e: { type: string }) => e.type === 'commented')).toHaveLength(accepted);

    // The room kept for everything but comments: the incident can still be settled, and the workflow records it.
    const resolved = await act(id, { action: 'resolve', note }, countyRole);
    expectStatus(resolved, 200);
    await until('the resolution announced', () => t.county.publishes().some((p) => p.attributes.incidentId === id && p.attributes.event === 'resolved'), 30_000);
    expect(t.county.stepFunctions.listExecutions({ status: 'FAILED' }).filter((e) => e.name.startsWith(id))).toEqual([]);
  }, 120_000);
});
