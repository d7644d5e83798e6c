/**
 * The console's KPIs (docs/console.md, "KPIs"): pure math over facts the gateway reads from its
 * event store and activity records. No I/O, no clock: the gateway gathers the facts of the months
 * asked, this turns them into figures, and the unit tests check the figures without a server.
 *
 * - Cycle time: milestone acceptance → its invoice, in business days (Mon–Fri; no holiday
 *   calendar): the number of weekdays d with acceptedOn < d ≤ invoiceDate (0 the same day).
 * - Median: the middle value (the mean of the two middle values for an even count).
 * - p90: nearest rank — the value at rank ⌈0.9 × n⌉ of the ascending values.
 * - Same-day share: of the milestone invoices whose billable date is known, those dated that day.
 * Money stays a decimal string (sums per currency with decimal.js).
 */
import { addDays, periodOf } from './dates';
import { formatMoney, sumMoney } from './money';

const CALENDAR_MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** The calendar months from `from` to `to` inclusive (YYYY-MM); empty when `to` is before `from`. */
export function monthsBetween(from: string, to: string): string[] {
  if (!CALENDAR_MONTH.test(from) || !CALENDAR_MONTH.test(to)) throw new RangeError(`not a month: ${from} / ${to}`);
  const out: string[] = [];
  let y = Number(from.slice(0, 4));
  let m = Number(from.slice(5, 7));
  for (let p = from; p <= to; ) {
    out.push(p);
    m += 1;
    if (m === 13) {
      m = 1;
      y += 1;
    }
    p = `${y}-${String(m).padStart(2, '0')}`;
  }
  return out;
}

const isWeekday = (date: string) => {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return day !== 0 && day !== 6;
};

/**
 * Business days from `a` to `b`: the weekdays (Mon–Fri) d with a < d ≤ b — 0 on the same day, 1 from
 * a Friday (or a Saturday) to the Monday after. Negative (the mirror) when b is before a.
 */
export function businessDaysBetween(a: string, b: string): number {
  if (b < a) return -businessDaysBetween(b, a);
  let n = 0;
  // Whole weeks first (5 weekdays each), then the days left one by one.
  const days = Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
  const weeks = Math.floor(days / 7);
  n += weeks * 5;
  for (let d = addDays(a, weeks * 7); d < b; ) {
    d = addDays(d, 1);
    if (isWeekday(d)) n += 1;
  }
  return n;
}

/** The median of the values (the mean of the two middle ones for an even count); null when none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The p-th percentile by nearest rank: the value at rank ⌈p/100 × n⌉ of the sorted values; null when none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile out of range: ${p}`);
  const s = [...values].sort((x, y) => x - y);
  return s[Math.ceil((p / 100) * s.length) - 1]!;
}

/** A share as a fraction 0..1 rounded to 4 places; null when the denominator is 0. */
export function share(part: number, whole: number): number | null {
  return whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000;
}

// ─────────────────────────── the facts and the figures ───────────────────────────

/** A milestone invoice (kind `milestone`) with what its milestone's acceptance said. */
export interface MilestoneInvoiceFact {
  contractId: string;
  milestoneId: string;
  invoiceNumber: string;
  invoiceDate: string;
  currency: string;
  total: string;
  /** From the `milestone.accepted` event (absent when it was not found: counted as `unmatched`). */
  acceptedOn?: string;
  /** The day the milestone became billable (absent on acceptance events recorded before the field existed). */
  billableOn?: string;
}

/** A contract event the gateway answered `ignored` or refused with a 4xx code (month: when it answered, UTC). */
/**
 * Whether an `invoice.issued` event is a milestone invoice the timeliness KPIs measure: not an
 * advance or supplementary invoice, and not a part of a milestone billed by progress (billed on
 * a report, not on acceptance; docs/progressive-billing.md) — its final invoice, the rest, counts.
 */
export function measuresTimeliness(data: { kind?: unknown; progress?: unknown }): boolean {
  if (data.kind !== 'milestone') return false;
  const percent = (data.progress as { percent?: unknown } | undefined)?.percent;
  return percent === undefined || percent === '100';
}

export interface SignalFact { month: string; kind: 'ignored' | 'refused'; code?: string }

/** One reconciliation check of a contract (GET /contracts/:id/reconciliation). */
export interface ReconciliationFact {
  contractId: string;
  month: string;
  /** When it was computed (ISO): the latest of a contract in a month is the one that counts. */
  checkedAt: string;
  ok: boolean;
  currency: string;
  /** The sum of the absolute money variances of its checks. */
  absVariance: string;
}

/** The other outbound events of the months: counted, and their money summed per currency. */
export interface MoneyEventFact { month: string; type: 'invoice.issued' | 'credit_memo.issued' | 'payment.applied' | 'invoice.overdue'; currency: string; amount: string }

export interface KpiFacts {
  months: string[];
  invoices: MilestoneInvoiceFact[];
  signals: SignalFact[];
  reconciliations: ReconciliationFact[];
  money: MoneyEventFact[];
}

export interface CycleTimeFigures {
  /** Milestone invoices with their acceptance found. */
  count: number;
  medianBusinessDays: number | null;
  p90BusinessDays: number | null;
  /** Milestone invoices whose `milestone.accepted` event was not found (not in count). */
  unmatched: number;
}

export interface SameDayFigures {
  /** Milestone invoices whose billable date is known. */
  count: number;
  /** Of those, dated the day the milestone became billable. */
  sameDay: number;
  /** sameDay / count (0..1, 4 places); null when count is 0. */
  share: number | null;
  /** Milestone invoices whose acceptance event carries no billable date (recorded before the field). */
  unknown: number;
}

export interface KpiFigures {
  cycleTime: CycleTimeFigures;
  invoicedSameDay: SameDayFigures;
  signals: { ignored: number; refused: number; refusedByCode: Record<string, number> };
  reconciliation: { checked: number; notOk: number; absVariance: Record<string, string> };
  events: {
    invoicesIssued: number;
    creditMemosIssued: number;
    paymentsApplied: number;
    invoicesOverdue: number;
    /** Per currency: invoiced (every invoice kind), credited, collected (payments applied), fell overdue (open amount). */
    invoiced: Record<string, string>;
    credited: Record<string, string>;
    collected: Record<string, string>;
    overdue: Record<string, string>;
  };
}

export interface KpiReport {
  months: Array<{ month: string } & KpiFigures>;
  total: KpiFigures;
}

function sumsByCurrency(items: ReadonlyArray<{ currency: string; amount: string }>): Record<string, string> {
  const by = new Map<string, string[]>();
  for (const i of items) by.set(i.currency, [...(by.get(i.currency) ?? []), i.amount]);
  return Object.fromEntries([...by.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([c, vs]) => [c, formatMoney(sumMoney(vs), c)]));
}

/** The figures of one set of facts (one month, or the whole range). */
export function figuresOf(facts: Omit<KpiFacts, 'months'>): KpiFigures {
  const matched = facts.invoices.filter((i) => i.acceptedOn !== undefined);
  const cycle = matched.map((i) => businessDaysBetween(i.acceptedOn!, i.invoiceDate));
  const known = facts.invoices.filter((i) => i.billableOn !== undefined);
  const sameDay = known.filter((i) => i.invoiceDate === i.billableOn).length;
  const refusedByCode: Record<string, number> = {};
  for (const s of facts.signals) if (s.kind === 'refused') refusedByCode[s.code ?? 'unknown'] = (refusedByCode[s.code ?? 'unknown'] ?? 0) + 1;
  // The latest check of each contract counts (a contract checked twice is one contract).
  const latest = new Map<string, ReconciliationFact>();
  for (const r of facts.reconciliations) {
    const seen = latest.get(r.contractId);
    if (!seen || r.checkedAt > seen.checkedAt) latest.set(r.contractId, r);
  }
  const recs = [...latest.values()];
  const of = (type: MoneyEventFact['type']) => facts.money.filter((m) => m.type === type);
  return {
    cycleTime: { count: matched.length, medianBusinessDays: median(cycle), p90BusinessDays: percentile(cycle, 90), unmatched: facts.invoices.length - matched.length },
    invoicedSameDay: { count: known.length, sameDay, share: share(sameDay, known.length), unknown: facts.invoices.length - known.length },
    signals: {
      ignored: facts.signals.filter((s) => s.kind === 'ignored').length,
      refused: facts.signals.filter((s) => s.kind === 'refused').length,
      refusedByCode,
    },
    reconciliation: {
      checked: recs.length,
      notOk: recs.filter((r) => !r.ok).length,
      absVariance: sumsByCurrency(recs.map((r) => ({ currency: r.currency, amount: r.absVariance }))),
    },
    events: {
      invoicesIssued: of('invoice.issued').length,
      creditMemosIssued: of('credit_memo.issued').length,
      paymentsApplied: of('payment.applied').length,
      invoicesOverdue: of('invoice.overdue').length,
      invoiced: sumsByCurrency(of('invoice.issued')),
      credited: sumsByCurrency(of('credit_memo.issued')),
      collected: sumsByCurrency(of('payment.applied')),
      overdue: sumsByCurrency(of('invoice.overdue')),
    },
  };
}

/**
 * The KPIs per month and over the whole range. An invoice counts in the month of its date; a
 * signal in the month the gateway answered it; a reconciliation in the month it was computed (the
 * latest per contract in that month; over the range, the latest per contract in the range).
 */
export function computeKpis(facts: KpiFacts): KpiReport {
  const inMonth = (month: string) => ({
    invoices: facts.invoices.filter((i) => periodOf(i.invoiceDate) === month),
    signals: facts.signals.filter((s) => s.month === month),
    reconciliations: facts.reconciliations.filter((r) => r.month === month),
    money: facts.money.filter((m) => m.month === month),
  });
  const months = new Set(facts.months);
  const inRange = {
    invoices: facts.invoices.filter((i) => months.has(periodOf(i.invoiceDate))),
    signals: facts.signals.filter((s) => months.has(s.month)),
    reconciliations: facts.reconciliations.filter((r) => months.has(r.month)),
    money: facts.money.filter((m) => months.has(m.month)),
  };
  return {
    months: facts.months.map((month) => ({ month, ...figuresOf(inMonth(month)) })),
    total: figuresOf(inRange),
  };
}

/**
 * The sum of the absolute money variances of a reconciliation's checks (a count of failed steps is
 * not money and is left out; a check whose variance is not a number is left out).
 */
export function absoluteVariance(checks: ReadonlyArray<{ name: string; variance: string }>, currency: string): string {
  const money = checks.filter((c) => !/failed steps/.test(c.name) && /^-?\d+(\.\d+)?$/.test(c.variance));
  return formatMoney(sumMoney(money.map((c) => c.variance.replace(/^-/, ''))), currency);
}
