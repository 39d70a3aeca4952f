import { isDuration, MAX_DURATION_MS, parseDuration } from '#config/duration.js';

const S = 1_000;
const H = 3_600 * S;
const D = 24 * H;

describe('parseDuration', () => {
  it.each([
    ['PT30S', 30 * S],
    ['PT2S', 2 * S],
    ['PT1.5S', 1_500],
    ['PT15M', 15 * 60 * S],
    ['PT4H', 4 * H],
    ['PT24H', 24 * H],
    ['P3D', 3 * D],
    ['P1DT12H', 36 * H],
    ['P1W', 7 * D],
    ['P1DT2H3M4S', D + 2 * H + 3 * 60 * S + 4 * S],
    ['P365D', MAX_DURATION_MS],
  ])('%s is %d ms', (iso, ms) => {
    expect(parseDuration(iso)).toBe(ms);
    expect(isDuration(iso)).toBe(true);
  });

  it.each(['', 'P', 'PT', 'P1DT', '24H', 'PT24', 'pt24h', 'P1Y', 'P1M', 'PT-1H', 'PT1,5S', ' PT1H', 'PT1H '])(
    'refuses %p as not an ISO 8601 duration (nor years and months, whose length varies)',
    (iso) => {
      expect(() => parseDuration(iso)).toThrow(/is not an ISO 8601 duration/);
      expect(isDuration(iso)).toBe(false);
    },
  );

  it('refuses a zero duration', () => {
    expect(() => parseDuration('PT0S')).toThrow(/longer than zero/);
    expect(() => parseDuration('P0D')).toThrow(/longer than zero/);
    expect(() => parseDuration('PT0.0001S')).toThrow(/longer than zero/);
  });

  it('refuses more than a year, the longest a workflow may wait', () => {
    expect(() => parseDuration('P366D')).toThrow(/longer than a year/);
    expect(() => parseDuration('PT99999999999999999999H')).toThrow(/longer than a year/);
    expect(isDuration('P53W')).toBe(false);
  });
});
