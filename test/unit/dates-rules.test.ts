/**
 * Business dates (libs/dates.ts) at their edges: malformed dates refused, billing days across year
 * ends, the first instant of a day in zones with half-hour and odd-second offsets and on the day a
 * DST change falls back, timezone names.
 */
import {
  addDays, dateInZone, daysBetween, firstDayOfNextMonth, isBusinessDate, isValidTimezone, lastDayOfMonth, maxDate, nextBillingDay, periodOf, startOfDayInZone,
} from '../../libs/dates';

describe('business dates at the edges', () => {
  it('refuses anything but YYYY-MM-DD, whole', () => {
    for (const bad of ['nope', 'x2026-01-01', '12026-01-01', '2026-01-01T00:00', '2026-01-01 ', '2026-1-01']) {
      expect(isBusinessDate(bad)).toBe(false);
      expect(() => addDays(bad, 1)).toThrow(new RangeError(`not a date: ${bad}`));
      expect(() => daysBetween('2026-01-01', bad)).toThrow(RangeError);
    }
    expect(isBusinessDate('2024-02-29')).toBe(true);
    expect(isBusinessDate('2025-02-29')).toBe(false);
  });

  it('days, periods, month ends', () => {
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(daysBetween('2026-01-01', '2025-12-31')).toBe(-1);
    expect(daysBetween('2025-01-01', '2025-12-31')).toBe(364);
    expect(maxDate('2026-01-02', '2026-01-01')).toBe('2026-01-02');
    expect(maxDate('2026-01-01', '2026-01-02')).toBe('2026-01-02');
    expect(periodOf('2026-07-31')).toBe('2026-07');
    expect(lastDayOfMonth('2024-02-10')).toBe('2024-02-29');
    expect(firstDayOfNextMonth('2026-12-15')).toBe('2027-01-01');
  });

  it('the next billing day strictly after a date, across month and year ends', () => {
    expect(nextBillingDay('2026-11-20', 15)).toBe('2026-12-15');
    expect(nextBillingDay('2026-11-15', 15)).toBe('2026-12-15');
    expect(nextBillingDay('2026-12-20', 15)).toBe('2027-01-15');
    expect(nextBillingDay('2026-12-31', 31)).toBe('2027-01-31');
    expect(nextBillingDay('2026-01-30', 31)).toBe('2026-01-31');
    expect(nextBillingDay('2026-02-28', 30)).toBe('2026-03-30');
  });

  it('00:00 in zones with half-hour and odd-second offsets', () => {
    expect(new Date(startOfDayInZone('2026-01-01', 'Asia/Kolkata')).toISOString()).toBe('2025-12-31T18:30:00.000Z');
    expect(new Date(startOfDayInZone('1960-01-01', 'Africa/Monrovia')).toISOString()).toBe('1960-01-01T00:44:30.000Z');
    expect(new Date(startOfDayInZone('2026-01-01', 'America/New_York')).toISOString()).toBe('2026-01-01T05:00:00.000Z');
  });

  it('00:00 on the day a DST change falls back after midnight (still the summer offset at midnight)', () => {
    // New Zealand leaves DST at 03:00 NZDT on 5 April 2026: midnight is 11:00 UTC the day before.
    const start = startOfDayInZone('2026-04-05', 'Pacific/Auckland');
    expect(new Date(start).toISOString()).toBe('2026-04-04T11:00:00.000Z');
    expect(dateInZone(start, 'Pacific/Auckland')).toBe('2026-04-05');
    expect(dateInZone(start - 1, 'Pacific/Auckland')).toBe('2026-04-04');
  });

  it('knows timezone names', () => {
    expect(isValidTimezone('Europe/Paris')).toBe(true);
    expect(isValidTimezone('UTC')).toBe(true);
    expect(isValidTimezone('Mars/Olympus_Mons')).toBe(false);
  });
});
