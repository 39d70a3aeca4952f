/**
 * Notification text in the county's locale and time zone (contract §5). The reporter's name and phone are
 * written only into messages for the grid level; town, county and city never receive them.
 */
import type { CountyIndex } from '#config/county-index.js';
import type { Locale } from '#config/names.js';
import type { DeadlineSpec, Incident, Level } from './incident.js';
import type { PendingNotification } from './notifications.js';

export interface MessagePlace { gridName: string; communityName: string; townName: string; categoryName: string }
export interface MessageContext {
  locale: Locale;
  timeZone: string;
  countyName: string;
  /** Base of the console (contract §9), e.g. `https://gridflow.example.cn/console`: links open the incident there. */
  consoleUrl: string;
}
export interface RenderedMessage { subject: string; message: string }

const LEVEL_NAMES: Record<'zh-CN' | 'en', Record<Level, string>> = {
  'zh-CN': { grid: '网格', town: '乡镇（街道）', county: '县（区）', city: '市' },
  en: { grid: 'grid', town: 'town', county: 'county', city: 'city' },
};

type Texts = Record<PendingNotification['event'], (n: PendingNotification, level: string, from: string) => string>;

const HEADLINES: Record<'zh-CN' | 'en', Texts> = {
  'zh-CN': {
    assigned: (_n, l) => `新事件已交${l}办理`,
    escalated: (n, l, from) => n.timelineEvent.reason === 'reconfigured' ? `层级设置调整，事件已转至${l}`
      : n.level === n.timelineEvent.level
      ? `事件已${n.timelineEvent.reason === 'manual' ? '上报' : '超时升级'}至${l}`
      : `事件已由${from}${n.timelineEvent.reason === 'manual' ? '上报' : '超时升级'}至${LEVEL_NAMES['zh-CN'][n.timelineEvent.level]}`,
    reminded: (n, l) => n.timelineEvent.reason === 'overdue' ? `事件已逾期，请${l}尽快办理` : `事件办理期限将至（${l}）`,
    overdue: (_n, l) => `事件已逾期（${l}）`,
    resolved: () => '事件已办结，待核实',
    closed: (n) => n.timelineEvent.reason === 'verified' ? '事件已核实关闭' : '事件核实期满，已自动关闭',
    'extension-requested': (n) => `${LEVEL_NAMES['zh-CN'][n.timelineEvent.level]}申请延期${extensionText(n.timelineEvent.extension, 'zh-CN')}，请审批`,
    'extension-approved': (n) => `延期申请已批准（延期${extensionText(n.timelineEvent.extension, 'zh-CN')}）`,
    'extension-denied': () => '延期申请未获批准，请按原期限办理',
    returned: (_n, l) => `网格退回事件，请${l}重新派发`,
    reassigned: () => '事件已改派至本网格办理',
  },
  en: {
    assigned: (_n, l) => `New incident assigned to the ${l}`,
    escalated: (n, l, from) => n.timelineEvent.reason === 'reconfigured' ? `Incident moved to the ${l}: the county's levels changed`
      : n.level === n.timelineEvent.level
      ? `Incident ${n.timelineEvent.reason === 'manual' ? 'escalated' : 'escalated after a missed deadline'} to the ${l}`
      : `Incident passed on from the ${from} to the ${LEVEL_NAMES.en[n.timelineEvent.level]}${n.timelineEvent.reason === 'manual' ? '' : ' (deadline missed)'}`,
    reminded: (n, l) => n.timelineEvent.reason === 'overdue' ? `Reminder: incident overdue at the ${l}` : `Reminder: the ${l} deadline is approaching`,
    overdue: (_n, l) => `Incident overdue at the ${l}`,
    resolved: () => 'Incident resolved, awaiting verification',
    closed: (n) => n.timelineEvent.reason === 'verified' ? 'Incident verified and closed' : 'Incident closed: verification window passed',
    'extension-requested': (n) => `The ${LEVEL_NAMES.en[n.timelineEvent.level]} asks for ${extensionText(n.timelineEvent.extension, 'en')} more`,
    'extension-approved': (n) => `Extension of ${extensionText(n.timelineEvent.extension, 'en')} approved`,
    'extension-denied': () => 'Extension denied: the deadline stands',
    returned: (_n, l) => `Incident returned by the grid for dispatch by the ${l}`,
    reassigned: () => 'Incident reassigned to this grid',
  },
};

/** The console page of an incident (contract §9): `<consoleUrl>/incidents/<id>`. */
export function incidentUrl(consoleUrl: string, incidentId: string): string {
  return `${consoleUrl.replace(/\/+$/, '')}/incidents/${encodeURIComponent(incidentId)}`;
}

/**
 * The names of an incident's place and category in `locale`, from the county file (a name may be given per
 * language); an id the file no longer knows (a grid removed since) is written as the id.
 */
export function messagePlace(index: CountyIndex, incident: Pick<Incident, 'gridId' | 'communityId' | 'townId' | 'category'>, locale: Locale): MessagePlace {
  return {
    gridName: index.nameOf('grid', incident.gridId, locale) ?? incident.gridId,
    communityName: index.nameOf('community', incident.communityId, locale) ?? incident.communityId,
    townName: index.nameOf('town', incident.townId, locale) ?? incident.townId,
    categoryName: index.nameOf('category', incident.category, locale) ?? incident.category,
  };
}

const DURATION_PARTS = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** `PT24H` -> "24 hours" / "24小时"; `{ working: 'PT4H' }` -> "4 working hours"; `{ workingDays: 2 }` -> "2 working days". */
export function extensionText(spec: DeadlineSpec | undefined, locale: 'zh-CN' | 'en'): string {
  if (spec === undefined) return '';
  const zh = locale === 'zh-CN';
  if (typeof spec === 'object' && 'workingDays' in spec) return zh ? `${spec.workingDays}个工作日` : plural(spec.workingDays, 'working day');
  const iso = typeof spec === 'string' ? spec : spec.working;
  const m = DURATION_PARTS.exec(iso);
  if (!m) return iso;
  const [w, d, h, min, sec] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number, number];
  const parts: Array<[number, string, string]> = [[w * 7 + d, '天', 'day'], [h, '小时', 'hour'], [min, '分钟', 'minute'], [sec, '秒', 'second']];
  const working = typeof spec !== 'string';
  const text = parts.filter(([v]) => v > 0)
    .map(([v, cn, en]) => (zh ? `${v}${cn}` : plural(v, working && en === 'hour' ? 'working hour' : en))).join(zh ? '' : ' ');
  return zh && working ? `${text}工作时间` : text;
}

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

/** One formatter per locale and time zone: building one costs a third of a millisecond, formatting microseconds. */
const timeFormats = new Map<string, Intl.DateTimeFormat>();

export function formatTime(iso: string, ctx: Pick<MessageContext, 'locale' | 'timeZone'>): string {
  const key = `${ctx.locale} ${ctx.timeZone}`;
  let format = timeFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(ctx.locale, {
      timeZone: ctx.timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
      // h23, not hour12: false, which ICU renders as "24:07" for seven past midnight in `en`.
      hourCycle: 'h23', timeZoneName: 'short',
    });
    timeFormats.set(key, format);
  }
  return format.format(new Date(iso));
}

export function renderMessage(n: PendingNotification, incident: Incident, place: MessagePlace, ctx: MessageContext): RenderedMessage {
  const zh = ctx.locale === 'zh-CN';
  const levelName = LEVEL_NAMES[ctx.locale][n.level];
  const from = LEVEL_NAMES[ctx.locale][incident.timeline[n.eventIndex - 1]?.level ?? n.level];
  const headline = HEADLINES[ctx.locale][n.event](n, levelName, from);
  const where = zh
    ? `${ctx.countyName}${place.townName}${place.communityName}${place.gridName}`
    : `${place.gridName}, ${place.communityName}, ${place.townName}, ${ctx.countyName}`;
  const lines = [
    zh ? `${headline}：${incident.title}` : `${headline}: ${incident.title}`,
    zh ? `类别：${place.categoryName}` : `Category: ${place.categoryName}`,
    zh ? `地点：${where}` : `Place: ${where}`,
    zh ? `层级：${levelName}` : `Level: ${levelName}`,
  ];
  if (n.deadline) lines.push(zh ? `办理期限：${formatTime(n.deadline, ctx)}` : `Deadline: ${formatTime(n.deadline, ctx)}`);
  if (n.timelineEvent.note && (n.event === 'resolved' || n.level === 'grid')) {
    lines.push(zh ? `说明：${n.timelineEvent.note}` : `Note: ${n.timelineEvent.note}`);
  }
  // Personal data stays at the grid: only the grid leader's message names the reporter.
  if (n.level === 'grid' && incident.reporter && (incident.reporter.name || incident.reporter.phone)) {
    const who = [incident.reporter.name, incident.reporter.phone].filter(Boolean).join(' ');
    lines.push(zh ? `报告人：${who}` : `Reporter: ${who}`);
  }
  const link = incidentUrl(ctx.consoleUrl, incident.id);
  lines.push(zh ? `详情：${link}` : `Details: ${link}`);
  const subject = `[gridflow] ${headline}${zh ? '：' : ': '}${incident.title}`.slice(0, 99);
  return { subject, message: lines.join('\n') };
}
