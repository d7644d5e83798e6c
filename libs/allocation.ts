/**
 * Percent-of-fee allocation (schedule templates, docs/templates.md): a fee split into milestone
 * amounts by percentages that sum to exactly 100, in the currency's minor units. Each share is
 * rounded DOWN to the minor unit; the units left over go one each to the largest remainders (ties:
 * the earlier milestone), so the amounts always sum exactly to the fee and each is within one minor
 * unit of its exact share. The same largest-remainder rule as DESIGN §6's allocation (`allocate` in
 * libs/money.ts, which this uses). Pure.
 */
import { allocate, checkMoney, Dec, decimalProblem, dec, minorUnits } from './money';

/** Decimals a percent may have (0.000001 % of a fee is far below any minor unit of interest). */
export const PERCENT_DECIMALS = 6;

/** Why `value` is not a percent of a fee (a decimal string above 0 and at most 100), or null. */
export function percentProblem(value: unknown): string | null {
  const problem = decimalProblem(value, { maxDecimals: PERCENT_DECIMALS, maxIntegerDigits: 3, positive: true });
  if (problem !== null) return problem;
  return dec(value as string).greaterThan(100) ? 'must be at most 100' : null;
}

/** The sum of well-formed percents, as a plain decimal string ("99.99"). */
export function percentSum(percents: readonly string[]): string {
  return percents.reduce((acc, p) => acc.plus(dec(p)), new Dec(0)).toFixed();
}

/** Why `percents` cannot split a fee (empty, a bad percent, or not summing to exactly 100), or null. */
export function percentsProblem(percents: readonly string[]): string | null {
  if (percents.length === 0) return 'at least one percent is needed';
  const bad = percents.findIndex((p) => percentProblem(p) !== null);
  if (bad >= 0) return `percent ${bad + 1} ${percentProblem(percents[bad])}`;
  const sum = percentSum(percents);
  return dec(sum).equals(100) ? null : `percents sum to ${sum}, not 100`;
}

/**
 * The amounts of `fee` (a money string of `currency`, above zero or zero) by `percents` (summing to
 * exactly 100), as money strings of the currency, in the percents' order. Throws RangeError for a fee
 * that is not money of the currency or percents that do not sum to 100.
 *
 * Example: JPY 1,000,001 by 30/40/30 → exact 300000.3, 400000.4, 300000.3; rounded down 300000,
 * 400000, 300000 (1 unit left); the largest remainder (0.4) takes it → 300000, 400001, 300000.
 */
export function allocateByPercent(fee: string, percents: readonly string[], currency: string): string[] {
  minorUnits(currency);
  const feeProblem = checkMoney(fee, currency);
  if (feeProblem !== null) throw new RangeError(`fee ${fee}: ${feeProblem}`);
  const problem = percentsProblem(percents);
  if (problem !== null) throw new RangeError(problem);
  return allocate(fee, percents, currency);
}

/** The exact (unrounded) share of `fee` for `percent`: what each allocated amount is within one minor unit of. */
export function exactShare(fee: string, percent: string): Dec {
  return dec(fee).times(dec(percent)).dividedBy(100);
}
