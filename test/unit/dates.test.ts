import { addDays, dateInZone, isBusinessDate, lastDayOfMonth, nextBillingDay, startOfDayInZone } from '../../libs/dates';

describe('business dates', () => {
  it('validates calendar dates', () => {
    expect(isBusinessDate('2024-02-29')).toBe(true);
    expect(isBusinessDate('2025-02-29')).toBe(false);
    expect(isBusinessDate('2025-1-01')).toBe(false);
  });

  it('adds days across months and years', () => {
    expect(addDays('2017-09-25', 30)).toBe('2017-10-25');
    expect(addDays('2024-12-31', 1)).toBe('2025-01-01');
  });

  it('finds month ends and the next billing day strictly after a date', () => {
    expect(lastDayOfMonth('2024-02-10')).toBe('2024-02-29');
    expect(nextBillingDay('2025-03-28', 1)).toBe('2025-04-01');
    expect(nextBillingDay('2025-04-01', 1)).toBe('2025-05-01');
    expect(nextBillingDay('2025-01-31', 31)).toBe('2025-02-28');
  });

  it('fires timers at 00:00 of the date in the contract timezone', () => {
    expect(new Date(startOfDayInZone('2025-03-10', 'UTC')).toISOString()).toBe('2025-03-10T00:00:00.000Z');
    expect(new Date(startOfDayInZone('2025-07-01', 'Europe/Paris')).toISOString()).toBe('2025-06-30T22:00:00.000Z');
    expect(new Date(startOfDayInZone('2025-01-15', 'America/New_York')).toISOString()).toBe('2025-01-15T05:00:00.000Z');
    expect(dateInZone(Date.parse('2025-06-30T22:30:00Z'), 'Europe/Paris')).toBe('2025-07-01');
  });

  it('starts a day at its first instant where a DST change skips midnight', () => {
    // Chile moved its clocks from 00:00 to 01:00 on 2024-09-08: that day starts at 01:00 local.
    const start = startOfDayInZone('2024-09-08', 'America/Santiago');
    expect(dateInZone(start, 'America/Santiago')).toBe('2024-09-08');
    expect(dateInZone(start - 1, 'America/Santiago')).toBe('2024-09-07');
  });
});
