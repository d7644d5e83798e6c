/**
 * Property tests of libs/accounting.ts (fast-check): allocation sums to the price, recognition stays
 * within [0, allocated] and is monotone in progress, the position entry always balances and leaves
 * only one of unbilled AR / deferred revenue, catch-ups add up, posting dates land in open months.
 */
import fc from 'fast-check';
import {
  allocatePrice, catchUp, contractPosition, cumulativeRecognized, isBalanced, positionEntry, postingDateFor, transactionPrice, type TermsForRevenue,
} from '../../libs/accounting';
import { addDays, periodOf } from '../../libs/dates';
import { Dec, dec, formatMoney, sumMoney } from '../../libs/money';
import { runs } from '../support/engine-fixtures';

const cents = (min: number, max: number) => fc.integer({ min, max }).map((n) => formatMoney(new Dec(n).dividedBy(100), 'USD'));

const termsArb: fc.Arbitrary<TermsForRevenue> = fc.array(fc.record({
  ssp: cents(0, 10_000_00),
  method: fc.constantFrom('point_in_time', 'milestones', 'cost_input', 'ratable'),
  estimate: cents(0, 50_000_00),
  length: fc.integer({ min: 0, max: 400 }),
  milestones: fc.array(fc.record({ amount: cents(0, 100_000_00), billable: fc.boolean(), weight: fc.option(cents(0, 1000_00), { nil: undefined }) }), { minLength: 1, maxLength: 3 }),
}), { minLength: 1, maxLength: 3 }).map((obs) => {
  if (!obs.some((o) => dec(o.ssp).greaterThan(0))) obs[0]!.ssp = '1.00';
  return {
    currency: 'USD',
    obligations: obs.map((o, i) => ({
      id: `o${i}`,
      ssp: o.ssp,
      recognition: o.method === 'cost_input' ? { method: 'cost_input' as const, estimatedTotalCost: o.estimate }
        : o.method === 'ratable' ? { method: 'ratable' as const, startDate: '2026-01-01', endDate: addDays('2026-01-01', o.length) }
          : { method: o.method as 'point_in_time' | 'milestones' },
    })),
    milestones: obs.flatMap((o, i) => o.milestones.map((m, j) => ({ id: `m${i}-${j}`, obligationId: `o${i}`, sequence: j, ...m }))),
  };
});

const factsArb = (t: TermsForRevenue) => fc.record({
  accepted: fc.subarray(t.milestones.map((m) => m.id)),
  cancelled: fc.subarray(t.milestones.map((m) => m.id)),
  cost: fc.array(cents(0, 60_000_00), { minLength: t.obligations.length, maxLength: t.obligations.length }),
  through: fc.integer({ min: -30, max: 450 }).map((d) => addDays('2026-01-01', d)),
});

describe('accounting properties', () => {
  it('the allocated shares sum to the price and each is ≥ 0', () => {
    fc.assert(fc.property(termsArb, fc.func(fc.boolean()), (t, cancel) => {
      const cancelled = t.milestones.filter((m) => cancel(m.id)).map((m) => m.id);
      const shares = allocatePrice(t, cancelled);
      expect(formatMoney(sumMoney(Object.values(shares)), 'USD')).toBe(transactionPrice(t, cancelled));
      for (const v of Object.values(shares)) expect(dec(v).isNegative()).toBe(false);
    }), { numRuns: runs(200) });
  });

  it('recognized revenue per obligation is within [0, allocated], and more progress never recognizes less', () => {
    fc.assert(fc.property(termsArb.chain((t) => fc.tuple(fc.constant(t), factsArb(t), factsArb(t))), ([t, f, g]) => {
      const facts = { accepted: f.accepted, cancelled: f.cancelled, costToDate: Object.fromEntries(t.obligations.map((o, i) => [o.id, f.cost[i]!])), ratableThrough: f.through };
      const allocated = allocatePrice(t, f.cancelled);
      const r = cumulativeRecognized(t, facts);
      for (const o of t.obligations) {
        expect(dec(r[o.id]!).isNegative()).toBe(false);
        expect(dec(r[o.id]!).lessThanOrEqualTo(allocated[o.id]!)).toBe(true);
      }
      // More accepted, more cost, a later date (same cancellations): never less.
      const more = {
        accepted: [...new Set([...f.accepted, ...g.accepted])],
        cancelled: f.cancelled,
        costToDate: Object.fromEntries(t.obligations.map((o, i) => [o.id, dec(f.cost[i]!).plus(g.cost[i]!).toFixed(2)])),
        ratableThrough: f.through > g.through ? f.through : g.through,
      };
      const r2 = cumulativeRecognized(t, more);
      for (const o of t.obligations) expect(dec(r2[o.id]!).greaterThanOrEqualTo(r[o.id]!)).toBe(true);
    }), { numRuns: runs(200) });
  });

  it('the position entry always balances, and afterwards only one of unbilled AR and deferred revenue is non-zero', () => {
    fc.assert(fc.property(cents(-100_000_00, 100_000_00), cents(-100_000_00, 100_000_00), cents(-100_000_00, 100_000_00), (position, billed, recognized) => {
      const before = contractPosition(position, '0', 'USD');
      const lines = positionEntry({ currency: 'USD', unbilledAr: before.unbilledAr, deferredRevenue: before.deferredRevenue, billed, recognized });
      expect(isBalanced(lines)).toBe(true);
      const move = (account: string) => lines.filter((l) => l.account === account).reduce((a, l) => a.plus(l.debit).minus(l.credit), new Dec(0));
      const u = dec(before.unbilledAr).plus(move('unbilled_ar'));
      const d = dec(before.deferredRevenue).minus(move('deferred_revenue'));
      expect(u.isNegative() || d.isNegative()).toBe(false);
      expect(u.isZero() || d.isZero()).toBe(true);
      expect(u.minus(d).toFixed(2)).toBe(dec(position).plus(recognized).minus(billed).toFixed(2));
      expect(move('ar').toFixed(2)).toBe(dec(billed).toFixed(2));
      expect(move('revenue').negated().toFixed(2)).toBe(dec(recognized).toFixed(2));
      for (const l of lines) expect(dec(l.debit).isZero() !== dec(l.credit).isZero()).toBe(true);
    }), { numRuns: runs(300) });
  });

  it('catch-ups add up to the new cumulative', () => {
    const map = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), cents(0, 1_000_00));
    fc.assert(fc.property(map, map, (cumulative, sofar) => {
      const { perObligation, total } = catchUp(cumulative, sofar, 'USD');
      for (const id of new Set([...Object.keys(cumulative), ...Object.keys(sofar)])) {
        expect(dec(sofar[id] ?? '0').plus(perObligation[id]!).toFixed(2)).toBe(dec(cumulative[id] ?? '0').toFixed(2));
      }
      expect(total).toBe(formatMoney(sumMoney(Object.values(cumulative)).minus(sumMoney(Object.values(sofar))), 'USD'));
    }), { numRuns: runs(200) });
  });

  it('a posting date is never before the event, always in an open month, and the event’s own date when its month is open', () => {
    const months = fc.subarray(['2025-12', '2026-01', '2026-02', '2026-03', '2026-05']);
    fc.assert(fc.property(fc.integer({ min: 0, max: 150 }).map((d) => addDays('2025-12-01', d)), months, (date, closed) => {
      const posted = postingDateFor(date, closed);
      expect(posted >= date).toBe(true);
      expect(closed).not.toContain(periodOf(posted));
      if (!closed.includes(periodOf(date))) expect(posted).toBe(date);
      else expect(posted.endsWith('-01')).toBe(true);
    }), { numRuns: runs(200) });
  });
});
