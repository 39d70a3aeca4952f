/**
 * The workload model shared by the replay and the seeded history: Jinzhong's published volume scaled to
 * one county, a category mix, an outcome mix, and realistic report bodies. Every proportion here is a
 * stated assumption of the bench (docs/performance.md repeats them), not a measurement.
 */
import type { County } from '#config/county-schema.js';

/** Jinzhong City, four months of grid reports: 102,326 incidents, about 17 % epidemic prevention. */
export const JINZHONG = { incidents: 102_326, months: 4, countyDivisions: 11, epidemicShare: 0.17 } as const;
/** One county's share: the city's volume split evenly over its 11 county-level divisions. */
export const COUNTY_INCIDENTS_4_MONTHS = Math.round(JINZHONG.incidents / JINZHONG.countyDivisions);
export const COUNTY_INCIDENTS_PER_MONTH = COUNTY_INCIDENTS_4_MONTHS / JINZHONG.months;
/** Four months in days (the replay compresses days into seconds). */
export const REPLAY_DAYS = 122;

/** Shares of the demo county's categories (epidemic prevention from Jinzhong; the rest assumed). */
export const CATEGORY_MIX: Readonly<Record<string, number>> = {
  'epidemic-prevention': JINZHONG.epidemicShare,
  sanitation: 0.2,
  conflict: 0.15,
  'information-collection': 0.13,
  'safety-hazard': 0.12,
  'elderly-care': 0.1,
  'public-order': 0.08,
  'policy-publicity': 0.05,
};

/**
 * How an incident ends (assumed): most are settled by the grid worker who finds them; a minority climbs.
 * `escalated-once` is resolved by the town, `top` by the city.
 */
export type Outcome = 'on-spot' | 'grid' | 'rejected' | 'escalated-once' | 'top';
export const OUTCOME_MIX: Readonly<Record<Outcome, number>> = {
  'on-spot': 0.55,
  grid: 0.29,
  rejected: 0.01,
  'escalated-once': 0.1,
  top: 0.05,
};
/** Of the incidents that climb, this share is escalated by hand before the deadline; the rest by the deadline. */
export const MANUAL_ESCALATION_SHARE = 0.5;
/** Of resolved incidents, this share is verified explicitly; the others close when the window passes. */
export const VERIFIED_SHARE = 0.35;
/** Of non-on-spot incidents, this share is reported by residents (the rest by grid leaders on patrol). */
export const RESIDENT_REPORT_SHARE = 0.4;
/** Residents of the county who report (reporter tokens). */
export const RESIDENTS = 2_000;
/** The resolving level resolves between 20 % and this share of its deadline (after 80 %: it was reminded). */
export const RESOLVE_BY_SHARE = 0.95;
/** Of the incidents the city resolves, this share is resolved only after the city deadline (overdue). */
export const CITY_LATE_SHARE = 0.2;

/** Deterministic randomness (mulberry32), so two runs replay the same workload. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function pick<T extends string>(random: () => number, mix: Readonly<Record<T, number>>): T {
  const entries = Object.entries(mix) as [T, number][];
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let r = random() * total;
  for (const [k, w] of entries) if ((r -= w) <= 0) return k;
  return entries[entries.length - 1]![0];
}

export const between = (random: () => number, lo: number, hi: number): number => lo + random() * (hi - lo);

export interface Place { gridId: string; townId: string; communityId: string }

export function placesOf(county: County): Place[] {
  return county.towns.flatMap((t) => t.communities.flatMap((c) => c.grids.map((g) => ({ gridId: g.id, townId: t.id, communityId: c.id }))));
}

const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴', '徐', '孙', '胡', '朱', '高', '林', '何', '郭', '马', '罗'];
const GIVEN = ['秀英', '桂兰', '建国', '志强', '丽娟', '海燕', '文杰', '春梅', '国华', '玉兰', '晓东', '红霞'];
const SUBJECTS: Readonly<Record<string, string[]>> = {
  'epidemic-prevention': ['返乡人员健康登记', '核酸检测点秩序', '隔离户物资配送', '疫苗接种信息核对'],
  sanitation: ['垃圾清运不及时', '污水井盖破损外溢', '村道堆放建筑垃圾', '公厕卫生差'],
  conflict: ['邻里宅基地纠纷', '楼上漏水引发争执', '家庭赡养矛盾', '停车位争议'],
  'information-collection': ['流动人口信息采集', '出租房屋登记', '独居老人信息更新', '新生儿户籍信息'],
  'safety-hazard': ['电动车楼道充电', '燃气管道老化', '危房存在倒塌风险', '河道护栏缺失'],
  'elderly-care': ['独居老人无人照料', '高龄补贴未到账', '老人走失求助', '助餐点服务中断'],
  'public-order': ['夜间噪音扰民', '占道经营', '可疑人员出没', '广场舞音量过大'],
  'policy-publicity': ['医保缴费政策宣传', '防诈骗宣传入户', '垃圾分类宣传', '征兵政策宣传'],
};
const DETAILS = [
  '群众反映情况已持续数日，影响周边住户正常生活，请尽快核实处理。',
  '网格员巡查发现，现场已拍照留存，需相关部门协调解决。',
  '当事人情绪较为激动，已初步劝解，建议由社区继续跟进调解。',
  '涉及多户居民，已告知相关注意事项，待进一步落实。',
];

export const residentName = (random: () => number): string =>
  `${SURNAMES[Math.floor(random() * SURNAMES.length)]}${GIVEN[Math.floor(random() * GIVEN.length)]}`;
export const phone = (random: () => number): string => `13${Math.floor(between(random, 100_000_000, 999_999_999))}`;

export interface ReportBody {
  category: string;
  gridId: string;
  title: string;
  description: string;
  location: { lat: number; lng: number; address: string };
  reporter?: { name: string; phone: string };
  resolvedOnSpot?: { note: string };
}

/** A report as a grid app would send it: a title, a paragraph, a location, often the resident's contact. */
export function reportBody(random: () => number, category: string, place: Place, opts: { onSpot?: boolean; withReporter?: boolean } = {}): ReportBody {
  const subjects = SUBJECTS[category] ?? SUBJECTS.conflict!;
  const subject = subjects[Math.floor(random() * subjects.length)]!;
  const detail = DETAILS[Math.floor(random() * DETAILS.length)]!;
  return {
    category,
    gridId: place.gridId,
    title: subject,
    description: `${place.communityId}${place.gridId.split('-').pop()}号网格：${subject}。${detail}`,
    location: { lat: 37.85 + random() * 0.2, lng: 113.1 + random() * 0.2, address: `寿阳县${place.communityId}${Math.floor(between(random, 1, 120))}号` },
    ...(opts.withReporter ?? true ? { reporter: { name: residentName(random), phone: phone(random) } } : {}),
    ...(opts.onSpot ? { resolvedOnSpot: { note: '网格员现场协调，已当场解决。' } } : {}),
  };
}
