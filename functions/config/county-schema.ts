/**
 * The county file of contract §2, validated with zod. Cross-field rules (unique ids, a deadline for
 * every ladder level) are refinements so that every problem is reported with its JSON path.
 */
import { z } from 'zod';
import { ALL_LEVELS } from '#domain/incident.js';
import { isDuration } from './duration.js';

const id = z.string().regex(/^[a-z0-9-]+$/, 'ids are lowercase letters, digits and hyphens');
const duration = z.string().refine(isDuration, 'must be an ISO 8601 duration such as PT24H, PT30S or P3D');
const level = z.enum(ALL_LEVELS);

export const PersonSchema = z.strictObject({
  id,
  name: z.string().min(1),
  email: z.email().optional(),
  phone: z.string().min(3).optional(),
});

export const GridSchema = z.strictObject({ id, name: z.string().min(1), leader: PersonSchema });
export const CommunitySchema = z.strictObject({ id, name: z.string().min(1), grids: z.array(GridSchema).min(1) });
export const TownSchema = z.strictObject({
  id,
  name: z.string().min(1),
  supervisors: z.array(PersonSchema).min(1),
  communities: z.array(CommunitySchema).min(1),
});
export const CategorySchema = z.strictObject({
  id,
  name: z.string().min(1),
  deadlines: z.partialRecord(level, duration),
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
export const DeploymentSchema = z.strictObject({
  account: z.string().regex(/^\d{12}$/, 'an AWS account is 12 digits').optional(),
  region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'an AWS region such as cn-north-1').optional(),
  identity: z.strictObject({ issuer: z.url(), audience: z.string().min(1) }).optional(),
});

export const CountySchema = z.strictObject({
  id,
  name: z.string().min(1),
  locale: z.enum(['zh-CN', 'en']).default('zh-CN'),
  timeZone: z.string().refine((tz) => {
    try { new Intl.DateTimeFormat('en', { timeZone: tz }); return true; } catch { return false; }
  }, 'must be an IANA time zone such as Asia/Shanghai').default('Asia/Shanghai'),
  ladder: z.array(level).min(1).default(['grid', 'town', 'city']),
  verificationWindow: duration.default('P3D'),
  city: z.strictObject({ id, name: z.string().min(1), supervisors: z.array(PersonSchema).min(1) }),
  categories: z.array(CategorySchema).min(1),
  towns: z.array(TownSchema).min(1),
  webhooks: z.array(WebhookSchema).default([]),
  deployment: DeploymentSchema.optional(),
}).superRefine((county, ctx) => {
  const order = county.ladder.map((l) => ALL_LEVELS.indexOf(l));
  if (county.ladder[0] !== 'grid') ctx.addIssue({ code: 'custom', path: ['ladder', 0], message: 'the ladder starts at grid' });
  if (order.some((o, i) => i > 0 && o <= (order[i - 1] ?? -1))) {
    ctx.addIssue({ code: 'custom', path: ['ladder'], message: 'levels must be distinct and in order grid, town, county, city' });
  }
  county.categories.forEach((c, i) => {
    for (const l of county.ladder) {
      if (!c.deadlines[l]) ctx.addIssue({ code: 'custom', path: ['categories', i, 'deadlines', l], message: `category "${c.id}" needs a deadline for level "${l}"` });
    }
  });
  const seen = new Map<string, string>();
  const claim = (value: string, path: (string | number)[]) => {
    const before = seen.get(value);
    if (before) ctx.addIssue({ code: 'custom', path, message: `id "${value}" is already used at ${before}` });
    else seen.set(value, path.join('.'));
  };
  claim(county.id, ['id']);
  county.towns.forEach((t, ti) => {
    claim(t.id, ['towns', ti, 'id']);
    t.communities.forEach((c, ci) => {
      claim(c.id, ['towns', ti, 'communities', ci, 'id']);
      c.grids.forEach((g, gi) => claim(g.id, ['towns', ti, 'communities', ci, 'grids', gi, 'id']));
    });
  });
  const categories = new Set<string>();
  county.categories.forEach((c, i) => {
    if (categories.has(c.id)) ctx.addIssue({ code: 'custom', path: ['categories', i, 'id'], message: `category "${c.id}" is listed twice` });
    categories.add(c.id);
  });
});

export type County = z.infer<typeof CountySchema>;
export type Category = z.infer<typeof CategorySchema>;
export type Town = z.infer<typeof TownSchema>;
export type Community = z.infer<typeof CommunitySchema>;
export type Grid = z.infer<typeof GridSchema>;
export type Person = z.infer<typeof PersonSchema>;
