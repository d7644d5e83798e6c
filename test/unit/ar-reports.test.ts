/** AR's pure rules: aging buckets at their boundaries, receivable status, DSO. */
import { Dec } from '../../libs/money';
import { receivableStatus } from '../../services/ar/receivables';
import { agingBucket, dso } from '../../services/ar/reports';
import type { ReceivableDoc } from '../../services/ar/data/receivables';

describe('aging buckets', () => {
  it.each([
    [-5, 'current'], [0, 'current'], [1, 'days_1_30'], [30, 'days_1_30'], [31, 'days_31_60'], [60, 'days_31_60'],
    [61, 'days_61_90'], [90, 'days_61_90'], [91, 'days_over_90'], [400, 'days_over_90'],
  ])('puts %i days past due in %s', (days, bucket) => {
    expect(agingBucket(days)).toBe(bucket);
  });
});

describe('receivable status', () => {
  it('is open, partially paid, paid or credited from what was paid and credited', () => {
    expect(receivableStatus('100.00', new Dec(0), new Dec(0))).toBe('open');
    expect(receivableStatus('100.00', new Dec(0), new Dec('30'))).toBe('open');
    expect(receivableStatus('100.00', new Dec('1'), new Dec(0))).toBe('partially_paid');
    expect(receivableStatus('100.00', new Dec('70'), new Dec('30'))).toBe('paid');
    expect(receivableStatus('100.00', new Dec(0), new Dec('100'))).toBe('credited');
  });
});

describe('DSO', () => {
  const r = (invoiceNumber: string, amount: string, issueDate: string) => ({ invoiceNumber, amount, issueDate, dueDate: issueDate, customerId: 'c' }) as ReceivableDoc;

  it('is receivables at the end ÷ sales in the period × days, one decimal', () => {
    const book = { receivables: [r('a', '1000.00', '2026-01-10'), r('b', '500.00', '2026-01-20')], applications: [] };
    expect(dso(book, '2026-01-01', '2026-01-31', 'USD')).toMatchObject({ days: 31, sales: '1500.00', receivablesAtEnd: '1500.00', dso: '31.0' });
  });

  it('is null when nothing was invoiced in the period', () => {
    expect(dso({ receivables: [r('a', '10.00', '2025-12-01')], applications: [] }, '2026-01-01', '2026-01-31', 'USD').dso).toBeNull();
  });
});
