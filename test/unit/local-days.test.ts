import { addDays, daysBetween, daysInclusive, endOfLocalDay, lastOfMonth, localDate, startOfLocalDay } from '#domain/local-days.js';

describe('calendar days of a time zone', () => {
  test('the day of an instant is the time zone\'s, not UTC\'s', () => {
    expect(localDate('2025-03-01T15:59:59.999Z', 'Asia/Shanghai')).toBe('2025-03-01');
    expect(localDate('2025-03-01T16:00:00.000Z', 'Asia/Shanghai')).toBe('2025-03-02');
    expect(localDate('2025-03-01T16:00:00.000Z', 'UTC')).toBe('2025-03-01');
  });

  test('a day runs from its first instant to the millisecond before the next day\'s', () => {
    expect(startOfLocalDay('2025-03-02', 'Asia/Shanghai').toISOString()).toBe('2025-03-01T16:00:00.000Z');
    expect(endOfLocalDay('2025-03-02', 'Asia/Shanghai').toISOString()).toBe('2025-03-02T15:59:59.999Z');
  });

  test('days of 23 and 25 hours where clocks change; where midnight does not exist the day starts at 01:00', () => {
    const hours = (day: string, tz: string) => (endOfLocalDay(day, tz).getTime() + 1 - startOfLocalDay(day, tz).getTime()) / 3_600_000;
    expect(hours('2025-03-09', 'America/New_York')).toBe(23);
    expect(hours('2025-11-02', 'America/New_York')).toBe(25);
    // Cuba moves its clocks at midnight: 9 March 2025 begins at 01:00 local time, 05:00 UTC.
    expect(startOfLocalDay('2025-03-09', 'America/Havana').toISOString()).toBe('2025-03-09T05:00:00.000Z');
    expect(localDate(new Date(startOfLocalDay('2025-03-09', 'America/Havana').getTime() - 1), 'America/Havana')).toBe('2025-03-08');
  });

  test('date arithmetic', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2025-01-01', -1)).toBe('2024-12-31');
    expect(lastOfMonth('2024-02-10')).toBe('2024-02-29');
    expect(daysInclusive('2024-01-01', '2024-12-31')).toBe(366);
    expect(daysInclusive('2024-01-02', '2024-01-01')).toBe(0);
    expect(daysBetween('2025-12-30', '2026-01-02')).toEqual(['2025-12-30', '2025-12-31', '2026-01-01', '2026-01-02']);
  });

  test('years 0–99 are those years, not 1900–1999 (Date.UTC\'s reading; /stats accepts any year from 0000)', () => {
    expect(localDate('0050-06-01T12:00:00Z', 'Asia/Shanghai')).toBe('0050-06-01');
    expect(localDate('0000-01-01T00:00:00Z', 'UTC')).toBe('0000-01-01');
    expect(lastOfMonth('0050-02-03')).toBe('0050-02-28');
    expect(lastOfMonth('0004-02-03')).toBe('0004-02-29');
    expect(addDays(lastOfMonth('0099-12-01'), 1)).toBe('0100-01-01');
  });
});
