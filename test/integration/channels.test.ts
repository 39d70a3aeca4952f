/**
 * Notification channels end to end on the local county (contract §5, §10 "Notifications"): the same relay code
 * the cloud subscribes to the level topics runs on every published message and posts to the URLs of the
 * secrets in `<data-dir>/secrets.json`. A fake WeCom, DingTalk and Aliyun SMS server on 127.0.0.1 checks each
 * request the way the real platform would — request shape, DingTalk's signed URL, Aliyun's RPC signature —
 * with its own implementation of the schemes, and records what it accepted.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { relayMessage } from '#channels/relay.js';
import { startTestCounty, type TestCounty } from '../helpers/local-county.js';
import { until } from '../helpers/county-client.js';
import { writeCountyCopy } from '../helpers/spawned-county.js';

const DING_SECRET = 'SECtest0123456789abcdef';
const SMS_KEY_ID = 'LTAI5tTestKeyId';
const SMS_KEY_SECRET = 'testAccessKeySecret';
const LEADER_PHONE = '15500000201';

interface Accepted { platform: 'wecom' | 'dingtalk' | 'sms'; body: Record<string, any>; path: string }

let t: TestCounty;
let fake: Server;
const accepted: Accepted[] = [];
const refused: { platform: string; reason: string }[] = [];
/** DingTalk answers the next N requests with HTTP 500, as a platform outage would. */
let dingtalkOutages = 0;

// RFC 3986 percent-encoding, as Aliyun's signature documentation spells it (written here independently).
const enc = (s: string) => encodeURIComponent(s).replace(/!/g, '%21').replace(/'/g, '%27').replace(/\(/g, '%28').replace(/\)/g, '%29').replace(/\*/g, '%2A');

function checkDingtalk(url: URL, body: Record<string, any>): string | null {
  const timestamp = url.searchParams.get('timestamp');
  const sign = url.searchParams.get('sign');
  if (url.searchParams.get('access_token') !== 'ding-token') return 'wrong access_token';
  if (!timestamp || !sign) return 'unsigned';
  if (Math.abs(Date.now() - Number(timestamp)) > 3_600_000) return 'timestamp too far';
  const expected = createHmac('sha256', DING_SECRET).update(`${timestamp}\n${DING_SECRET}`).digest('base64');
  if (sign !== expected) return 'bad signature';
  if (body.msgtype !== 'markdown' || typeof body.markdown?.title !== 'string' || typeof body.markdown?.text !== 'string') return 'not markdown';
  return null;
}

function checkSms(form: URLSearchParams): string | null {
  const params = Object.fromEntries(form.entries());
  const { Signature, ...rest } = params;
  const canonical = Object.keys(rest).sort().map((k) => `${enc(k)}=${enc(rest[k]!)}`).join('&');
  const expected = createHmac('sha1', `${SMS_KEY_SECRET}&`).update(`POST&${enc('/')}&${enc(canonical)}`).digest('base64');
  if (Signature !== expected) return 'bad signature';
  const required = { AccessKeyId: SMS_KEY_ID, Action: 'SendSms', Format: 'JSON', SignatureMethod: 'HMAC-SHA1', SignatureVersion: '1.0', Version: '2017-05-25', SignName: '测试网格' };
  for (const [k, v] of Object.entries(required)) if (params[k] !== v) return `${k} is ${params[k]}`;
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(params.Timestamp ?? '')) return 'bad Timestamp';
  if (!params.SignatureNonce) return 'no nonce';
  try { JSON.parse(params.TemplateParam ?? ''); } catch { return 'TemplateParam is not JSON'; }
  return null;
}

beforeAll(async () => {
  fake = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => { text += c.toString('utf8'); });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const answer = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (url.pathname === '/cgi-bin/webhook/send') {
        const body = JSON.parse(text) as Record<string, any>;
        const bad = url.searchParams.get('key') !== 'wecom-key' ? 'wrong key' : body.msgtype !== 'markdown' || typeof body.markdown?.content !== 'string' ? 'not markdown'
          : Buffer.byteLength(body.markdown.content) > 4096 ? 'too long' : null;
        if (bad) { refused.push({ platform: 'wecom', reason: bad }); answer(200, { errcode: 93000, errmsg: bad }); return; }
        accepted.push({ platform: 'wecom', body, path: url.pathname });
        answer(200, { errcode: 0, errmsg: 'ok' });
      } else if (url.pathname === '/robot/send') {
        if (dingtalkOutages > 0) { dingtalkOutages--; refused.push({ platform: 'dingtalk', reason: 'outage' }); answer(500, {}); return; }
        const body = JSON.parse(text) as Record<string, any>;
        const bad = checkDingtalk(url, body);
        if (bad) { refused.push({ platform: 'dingtalk', reason: bad }); answer(200, { errcode: 310000, errmsg: bad }); return; }
        accepted.push({ platform: 'dingtalk', body, path: url.pathname });
        answer(200, { errcode: 0, errmsg: 'ok' });
      } else if (url.pathname === '/sms/') {
        const form = new URLSearchParams(text);
        const bad = req.headers['content-type'] !== 'application/x-www-form-urlencoded' ? 'not a form' : checkSms(form);
        if (bad) { refused.push({ platform: 'sms', reason: bad }); answer(400, { Code: 'SignatureDoesNotMatch', Message: bad }); return; }
        accepted.push({ platform: 'sms', body: Object.fromEntries(form.entries()), path: url.pathname });
        answer(200, { Code: 'OK', Message: 'OK', BizId: '900000000000000000', RequestId: 'req' });
      } else {
        answer(404, {});
      }
    });
  });
  await new Promise<void>((ok) => fake.listen(0, '127.0.0.1', ok));
  const base = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;

  const file = writeCountyCopy('testville', (c) => {
    const leader = c.towns[0].communities[0].grids[0].leader;
    leader.channels = [{ type: 'sms' }, { type: 'wecom', secret: 'gridflow/testville/wecom-north-01' }];
    // Both supervisors of the town share one DingTalk group: one post per message.
    for (const s of c.towns[0].supervisors) s.channels = [{ type: 'dingtalk', secret: 'gridflow/testville/dingtalk-north' }];
    c.towns[0].supervisors.push({ ...c.towns[0].supervisors[0], id: 'north-sup-2', email: 'north.two@example.org' });
    c.deployment = { sms: { provider: 'aliyun', secret: 'gridflow/testville/sms', signName: '测试网格', templates: { assigned: 'SMS_100001', escalated: 'SMS_100002' } } };
  }, 'testville-channels');
  const dataDir = mkdtempSync(join(tmpdir(), 'gridflow-channels-'));
  writeFileSync(join(dataDir, 'secrets.json'), JSON.stringify({
    'gridflow/testville/wecom-north-01': { url: `${base}/cgi-bin/webhook/send?key=wecom-key` },
    'gridflow/testville/dingtalk-north': { url: `${base}/robot/send?access_token=ding-token`, signingSecret: DING_SECRET },
    'gridflow/testville/sms': { url: `${base}/sms/`, accessKeyId: SMS_KEY_ID, signingSecret: SMS_KEY_SECRET },
  }));
  t = await startTestCounty(file, { dataDir });
}, 120_000);

afterAll(async () => {
  await t?.stop();
  await new Promise((ok) => fake?.close(ok));
});

test('a grid leader hears by SMS and WeCom, the town\'s DingTalk group once per message, each signed as the platforms require', async () => {
  dingtalkOutages = 1;
  const reporter = await t.token('reporter', 'testville', 'resident-3');
  const title = 'Blocked fire lane';
  const created = (await t.call('POST', '/incidents', {
    token: reporter,
    body: { category: 'conflict', gridId: 'north-01', title, description: 'Cars parked in the fire lane', reporter: { name: 'Li', phone: '13900000000' } },
  })).body as { id: string };
  // The grid deadline of the fixture is seconds long: the incident climbs to the town.
  await t.waitFor(created.id, reporter, (i: { level: string }) => i.level === 'town', 30_000);
  await until('the town\'s escalation message', () => t.notifications()
    .some((l) => l.attributes.incidentId === created.id && l.attributes.level === 'town' && l.attributes.event === 'escalated'));
  // The incident may climb further meanwhile: wait until every message published so far has been delivered.
  const withTemplates = ['assigned', 'escalated'];
  const count = (platform: Accepted['platform']) => accepted.filter((a) => a.platform === platform).length;
  const { lines, gridMessages, townMessages } = await until('every channel delivery of every message so far', () => {
    const mine = t.notifications().filter((l) => l.attributes.incidentId === created.id);
    const grid = mine.filter((l) => l.attributes.level === 'grid');
    const town = mine.filter((l) => l.attributes.level === 'town');
    const done = count('wecom') === grid.length && count('dingtalk') === town.length
      && count('sms') === grid.filter((l) => withTemplates.includes(l.attributes.event!)).length;
    return done && { lines: mine, gridMessages: grid, townMessages: town };
  }, 30_000);

  // WeCom: one markdown post per grid-level message, the message's own text with a bold headline and a link.
  const wecom = accepted.filter((a) => a.platform === 'wecom');
  expect(wecom).toHaveLength(gridMessages.length);
  const assigned = wecom.find((w) => w.body.markdown.content.includes('New incident assigned'))!;
  expect(assigned.body.markdown.content).toMatch(/^\*\*New incident assigned to the grid: Blocked fire lane\*\*/);
  const link = /https?:\/\/\S+\/incidents\/[\w-]+/.exec(lines[0]!.message)![0];
  expect(link.endsWith(`/incidents/${created.id}`)).toBe(true);
  expect(assigned.body.markdown.content).toContain(`[${link}](${link})`);

  // DingTalk: one post per town-level message for the two supervisors of the same group, after one outage retried.
  const ding = accepted.filter((a) => a.platform === 'dingtalk');
  expect(ding).toHaveLength(townMessages.length);
  expect(refused).toEqual([{ platform: 'dingtalk', reason: 'outage' }]);
  expect(ding[0]!.body.markdown.title).toMatch(/town/);

  // SMS: the leader's phone, the event's template, parameters from the incident; only events with a template.
  const sms = accepted.filter((a) => a.platform === 'sms');
  const withTemplate = gridMessages.filter((l) => withTemplates.includes(l.attributes.event!));
  expect(sms).toHaveLength(withTemplate.length);
  for (const s of sms) expect(s.body.PhoneNumbers).toBe(LEADER_PHONE);
  const assignedSms = sms.find((s) => s.body.TemplateCode === 'SMS_100001')!;
  const params = JSON.parse(assignedSms.body.TemplateParam) as Record<string, string>;
  expect(params).toMatchObject({ title, level: 'grid', id: created.id.slice(0, 8) });
  const grid = t.county.county.towns[0]!.communities[0]!.grids[0]!;
  expect(params.place?.startsWith(String(typeof grid.name === 'string' ? grid.name : grid.name.en).slice(0, 5))).toBe(true);
  expect(params.deadline).toMatch(/\d\d:\d\d/);
  for (const v of Object.values(params)) expect([...v].length).toBeLessThanOrEqual(35);
});

test('a message delivered again (SNS may deliver twice) reaches nobody twice', async () => {
  const line = await until('a grid-level message', () => t.notifications().find((l) => l.attributes.level === 'grid' && l.attributes.event === 'assigned'));
  const before = accepted.length;
  const report = await relayMessage(line, t.county.county);
  expect(report).toEqual({ sent: 0, skipped: 2, failed: [] });
  expect(accepted.length).toBe(before);
});
