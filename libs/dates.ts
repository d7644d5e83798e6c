/**
 * Business dates: calendar dates as "YYYY-MM-DD" strings, in the contract's timezone.
 * Pure (no Node APIs, only Intl): the workflow bundle imports it too.
 */

export type BusinessDate = string;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isBusinessDate(value: string): boolean {
  const m = DATE.exec(value);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === value;
}

function toUtcMidnight(date: BusinessDate): number {
  const m = DATE.exec(date);
  if (!m) throw new RangeError(`not a date: ${date}`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}

function fromUtcMs(ms: number): BusinessDate {
  return new Date(ms).toISOString().slice(0, 10);
}

export function addDays(date: BusinessDate, days: number): BusinessDate {
  return fromUtcMs(toUtcMidnight(date) + days * 86_400_000);
}

/** Whole days from `a` to `b` (positive when b is later). */
export function daysBetween(a: BusinessDate, b: BusinessDate): number {
  return Math.round((toUtcMidnight(b) - toUtcMidnight(a)) / 86_400_000);
}


export function maxDate(a: BusinessDate, b: BusinessDate): BusinessDate {
  return a >= b ? a : b;
}

/** "YYYY-MM" of a date. */
export function periodOf(date: BusinessDate): string {
  return date.slice(0, 7);
}

export function lastDayOfMonth(date: BusinessDate): BusinessDate {
  const [y, m] = [Number(date.slice(0, 4)), Number(date.slice(5, 7))];
  return fromUtcMs(Date.UTC(y, m, 0));
}

export function firstDayOfNextMonth(date: BusinessDate): BusinessDate {
  return addDays(lastDayOfMonth(date), 1);
}

/** The first `billingDay` strictly after `date` (a day beyond the month's end means its last day). */
export function nextBillingDay(date: BusinessDate, billingDay: number): BusinessDate {
  let y = Number(date.slice(0, 4));
  let m = Number(date.slice(5, 7));
  for (let i = 0; i < 3; i += 1) {
    const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
    const candidate = fromUtcMs(Date.UTC(y, m - 1, Math.min(billingDay, last)));
    if (candidate > date) return candidate;
    m += 1;
    if (m > 12) { m = 1; y += 1; }
  }
  throw new Error('unreachable: no billing day within three months');
}

/**
 * Formatters are costly to build (a profile of the worker under load showed `dateInZone` building
 * one per call among its top costs) and immutable once built: one per zone and shape, kept.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(kind: 'date' | 'instant', timezone: string): Intl.DateTimeFormat {
  const key = `${kind}:${timezone}`;
  let f = formatters.get(key);
  if (!f) {
    f = kind === 'date'
      ? new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' })
      : new Intl.DateTimeFormat('en-US', {
        timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
      });
    formatters.set(key, f);
  }
  return f;
}

/** The calendar date of an instant in a timezone. */
export function dateInZone(epochMs: number, timezone: string): BusinessDate {
  const parts = formatter('date', timezone).formatToParts(new Date(epochMs));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** The instant of 00:00 of `date` in `timezone` (when timers for that date fire). */
export function startOfDayInZone(date: BusinessDate, timezone: string): number {
  const utcGuess = toUtcMidnight(date);
  // Offset of the zone at a given instant, in ms (zone wall clock minus UTC).
  const offsetAt = (ms: number) => {
    const parts = formatter('instant', timezone).formatToParts(new Date(ms));
    const n = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
    return Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second')) - ms;
  };
  let instant = utcGuess - offsetAt(utcGuess);
  instant = utcGuess - offsetAt(instant);
  // Where a DST change skips midnight (e.g. America/Santiago), the day starts at the first instant
  // that is on that date: step forward until we are on it.
  for (let i = 0; i < 16 && dateInZone(instant, timezone) < date; i += 1) instant += 15 * 60_000;
  return instant;
}

export function isValidTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}
