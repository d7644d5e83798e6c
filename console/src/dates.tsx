/**
 * Business dates are calendar dates (YYYY-MM-DD) in the contract's timezone; a timer fires at 00:00
 * of its date in that timezone (DESIGN §3a). The rules are libs/dates.ts's — the workflow's own
 * (a midnight skipped by DST included) —; this file adds only what the console shows.
 */
import { dateInZone, daysBetween, periodOf, startOfDayInZone } from '../../libs/dates';

export { daysBetween };

/** The instant (ms) a timer of `date` fires: 00:00 of that date in `timeZone`. */
export const zonedMidnight = (date: string, timeZone: string): number => startOfDayInZone(date, timeZone);

/** Today (YYYY-MM-DD) in a timezone. */
export const todayIn = (timeZone: string, now = Date.now()): string => dateInZone(now, timeZone);

/** "3d 04:05:06" until `ms` (or "due" once past). */
export function formatCountdown(ms: number): string {
  if (ms <= 0) return 'due now';
  const s = Math.floor(ms / 1000);
  const days = Math.floor(s / 86_400);
  const hh = String(Math.floor((s % 86_400) / 3600)).padStart(2, '0');
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return `${days > 0 ? `${days}d ` : ''}${hh}:${mm}:${ss}`;
}

/** "2025-03" of a date. */
export const monthOf = periodOf;

/** Every month from `first` to `last` inclusive (YYYY-MM). */
export function monthsBetween(first: string, last: string): string[] {
  const out: string[] = [];
  let [y, m] = first.split('-').map(Number) as [number, number];
  for (let guard = 0; guard < 600; guard++) {
    const month = `${y}-${String(m).padStart(2, '0')}`;
    if (month > last) break;
    out.push(month);
    m += 1;
    if (m > 12) { m = 1; y += 1; }
  }
  return out;
}
