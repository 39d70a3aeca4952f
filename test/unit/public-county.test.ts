import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAllCounties, loadCountyFile } from '#config/county-loader.js';
import type { County } from '#config/county-schema.js';
import { publicCountyView } from '#config/public-county.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/counties/', import.meta.url));
const counties: County[] = [
  ...loadAllCounties(),
  ...readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).map((f) => loadCountyFile(join(FIXTURES, f))),
];

/** Every person of a county, whatever level they serve at. */
function people(c: County): Record<string, unknown>[] {
  return [
    ...c.city.supervisors, ...c.supervisors,
    ...c.towns.flatMap((t) => [...t.supervisors, ...t.communities.flatMap((m) => m.grids.map((g) => g.leader))]),
  ] as unknown as Record<string, unknown>[];
}

/**
 * A copy of the county in which every person carries a marked e-mail, phone and channel, and the county a
 * deployment block with secrets: also fields the schema does not know yet, as later county files may have.
 */
function withPersonalData(c: County): County {
  const copy = structuredClone(c);
  people(copy).forEach((p, i) => {
    Object.assign(p, {
      email: `marked-${i}@leak.example`, phone: `1390000${String(i).padStart(4, '0')}`,
      channels: [{ type: 'wecom', secret: `gridflow/leak-secret-${i}` }],
    });
  });
  Object.assign(copy, {
    deployment: { account: '210987654321', region: 'cn-north-1', ops: { emails: ['ops@leak.example'] }, sms: { secret: 'leak-sms' } },
    webhooks: [{ level: 'town', url: 'https://leak.example/hook' }],
  });
  return copy;
}

describe('publicCountyView', () => {
  it.each(counties.map((c) => [c.id, c] as const))('%s: never a phone, an e-mail, a person, a channel or a secret', (_id, county) => {
    const marked = withPersonalData(county);
    const json = JSON.stringify(publicCountyView(marked));
    expect(json).not.toMatch(/@/);
    expect(json).not.toMatch(/\d{7,}/); // phones (and the account id)
    expect(json).not.toMatch(/leak/);
    for (const p of people(marked)) {
      expect(json).not.toContain(`"${String(p.id)}"`);
      expect(json).not.toContain(String(p.name));
    }
    expect(json).not.toMatch(/"(supervisors|leader|email|phone|channels|secret|deployment|webhooks)"/);
  });

  it.each(counties.map((c) => [c.id, c] as const))('%s: every place and category with its names, the ladder, time zone and locale', (_id, county) => {
    const view = publicCountyView(county);
    expect(view).toMatchObject({ id: county.id, name: county.name, locale: county.locale, timeZone: county.timeZone, ladder: county.ladder });
    expect(view.city).toEqual({ id: county.city.id, name: county.city.name });
    expect(view.categories).toEqual(county.categories.map((c) => ({ id: c.id, name: c.name })));
    expect(view.towns.map((t) => t.id)).toEqual(county.towns.map((t) => t.id));
    const grids = (towns: { communities: { grids: { id: string; name: unknown }[] }[] }[]) =>
      towns.flatMap((t) => t.communities.flatMap((m) => m.grids.map((g) => ({ id: g.id, name: g.name }))));
    expect(grids(view.towns)).toEqual(grids(county.towns));
  });
});
