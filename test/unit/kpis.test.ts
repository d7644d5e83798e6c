/**
 * The KPI math of the console (libs/kpis.ts), without a server: business days, median, p90 by
 * nearest rank, same-day shares, the latest reconciliation per contract, sums per currency.
 */
import {
  absoluteVariance, businessDaysBetween, computeKpis, measuresTimeliness, median, monthsBetween, percentile, share, type MilestoneInvoiceFact,
} from '../../libs/kpis';

describe('business days', () => {
  it('counts the weekdays after the first date up to and including the second', () => {
    // 2025-01-01 is a Wednesday; 2025-01-03 a Friday; 2025-01-04 a Saturday; 2025-01-06 a Monday.
    expect(businessDaysBetween('2025-01-03', '2025-01-03')).toBe(0);
    expect(businessDaysBetween('2025-01-03', '2025-01-06')).toBe(1);
    expect(businessDaysBetween('2025-01-04', '2025-01-06')).toBe(1);
    expect(businessDaysBetween('2025-01-04', '2025-01-05')).toBe(0);
    expect(businessDaysBetween('2025-01-01', '2025-01-15')).toBe(10);
    expect(businessDaysBetween('2025-01-01', '2025-01-17')).toBe(12);
    expect(businessDaysBetween('2025-01-31', '2025-03-03')).toBe(21);
  });

  it('is negative, the mirror, when the second date is earlier', () => {
    expect(businessDaysBetween('2025-01-06', '2025-01-03')).toBe(-1);
  });
});

describe('median and p90', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([10, 0, 3, 1])).toBe(2);
    expect(median([])).toBeNull();
  });

  it('takes p90 by nearest rank: the value at rank ⌈0.9 n⌉', () => {
    expect(percentile([0, 1, 3, 10], 90)).toBe(10);
    expect(percentile([34, 21, 13, 8, 5, 3, 2, 1, 0, 0], 90)).toBe(21);
    expect(percentile([7], 90)).toBe(7);
    expect(percentile([], 90)).toBeNull();
    expect(() => percentile([1], 0)).toThrow(RangeError);
  });

  it('gives shares to four places, null over nothing', () => {
    expect(share(2, 3)).toBe(0.6667);
    expect(share(0, 0)).toBeNull();
  });
});

describe('months', () => {
  it('lists the months of a range across a year end', () => {
    expect(monthsBetween('2024-11', '2025-02')).toEqual(['2024-11', '2024-12', '2025-01', '2025-02']);
    expect(monthsBetween('2025-02', '2025-01')).toEqual([]);
    expect(() => monthsBetween('2025-13', '2025-14')).toThrow(RangeError);
  });
});

describe('the KPI report', () => {
  const inv = (milestoneId: string, invoiceDate: string, acceptedOn?: string, billableOn?: string): MilestoneInvoiceFact => ({
    contractId: 'c1', milestoneId, invoiceNumber: `INV-${milestoneId}`, invoiceDate, currency: 'USD', total: '100.00',
    ...(acceptedOn ? { acceptedOn } : {}), ...(billableOn ? { billableOn } : {}),
  });

  const report = computeKpis({
    months: ['2025-01', '2025-02'],
    invoices: [
      inv('a', '2025-01-06', '2025-01-06', '2025-01-06'), // 0 days, same day
      inv('b', '2025-01-06', '2025-01-03', '2025-01-03'), // Fri → Mon: 1, late
      inv('c', '2025-01-17', '2025-01-01', '2025-01-17'), // 12 days, on its planned date
      inv('d', '2025-01-20', '2025-01-20'), // 0 days, billable date unknown (older event)
      inv('e', '2025-01-21'), // acceptance not found
      inv('f', '2025-02-03', '2025-01-31', '2025-01-31'), // Fri → Mon: 1, late
      inv('g', '2025-03-03', '2025-03-03', '2025-03-03'), // outside the range
    ],
    signals: [
      { month: '2025-01', kind: 'ignored' },
      { month: '2025-01', kind: 'refused', code: 'window_closed' },
      { month: '2025-01', kind: 'refused', code: 'window_closed' },
      { month: '2025-02', kind: 'refused', code: 'future_date' },
      { month: '2025-03', kind: 'ignored' },
    ],
    reconciliations: [
      { contractId: 'c1', month: '2025-01', checkedAt: '2025-01-10T00:00:00.000Z', ok: false, currency: 'USD', absVariance: '50.00' },
      { contractId: 'c1', month: '2025-01', checkedAt: '2025-01-20T00:00:00.000Z', ok: true, currency: 'USD', absVariance: '0.00' },
      { contractId: 'c2', month: '2025-01', checkedAt: '2025-01-15T00:00:00.000Z', ok: false, currency: 'JPY', absVariance: '7' },
      { contractId: 'c2', month: '2025-02', checkedAt: '2025-02-15T00:00:00.000Z', ok: false, currency: 'JPY', absVariance: '5' },
    ],
    money: [
      { month: '2025-01', type: 'invoice.issued', currency: 'USD', amount: '100.10' },
      { month: '2025-01', type: 'invoice.issued', currency: 'USD', amount: '0.20' },
      { month: '2025-01', type: 'payment.applied', currency: 'USD', amount: '50.00' },
      { month: '2025-02', type: 'credit_memo.issued', currency: 'USD', amount: '10.00' },
      { month: '2025-02', type: 'invoice.overdue', currency: 'USD', amount: '40.30' },
    ],
  });

  it('gives each month its cycle time: count, median and p90 in business days, and the invoices without acceptance', () => {
    expect(report.months.map((m) => m.month)).toEqual(['2025-01', '2025-02']);
    // January: cycle times 0, 1, 12, 0 → sorted 0, 0, 1, 12: median 0.5, p90 rank 4 → 12.
    expect(report.months[0]!.cycleTime).toEqual({ count: 4, medianBusinessDays: 0.5, p90BusinessDays: 12, unmatched: 1 });
    expect(report.months[1]!.cycleTime).toEqual({ count: 1, medianBusinessDays: 1, p90BusinessDays: 1, unmatched: 0 });
  });

  it('gives the share invoiced the day the milestone became billable, over the invoices whose billable day is known', () => {
    // January: a (same day), b (late), c (same day); d and e unknown.
    expect(report.months[0]!.invoicedSameDay).toEqual({ count: 3, sameDay: 2, share: 0.6667, unknown: 2 });
    expect(report.months[1]!.invoicedSameDay).toEqual({ count: 1, sameDay: 0, share: 0, unknown: 0 });
  });

  it('counts ignored and refused events per month, refusals by code', () => {
    expect(report.months[0]!.signals).toEqual({ ignored: 1, refused: 2, refusedByCode: { window_closed: 2 } });
    expect(report.months[1]!.signals).toEqual({ ignored: 0, refused: 1, refusedByCode: { future_date: 1 } });
  });

  it('counts the latest reconciliation of each contract: contracts checked, not ok, absolute variance per currency', () => {
    expect(report.months[0]!.reconciliation).toEqual({ checked: 2, notOk: 1, absVariance: { JPY: '7', USD: '0.00' } });
    // Over the range, c2's latest check is February's.
    expect(report.total.reconciliation).toEqual({ checked: 2, notOk: 1, absVariance: { JPY: '5', USD: '0.00' } });
  });

  it('sums the money of the other events per currency as decimal strings', () => {
    expect(report.months[0]!.events).toMatchObject({ invoicesIssued: 2, paymentsApplied: 1, invoiced: { USD: '100.30' }, collected: { USD: '50.00' } });
    expect(report.months[1]!.events).toMatchObject({ creditMemosIssued: 1, invoicesOverdue: 1, credited: { USD: '10.00' }, overdue: { USD: '40.30' } });
  });

  it('totals the range: cycle times of every month together, nothing outside the range', () => {
    // 0, 1, 12, 0, 1 → sorted 0, 0, 1, 1, 12: median 1, p90 rank 5 → 12.
    expect(report.total.cycleTime).toEqual({ count: 5, medianBusinessDays: 1, p90BusinessDays: 12, unmatched: 1 });
    expect(report.total.invoicedSameDay).toEqual({ count: 4, sameDay: 2, share: 0.5, unknown: 2 });
    expect(report.total.signals.ignored).toBe(1);
  });
});

describe('absolute variance of a reconciliation', () => {
  it('sums the absolute money variances and leaves the failed-step count out', () => {
    expect(absoluteVariance([
      { name: 'billed: invoicing (invoices − credit memos) = contract', variance: '-10.50' },
      { name: 'recognized: revenue ledger = contract', variance: '2.25' },
      { name: 'no step refused by a service left unresolved (failed steps)', variance: '3' },
    ], 'USD')).toBe('12.75');
  });
});

describe('which invoices the timeliness KPIs measure', () => {
  it('milestone invoices, and of a milestone billed by progress only the rest (percent 100), not its parts', () => {
    expect(measuresTimeliness({ kind: 'milestone' })).toBe(true);
    expect(measuresTimeliness({ kind: 'milestone', progress: { percent: '100', cumulative: '1000.00', previouslyBilled: '600.00' } })).toBe(true);
    expect(measuresTimeliness({ kind: 'milestone', progress: { percent: '60', cumulative: '600.00', previouslyBilled: '0.00' } })).toBe(false);
    expect(measuresTimeliness({ kind: 'advance' })).toBe(false);
    expect(measuresTimeliness({ kind: 'supplementary', progress: { percent: '50' } })).toBe(false);
  });
});
