import { CountySchema } from '#config/county-schema.js';
import {
  addDeadline, calendarOf, deadlineAt, extensionProblem, freezePolicy, nextOverdueReminderAt, nominalMs, reminderAt, verificationDueAt,
} from '#domain/deadlines.js';
import { GridflowError } from '#domain/errors.js';
import type { FrozenPolicy } from '#domain/incident.js';

const county = () => CountySchema.parse({
  id: 'shouyang', name: 'Shouyang County', ladder: ['grid', 'town', 'city'], verificationWindow: 'P3D',
  city: { id: 'jinzhong', name: 'Jinzhong City', supervisors: [{ id: 'js-1', name: 'City supervisor' }] },
  categories: [
    { id: 'conflict', name: 'Neighbour conflict', deadlines: { grid: 'PT24H', town: 'PT48H', county: 'PT60H', city: 'PT72H' } },
    { id: 'fast', name: 'Fast', deadlines: { grid: 'PT30S', town: 'PT1M', city: 'PT90S' } },
  ],
  towns: [{ id: 'pingtou', name: 'Pingtou', supervisors: [{ id: 'pt-1', name: 'Town supervisor' }],
    communities: [{ id: 'heishui', name: 'Heishui', grids: [{ id: 'heishui-09', name: 'Grid 9', leader: { id: 'hs-09', name: 'Leader' } }] }] }],
});

const policy: FrozenPolicy = { deadlines: { grid: 'PT24H', town: 'PT48H', city: 'PT72H' }, verificationWindow: 'P3D', ladder: ['grid', 'town', 'city'] };
const t0 = new Date('2025-03-01T00:00:00.000Z');
const h = 3_600_000;

describe('deadlines', () => {
  it('runs a level deadline from when the incident entered the level', () => {
    expect(deadlineAt(policy, 'grid', t0, null).toISOString()).toBe('2025-03-02T00:00:00.000Z');
    expect(deadlineAt(policy, 'town', t0, null).getTime()).toBe(t0.getTime() + 48 * h);
  });

  it('puts the reminder at 80 % of the level duration', () => {
    expect(reminderAt(policy, 'grid', t0, deadlineAt(policy, 'grid', t0, null), null).getTime()).toBe(t0.getTime() + 19.2 * h);
    expect(reminderAt(policy, 'city', t0, deadlineAt(policy, 'city', t0, null), null).getTime()).toBe(t0.getTime() + 57.6 * h);
    const short: FrozenPolicy = { ...policy, deadlines: { grid: 'PT30S' } };
    expect(reminderAt(short, 'grid', t0, deadlineAt(short, 'grid', t0, null), null).getTime()).toBe(t0.getTime() + 24_000);
  });

  it('refuses a level without a frozen deadline', () => {
    expect(() => deadlineAt(policy, 'county', t0, null)).toThrow(/no deadline/);
  });

  it('computes the verification due time from the window', () => {
    expect(verificationDueAt(policy, t0, null).toISOString()).toBe('2025-03-04T00:00:00.000Z');
  });

  it('freezes the category deadlines of the ladder levels only, plus window and ladder', () => {
    expect(freezePolicy(county(), 'conflict')).toEqual({
      deadlines: { grid: 'PT24H', town: 'PT48H', city: 'PT72H' }, verificationWindow: 'P3D', ladder: ['grid', 'town', 'city'],
    });
  });

  it('shares nothing with the county: editing the county later changes no frozen policy', () => {
    const c = county();
    const frozen = freezePolicy(c, 'conflict');
    c.ladder.push('county');
    c.verificationWindow = 'P9D';
    const cat = c.categories[0];
    if (!cat) throw new Error('fixture');
    cat.deadlines.grid = 'PT1H';
    expect(frozen).toEqual({ deadlines: { grid: 'PT24H', town: 'PT48H', city: 'PT72H' }, verificationWindow: 'P3D', ladder: ['grid', 'town', 'city'] });
  });

  it('answers 422 for an unknown category', () => {
    let error: unknown;
    try { freezePolicy(county(), 'nope'); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(GridflowError);
    expect((error as GridflowError).status).toBe(422);
    expect((error as GridflowError).errors?.map((e) => e.path)).toEqual(['category']);
  });
});

describe('deadlines in working time (Asia/Shanghai, office hours 08:30-12:00 and 14:30-17:30, National Day 2026)', () => {
  const office = CountySchema.parse({
    ...county(),
    calendar: {
      workingHours: [['08:30', '12:00'], ['14:30', '17:30']],
      holidays: ['2026-10-01', '2026-10-02', '2026-10-05', '2026-10-06', '2026-10-07'],
      workdays: ['2026-10-10'],
    },
    categories: [{ id: 'sanitation', name: 'Sanitation', deadlines: { grid: { working: 'PT4H' }, town: { workingDays: 2 }, city: 'P7D' } }],
    verificationWindow: { workingDays: 3 },
  });
  const calendar = calendarOf(office);
  const frozen = freezePolicy(office, 'sanitation');
  const bj = (local: string) => new Date(`${local}+08:00`);

  it('builds the calendar once per county object, none without one', () => {
    expect(calendar).not.toBeNull();
    expect(calendarOf(office)).toBe(calendar);
    expect(calendarOf(county())).toBeNull();
  });

  it('each level in its own clock: working hours, working days, calendar days', () => {
    expect(deadlineAt(frozen, 'grid', bj('2026-09-30T16:00'), calendar)).toEqual(bj('2026-10-08T11:00'));
    expect(deadlineAt(frozen, 'town', bj('2026-09-30T16:00'), calendar)).toEqual(bj('2026-10-09T17:30'));
    expect(deadlineAt(frozen, 'city', bj('2026-09-30T16:00'), calendar)).toEqual(bj('2026-10-07T16:00'));
    expect(verificationDueAt(frozen, bj('2026-10-08T10:00'), calendar)).toEqual(bj('2026-10-12T17:30')); // the 10th is worked
  });

  it('puts the 80 % reminder at 80 % of the working time, not of the calendar time', () => {
    const start = bj('2026-09-30T16:00');
    // 4 working hours: 1.5 h on the 30th, 2.5 h on 8 October; 80 % (3.2 h) is reached at 10:12 on the 8th.
    expect(reminderAt(frozen, 'grid', start, deadlineAt(frozen, 'grid', start, calendar), calendar)).toEqual(bj('2026-10-08T10:12'));
    // Two working days from the 30th: 1.5 h of the 30th's afternoon, 6.5 h on each of the 8th and 9th = 14.5 h; 80 % = 11 h 36 min,
    // reached 6 minutes into the 9th's afternoon.
    expect(reminderAt(frozen, 'town', start, deadlineAt(frozen, 'town', start, calendar), calendar)).toEqual(bj('2026-10-09T14:36'));
    // A duration string counts calendar time even in a county with a calendar (contract §10).
    expect(reminderAt(frozen, 'city', start, deadlineAt(frozen, 'city', start, calendar), calendar)).toEqual(new Date(start.getTime() + 0.8 * 7 * 24 * h));
  });

  it('an extension is added to the current deadline in its own clock', () => {
    const current = bj('2026-09-30T17:00');
    expect(addDeadline('PT12H', current, calendar)).toEqual(bj('2026-10-01T05:00'));
    expect(addDeadline({ working: 'PT1H' }, current, calendar)).toEqual(bj('2026-10-08T09:00'));
    expect(addDeadline({ workingDays: 1 }, current, calendar)).toEqual(bj('2026-10-08T17:30'));
  });

  it('overdue reminders come one period apart in the deadline\'s clock; after an outage one period after the late one', () => {
    const due = bj('2026-09-30T17:00');
    // A period is 4 working hours: from the 30th at 17:00 that is the 8th at 12:00 (the end of its morning, not 14:30);
    // a send late by 2 s keeps the schedule.
    expect(nextOverdueReminderAt(frozen, 'grid', due, new Date(due.getTime() + 2000), calendar)).toEqual(bj('2026-10-08T12:00'));
    // Sent on the 8th at 15:00, after the next one was due (the county was down): the next is 4 working hours after that.
    expect(nextOverdueReminderAt(frozen, 'grid', due, bj('2026-10-08T15:00'), calendar)).toEqual(bj('2026-10-09T10:00'));
  });

  it('refuses extensions that are not positive, too long, or in working time without a calendar', () => {
    expect(extensionProblem('P30D', null)).toBeNull();
    expect(extensionProblem('P30DT1S', null)?.message).toMatch(/at most P30D/);
    expect(extensionProblem('PT0S', null)?.message).toMatch(/longer than zero/);
    expect(extensionProblem({ working: 'PT720H' }, calendar)).toBeNull();
    expect(extensionProblem({ working: 'PT721H' }, calendar)?.message).toMatch(/at most P30D/);
    expect(extensionProblem({ workingDays: 30 }, calendar)).toBeNull();
    expect(extensionProblem({ workingDays: 31 }, calendar)?.message).toMatch(/at most/);
    expect(extensionProblem({ working: 'PT4H' }, null)?.message).toMatch(/needs a county calendar/);
    expect(extensionProblem({ workingDays: 2 }, null)?.message).toMatch(/needs a county calendar/);
  });

  it('a working-time deadline frozen on an incident still resolves when the county dropped its calendar: round the clock', () => {
    expect(deadlineAt(frozen, 'grid', t0, null)).toEqual(new Date(t0.getTime() + 4 * h));
    expect(deadlineAt(frozen, 'town', bj('2025-03-01T10:00'), null)).toEqual(bj('2025-03-04T08:00')); // 00:00 UTC of the 2nd day after
  });

  it('nominal lengths for rough figures', () => {
    expect(nominalMs('PT24H')).toBe(24 * h);
    expect(nominalMs({ working: 'PT8H' })).toBeCloseTo(24 * h * 7 / 5);
    expect(nominalMs({ workingDays: 5 })).toBeCloseTo(7 * 24 * h);
  });
});
