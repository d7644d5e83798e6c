import { allocatePrice, catchUp, contractPosition, cumulativeRecognized, isBalanced, positionEntry, postingDateFor, transactionPrice } from '../../libs/accounting';

const terms = {
  currency: 'USD',
  obligations: [
    { id: 'license', ssp: '60000.00', recognition: { method: 'point_in_time' as const, satisfiedBy: 'license-delivery' } },
    { id: 'implementation', ssp: '90000.00', recognition: { method: 'milestones' as const } },
  ],
  milestones: [
    { id: 'license-delivery', obligationId: 'license', amount: '50000.00', billable: true, sequence: 1 },
    { id: 'configuration', obligationId: 'implementation', amount: '20000.00', billable: true, sequence: 2 },
    { id: 'go-live', obligationId: 'implementation', amount: '30000.00', billable: true, sequence: 3 },
  ],
};

describe('accounting rules', () => {
  it('allocates the transaction price by relative SSP', () => {
    expect(transactionPrice(terms)).toBe('100000.00');
    expect(allocatePrice(terms)).toEqual({ license: '40000.00', implementation: '60000.00' });
  });

  it('recognizes point-in-time on acceptance and milestones by accepted weight', () => {
    expect(cumulativeRecognized(terms, { accepted: ['license-delivery'] })).toEqual({ license: '40000.00', implementation: '0.00' });
    expect(cumulativeRecognized(terms, { accepted: ['license-delivery', 'configuration'] })).toEqual({ license: '40000.00', implementation: '24000.00' });
  });

  it('recognizes cost-to-cost progress capped at 1', () => {
    const t = { ...terms, obligations: [{ id: 'impl', ssp: '1', recognition: { method: 'cost_input' as const, estimatedTotalCost: '800000.00' } }],
      milestones: [{ id: 'a', obligationId: 'impl', amount: '1000000.00', billable: true, sequence: 1 }] };
    expect(cumulativeRecognized(t, { accepted: [], costToDate: { impl: '80000.00' } })).toEqual({ impl: '100000.00' });
    expect(cumulativeRecognized(t, { accepted: [], costToDate: { impl: '900000.00' } })).toEqual({ impl: '1000000.00' });
  });

  it('recognizes ratable revenue by days, through a month end inclusive', () => {
    const t = { ...terms, obligations: [{ id: 's', ssp: '1', recognition: { method: 'ratable' as const, startDate: '2025-01-01', endDate: '2025-12-31' } }],
      milestones: [{ id: 'fee', obligationId: 's', amount: '24000.00', billable: true, sequence: 1 }] };
    expect(cumulativeRecognized(t, { accepted: [], ratableThrough: '2025-01-31' })).toEqual({ s: '2038.36' });
    expect(cumulativeRecognized(t, { accepted: [], ratableThrough: '2025-12-31' })).toEqual({ s: '24000.00' });
  });

  describe('the contract-position entry', () => {
    it('books a plain arrears milestone as Dr ar / Cr revenue', () => {
      const lines = positionEntry({ currency: 'USD', unbilledAr: '0', deferredRevenue: '0', billed: '100.00', recognized: '100.00' });
      expect(lines).toEqual([
        { account: 'ar', debit: '100.00', credit: '0.00' },
        { account: 'revenue', debit: '0.00', credit: '100.00' },
      ]);
    });

    it('credits unbilled AR first, then deferred revenue, for an invoice', () => {
      const lines = positionEntry({ currency: 'USD', unbilledAr: '30.00', deferredRevenue: '0', billed: '100.00', recognized: '0' });
      expect(lines).toEqual([
        { account: 'ar', debit: '100.00', credit: '0.00' },
        { account: 'unbilled_ar', debit: '0.00', credit: '30.00' },
        { account: 'deferred_revenue', debit: '0.00', credit: '70.00' },
      ]);
    });

    it('debits deferred revenue first, then unbilled AR, for revenue', () => {
      const lines = positionEntry({ currency: 'USD', unbilledAr: '0', deferredRevenue: '40.00', billed: '0', recognized: '100.00' });
      expect(lines).toEqual([
        { account: 'unbilled_ar', debit: '60.00', credit: '0.00' },
        { account: 'deferred_revenue', debit: '40.00', credit: '0.00' },
        { account: 'revenue', debit: '0.00', credit: '100.00' },
      ]);
    });

    it('mirrors a credit memo with negative revenue', () => {
      const lines = positionEntry({ currency: 'USD', unbilledAr: '0', deferredRevenue: '0', billed: '-5000.00', recognized: '-5000.00' });
      expect(lines).toEqual([
        { account: 'ar', debit: '0.00', credit: '5000.00' },
        { account: 'revenue', debit: '5000.00', credit: '0.00' },
      ]);
    });

    it('always balances', () => {
      for (const [u, d, b, r] of [['0', '10', '3', '50'], ['20', '0', '100', '-7'], ['0', '0', '-10', '5']] as const) {
        expect(isBalanced(positionEntry({ currency: 'USD', unbilledAr: u, deferredRevenue: d, billed: b, recognized: r }))).toBe(true);
      }
    });
  });
});

describe('accounting rules added for the revenue service', () => {
  it('shifts a posting out of closed months to the first day of the first open month', () => {
    expect(postingDateFor('2025-02-14', [])).toBe('2025-02-14');
    expect(postingDateFor('2025-02-14', ['2025-02'])).toBe('2025-03-01');
    expect(postingDateFor('2025-12-31', new Set(['2025-12', '2026-01']))).toBe('2026-02-01');
  });

  it('splits a position into unbilled AR or deferred revenue, never both', () => {
    expect(contractPosition('300.00', '100.00', 'USD')).toEqual({ unbilledAr: '200.00', deferredRevenue: '0.00' });
    expect(contractPosition('100.00', '300.00', 'USD')).toEqual({ unbilledAr: '0.00', deferredRevenue: '200.00' });
  });

  it('computes per-obligation catch-ups, including obligations new to either side', () => {
    expect(catchUp({ a: '50.00', b: '30.00' }, { a: '80.00', c: '5.00' }, 'USD')).toEqual({
      perObligation: { a: '-30.00', c: '-5.00', b: '30.00' }, total: '-5.00',
    });
  });

  it('takes ratableThrough per obligation', () => {
    const terms = {
      currency: 'USD',
      obligations: [
        { id: 'x', ssp: '1', recognition: { method: 'ratable' as const, startDate: '2025-01-01', endDate: '2025-12-31' } },
        { id: 'y', ssp: '1', recognition: { method: 'ratable' as const, startDate: '2025-01-01', endDate: '2025-12-31' } },
      ],
      milestones: [{ id: 'm', obligationId: 'x', amount: '730.00', billable: true, sequence: 1 }],
    };
    expect(cumulativeRecognized(terms, { accepted: [], ratableThrough: { x: '2025-01-31' } })).toEqual({ x: '31.00', y: '0.00' });
    expect(cumulativeRecognized(terms, { accepted: [], ratableThrough: '2025-01-01' })).toEqual({ x: '1.00', y: '1.00' });
  });
});
