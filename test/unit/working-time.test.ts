/**
 * functions/domain/working-time.ts: the cases of issue 11 on the demo county's 2026 schedule and office hours,
 * Europe/Berlin's DST, seasons that wrap the year, very long durations, and a property test against a slow
 * minute-by-minute reference (test/helpers/working-time-reference.ts).
 */
import fc from 'fast-check';
import { WorkingCalendar, clockMinutes, epochDay, isMonthDay, type CalendarConfig, type Period } from '#domain/working-time.js';
import { ReferenceCalendar } from '../helpers/working-time-reference.js';

const H = 3_600_000;
const MIN = 60_000;
/** 2026 as the State Council notice of 2025-11-04 sets it, with a Shanxi county's office hours. */
const NATIONAL_2026: CalendarConfig = {
  workingHours: [['08:30', '12:00'], ['14:30', '17:30']],
  seasons: [{ from: '05-01', to: '09-30', workingHours: [['08:30', '12:00'], ['15:00', '18:00']] }],
  weekend: [6, 7],
  holidays: [
    '2026-01-01', '2026-01-02', '2026-01-03',
    '2026-02-15', '2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20', '2026-02-21', '2026-02-22', '2026-02-23',
    '2026-04-04', '2026-04-05', '2026-04-06',
    '2026-05-01', '2026-05-02', '2026-05-03', '2026-05-04', '2026-05-05',
    '2026-06-19', '2026-06-20', '2026-06-21',
    '2026-09-25', '2026-09-26', '2026-09-27',
    '2026-10-01', '2026-10-02', '2026-10-03', '2026-10-04', '2026-10-05', '2026-10-06', '2026-10-07',
  ],
  workdays: ['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10'],
};
const shouyang = new WorkingCalendar(NATIONAL_2026, 'Asia/Shanghai');
/** Beijing wall time -> instant. */
const bj = (local: string) => new Date(`${local}+08:00`);
const iso = (d: Date) => d.toISOString();
const add = (from: string, hours: number, cal = shouyang) => iso(cal.addWorking(bj(from), hours * H));
const close = (from: string, n: number, cal = shouyang) => iso(cal.closeOfWorkingDay(bj(from), n));

describe('adding working time on the 2026 national schedule (Asia/Shanghai)', () => {
  test.each([
    // [from (Beijing), working hours, deadline (Beijing)]
    ['2026-11-02T08:30', 3.5, '2026-11-02T12:00', 'ends exactly at the end of the morning: 12:00, not 14:30'],
    ['2026-11-02T08:30', 3.5 + 1 / 60, '2026-11-02T14:31', 'one minute more is in the afternoon'],
    ['2026-11-02T06:00', 1, '2026-11-02T09:30', 'a start before the day\'s periods counts from 08:30'],
    ['2026-11-02T10:00', 2, '2026-11-02T12:00', 'a start inside a period'],
    ['2026-11-02T10:00', 3, '2026-11-02T15:30', 'across the lunch break'],
    ['2026-11-02T13:00', 1, '2026-11-02T15:30', 'a start in the lunch break counts from 14:30'],
    ['2026-11-02T20:00', 1, '2026-11-03T09:30', 'a start after the day\'s periods counts from the next morning'],
    ['2026-11-02T17:30', 6.5, '2026-11-03T17:30', 'a whole working day from the close ends at the next close'],
    ['2026-11-06T17:00', 1, '2026-11-09T09:00', 'Friday to Monday over the weekend'],
    ['2026-11-07T10:00', 1, '2026-11-09T09:30', 'a start on a Saturday counts from Monday'],
    ['2026-10-09T17:00', 1, '2026-10-10T09:00', 'into the make-up Saturday 10 October'],
    ['2026-09-19T10:00', 1, '2026-09-20T09:30', 'on the make-up Sunday 20 September (summer hours)'],
    ['2026-01-03T10:00', 1, '2026-01-04T09:30', 'from a New Year holiday to the make-up Sunday 4 January'],
    ['2026-09-30T17:00', 4, '2026-10-08T11:30', 'the eve of National Day: 17:00-18:00 (summer), then 8 October (winter hours)'],
    ['2026-02-13T16:00', 8, '2026-02-14T17:30', 'Spring Festival eve: 1.5 h Friday, 6.5 h on the make-up Saturday, ending at its close'],
    ['2026-02-13T16:00', 9, '2026-02-24T09:30', 'spanning the Spring Festival week (15-23 February off)'],
    ['2026-04-30T17:00', 2, '2026-05-06T10:00', 'season switch into the Labour Day holiday: summer hours from 6 May'],
    ['2026-05-06T12:00', 1, '2026-05-06T16:00', 'summer afternoons start at 15:00'],
    ['2026-04-29T12:00', 1, '2026-04-29T15:30', 'winter afternoons start at 14:30'],
    ['2026-09-30T17:30', 1, '2026-10-08T09:00', 'the summer season\'s last day closes at 18:00'],
  ])('%s + %s h -> %s: %s', (from, hours, expected) => {
    expect(add(from, hours)).toBe(iso(bj(expected)));
  });

  test('zero working time is the start itself, wherever it is', () => {
    expect(add('2026-10-03T03:00', 0)).toBe(iso(bj('2026-10-03T03:00')));
  });

  test('working time between two instants', () => {
    expect(shouyang.workingBetween(bj('2026-11-02T00:00'), bj('2026-11-09T00:00'))).toBe(5 * 6.5 * H);
    expect(shouyang.workingBetween(bj('2026-11-02T11:00'), bj('2026-11-02T15:00'))).toBe(1.5 * H);
    expect(shouyang.workingBetween(bj('2026-10-01T00:00'), bj('2026-10-08T00:00'))).toBe(0);
    expect(shouyang.workingBetween(bj('2026-11-02T15:00'), bj('2026-11-02T11:00'))).toBe(0);
    // The whole of 2026: 261 weekdays, 19 of them holidays, 6 make-up weekend days: 248 working days of 6.5 h.
    expect(shouyang.workingBetween(bj('2026-01-01T00:00'), bj('2027-01-01T00:00'))).toBe(248 * 6.5 * H);
  });
});

describe('the close of the Nth working day', () => {
  test.each([
    ['2026-11-02T08:00', 1, '2026-11-03T17:30', 'the day after the day the level started'],
    ['2026-11-02T23:59', 1, '2026-11-03T17:30', 'late in the evening: still the next day'],
    ['2026-11-06T20:00', 1, '2026-11-09T17:30', 'over a weekend'],
    ['2026-10-03T10:00', 1, '2026-10-08T17:30', 'from a holiday'],
    ['2026-09-30T10:00', 2, '2026-10-09T17:30', 'over National Day'],
    ['2026-10-09T10:00', 1, '2026-10-10T17:30', 'the make-up Saturday counts'],
    ['2026-02-13T10:00', 2, '2026-02-24T17:30', 'over the Spring Festival (the make-up 14th is the first)'],
    ['2026-09-18T10:00', 1, '2026-09-20T18:00', 'a summer make-up Sunday closes at 18:00'],
  ])('%s + %s working day(s) -> %s: %s', (from, n, expected) => {
    expect(close(from, n)).toBe(iso(bj(expected)));
  });
});

describe('seasons, 24:00 and touching periods', () => {
  const winter: Period[] = [['09:00', '12:00']];
  const calendar = (seasons: CalendarConfig['seasons'], workingHours: Period[] = [['08:00', '12:00'], ['14:00', '18:00']]) =>
    new WorkingCalendar({ workingHours, seasons, weekend: [] }, 'Asia/Shanghai');
  const dayWork = (cal: WorkingCalendar, date: string) => cal.workingBetween(bj(`${date}T00:00`), bj(`${date}T00:00`).getTime() + 24 * H);

  test('a season whose from is after its to wraps the year end', () => {
    const cal = calendar([{ from: '11-01', to: '02-28', workingHours: winter }]);
    expect(dayWork(cal, '2026-12-31')).toBe(3 * H);
    expect(dayWork(cal, '2027-01-15')).toBe(3 * H);
    expect(dayWork(cal, '2027-02-28')).toBe(3 * H);
    expect(dayWork(cal, '2027-03-01')).toBe(8 * H);
    expect(dayWork(cal, '2026-10-31')).toBe(8 * H);
    expect(dayWork(cal, '2028-02-29')).toBe(8 * H); // a leap day after "02-28" is outside
  });

  test('02-29 as a season end takes in the leap day', () => {
    const cal = calendar([{ from: '12-01', to: '02-29', workingHours: winter }]);
    expect(dayWork(cal, '2028-02-29')).toBe(3 * H);
    expect(dayWork(cal, '2027-02-28')).toBe(3 * H);
    expect(dayWork(cal, '2027-03-01')).toBe(8 * H);
  });

  test('the first matching season wins', () => {
    const cal = calendar([
      { from: '07-01', to: '07-31', workingHours: [['10:00', '11:00']] },
      { from: '06-01', to: '08-31', workingHours: winter },
    ]);
    expect(dayWork(cal, '2026-07-15')).toBe(1 * H);
    expect(dayWork(cal, '2026-06-15')).toBe(3 * H);
  });

  test('touching periods are one stretch; 24:00 is the next midnight', () => {
    const touching = calendar(undefined, [['12:00', '14:00'], ['08:00', '12:00']]);
    expect(add('2026-11-02T11:00', 2, touching)).toBe(iso(bj('2026-11-02T13:00')));
    const night = calendar(undefined, [['20:00', '24:00']]);
    expect(add('2026-11-02T22:00', 3, night)).toBe(iso(bj('2026-11-03T21:00')));
    expect(add('2026-11-02T20:00', 4, night)).toBe(iso(bj('2026-11-03T00:00')));
    expect(close('2026-11-02T10:00', 1, night)).toBe(iso(bj('2026-11-04T00:00')));
  });
});

describe('daylight saving time (Europe/Berlin): working time is elapsed time', () => {
  const allDay = new WorkingCalendar({ workingHours: [['00:00', '24:00']], weekend: [] }, 'Europe/Berlin');
  const night = new WorkingCalendar({ workingHours: [['01:30', '03:30']], weekend: [] }, 'Europe/Berlin');
  const office = new WorkingCalendar({ workingHours: [['08:00', '12:00'], ['13:00', '17:00']] }, 'Europe/Berlin');

  test('00:00-24:00 holds 23 hours on the spring-forward day and 25 on the fall-back day', () => {
    expect(allDay.workingBetween(new Date('2026-03-29T00:00:00+01:00'), new Date('2026-03-30T00:00:00+02:00'))).toBe(23 * H);
    expect(allDay.workingBetween(new Date('2026-10-25T00:00:00+02:00'), new Date('2026-10-26T00:00:00+01:00'))).toBe(25 * H);
    expect(iso(allDay.addWorking(new Date('2026-03-29T00:00:00+01:00'), 23 * H))).toBe('2026-03-29T22:00:00.000Z');
  });

  test('a period across the gap holds what the clocks let pass; across the repeated hour, the hour twice', () => {
    expect(night.workingBetween(new Date('2026-03-29T00:00:00+01:00'), new Date('2026-03-30T00:00:00+02:00'))).toBe(1 * H);
    expect(night.workingBetween(new Date('2026-10-25T00:00:00+02:00'), new Date('2026-10-26T00:00:00+01:00'))).toBe(3 * H);
    expect(iso(night.addWorking(new Date('2026-03-29T01:30:00+01:00'), 1 * H))).toBe(iso(new Date('2026-03-29T03:30:00+02:00')));
  });

  test('office hours on the DST Mondays are ordinary 8-hour days at the new offset', () => {
    expect(iso(office.addWorking(new Date('2026-03-27T16:00:00+01:00'), 2 * H))).toBe(iso(new Date('2026-03-30T09:00:00+02:00')));
    expect(iso(office.addWorking(new Date('2026-10-23T16:00:00+02:00'), 2 * H))).toBe(iso(new Date('2026-10-26T09:00:00+01:00')));
    expect(office.workingBetween(new Date('2026-03-23T00:00:00+01:00'), new Date('2026-04-06T00:00:00+02:00'))).toBe(10 * 8 * H);
    expect(iso(office.closeOfWorkingDay(new Date('2026-03-27T10:00:00+01:00'), 1))).toBe(iso(new Date('2026-03-30T17:00:00+02:00')));
  });
});

describe('very long durations', () => {
  test('decades of working time land where the working time between says, year data or not', () => {
    const from = bj('2026-03-01T09:00');
    // Mondays, inside a working period: the only instant at which that much working time has passed.
    for (const to of [bj('2036-06-16T10:00'), bj('2076-01-06T15:00'), bj('2126-12-30T17:00')]) {
      const work = shouyang.workingBetween(from, to);
      expect(iso(shouyang.addWorking(from, work))).toBe(iso(to));
    }
    // On a Sunday the same working time was reached at Friday's close.
    expect(iso(shouyang.addWorking(from, shouyang.workingBetween(from, bj('2036-06-15T10:00'))))).toBe(iso(bj('2036-06-13T18:00')));
    // Years with no data in the calendar have only the weekend: 2027 has 261 weekdays.
    expect(shouyang.workingBetween(bj('2027-01-01T00:00'), bj('2028-01-01T00:00'))).toBe(261 * 6.5 * H);
    expect(iso(shouyang.closeOfWorkingDay(bj('2026-12-31T10:00'), 261))).toBe(iso(bj('2027-12-31T17:30')));
  });

  test('says which years the calendar has data for', () => {
    expect(shouyang.hasDataFor(2026)).toBe(true);
    expect(shouyang.hasDataFor(2027)).toBe(false);
    expect(shouyang.yearOf(new Date('2026-12-31T16:30:00Z'))).toBe(2027); // already New Year's Day in Beijing
  });

  test('a calendar without any working time is refused rather than looped over', () => {
    const none = new WorkingCalendar({ workingHours: [['09:00', '17:00']], weekend: [1, 2, 3, 4, 5, 6, 7] }, 'Asia/Shanghai');
    expect(() => none.addWorking(bj('2026-01-01T00:00'), H)).toThrow(/no working time/);
  });
});

describe('parsing helpers', () => {
  test('clock times, dates and month-days', () => {
    expect([clockMinutes('08:30'), clockMinutes('24:00'), clockMinutes('24:01'), clockMinutes('8:30'), clockMinutes('12:60')]).toEqual([510, 1440, null, null, null]);
    expect([epochDay('1970-01-02'), epochDay('2026-02-29'), epochDay('2028-02-29') !== null]).toEqual([1, null, true]);
    expect([isMonthDay('02-29'), isMonthDay('02-30'), isMonthDay('13-01'), isMonthDay('5-1')]).toEqual([true, false, false, false]);
  });
});

// ---------------------------------------------------------------------------------------------
// Property: the product's calendar agrees with the minute-by-minute reference.

const ZONES = ['Asia/Shanghai', 'Europe/Berlin', 'America/New_York'] as const;
/** Days around the 2026 DST changes of Berlin (29 March, 25 October) and New York (8 March, 1 November). */
const ANCHORS = ['2026-03-06', '2026-03-27', '2026-10-23', '2026-10-30', '2026-12-29', '2026-02-27'];
const DAY = 86_400_000;

const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
/** 1-3 sorted, non-overlapping periods on whole minutes, sometimes touching, sometimes ending at 24:00. */
const periods = fc.uniqueArray(fc.integer({ min: 0, max: 1440 }), { minLength: 2, maxLength: 6 })
  .map((marks) => marks.sort((a, b) => a - b))
  .chain((marks) => fc.boolean().map((touch) => {
    const pairs: Period[] = [];
    for (let i = 0; i + 1 < marks.length; i += 2) pairs.push([hhmm(marks[i]!), hhmm(marks[i + 1]!)]);
    if (touch && pairs.length > 1) pairs[1] = [pairs[0]![1], pairs[1]![1]];
    return pairs;
  }));
const monthDay = fc.integer({ min: 0, max: 365 }).map((d) => new Date(Date.UTC(2028, 0, 1) + d * DAY).toISOString().slice(5, 10));
const dateNear = (anchor: string) => fc.integer({ min: -10, max: 20 }).map((d) => new Date(Date.parse(anchor) + d * DAY).toISOString().slice(0, 10));

const calendarCase = fc.record({
  zone: fc.constantFrom(...ZONES),
  anchor: fc.constantFrom(...ANCHORS),
  workingHours: periods,
  seasons: fc.array(fc.record({ from: monthDay, to: monthDay, workingHours: periods }), { maxLength: 2 }),
  weekend: fc.subarray([1, 2, 3, 4, 5, 6, 7], { maxLength: 5 }),
  start: fc.integer({ min: -3 * 24 * 60, max: 10 * 24 * 60 }),
  share: fc.double({ min: 0, max: 1, noNaN: true }),
  /** Ask for exactly the working time up to a later midnight: the answer is then the end of a period. */
  exact: fc.boolean(),
  n: fc.integer({ min: 1, max: 4 }),
}).chain((c) => fc.record({
  holidays: fc.uniqueArray(dateNear(c.anchor), { maxLength: 6 }),
  workdays: fc.uniqueArray(dateNear(c.anchor), { maxLength: 3 }),
}).map((days) => {
  const holidays = days.holidays.filter((d) => !days.workdays.includes(d));
  const config: CalendarConfig = { workingHours: c.workingHours, seasons: c.seasons, weekend: c.weekend, holidays, workdays: days.workdays };
  return { ...c, config, from: Date.parse(`${c.anchor}T00:00:00Z`) + c.start * MIN };
}));

describe('property: agrees with the minute-by-minute reference', () => {
  const params = { numRuns: 60, seed: 20_261_104 };

  test('working time added to an instant', () => {
    fc.assert(fc.property(calendarCase, (c) => {
      const fast = new WorkingCalendar(c.config, c.zone);
      // At most what ten days of this calendar hold, so the reference walks a bounded number of minutes.
      const work = c.exact
        ? fast.workingBetween(c.from, Math.ceil(c.from / DAY) * DAY + Math.floor(c.share * 8) * DAY)
        : Math.floor((fast.workingBetween(c.from, c.from + 10 * DAY) * c.share) / MIN) * MIN;
      const ref = new ReferenceCalendar(c.config, c.zone);
      expect(fast.addWorking(c.from, work).getTime()).toBe(ref.addWorking(c.from, work));
    }), params);
  });

  test('working time between two instants', () => {
    fc.assert(fc.property(calendarCase, (c) => {
      const to = c.from + Math.floor((c.share * 9 * DAY) / MIN) * MIN;
      expect(new WorkingCalendar(c.config, c.zone).workingBetween(c.from, to)).toBe(new ReferenceCalendar(c.config, c.zone).workingBetween(c.from, to));
    }), params);
  });

  test('the close of the Nth working day', () => {
    fc.assert(fc.property(calendarCase, (c) => {
      expect(new WorkingCalendar(c.config, c.zone).closeOfWorkingDay(c.from, c.n).getTime())
        .toBe(new ReferenceCalendar(c.config, c.zone).closeOfWorkingDay(c.from, c.n));
    }), params);
  });
});
