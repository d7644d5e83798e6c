/**
 * AR reports as pure functions over a book's receivables, applications and credit lots: aging as of
 * any date, the overdue list (the base for dunning) and DSO. "As of D" counts only what was issued
 * on or before D and only applications dated on or before D, so a report of a past date stays true.
 */
import { daysBetween } from '../../libs/dates';
import { Dec, dec, formatMoney, sumMoney } from '../../libs/money';
import { AGING_BUCKETS, type Aging, type AgingBucket } from './api';
import type { ApplicationDoc, CreditLotDoc, ReceivableDoc } from './data/receivables';

export interface Book {
  receivables: ReceivableDoc[];
  applications: ApplicationDoc[];
  lots: CreditLotDoc[];
  lotApplications: ApplicationDoc[];
}

/** Days past due → bucket: 0 or less is current; 1–30, 31–60, 61–90; 91 and more is 90+. */
export function agingBucket(daysPastDue: number): AgingBucket {
  if (daysPastDue <= 0) return 'current';
  if (daysPastDue <= 30) return 'days_1_30';
  if (daysPastDue <= 60) return 'days_31_60';
  if (daysPastDue <= 90) return 'days_61_90';
  return 'days_over_90';
}

/** What was still open on each receivable at the end of `asOf`. */
export function openAsOf(book: Pick<Book, 'receivables' | 'applications'>, asOf: string): { receivable: ReceivableDoc; open: Dec }[] {
  return book.receivables
    .filter((r) => r.issueDate <= asOf)
    .map((r) => {
      const applied = sumMoney(book.applications.filter((a) => a.invoiceNumber === r.invoiceNumber && a.date <= asOf).map((a) => a.amount));
      return { receivable: r, open: dec(r.amount).minus(applied) };
    })
    .filter((x) => x.open.greaterThan(0));
}

/** Customer credit left at the end of `asOf`, per customer. */
export function creditAsOf(book: Pick<Book, 'lots' | 'lotApplications'>, asOf: string): Map<string, Dec> {
  const credit = new Map<string, Dec>();
  for (const lot of book.lots.filter((l) => l.date <= asOf)) {
    const used = sumMoney(book.lotApplications.filter((a) => a.lotId === lot.lotId && a.date <= asOf).map((a) => a.amount));
    credit.set(lot.customerId, (credit.get(lot.customerId) ?? new Dec(0)).plus(dec(lot.amount).minus(used)));
  }
  return credit;
}

export function aging(book: Book, asOf: string, currency: string): Aging {
  const empty = () => Object.fromEntries(AGING_BUCKETS.map((b) => [b, new Dec(0)])) as Record<AgingBucket, Dec>;
  const perCustomer = new Map<string, Record<AgingBucket, Dec>>();
  const total = empty();
  for (const { receivable, open } of openAsOf(book, asOf)) {
    const bucket = agingBucket(daysBetween(receivable.dueDate, asOf));
    const c = perCustomer.get(receivable.customerId) ?? empty();
    c[bucket] = c[bucket].plus(open);
    perCustomer.set(receivable.customerId, c);
    total[bucket] = total[bucket].plus(open);
  }
  const credit = creditAsOf(book, asOf);
  for (const customerId of credit.keys()) if (!perCustomer.has(customerId)) perCustomer.set(customerId, empty());
  const fmt = (b: Record<AgingBucket, Dec>) => Object.fromEntries(AGING_BUCKETS.map((k) => [k, formatMoney(b[k], currency)])) as Record<AgingBucket, string>;
  const sum = (b: Record<AgingBucket, Dec>) => formatMoney(sumMoney(AGING_BUCKETS.map((k) => b[k])), currency);
  return {
    asOf,
    currency,
    total: { ...fmt(total), total: sum(total), credit: formatMoney(sumMoney([...credit.values()]), currency) },
    customers: [...perCustomer.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([customerId, b]) => ({ customerId, ...fmt(b), total: sum(b), credit: formatMoney(credit.get(customerId) ?? '0', currency) })),
  };
}

export function overdue(book: Pick<Book, 'receivables' | 'applications'>, asOf: string) {
  return openAsOf(book, asOf)
    .map(({ receivable: r, open }) => ({ r, open, days: daysBetween(r.dueDate, asOf) }))
    .filter((x) => x.days > 0)
    .sort((a, b) => b.days - a.days || (a.r.invoiceNumber < b.r.invoiceNumber ? -1 : 1))
    .map(({ r, open, days }) => ({
      invoiceNumber: r.invoiceNumber, contractId: r.contractId, customerId: r.customerId, currency: r.currency,
      dueDate: r.dueDate, daysPastDue: days, bucket: agingBucket(days), openAmount: formatMoney(open, r.currency),
    }));
}

/**
 * Days sales outstanding over [from, to] (both inclusive):
 *   DSO = receivables open at the end of `to` ÷ amounts invoiced in [from, to] × days in the period,
 * one decimal (half up); null when nothing was invoiced in the period. Receivables are gross (the
 * customer's unapplied credit is not netted in).
 */
export function dso(book: Pick<Book, 'receivables' | 'applications'>, from: string, to: string, currency: string) {
  const days = daysBetween(from, to) + 1;
  const receivablesAtEnd = sumMoney(openAsOf(book, to).map((x) => x.open));
  const sales = sumMoney(book.receivables.filter((r) => r.issueDate >= from && r.issueDate <= to).map((r) => r.amount));
  return {
    from, to, currency, days,
    receivablesAtEnd: formatMoney(receivablesAtEnd, currency),
    sales: formatMoney(sales, currency),
    dso: sales.isZero() ? null : receivablesAtEnd.dividedBy(sales).times(days).toDecimalPlaces(1, Dec.ROUND_HALF_UP).toFixed(1),
  };
}
