/**
 * Notification text (functions/domain/messages.ts): the county's locale and time zone, the place, the
 * category, the level and its deadline, the link, and the reporter's name and phone for the grid only.
 */
import { CountySchema, type County } from '#config/county-schema.js';
import { advance, type Stage } from '#domain/advance.js';
import type { Caller, Incident } from '#domain/incident.js';
import { applyAction, reportIncident } from '#domain/lifecycle.js';
import { countyIndex } from '#config/county-index.js';
import { loadCounty } from '#config/county-loader.js';
import { extensionText, formatTime, incidentUrl, messagePlace, renderMessage, type MessageContext, type MessagePlace } from '#domain/messages.js';
import { pendingNotifications, type PendingNotification } from '#domain/notifications.js';

const county: County = CountySchema.parse({
  id: 'shouyang', name: '寿阳县', locale: 'zh-CN', timeZone: 'Asia/Shanghai', ladder: ['grid', 'town', 'city'], verificationWindow: 'P3D',
  city: { id: 'jinzhong', name: '晋中市', supervisors: [{ id: 'js-1', name: '市级督办' }] },
  categories: [{ id: 'conflict', name: '邻里纠纷', deadlines: { grid: 'PT24H', town: 'PT48H', city: 'PT72H' } }],
  towns: [{ id: 'pingtou', name: '平头镇', supervisors: [{ id: 'pt-1', name: '镇督办' }],
    communities: [{ id: 'heishui', name: '黑水村', grids: [{ id: 'heishui-09', name: '第九网格', leader: { id: 'hs-09', name: '网格长' } }] }] }],
});
const place: MessagePlace = { gridName: '第九网格', communityName: '黑水村', townName: '平头镇', categoryName: '邻里纠纷' };
const enPlace: MessagePlace = { gridName: 'Grid 9', communityName: 'Heishui Village', townName: 'Pingtou Town', categoryName: 'Neighbour conflict' };
const zh: MessageContext = { locale: 'zh-CN', timeZone: 'Asia/Shanghai', countyName: '寿阳县', consoleUrl: 'https://gridflow.example.cn/console' };
const en: MessageContext = { locale: 'en', timeZone: 'Asia/Shanghai', countyName: 'Shouyang County', consoleUrl: 'https://gridflow.example.cn/console' };
const ctx = { countyId: 'shouyang', cityId: 'jinzhong', county };

const resident: Caller = { sub: 'resident-1', name: 'R', role: 'reporter', scope: 'shouyang' };
const leader: Caller = { sub: 'hs-09', name: 'L', role: 'grid', scope: 'heishui-09' };
const town: Caller = { sub: 'pt-1', name: 'T', role: 'town', scope: 'pingtou' };
const NAME = '王芳';
const PHONE = '13912345678';

// 16:07 UTC is 00:07 the next day in Shanghai: the date rolls over and the hour is the one ICU got wrong.
const t0 = new Date('2025-03-01T16:07:00.000Z');
const H = 3_600_000;
const at = (hours: number) => new Date(t0.getTime() + hours * H);

const reported = (): Incident => reportIncident(
  { category: 'conflict', gridId: 'heishui-09', title: '邻居因院墙争吵', description: '院墙越界', reporter: { name: NAME, phone: PHONE } },
  resident, county, t0, 'inc-1',
);
const only = (ns: PendingNotification[], event: string, level: string) => {
  const found = ns.filter((n) => n.event === event && n.level === level);
  expect(found).toHaveLength(1);
  return found[0]!;
};

describe('zh-CN', () => {
  test('the assigned message names the incident, category, place, level, deadline in Beijing time, reporter and link', () => {
    const incident = reported();
    const n = only(pendingNotifications(incident), 'assigned', 'grid');
    expect(renderMessage(n, incident, place, zh).message).toBe([
      '新事件已交网格办理：邻居因院墙争吵',
      '类别：邻里纠纷',
      '地点：寿阳县平头镇黑水村第九网格',
      '层级：网格',
      '办理期限：2025/03/03 GMT+8 00:07', // the grid's 24 h from 2025-03-02 00:07 Beijing time
      `报告人：${NAME} ${PHONE}`,
      '详情：https://gridflow.example.cn/console/incidents/inc-1',
    ].join('\n'));
  });

  test('a manual escalation tells the grid it passed it on, and the town what it received and by when', () => {
    const { incident } = applyAction(reported(), leader, { action: 'escalate' }, at(1), ctx);
    const ns = pendingNotifications(incident).filter((n) => n.event === 'escalated');
    expect(renderMessage(only(ns, 'escalated', 'grid'), incident, place, zh).message.split('\n').slice(0, 4)).toEqual([
      '事件已由网格上报至乡镇（街道）：邻居因院墙争吵', '类别：邻里纠纷', '地点：寿阳县平头镇黑水村第九网格', '层级：网格',
    ]);
    const toTown = renderMessage(only(ns, 'escalated', 'town'), incident, place, zh).message;
    expect(toTown).toBe([
      '事件已上报至乡镇（街道）：邻居因院墙争吵',
      '类别：邻里纠纷',
      '地点：寿阳县平头镇黑水村第九网格',
      '层级：乡镇（街道）',
      '办理期限：2025/03/04 GMT+8 01:07', // 48 h from 01:07 on 2 March, Beijing time
      '详情：https://gridflow.example.cn/console/incidents/inc-1',
    ].join('\n'));
  });

  test('a deadline escalation, the reminders, overdue, resolution and closing read as such', () => {
    let incident = reported();
    const texts: string[] = [];
    // The workflow's decisions over a simulated clock, to the top and past its 3 reminders.
    let stage: Stage | 'end' = 'grid';
    let clock = t0;
    while (stage !== 'end' && clock.getTime() < at(24 * 20).getTime()) {
      const r = advance(incident, stage, clock, null);
      incident = r.incident;
      stage = r.step.next;
      clock = new Date(clock.getTime() + r.step.waitSeconds * 1000);
    }
    for (const n of pendingNotifications(incident)) texts.push(`${n.level} ${renderMessage(n, incident, place, zh).message.split('\n')[0]}`);
    expect(texts).toEqual([
      'grid 新事件已交网格办理：邻居因院墙争吵',
      'grid 事件办理期限将至（网格）：邻居因院墙争吵',
      'grid 事件已由网格超时升级至乡镇（街道）：邻居因院墙争吵',
      'town 事件已超时升级至乡镇（街道）：邻居因院墙争吵',
      'town 事件办理期限将至（乡镇（街道））：邻居因院墙争吵',
      'town 事件已由乡镇（街道）超时升级至市：邻居因院墙争吵',
      'city 事件已超时升级至市：邻居因院墙争吵',
      'city 事件办理期限将至（市）：邻居因院墙争吵',
      'city 事件已逾期（市）：邻居因院墙争吵',
      'city 事件已逾期，请市尽快办理：邻居因院墙争吵',
      'city 事件已逾期，请市尽快办理：邻居因院墙争吵',
      'city 事件已逾期，请市尽快办理：邻居因院墙争吵',
    ]);
    const resolved = applyAction(incident, { sub: 'js-1', name: 'C', role: 'city', scope: 'jinzhong' }, { action: 'resolve', note: '已调解' }, clock, ctx).incident;
    const closed = advance(resolved, 'verification', new Date(clock.getTime() + 4 * 24 * H), null).incident;
    const endings = pendingNotifications(closed).filter((n) => n.event === 'resolved' || n.event === 'closed');
    expect(endings.map((n) => [n.level, renderMessage(n, closed, place, zh).message.split('\n')[0]])).toEqual([
      ['grid', '事件已办结，待核实：邻居因院墙争吵'],
      ['grid', '事件核实期满，已自动关闭：邻居因院墙争吵'],
    ]);
    expect(renderMessage(endings[0]!, closed, place, zh).message).toContain('说明：已调解');
  });
});

describe('en', () => {
  test('the same messages in English, with a 24-hour clock that shows midnight as 00', () => {
    const incident = reported();
    expect(renderMessage(only(pendingNotifications(incident), 'assigned', 'grid'), incident, enPlace, en).message).toBe([
      'New incident assigned to the grid: 邻居因院墙争吵',
      'Category: Neighbour conflict',
      'Place: Grid 9, Heishui Village, Pingtou Town, Shouyang County',
      'Level: grid',
      'Deadline: 03/03/2025, 00:07 GMT+8',
      `Reporter: ${NAME} ${PHONE}`,
      'Details: https://gridflow.example.cn/console/incidents/inc-1',
    ].join('\n'));
    const { incident: up } = applyAction(incident, leader, { action: 'escalate' }, at(1), ctx);
    const ns = pendingNotifications(up);
    expect(renderMessage(only(ns, 'escalated', 'grid'), up, enPlace, en).message.split('\n')[0])
      .toBe('Incident passed on from the grid to the town: 邻居因院墙争吵');
    expect(renderMessage(only(ns, 'escalated', 'town'), up, enPlace, en).message.split('\n').slice(0, 5)).toEqual([
      'Incident escalated to the town: 邻居因院墙争吵', 'Category: Neighbour conflict',
      'Place: Grid 9, Heishui Village, Pingtou Town, Shouyang County', 'Level: town', 'Deadline: 03/04/2025, 01:07 GMT+8',
    ]);
  });
});

test('times are written in the county time zone, not the machine one', () => {
  const iso = '2025-03-01T16:07:00.000Z';
  expect(formatTime(iso, { locale: 'zh-CN', timeZone: 'Asia/Shanghai' })).toBe('2025/03/02 GMT+8 00:07');
  expect(formatTime(iso, { locale: 'zh-CN', timeZone: 'Asia/Urumqi' })).toBe('2025/03/01 GMT+6 22:07');
  expect(formatTime(iso, { locale: 'en', timeZone: 'UTC' })).toBe('03/01/2025, 16:07 UTC');
});

test('the reporter name and phone reach the grid only, never the town or the city', () => {
  let incident = reported();
  incident = applyAction(incident, leader, { action: 'escalate', note: `请联系${NAME}` }, at(1), ctx).incident;
  incident = applyAction(incident, town, { action: 'escalate' }, at(2), ctx).incident;
  incident = advance(incident, 'city', at(2 + 72), null).incident; // overdue at the top
  incident = advance(incident, 'city', at(2 + 72 + 72), null).incident; // its first reminder
  const ns = pendingNotifications(incident);
  expect(new Set(ns.map((n) => n.level))).toEqual(new Set(['grid', 'town', 'city']));
  for (const n of ns) {
    for (const ctxt of [zh, en]) {
      const text = renderMessage(n, incident, ctxt.locale === 'zh-CN' ? place : enPlace, ctxt);
      if (n.level === 'grid') {
        if (n.event === 'assigned') expect(text.message).toContain(PHONE);
        continue;
      }
      expect(`${text.subject}\n${text.message}`).not.toContain(PHONE);
      expect(`${text.subject}\n${text.message}`).not.toContain(NAME);
    }
  }
});

describe('names from the county file (counties/shouyang.json gives them in both languages)', () => {
  const shouyang = countyIndex(loadCounty('shouyang'));
  const incident = { gridId: 'heishui-09', communityId: 'heishui', townId: 'pingtou', category: 'conflict' };

  test('each in the language of the message', () => {
    expect(messagePlace(shouyang, incident, 'zh-CN')).toEqual({ gridName: '第9网格', communityName: '黑水村', townName: '平头镇', categoryName: '邻里纠纷' });
    expect(messagePlace(shouyang, incident, 'en')).toEqual({ gridName: 'Grid 9', communityName: 'Heishui Village', townName: 'Pingtou Town', categoryName: 'Neighbour conflict' });
    const n = only(pendingNotifications(reported()), 'assigned', 'grid');
    expect(renderMessage(n, reported(), messagePlace(shouyang, incident, 'zh-CN'), { ...zh, countyName: shouyang.nameOf('county', 'shouyang', 'zh-CN')! })
      .message.split('\n')).toContain('地点：寿阳县平头镇黑水村第9网格');
  });

  test('a place the file no longer names is written as its id', () => {
    expect(messagePlace(shouyang, { ...incident, gridId: 'heishui-99', category: 'fire' }, 'zh-CN'))
      .toEqual({ gridName: 'heishui-99', communityName: '黑水村', townName: '平头镇', categoryName: 'fire' });
  });

  test('the link is the incident\'s console page, whatever the base ends with', () => {
    expect(incidentUrl('http://localhost:3000/console', 'inc 1')).toBe('http://localhost:3000/console/incidents/inc%201');
    expect(incidentUrl('https://d111.cloudfront.net/console/', 'abc')).toBe('https://d111.cloudfront.net/console/incidents/abc');
  });
});

describe('the case flow of contract §8, in both languages', () => {
  const headline = (n: PendingNotification, incident: Incident, c: MessageContext) => renderMessage(n, incident, c === zh ? place : enPlace, c).message.split('\n')[0];

  test('a request goes to the level above with what is asked and the deadline it would move; the decision to the holder', () => {
    const before = reported();
    const requested = applyAction(before, leader, { action: 'request-extension', note: '等村委会开会', extension: 'PT12H' }, at(1), ctx).incident;
    const request = only(pendingNotifications(requested), 'extension-requested', 'town');
    expect(headline(request, requested, zh)).toBe('网格申请延期12小时，请审批：邻居因院墙争吵');
    expect(headline(request, requested, en)).toBe('The grid asks for 12 hours more: 邻居因院墙争吵');
    expect(renderMessage(request, requested, place, zh).message).toContain('办理期限：2025/03/03 GMT+8 00:07');
    // The note stays at the grid, like every note above it: it may name people.
    expect(renderMessage(request, requested, place, zh).message).not.toContain('等村委会开会');

    const approved = applyAction(requested, town, { action: 'approve-extension' }, at(2), ctx).incident;
    const decision = only(pendingNotifications(approved), 'extension-approved', 'grid');
    expect(headline(decision, approved, zh)).toBe('延期申请已批准（延期12小时）：邻居因院墙争吵');
    expect(headline(decision, approved, en)).toBe('Extension of 12 hours approved: 邻居因院墙争吵');
    expect(renderMessage(decision, approved, place, zh).message).toContain('办理期限：2025/03/03 GMT+8 12:07');
    const denied = applyAction(requested, town, { action: 'deny-extension', note: '今天办完' }, at(2), ctx).incident;
    expect(headline(only(pendingNotifications(denied), 'extension-denied', 'grid'), denied, zh)).toBe('延期申请未获批准，请按原期限办理：邻居因院墙争吵');
  });

  test('a return goes to the town with its deadline, a reassignment to the new grid', () => {
    const returned = applyAction(reported(), leader, { action: 'return', note: '不属本网格' }, at(1), ctx).incident;
    const toTown = only(pendingNotifications(returned), 'returned', 'town');
    expect(headline(toTown, returned, zh)).toBe('网格退回事件，请乡镇（街道）重新派发：邻居因院墙争吵');
    expect(headline(toTown, returned, en)).toBe('Incident returned by the grid for dispatch by the town: 邻居因院墙争吵');
    expect(renderMessage(toTown, returned, place, zh).message).toContain('办理期限：2025/03/04 GMT+8 01:07'); // 48 h from 01:07
    const reassigned = applyAction(returned, town, { action: 'reassign', gridId: 'heishui-09' }, at(2), ctx).incident;
    const toGrid = only(pendingNotifications(reassigned), 'reassigned', 'grid');
    expect(headline(toGrid, reassigned, zh)).toBe('事件已改派至本网格办理：邻居因院墙争吵');
    expect(headline(toGrid, reassigned, en)).toBe('Incident reassigned to this grid: 邻居因院墙争吵');
  });

  test.each([
    ['PT24H', '24小时', '24 hours'],
    ['P1DT12H', '1天12小时', '1 day 12 hours'],
    [{ working: 'PT4H' }, '4小时工作时间', '4 working hours'],
    [{ working: 'PT1H30M' }, '1小时30分钟工作时间', '1 working hour 30 minutes'],
    [{ workingDays: 1 }, '1个工作日', '1 working day'],
    [{ workingDays: 3 }, '3个工作日', '3 working days'],
  ] as const)('extension %j reads %s / %s', (spec, cn, english) => {
    expect(extensionText(spec, 'zh-CN')).toBe(cn);
    expect(extensionText(spec, 'en')).toBe(english);
  });
});
