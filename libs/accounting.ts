/**
 * ASC 606 rules as pure functions (DESIGN §6): transaction price, allocation by relative SSP,
 * progress per recognition method, cumulative recognition, and the contract-position journal rule.
 * No I/O: the contract workflow and the revenue service both call these, nothing is written twice.
 */
import { addDays, daysBetween, firstDayOfNextMonth, periodOf, type BusinessDate } from './dates';
import { Dec, allocate, dec, formatMoney, roundMoney, sumMoney, type MoneyInput } from './money';

/** The shape of terms these rules need (a structural subset of ContractTerms). */
export interface TermsForRevenue {
  currency: string;
  obligations: ReadonlyArray<{
    id: string;
    ssp: string;
    recognition:
      | { method: 'point_in_time'; satisfiedBy?: string }
      | { method: 'milestones' }
      | { method: 'cost_input'; estimatedTotalCost: string }
      | { method: 'ratable'; startDate: string; endDate: string };
  }>;
  milestones: ReadonlyArray<{
    id: string;
    obligationId: string;
    amount: string;
    weight?: string;
    billable: boolean;
    sequence: number;
  }>;
}

/** Facts that drive progress. */
export interface ProgressFacts {
  /** Milestones accepted (any acceptance kind), by id. */
  accepted: ReadonlySet<string> | readonly string[];
  /** Milestones cancelled by amendment, by id. */
  cancelled?: ReadonlySet<string> | readonly string[];
  /** Cost incurred to date per obligation (decimal strings). */
  costToDate?: Readonly<Record<string, string>>;
  /**
   * For ratable obligations: recognition counts days through this date (inclusive); either one date
   * for every ratable obligation, or a date per obligation id.
   */
  ratableThrough?: BusinessDate | Readonly<Record<string, BusinessDate>>;
}

const has = (s: ReadonlySet<string> | readonly string[] | undefined, v: string) =>
  s === undefined ? false : Array.isArray(s) ? s.includes(v) : (s as ReadonlySet<string>).has(v);

export function paymentTermDays(paymentTerms: string): number {
  return Number(paymentTerms.replace('NET_', ''));
}

/** Transaction price: the sum of billable, non-cancelled milestone amounts. */
export function transactionPrice(terms: TermsForRevenue, cancelled?: ProgressFacts['cancelled']): string {
  const amounts = terms.milestones.filter((m) => m.billable && !has(cancelled, m.id)).map((m) => m.amount);
  return formatMoney(sumMoney(amounts), terms.currency);
}

/** The price allocated to each obligation by relative SSP (largest remainder; sums to the price). */
export function allocatePrice(terms: TermsForRevenue, cancelled?: ProgressFacts['cancelled']): Record<string, string> {
  const price = transactionPrice(terms, cancelled);
  const shares = allocate(price, terms.obligations.map((o) => o.ssp), terms.currency);
  return Object.fromEntries(terms.obligations.map((o, i) => [o.id, shares[i]!]));
}

/** Progress as an exact fraction {numerator, denominator} (never rounded: DESIGN §11). */
export interface Fraction { numerator: Dec; denominator: Dec }

export function progress(terms: TermsForRevenue, obligationId: string, facts: ProgressFacts): Fraction {
  const ob = terms.obligations.find((o) => o.id === obligationId);
  if (!ob) throw new RangeError(`unknown obligation ${obligationId}`);
  const zero: Fraction = { numerator: new Dec(0), denominator: new Dec(1) };
  const live = terms.milestones.filter((m) => m.obligationId === obligationId && !has(facts.cancelled, m.id));
  const r = ob.recognition;
  switch (r.method) {
    case 'point_in_time': {
      const satisfiedBy = r.satisfiedBy ?? [...live].sort((a, b) => b.sequence - a.sequence)[0]?.id;
      return satisfiedBy !== undefined && has(facts.accepted, satisfiedBy)
        ? { numerator: new Dec(1), denominator: new Dec(1) }
        : zero;
    }
    case 'milestones': {
      const weight = (m: (typeof live)[number]) => dec(m.weight ?? m.amount);
      const total = sumMoney(live.map(weight));
      if (total.isZero()) return zero;
      const done = sumMoney(live.filter((m) => has(facts.accepted, m.id)).map(weight));
      return { numerator: done, denominator: total };
    }
    case 'cost_input': {
      const estimate = dec(r.estimatedTotalCost);
      if (estimate.isZero()) return zero;
      const cost = Dec.min(dec(facts.costToDate?.[obligationId] ?? '0'), estimate);
      return { numerator: cost, denominator: estimate };
    }
    case 'ratable': {
      const total = daysBetween(r.startDate, r.endDate) + 1;
      const through = typeof facts.ratableThrough === 'string' ? facts.ratableThrough : facts.ratableThrough?.[obligationId];
      if (through === undefined || through < r.startDate) return zero;
      const elapsed = Math.min(daysBetween(r.startDate, through) + 1, total);
      return { numerator: new Dec(elapsed), denominator: new Dec(total) };
    }
  }
}

/** Cumulative revenue recognized per obligation: allocated × progress, computed exactly, rounded once. */
export function cumulativeRecognized(terms: TermsForRevenue, facts: ProgressFacts): Record<string, string> {
  const allocated = allocatePrice(terms, facts.cancelled);
  return Object.fromEntries(
    terms.obligations.map((o) => {
      const p = progress(terms, o.id, facts);
      const value = dec(allocated[o.id]!).times(p.numerator).dividedBy(p.denominator);
      return [o.id, formatMoney(roundMoney(value, terms.currency), terms.currency)];
    }),
  );
}

/**
 * The contract position (DESIGN §6): recognized − billed. Positive is a contract asset (unbilled AR),
 * negative a contract liability (deferred revenue); only one of the two is ever non-zero.
 */
export function contractPosition(recognized: MoneyInput, billed: MoneyInput, currency: string): { unbilledAr: string; deferredRevenue: string } {
  const net = dec(recognized).minus(dec(billed));
  return {
    unbilledAr: formatMoney(Dec.max(net, 0), currency),
    deferredRevenue: formatMoney(Dec.max(net.negated(), 0), currency),
  };
}

/**
 * Per-obligation catch-up (DESIGN §6 amendments and every progress posting): new cumulative −
 * recognized so far, for every obligation in either map. Zero catch-ups are kept (callers skip them).
 */
export function catchUp(
  cumulative: Readonly<Record<string, string>>,
  recognizedSoFar: Readonly<Record<string, string>>,
  currency: string,
): { perObligation: Record<string, string>; total: string } {
  const ids = [...new Set([...Object.keys(recognizedSoFar), ...Object.keys(cumulative)])];
  const perObligation = Object.fromEntries(
    ids.map((id) => [id, formatMoney(dec(cumulative[id] ?? '0').minus(dec(recognizedSoFar[id] ?? '0')), currency)]),
  );
  return { perObligation, total: formatMoney(sumMoney(Object.values(perObligation)), currency) };
}

export const ACCOUNTS = ['ar', 'unbilled_ar', 'deferred_revenue', 'revenue', 'cash'] as const;
export type Account = (typeof ACCOUNTS)[number];

export interface JournalLine { account: Account; debit: string; credit: string }

/**
 * The contract-position rule (DESIGN §6) for one event that bills `billed` and recognizes
 * `recognized` (either may be zero or negative: credit memos, negative catch-ups).
 * Position = unbilled_ar − deferred_revenue; only one of them is non-zero before and after.
 * An invoice alone debits ar and credits unbilled_ar up to its balance, the rest deferred revenue;
 * revenue alone credits revenue and debits deferred revenue up to its balance, the rest unbilled_ar;
 * both from one event net into a single entry (plain arrears milestone: Dr ar / Cr revenue).
 */
export function positionEntry(input: {
  currency: string;
  unbilledAr: MoneyInput;
  deferredRevenue: MoneyInput;
  billed: MoneyInput;
  recognized: MoneyInput;
}): JournalLine[] {
  const { currency } = input;
  const u = dec(input.unbilledAr);
  const d = dec(input.deferredRevenue);
  const billed = dec(input.billed);
  const recognized = dec(input.recognized);
  const next = u.minus(d).plus(recognized).minus(billed);
  const nextU = Dec.max(next, 0);
  const nextD = Dec.max(next.negated(), 0);
  const lines: JournalLine[] = [];
  // A positive amount on a debit-normal account is a debit; negative flips the side.
  const push = (account: Account, debitAmount: Dec) => {
    if (debitAmount.isZero()) return;
    lines.push(
      debitAmount.isPositive()
        ? { account, debit: formatMoney(debitAmount, currency), credit: formatMoney('0', currency) }
        : { account, debit: formatMoney('0', currency), credit: formatMoney(debitAmount.negated(), currency) },
    );
  };
  push('ar', billed);
  push('unbilled_ar', nextU.minus(u));
  push('deferred_revenue', d.minus(nextD));
  push('revenue', recognized.negated());
  return lines;
}

/** Payment P: Dr cash / Cr ar. */
export function paymentEntry(amount: MoneyInput, currency: string): JournalLine[] {
  return [
    { account: 'cash', debit: formatMoney(amount, currency), credit: formatMoney('0', currency) },
    { account: 'ar', debit: formatMoney('0', currency), credit: formatMoney(amount, currency) },
  ];
}

export function isBalanced(lines: readonly JournalLine[]): boolean {
  const debits = sumMoney(lines.map((l) => l.debit));
  const credits = sumMoney(lines.map((l) => l.credit));
  return debits.equals(credits);
}

/** Invoice due date: invoice date + payment-term days. */
export function dueDate(invoiceDate: BusinessDate, paymentTerms: string): BusinessDate {
  return addDays(invoiceDate, paymentTermDays(paymentTerms));
}

/**
 * The posting date of an event (DESIGN §6 periods): its own date, unless its month is closed; then
 * the first day of the first open month after it. The event keeps its event date.
 */
export function postingDateFor(eventDate: BusinessDate, closedPeriods: ReadonlySet<string> | readonly string[]): BusinessDate {
  let date = eventDate;
  while (has(closedPeriods, periodOf(date))) date = firstDayOfNextMonth(date);
  return date;
}
