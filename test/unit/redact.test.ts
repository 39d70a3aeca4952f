import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { countyIndex } from '#config/county-index.js';
import { parseCounty } from '#config/county-loader.js';
import { redactCounty } from '#config/redact.js';

const shouyang = () => parseCounty(readFileSync(fileURLToPath(new URL('../../counties/shouyang.json', import.meta.url)), 'utf8'));

describe('redactCounty (what every function but the channel relay is bundled with)', () => {
  const full = shouyang();
  const redacted = redactCounty(full);
  const text = JSON.stringify(redacted);

  it('holds no name, phone, e-mail, channel, secret, webhook or ops contact of anyone', () => {
    const people = [...full.city.supervisors, ...full.supervisors, ...full.towns.flatMap((t) => [...t.supervisors, ...t.communities.flatMap((c) => c.grids.map((g) => g.leader))])];
    expect(people.length).toBeGreaterThan(90);
    for (const p of people) {
      expect(text).not.toContain(`"${p.name}"`);
      if (p.phone) expect(text).not.toContain(p.phone);
      if (p.email) expect(text).not.toContain(p.email);
    }
    for (const needle of ['"channels"', 'gridflow/', 'hooks.example.cn', 'ops@', '"deployment"', '"sms"']) expect(text).not.toContain(needle);
  });

  it('is a valid county file with the same places, categories, ladder and person ids', () => {
    const reparsed = parseCounty(JSON.parse(text));
    expect(reparsed).toEqual(redacted);
    const [a, b] = [countyIndex(full), countyIndex(reparsed)];
    expect(b.gridIds).toEqual(a.gridIds);
    expect(b.townIds).toEqual(a.townIds);
    expect(b.categoryIds).toEqual(a.categoryIds);
    expect(b.ladder).toEqual(a.ladder);
    for (const gridId of a.gridIds) expect(b.grid(gridId)?.leader.id).toBe(a.grid(gridId)?.leader.id);
    expect(reparsed.name).toEqual(full.name);
    expect(reparsed.timeZone).toBe(full.timeZone);
  });

  it('leaves its input untouched', () => {
    expect(shouyang()).toEqual(full);
  });
});
