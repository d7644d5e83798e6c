/**
 * The ASC 606 rules of libs/accounting.ts one by one (DESIGN §6, §10, §11 "Revenue and periods",
 * "Arithmetic"): transaction price, allocation, progress per method, cumulative recognition rounded
 * once, the contract position, catch-ups, the position entry, payments, due and posting dates.
 */
import {
  allocatePrice, catchUp, contractPosition, cumulativeRecognized, dueDate, isBalanced, paymentEntry, paymentTermDays, positionEntry,
  postingDateFor, progress, transactionPrice, type TermsForRevenue,
} from '../../libs/accounting';

const terms = (over: Partial<TermsForRevenue> = {}): TermsForRevenue => ({
  currency: 'USD',
  obligations: [
    { id: 'lic', ssp: '300.00', recognition: { method: 'point_in_time' } },
    { id: 'impl', ssp: '600.00', recognition: { method: 'milestones' } },
    { id: 'cost', ssp: '100.00', recognition: { method: 'cost_input', estimatedTotalCost: '400.00' } },
  ],
  milestones: [
    { id: 'l1', obligationId: 'lic', amount: '100.00', billable: true, sequence: 1 },
    { id: 'l2', obligationId: 'lic', amount: '200.00', billable: true, sequence: 5 },
    { id: 'i1', obligationId: 'impl', amount: '300.00', billable: true, sequence: 2 },
    { id: 'i2', obligationId: 'impl', amount: '100.00', weight: '3', billable: false, sequence: 3 },
    { id: 'i3', obligationId: 'impl', amount: '300.00', billable: true, sequence: 4 },
  ],
  ...over,
});
const frac = (f: { numerator: { toString(): string }; denominator: { toString(): string } }) => `${f.numerator.toString()}/${f.denominator.toString()}`;

describe('transaction price and allocation', () => {
  it('sums billable, non-cancelled amounts (a set or a list of cancelled ids)', () => {
    expect(transactionPrice(terms())).toBe('900.00');
    expect(transactionPrice(terms(), ['i1'])).toBe('600.00');
    expect(transactionPrice(terms(), new Set(['i1', 'l2']))).toBe('400.00');
    expect(transactionPrice(terms(), ['i2'])).toBe('900.00');
    expect(transactionPrice({ ...terms(), currency: 'JPY', milestones: [{ id: 'a', obligationId: 'lic', amount: '5', billable: true, sequence: 1 }] })).toBe('5');
  });

  it('allocates by relative SSP, largest remainder, summing to the price', () => {
    expect(allocatePrice(terms())).toEqual({ lic: '270.00', impl: '540.00', cost: '90.00' });
    expect(allocatePrice(terms(), ['i1', 'i3', 'l1'])).toEqual({ lic: '60.00', impl: '120.00', cost: '20.00' });
    const thirds = terms({ obligations: terms().obligations.map((o) => ({ ...o, ssp: '1.00' })) });
    expect(allocatePrice(thirds, ['l1', 'l2', 'i3'])).toEqual({ lic: '100.00', impl: '100.00', cost: '100.00' });
    expect(allocatePrice(thirds, ['l2', 'i3'])).toEqual({ lic: '133.34', impl: '133.33', cost: '133.33' });
  });

  it('paymentTermDays and dueDate', () => {
    expect(paymentTermDays('NET_0')).toBe(0);
    expect(paymentTermDays('NET_45')).toBe(45);
    expect(dueDate('2026-01-31', 'NET_30')).toBe('2026-03-02');
    expect(dueDate('2026-01-31', 'NET_0')).toBe('2026-01-31');
  });
});

describe('progress per method (exact fractions, DESIGN §6, §11)', () => {
  it('point_in_time: its satisfiedBy milestone, by default the one with the highest sequence not cancelled', () => {
    const t = terms();
    expect(frac(progress(t, 'lic', { accepted: ['l1'] }))).toBe('0/1');
    expect(frac(progress(t, 'lic', { accepted: ['l2'] }))).toBe('1/1');
    expect(frac(progress(t, 'lic', { accepted: new Set(['l1']), cancelled: new Set(['l2']) }))).toBe('1/1');
    const pinned = terms({ obligations: [{ id: 'lic', ssp: '1', recognition: { method: 'point_in_time', satisfiedBy: 'l1' } }] });
    expect(frac(progress(pinned, 'lic', { accepted: ['l1'] }))).toBe('1/1');
    expect(frac(progress(pinned, 'lic', { accepted: ['l2'] }))).toBe('0/1');
    const empty = terms({ milestones: [] });
    expect(frac(progress(empty, 'lic', { accepted: [] }))).toBe('0/1');
  });

  it('milestones: accepted weight over the weight of non-cancelled milestones, billable or not (weight defaults to amount)', () => {
    const t = terms();
    expect(frac(progress(t, 'impl', { accepted: [] }))).toBe('0/603');
    expect(frac(progress(t, 'impl', { accepted: ['i2'] }))).toBe('3/603');
    expect(frac(progress(t, 'impl', { accepted: ['i1', 'i3'] }))).toBe('600/603');
    expect(frac(progress(t, 'impl', { accepted: ['i1'], cancelled: ['i3'] }))).toBe('300/303');
    expect(frac(progress(t, 'impl', { accepted: ['i1'], cancelled: ['i1', 'i2', 'i3'] }))).toBe('0/1');
    const zero = terms({ milestones: [{ id: 'z', obligationId: 'impl', amount: '0.00', billable: true, sequence: 1 }] });
    expect(frac(progress(zero, 'impl', { accepted: ['z'] }))).toBe('0/1');
  });

  it('cost_input: cost to date over the estimate, capped at 1; a zero estimate is no progress', () => {
    const t = terms();
    expect(frac(progress(t, 'cost', { accepted: [] }))).toBe('0/400');
    expect(frac(progress(t, 'cost', { accepted: [], costToDate: { cost: '100' } }))).toBe('100/400');
    expect(frac(progress(t, 'cost', { accepted: [], costToDate: { cost: '401' } }))).toBe('400/400');
    expect(frac(progress(t, 'cost', { accepted: [], costToDate: { other: '401' } }))).toBe('0/400');
    const zero = terms({ obligations: [{ id: 'cost', ssp: '1', recognition: { method: 'cost_input', estimatedTotalCost: '0' } }] });
    expect(frac(progress(zero, 'cost', { accepted: [], costToDate: { cost: '5' } }))).toBe('0/1');
  });

  it('ratable: days through the date inclusive over the days of [start, end]; 0 before the start, capped at the end', () => {
    const t = terms({ obligations: [{ id: 'sup', ssp: '1', recognition: { method: 'ratable', startDate: '2025-01-01', endDate: '2025-12-31' } }] });
    expect(frac(progress(t, 'sup', { accepted: [], ratableThrough: '2025-01-31' }))).toBe('31/365');
    expect(frac(progress(t, 'sup', { accepted: [], ratableThrough: '2025-01-01' }))).toBe('1/365');
    expect(frac(progress(t, 'sup', { accepted: [], ratableThrough: '2024-12-31' }))).toBe('0/1');
    expect(frac(progress(t, 'sup', { accepted: [], ratableThrough: '2026-06-30' }))).toBe('365/365');
    expect(frac(progress(t, 'sup', { accepted: [] }))).toBe('0/1');
    expect(frac(progress(t, 'sup', { accepted: [], ratableThrough: { sup: '2025-02-28' } }))).toBe('59/365');
    expect(frac(progress(t, 'sup', { accepted: [], ratableThrough: { other: '2025-02-28' } }))).toBe('0/1');
    const oneDay = terms({ obligations: [{ id: 'sup', ssp: '1', recognition: { method: 'ratable', startDate: '2025-03-03', endDate: '2025-03-03' } }] });
    expect(frac(progress(oneDay, 'sup', { accepted: [], ratableThrough: '2025-03-03' }))).toBe('1/1');
  });

  it('an unknown obligation is a RangeError', () => {
    expect(() => progress(terms(), 'nope', { accepted: [] })).toThrow(RangeError);
  });
});

describe('cumulative recognition (DESIGN §11 arithmetic)', () => {
  it('allocated × numerator ÷ denominator computed exactly, rounded once at the end', () => {
    const t: TermsForRevenue = {
      currency: 'USD',
      obligations: [{ id: 'sup', ssp: '1', recognition: { method: 'ratable', startDate: '2025-01-01', endDate: '2025-12-31' } }],
      milestones: [{ id: 'm', obligationId: 'sup', amount: '1000.00', billable: true, sequence: 1 }],
    };
    // 1000 × 31 / 365 = 84.9315… → 84.93 (rounding the fraction first would give 84.93 or 85.00).
    expect(cumulativeRecognized(t, { accepted: [], ratableThrough: '2025-01-31' })).toEqual({ sup: '84.93' });
    expect(cumulativeRecognized(t, { accepted: [], ratableThrough: '2025-12-31' })).toEqual({ sup: '1000.00' });
    // Half-up at the end: 100 × 1/8 = 12.5 JPY → 13.
    const jpy: TermsForRevenue = {
      currency: 'JPY',
      obligations: [{ id: 'c', ssp: '1', recognition: { method: 'cost_input', estimatedTotalCost: '8' } }],
      milestones: [{ id: 'm', obligationId: 'c', amount: '100', billable: true, sequence: 1 }],
    };
    expect(cumulativeRecognized(jpy, { accepted: [], costToDate: { c: '1' } })).toEqual({ c: '13' });
  });

  it('every obligation gets a figure; cancelled milestones leave the price and the progress', () => {
    expect(cumulativeRecognized(terms(), { accepted: ['l2', 'i1'], costToDate: { cost: '200' } })).toEqual({ lic: '270.00', impl: '268.66', cost: '45.00' });
    expect(cumulativeRecognized(terms(), { accepted: ['l2'], cancelled: ['i1', 'i3'] })).toEqual({ lic: '90.00', impl: '0.00', cost: '0.00' });
  });
});

describe('position, catch-up and entries', () => {
  it('contract position: recognized − billed, positive is unbilled AR, negative deferred revenue, only one non-zero', () => {
    expect(contractPosition('100', '40', 'USD')).toEqual({ unbilledAr: '60.00', deferredRevenue: '0.00' });
    expect(contractPosition('40', '100', 'USD')).toEqual({ unbilledAr: '0.00', deferredRevenue: '60.00' });
    expect(contractPosition('5', '5', 'JPY')).toEqual({ unbilledAr: '0', deferredRevenue: '0' });
  });

  it('catch-up per obligation and in total (negative ones too), over both maps', () => {
    expect(catchUp({ a: '10.00', b: '5.00' }, { a: '4.00', c: '2.00' }, 'USD')).toEqual({ perObligation: { a: '6.00', c: '-2.00', b: '5.00' }, total: '9.00' });
    expect(catchUp({}, {}, 'USD')).toEqual({ perObligation: {}, total: '0.00' });
  });

  it('position entry: an invoice alone against unbilled AR first, then deferred revenue', () => {
    expect(positionEntry({ currency: 'USD', unbilledAr: '30', deferredRevenue: '0', billed: '100', recognized: '0' })).toEqual([
      { account: 'ar', debit: '100.00', credit: '0.00' },
      { account: 'unbilled_ar', debit: '0.00', credit: '30.00' },
      { account: 'deferred_revenue', debit: '0.00', credit: '70.00' },
    ]);
  });

  it('position entry: revenue alone against deferred revenue first, then unbilled AR', () => {
    expect(positionEntry({ currency: 'USD', unbilledAr: '0', deferredRevenue: '30', billed: '0', recognized: '100' })).toEqual([
      { account: 'unbilled_ar', debit: '70.00', credit: '0.00' },
      { account: 'deferred_revenue', debit: '30.00', credit: '0.00' },
      { account: 'revenue', debit: '0.00', credit: '100.00' },
    ]);
  });

  it('position entry: both in one event net into Dr ar / Cr revenue; nothing at all is no line', () => {
    expect(positionEntry({ currency: 'USD', unbilledAr: '0', deferredRevenue: '0', billed: '50', recognized: '50' })).toEqual([
      { account: 'ar', debit: '50.00', credit: '0.00' },
      { account: 'revenue', debit: '0.00', credit: '50.00' },
    ]);
    expect(positionEntry({ currency: 'USD', unbilledAr: '10', deferredRevenue: '0', billed: '0', recognized: '0' })).toEqual([]);
  });

  it('position entry: a credit memo and a negative catch-up flip sides', () => {
    expect(positionEntry({ currency: 'USD', unbilledAr: '0', deferredRevenue: '20', billed: '-50', recognized: '-10' })).toEqual([
      { account: 'ar', debit: '0.00', credit: '50.00' },
      { account: 'unbilled_ar', debit: '20.00', credit: '0.00' },
      { account: 'deferred_revenue', debit: '20.00', credit: '0.00' },
      { account: 'revenue', debit: '10.00', credit: '0.00' },
    ]);
  });

  it('payment entry and balance check', () => {
    const lines = paymentEntry('12.5', 'USD');
    expect(lines).toEqual([{ account: 'cash', debit: '12.50', credit: '0.00' }, { account: 'ar', debit: '0.00', credit: '12.50' }]);
    expect(isBalanced(lines)).toBe(true);
    expect(isBalanced([{ account: 'cash', debit: '12.50', credit: '0.00' }, { account: 'ar', debit: '0.00', credit: '12.49' }])).toBe(false);
    expect(isBalanced([])).toBe(true);
  });

  it('posting date: its own date when open; the first day of the first open month after closed ones', () => {
    expect(postingDateFor('2026-01-15', [])).toBe('2026-01-15');
    expect(postingDateFor('2026-01-15', ['2025-12'])).toBe('2026-01-15');
    expect(postingDateFor('2026-01-15', ['2026-01', '2026-02'])).toBe('2026-03-01');
    expect(postingDateFor('2026-12-31', new Set(['2026-12']))).toBe('2027-01-01');
  });
});
