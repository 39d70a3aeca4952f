/**
 * The county file of contract §2, validated with zod. Cross-field rules (unique ids, a deadline for
 * every ladder level) are refinements so that every problem is reported with its JSON path.
 */
import * as z from 'zod';
import { ALL_LEVELS, type Level } from '#domain/incident.js';
import { CalendarSchema, calendarProblems, DeadlineSpecSchema } from './calendar-schema.js';
import { LOCALES, LocalizedNameSchema } from './names.js';
import { ChannelsSchema, DeploymentSchema, deploymentProblems } from './deployment-schema.js';

const id = z.string().regex(/^[a-z0-9-]+$/, 'ids are lowercase letters, digits and hyphens');
const level = z.enum(ALL_LEVELS);

export const PersonSchema = z.strictObject({
  id,
  name: z.string().min(1),
  email: z.email().optional(),
  phone: z.string().min(3).optional(),
  channels: ChannelsSchema.optional(),
});

/** Places and categories carry a name per language (names.ts); people's names are written as they are. */
const placeName = LocalizedNameSchema;

export const GridSchema = z.strictObject({ id, name: placeName, leader: PersonSchema });
export const CommunitySchema = z.strictObject({ id, name: placeName, grids: z.array(GridSchema).min(1) });
export const TownSchema = z.strictObject({
  id,
  name: placeName,
  supervisors: z.array(PersonSchema).min(1),
  communities: z.array(CommunitySchema).min(1),
});
export const CategorySchema = z.strictObject({
  id,
  name: placeName,
  deadlines: z.partialRecord(level, DeadlineSpecSchema),
});
export const WebhookSchema = z.strictObject({
  level,
  url: z.url(),
  filter: z.strictObject({
    townId: z.array(id).optional(),
    communityId: z.array(id).optional(),
    gridId: z.array(id).optional(),
    category: z.array(id).optional(),
  }).optional(),
});
export const CountySchema = z.strictObject({
  id,
  name: placeName,
  locale: z.enum(LOCALES).default('zh-CN'),
  timeZone: z.string().refine((tz) => {
    try { new Intl.DateTimeFormat('en', { timeZone: tz }); return true; } catch { return false; }
  }, 'must be an IANA time zone such as Asia/Shanghai').default('Asia/Shanghai'),
  ladder: z.array(level).min(1).default(['grid', 'town', 'city']),
  verificationWindow: DeadlineSpecSchema.default('P3D'),
  calendar: CalendarSchema.optional(),
  city: z.strictObject({ id, name: placeName, supervisors: z.array(PersonSchema).min(1) }),
  /** The county role's people (contract §10): the county's own supervisors. */
  supervisors: z.array(PersonSchema).default([]),
  categories: z.array(CategorySchema).min(1),
  towns: z.array(TownSchema).min(1),
  webhooks: z.array(WebhookSchema).default([]),
  deployment: DeploymentSchema.optional(),
}).superRefine((county, ctx) => {
  for (const p of [...crossFieldProblems(county), ...deploymentProblems(county), ...calendarProblems(county)]) {
    ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
  }
}, {
  // Run even when a field is malformed, so one load lists every problem of the file, not the first kind.
  when: () => true,
});

export type County = z.infer<typeof CountySchema>;
export type Category = z.infer<typeof CategorySchema>;
export type Town = z.infer<typeof TownSchema>;
export type Community = z.infer<typeof CommunitySchema>;
export type Grid = z.infer<typeof GridSchema>;
export type Person = z.infer<typeof PersonSchema>;

/** `['towns', 0, 'id']` -> `$.towns[0].id`, the form every county problem is reported in. */
export function jsonPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    const k = String(key);
    return /^[A-Za-z_$][\w$]*$/.test(k) ? `${out}.${k}` : `${out}[${JSON.stringify(k)}]`;
  }, '$');
}

type Path = (string | number)[];
interface CrossFieldProblem { path: Path; message: string }

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const isLevel = (v: unknown): v is Level => (ALL_LEVELS as readonly unknown[]).includes(v);

/**
 * Rules that span fields. Written against `unknown` because it also runs on a file whose fields are
 * malformed: a broken part is skipped here (the field rules already report it), the rest is checked.
 */
function crossFieldProblems(county: unknown): CrossFieldProblem[] {
  if (!isRecord(county)) return [];
  const problems: CrossFieldProblem[] = [];
  const add = (path: Path, message: string) => problems.push({ path, message });

  const rawLadder = list(county.ladder);
  const ladder = rawLadder.every(isLevel) ? rawLadder : [];
  if (ladder.length > 0) {
    if (ladder[0] !== 'grid') add(['ladder', 0], 'the ladder starts at grid');
    const order = ladder.map((l) => ALL_LEVELS.indexOf(l));
    if (order.some((o, i) => i > 0 && o <= (order[i - 1] ?? -1))) {
      add(['ladder'], 'levels must be distinct and in order grid, town, county, city');
    }
  }

  const categoryIds = new Map<string, number>();
  list(county.categories).forEach((c, i) => {
    if (!isRecord(c)) return;
    const cid = text(c.id);
    if (cid !== undefined) {
      if (categoryIds.has(cid)) add(['categories', i, 'id'], `category "${cid}" is listed twice (first at ${jsonPath(['categories', categoryIds.get(cid) ?? 0])})`);
      else categoryIds.set(cid, i);
    }
    if (!isRecord(c.deadlines)) return;
    for (const l of ladder) {
      if (c.deadlines[l] === undefined) add(['categories', i, 'deadlines', l], `category "${cid ?? i}" needs a deadline for level "${l}"`);
    }
  });

  // Town, community and grid ids share one namespace with the county id: a token's scope names one place.
  const places = new Map<string, Path>();
  const kinds = { towns: new Set<string>(), communities: new Set<string>(), grids: new Set<string>() };
  const claim = (value: unknown, path: Path, kind: keyof typeof kinds) => {
    const v = text(value);
    if (v === undefined) return;
    const before = places.get(v);
    if (before) add(path, `id "${v}" is already used at ${jsonPath(before)}`);
    else places.set(v, path);
    kinds[kind].add(v);
  };
  const countyId = text(county.id);
  if (countyId !== undefined) places.set(countyId, ['id']);
  list(county.towns).forEach((t, ti) => {
    if (!isRecord(t)) return;
    claim(t.id, ['towns', ti, 'id'], 'towns');
    list(t.communities).forEach((c, ci) => {
      if (!isRecord(c)) return;
      claim(c.id, ['towns', ti, 'communities', ci, 'id'], 'communities');
      list(c.grids).forEach((g, gi) => {
        if (isRecord(g)) claim(g.id, ['towns', ti, 'communities', ci, 'grids', gi, 'id'], 'grids');
      });
    });
  });

  // A webhook that can never fire is a typo the operator wants to hear about at load time.
  const known = { townId: kinds.towns, communityId: kinds.communities, gridId: kinds.grids, category: new Set(categoryIds.keys()) };
  list(county.webhooks).forEach((w, wi) => {
    if (!isRecord(w)) return;
    if (ladder.length > 0 && isLevel(w.level) && !ladder.includes(w.level)) {
      add(['webhooks', wi, 'level'], `level "${w.level}" is not on the ladder ${ladder.join(', ')}`);
    }
    if (!isRecord(w.filter)) return;
    for (const [field, ids] of Object.entries(known)) {
      list(w.filter[field]).forEach((v, vi) => {
        const value = text(v);
        if (value !== undefined && !ids.has(value)) add(['webhooks', wi, 'filter', field, vi], `unknown ${field} "${value}" in this county`);
      });
    }
  });
  return problems;
}
