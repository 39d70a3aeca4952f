/**
 * The county file's calendar and working-time deadlines (functions/config/calendar-schema.ts, contract §7, §10):
 * valid shapes load, and every problem of an invalid file is listed by its JSON path in one pass.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CountyConfigError, loadCounty, parseCounty } from '#config/county-loader.js';
import { calendarOf } from '#domain/deadlines.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/counties/testville.json', import.meta.url));
const base = (): Record<string, any> => JSON.parse(readFileSync(FIXTURE, 'utf8'));
const CALENDAR = {
  workingHours: [['08:30', '12:00'], ['14:30', '17:30']],
  seasons: [{ from: '05-01', to: '09-30', workingHours: [['08:30', '12:00'], ['15:00', '18:00']] }],
  weekend: [6, 7],
  holidays: ['2026-10-01', '2026-10-02'],
  workdays: ['2026-10-10'],
};
const problemsOf = (county: unknown): Record<string, string> => {
  try { parseCounty(county); } catch (e) {
    if (e instanceof CountyConfigError) return Object.fromEntries(e.problems.map((p) => [p.path, p.message]));
    throw e;
  }
  throw new Error('expected the county to be invalid');
};

describe('a valid calendar', () => {
  test('deadlines per level as a duration, working time or working days; a working verification window', () => {
    const c = base();
    c.calendar = CALENDAR;
    c.categories[0].deadlines = { grid: { working: 'PT4H' }, town: { workingDays: 2 }, city: 'P7D' };
    c.verificationWindow = { workingDays: 3 };
    const county = parseCounty(c);
    expect(county.categories[0]!.deadlines).toEqual({ grid: { working: 'PT4H' }, town: { workingDays: 2 }, city: 'P7D' });
    expect(county.verificationWindow).toEqual({ workingDays: 3 });
    expect(calendarOf(county)?.timeZone).toBe('Asia/Shanghai');
  });

  test('defaults: weekend Saturday and Sunday, no seasons, holidays or workdays; touching periods, 24:00, 02-29, wrapping seasons', () => {
    const c = base();
    c.calendar = {
      workingHours: [['12:00', '24:00'], ['08:00', '12:00']],
      seasons: [{ from: '11-01', to: '02-29', workingHours: [['09:00', '12:00']] }],
    };
    expect(parseCounty(c).calendar).toEqual({ ...c.calendar, weekend: [6, 7], holidays: [], workdays: [] });
    delete c.verificationWindow;
    expect(parseCounty(c).verificationWindow).toBe('P3D');
  });

  test('the demo counties carry the 2026 national schedule and a Shanxi county\'s office hours', () => {
    for (const id of ['shouyang', 'yuci']) {
      const county = loadCounty(id);
      expect(county.calendar?.holidays).toEqual(expect.arrayContaining(['2026-10-01', '2026-10-07', '2026-02-15', '2026-02-23']));
      expect(county.calendar?.workdays).toEqual(['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10']);
      expect(county.calendar?.seasons).toEqual([{ from: '05-01', to: '09-30', workingHours: [['08:30', '12:00'], ['15:00', '18:00']] }]);
      expect(county.categories.find((cat) => cat.id === 'sanitation')?.deadlines).toEqual({ grid: { working: 'PT4H' }, town: { workingDays: 2 }, city: 'P7D' });
      expect(calendarOf(county)?.hasDataFor(2026)).toBe(true);
    }
  });
});

describe('an invalid calendar: every problem, by path', () => {
  test('a working-time deadline in a county without a calendar', () => {
    const c = base();
    c.categories[0].deadlines.town = { working: 'PT4H' };
    c.categories[1].deadlines.city = { workingDays: 2 };
    c.verificationWindow = { workingDays: 1 };
    expect(problemsOf(c)).toEqual({
      '$.categories[0].deadlines.town': 'a working-time deadline needs a "calendar" in the county file',
      '$.categories[1].deadlines.city': 'a working-time deadline needs a "calendar" in the county file',
      '$.verificationWindow': 'a working-time deadline needs a "calendar" in the county file',
    });
  });

  test('malformed and overlapping periods, seasons that do not parse, a day both holiday and workday, in one pass', () => {
    const c = base();
    c.calendar = {
      workingHours: [['8:30', '12:00'], ['14:00', '13:00'], ['11:00', '15:00'], ['09:00', '11:30'], ['24:00', '24:00']],
      seasons: [
        { from: '13-01', to: '02-30', workingHours: [['09:00', '12:00']] },
        { from: '06-01', to: '08-31', workingHours: [] },
      ],
      weekend: [6, 7, 8],
      holidays: ['2026-10-01', '2026-10-01', '2026-02-30'],
      workdays: ['2026-10-01'],
    };
    c.categories[0].deadlines.grid = { working: 'P1D' };
    c.categories[0].deadlines.town = { workingDays: 0 };
    c.categories[1].deadlines.grid = { working: 'PT4H', workingDays: 2 };
    expect(problemsOf(c)).toEqual({
      '$.calendar.workingHours[0][0]': '"8:30" is not a start time HH:MM (00:00 to 23:59)',
      '$.calendar.workingHours[1]': 'the period must start before it ends (14:00 to 13:00)',
      '$.calendar.workingHours[4][0]': '"24:00" is not a start time HH:MM (00:00 to 23:59)',
      '$.calendar.workingHours[2]': '11:00–15:00 overlaps 09:00–11:30 (item 3)',
      '$.calendar.seasons[0].from': expect.stringMatching(/MM-DD/),
      '$.calendar.seasons[0].to': expect.stringMatching(/MM-DD/),
      '$.calendar.seasons[1].workingHours': 'at least one working period',
      '$.calendar.weekend[2]': 'an ISO weekday: 1 = Monday ... 7 = Sunday',
      '$.calendar.holidays[1]': '2026-10-01 is listed twice (first at $.calendar.holidays[0])',
      '$.calendar.holidays[2]': expect.stringMatching(/YYYY-MM-DD/),
      '$.calendar.workdays[0]': '2026-10-01 is listed both as a holiday and as a workday ($.calendar.holidays[0])',
      '$.categories[0].deadlines.grid': '"P1D" is not working time in hours and minutes such as PT4H or PT1H30M',
      '$.categories[0].deadlines.town': 'a number of working days is a whole number from 1 to 250',
      '$.categories[1].deadlines.grid': 'a deadline is a duration such as "PT24H", { "working": "PT4H" } or { "workingDays": 2 }',
    });
  });

  test('order in the file does not matter for overlaps; a weekend of seven days leaves no working day', () => {
    const c = base();
    c.calendar = { workingHours: [['11:00', '14:00'], ['08:00', '12:00']], weekend: [1, 2, 3, 4, 5, 6, 7] };
    expect(problemsOf(c)).toEqual({
      '$.calendar.workingHours[0]': '11:00–14:00 overlaps 08:00–12:00 (item 1)',
      '$.calendar.weekend': 'at least one weekday must be a working day',
    });
  });
});
