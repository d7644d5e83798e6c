/**
 * Percent-of-fee allocation (libs/allocation.ts): rounded down to the minor unit, leftover units to
 * the largest remainders (ties: the earlier milestone), summing exactly to the fee. Examples worked
 * by hand, then properties (fast-check).
 */
import fc from 'fast-check';
import { allocateByPercent, exactShare, percentProblem, percentsProblem, percentSum } from '../../libs/allocation';
import { Dec, dec, minorUnits, sumMoney } from '../../libs/money';

describe('allocateByPercent: worked by hand', () => {
  it('30/40/30 of JPY 1,000,001: 300000.3, 400000.4, 300000.3 → the one leftover yen to the largest remainder (m2)', () => {
    expect(allocateByPercent('1000001', ['30', '40', '30'], 'JPY')).toEqual(['300000', '400001', '300000']);
  });

  it('the largest remainder takes a leftover unit; ties go to the earlier milestone', () => {
    // 100 × 1/3 each is not expressible; with 33.333333/33.333333/33.333334: 33.333333, 33.333333, 33.333334
    // → 33, 33, 33 (remainders .333333, .333333, .333334): 1 yen left → the largest remainder, the third.
    expect(allocateByPercent('100', ['33.333333', '33.333333', '33.333334'], 'JPY')).toEqual(['33', '33', '34']);
    // 25/25/25/25 of JPY 2: 0.5 each → 0, 0, 0, 0; 2 yen left, all remainders equal → the first two.
    expect(allocateByPercent('2', ['25', '25', '25', '25'], 'JPY')).toEqual(['1', '1', '0', '0']);
    // 50/50 of USD 0.01: 0.005 each → 0.00, 0.00; one cent left, a tie → the first.
    expect(allocateByPercent('0.01', ['50', '50'], 'USD')).toEqual(['0.01', '0.00']);
  });

  it('uses the currency\'s minor units: KWD 3 decimals, USD 2', () => {
    // KWD 10.000 by 30/40/30 = 3.000, 4.000, 3.000 exactly.
    expect(allocateByPercent('10.000', ['30', '40', '30'], 'KWD')).toEqual(['3.000', '4.000', '3.000']);
    // KWD 1.001 by 30/40/30: 0.3003, 0.4004, 0.3003 → 0.300, 0.400, 0.300 (1 fils left) → the 0.4004 one.
    expect(allocateByPercent('1.001', ['30', '40', '30'], 'KWD')).toEqual(['0.300', '0.401', '0.300']);
    // USD 100,000.00 by 20/10/70 = 20,000.00, 10,000.00, 70,000.00.
    expect(allocateByPercent('100000.00', ['20', '10', '70'], 'USD')).toEqual(['20000.00', '10000.00', '70000.00']);
    // USD 999.99 by 12.5/87.5: 124.99875 → 124.99 r.00875, 874.99125 → 874.99 r.00125; 1 cent → the first.
    expect(allocateByPercent('999.99', ['12.5', '87.5'], 'USD')).toEqual(['125.00', '874.99']);
  });

  it('refuses percents that do not sum to exactly 100, and a fee that is not money of the currency', () => {
    expect(() => allocateByPercent('1000', ['30', '40', '29.99'], 'USD')).toThrow('percents sum to 99.99, not 100');
    expect(() => allocateByPercent('1000', ['60', '40.000001'], 'USD')).toThrow('percents sum to 100.000001, not 100');
    expect(() => allocateByPercent('1000', [], 'USD')).toThrow('at least one percent is needed');
    expect(() => allocateByPercent('1000', ['100', '0'], 'USD')).toThrow('percent 2 must be more than zero');
    expect(() => allocateByPercent('1000.5', ['100'], 'JPY')).toThrow('JPY amounts have no decimals');
    expect(() => allocateByPercent('-5', ['100'], 'USD')).toThrow(/non-negative/);
  });

  it('checks one percent: above 0, at most 100, at most 6 decimals', () => {
    expect(percentProblem('0.000001')).toBeNull();
    expect(percentProblem('100')).toBeNull();
    expect(percentProblem('100.01')).toBe('must be at most 100');
    expect(percentProblem('0')).toBe('must be more than zero');
    expect(percentProblem('1.0000001')).toBe('must have at most 6 decimals');
    expect(percentProblem(30)).toMatch(/decimal string/);
    expect(percentsProblem(['50', '50.00'])).toBeNull();
    expect(percentSum(['33.33', '33.33', '33.33'])).toBe('99.99');
  });
});

const CURRENCIES = ['JPY', 'USD', 'KWD', 'CLF'];

/** Percents in millionths summing to exactly 100 (each ≥ 0.000001). */
const percentsArb = fc.array(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 1, maxLength: 12 }).map((ws) => {
  const total = 100_000_000;
  const sum = ws.reduce((a, b) => a + b, 0);
  const parts = ws.map((w) => Math.max(1, Math.floor((w * total) / sum)));
  // The rest to the last (or from the largest) so they sum to 100.000000 exactly.
  let diff = total - parts.reduce((a, b) => a + b, 0);
  for (let i = parts.length - 1; diff !== 0; i = (i - 1 + parts.length) % parts.length) {
    const step = diff > 0 ? diff : Math.max(diff, 1 - parts[i]!);
    parts[i]! += step;
    diff -= step;
  }
  return parts.map((p) => new Dec(p).dividedBy(1_000_000).toFixed());
}).filter((ps) => ps.every((p) => dec(p).greaterThan(0)));

const feeArb = (currency: string) => fc.bigInt({ min: 0n, max: 10n ** 14n }).map((n) => new Dec(n.toString()).dividedBy(new Dec(10).pow(minorUnits(currency))).toFixed(minorUnits(currency)));

describe('allocateByPercent: properties', () => {
  const cases = fc.constantFrom(...CURRENCIES).chain((currency) => fc.tuple(fc.constant(currency), feeArb(currency), percentsArb));

  it('sums exactly to the fee, in the currency\'s minor units', () => {
    fc.assert(fc.property(cases, ([currency, fee, percents]) => {
      const amounts = allocateByPercent(fee, percents, currency);
      expect(amounts).toHaveLength(percents.length);
      expect(sumMoney(amounts).equals(dec(fee))).toBe(true);
      for (const a of amounts) expect(a).toMatch(new RegExp(`^\\d+${minorUnits(currency) > 0 ? `\\.\\d{${minorUnits(currency)}}` : ''}$`));
    }), { numRuns: 500 });
  });

  it('puts each amount at its exact share rounded down, or one minor unit above it', () => {
    fc.assert(fc.property(cases, ([currency, fee, percents]) => {
      const unit = new Dec(10).pow(-minorUnits(currency));
      allocateByPercent(fee, percents, currency).forEach((a, i) => {
        const floor = exactShare(fee, percents[i]!).toDecimalPlaces(minorUnits(currency), Dec.ROUND_DOWN);
        expect([floor.toFixed(), floor.plus(unit).toFixed()]).toContain(dec(a).toFixed());
        expect(dec(a).minus(exactShare(fee, percents[i]!)).abs().lessThan(unit)).toBe(true);
      });
    }), { numRuns: 500 });
  });

  it('gives the leftover units to the largest remainders, ties to the earlier milestone', () => {
    fc.assert(fc.property(cases, ([currency, fee, percents]) => {
      const places = minorUnits(currency);
      const amounts = allocateByPercent(fee, percents, currency);
      const remainders = percents.map((p) => {
        const exact = exactShare(fee, p);
        return exact.minus(exact.toDecimalPlaces(places, Dec.ROUND_DOWN));
      });
      const raised = amounts.map((a, i) => dec(a).greaterThan(exactShare(fee, percents[i]!)));
      // No milestone left at its floor outranks (larger remainder, or equal and earlier) one raised.
      for (let i = 0; i < amounts.length; i += 1) {
        for (let j = 0; j < amounts.length; j += 1) {
          if (!raised[i] || raised[j]) continue;
          const outranks = remainders[j]!.greaterThan(remainders[i]!) || (remainders[j]!.equals(remainders[i]!) && j < i);
          expect(outranks).toBe(false);
        }
      }
    }), { numRuns: 500 });
  });

  it('is the same split whatever the percents are written as ("30" or "30.000")', () => {
    fc.assert(fc.property(cases, ([currency, fee, percents]) => {
      const padded = percents.map((p) => (p.includes('.') ? p : `${p}.000`));
      expect(allocateByPercent(fee, padded, currency)).toEqual(allocateByPercent(fee, percents, currency));
    }), { numRuns: 100 });
  });
});
