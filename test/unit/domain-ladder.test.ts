import { isTop, levelRank, nextLevel, roleRank } from '#domain/ladder.js';
import type { Level } from '#domain/incident.js';

describe('ladder', () => {
  const defaultLadder: Level[] = ['grid', 'town', 'city'];
  const withCounty: Level[] = ['grid', 'town', 'county', 'city'];

  it('ranks levels grid < town < county < city', () => {
    expect(levelRank('grid')).toBeLessThan(levelRank('town'));
    expect(levelRank('town')).toBeLessThan(levelRank('county'));
    expect(levelRank('county')).toBeLessThan(levelRank('city'));
  });

  it('ranks acting roles like their levels and gives reporters no rank', () => {
    expect(roleRank('grid')).toBe(levelRank('grid'));
    expect(roleRank('town')).toBe(levelRank('town'));
    expect(roleRank('county')).toBe(levelRank('county'));
    expect(roleRank('city')).toBe(levelRank('city'));
    expect(roleRank('reporter')).toBeNull();
  });

  it('climbs the county ladder, skipping levels it does not use', () => {
    expect(nextLevel(defaultLadder, 'grid')).toBe('town');
    expect(nextLevel(defaultLadder, 'town')).toBe('city');
    expect(nextLevel(defaultLadder, 'city')).toBeNull();
    expect(nextLevel(withCounty, 'town')).toBe('county');
    expect(nextLevel(withCounty, 'county')).toBe('city');
  });

  it('knows the top of each ladder', () => {
    expect(isTop(defaultLadder, 'city')).toBe(true);
    expect(isTop(defaultLadder, 'town')).toBe(false);
    expect(isTop(['grid', 'town'], 'town')).toBe(true);
  });

  it('refuses a level that is not on the ladder (a corrupt record)', () => {
    expect(() => nextLevel(defaultLadder, 'county')).toThrow(/not on the ladder/);
  });
});
