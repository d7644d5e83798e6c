/**
 * Revenue reports (DESIGN §6): pure functions over journal entries, all by POSTING date, balances
 * on their normal side. The use cases at the bottom select a ledger's entries and call them.
 */
import { ACCOUNTS, type Account, type JournalLine } from '../../libs/accounting';
import { AppError } from '../../libs/domain/errors';
import { addDays, periodOf } from '../../libs/dates';
import { Dec, formatMoney } from '../../libs/money';
import { ledgerFor, type Balances } from './api';
import type { EntryDoc, EntryRepository } from './data/entries';
import { DEBIT_NORMAL, balancesOf } from './ledger';

interface ReportEntry { contractId: string; postingDate: string; lines: readonly JournalLine[] }

export function nextPeriod(period: string): string {
  const y = Number(period.slice(0, 4));
  const m = Number(period.slice(5, 7));
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

export function periodsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let p = from; p <= to && out.length < 1200; p = nextPeriod(p)) out.push(p);
  return out;
}

/** Signed movement of an account in its normal direction (debit-normal: debit − credit). */
function movement(line: JournalLine): Dec {
  const signed = new Dec(line.debit).minus(line.credit);
  return DEBIT_NORMAL.has(line.account) ? signed : signed.negated();
}

/** Revenue per posting month: every month with non-zero revenue postings. */
export function revenueByPeriod(entries: readonly ReportEntry[], currency: string): Record<string, string> {
  const totals = new Map<string, Dec>();
  for (const e of entries) {
    for (const l of e.lines) {
      if (l.account !== 'revenue') continue;
      const p = periodOf(e.postingDate);
      totals.set(p, (totals.get(p) ?? new Dec(0)).plus(movement(l)));
    }
  }
  return Object.fromEntries(
    [...totals.entries()].filter(([, v]) => !v.isZero()).sort(([a], [b]) => (a < b ? -1 : 1)).map(([p, v]) => [p, formatMoney(v, currency)]),
  );
}

/** Cumulative balances at each month end from `from` to `to` (inclusive). */
export function monthEndBalances(entries: readonly ReportEntry[], from: string, to: string, currency: string): Record<string, Balances> {
  const sorted = [...entries].sort((a, b) => (a.postingDate < b.postingDate ? -1 : a.postingDate > b.postingDate ? 1 : 0));
  const out: Record<string, Balances> = {};
  let i = 0;
  const seen: ReportEntry[] = [];
  for (const p of periodsBetween(from, to)) {
    while (i < sorted.length && periodOf(sorted[i]!.postingDate) <= p) seen.push(sorted[i++]!);
    out[p] = balancesOf(seen, currency);
  }
  return out;
}

export interface RollForwardRow { period: string; opening: string; additions: string; releases: string; closing: string }

/**
 * Roll-forward of a contract balance per month: deferred revenue grows by credits (billing ahead)
 * and is released by debits (revenue); unbilled AR grows by debits (revenue ahead) and is released
 * by credits (billing).
 */
export function rollForward(entries: readonly ReportEntry[], account: 'deferred_revenue' | 'unbilled_ar', from: string, to: string, currency: string): RollForwardRow[] {
  let opening = new Dec(0);
  for (const e of entries) {
    if (periodOf(e.postingDate) >= from) continue;
    for (const l of e.lines) if (l.account === account) opening = opening.plus(movement(l));
  }
  return periodsBetween(from, to).map((period) => {
    let additions = new Dec(0);
    let releases = new Dec(0);
    for (const e of entries) {
      if (periodOf(e.postingDate) !== period) continue;
      for (const l of e.lines) {
        if (l.account !== account) continue;
        const m = movement(l);
        if (m.isPositive()) additions = additions.plus(m);
        else releases = releases.plus(m.negated());
      }
    }
    const closing = opening.plus(additions).minus(releases);
    const row = { period, opening: formatMoney(opening, currency), additions: formatMoney(additions, currency), releases: formatMoney(releases, currency), closing: formatMoney(closing, currency) };
    opening = closing;
    return row;
  });
}

export interface TrialBalance {
  accounts: Array<{ account: Account; debit: string; credit: string }>;
  totals: { debit: string; credit: string };
  balanced: boolean;
}

/** Each account's net balance on its debit or credit side; the two columns must be equal. */
export function trialBalance(entries: readonly ReportEntry[], currency: string): TrialBalance {
  const net = Object.fromEntries(ACCOUNTS.map((a) => [a, new Dec(0)])) as Record<Account, Dec>;
  for (const e of entries) for (const l of e.lines) net[l.account] = net[l.account].plus(new Dec(l.debit).minus(l.credit));
  let debit = new Dec(0);
  let credit = new Dec(0);
  const accounts = ACCOUNTS.map((account) => {
    const n = net[account];
    if (n.isPositive()) debit = debit.plus(n);
    else credit = credit.plus(n.negated());
    return {
      account,
      debit: formatMoney(n.isPositive() ? n : '0', currency),
      credit: formatMoney(n.isNegative() ? n.negated() : '0', currency),
    };
  });
  return { accounts, totals: { debit: formatMoney(debit, currency), credit: formatMoney(credit, currency) }, balanced: debit.equals(credit) };
}

export interface ContractBalanceRow extends Balances {
  contractId: string;
  /** Contract position = recognized − billed = unbilled_ar − deferred_revenue. */
  position: string;
}

export function contractBalances(entries: readonly ReportEntry[], currency: string): ContractBalanceRow[] {
  const byContract = new Map<string, ReportEntry[]>();
  for (const e of entries) byContract.set(e.contractId, [...(byContract.get(e.contractId) ?? []), e]);
  return [...byContract.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([contractId, es]) => {
      const b = balancesOf(es, currency);
      return { contractId, ...b, position: formatMoney(new Dec(b.unbilled_ar).minus(b.deferred_revenue), currency) };
    });
}

/** CSV with RFC 4180 quoting. */
export function toCsv(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cell = (v: string | number) => {
    const s = String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

// ---------------------------------------------------------------------------------------------

export interface LedgerSelection {
  contractId?: string;
  sandbox?: 'true' | 'false';
  currency?: string;
  asOf?: string;
}

/** A month's entries of a ledger by (ledger, period) (data/entries.ts entryPeriodRepository). */
export interface EntriesByPeriod { byPeriod(ledger: string, period: string): Promise<EntryDoc[]> }

export function createReportUseCases(repo: EntryRepository, today: () => string, months?: EntriesByPeriod) {
  /** The entries of one ledger (books or a sandbox contract's), optionally one contract, up to asOf. */
  async function select(q: LedgerSelection & { from?: string; to?: string; sourceType?: string; kind?: string; account?: string }, page?: { limit: number; offset: number }) {
    const sandbox = q.sandbox === 'true';
    if (sandbox && q.contractId === undefined) {
      throw new AppError('validation_failed', 'invalid query: query.contractId is required with sandbox=true (a sandbox ledger is per contract)', [
        { path: 'query.contractId', message: 'required with sandbox=true' },
      ]);
    }
    const ledger = sandbox ? ledgerFor(q.contractId!, true) : 'books';
    const to = [q.asOf, q.to].filter((d): d is string => d !== undefined).sort()[0];
    const entries: EntryDoc[] = await repo.list(
      { ledger, contractId: q.contractId, currency: q.currency, postingDateFrom: q.from, postingDateTo: to, sourceType: q.sourceType, kind: q.kind, account: q.account },
      page?.limit,
      page?.offset,
    );
    const currencies = [...new Set(entries.map((e) => e.currency))];
    if (currencies.length > 1) {
      throw new AppError('validation_failed', `invalid query: the entries are in ${currencies.join(', ')}; pass query.currency`, [
        { path: 'query.currency', message: 'required: more than one currency' },
      ]);
    }
    return { ledger, entries, currency: q.currency ?? currencies[0] ?? 'USD', asOf: q.asOf ?? today() };
  }

  /**
   * The books' entries of the months `from`..`to` (ledger-wide, no contract): one indexed read per
   * month by (ledger, period), never the whole ledger; up to `asOf` when given.
   */
  async function selectMonths(q: LedgerSelection & { from: string; to: string }) {
    const read: EntryDoc[] = [];
    for (const p of periodsBetween(q.from, q.to)) read.push(...(await months!.byPeriod('books', p)));
    const all = read
      .filter((e) => q.asOf === undefined || e.postingDate <= q.asOf)
      .sort((a, b) => (a.postingDate < b.postingDate ? -1 : a.postingDate > b.postingDate ? 1 : a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.seq - b.seq));
    const currencies = [...new Set(all.map((e) => e.currency))];
    if (q.currency === undefined && currencies.length > 1) {
      throw new AppError('validation_failed', `invalid query: the entries are in ${currencies.join(', ')}; pass query.currency`, [
        { path: 'query.currency', message: 'required: more than one currency' },
      ]);
    }
    const entries = q.currency === undefined ? all : all.filter((e) => e.currency === q.currency);
    return { ledger: 'books', entries, currency: q.currency ?? currencies[0] ?? 'USD', asOf: q.asOf ?? today() };
  }
  /** Ledger-wide over named months: read by month (selectMonths) instead of the whole ledger. */
  const byMonths = (q: LedgerSelection & { from?: string; to?: string }): q is LedgerSelection & { from: string; to: string } =>
    months !== undefined && q.contractId === undefined && q.sandbox !== 'true' && q.from !== undefined && q.to !== undefined;

  return {
    select,
    async revenueByPeriod(q: LedgerSelection & { from?: string; to?: string }) {
      const picked = byMonths(q) ? await selectMonths(q) : await select({ ...q, from: undefined, to: undefined });
      const { ledger, currency, asOf } = picked;
      // With from/to (months), only those months (a contract's entries are read whole, then kept to them).
      const entries = picked.entries.filter((e) => (q.from === undefined || periodOf(e.postingDate) >= q.from) && (q.to === undefined || periodOf(e.postingDate) <= q.to));
      const contracts = contractBalances(entries, currency).map((c) => ({
        contractId: c.contractId,
        revenueByPeriod: revenueByPeriod(entries.filter((e) => e.contractId === c.contractId), currency),
      }));
      return { ledger, contractId: q.contractId ?? null, currency, asOf, revenueByPeriod: revenueByPeriod(entries, currency), contracts };
    },
    async balances(q: LedgerSelection) {
      const { ledger, entries, currency, asOf } = await select(q);
      return { ledger, contractId: q.contractId ?? null, currency, asOf, balances: balancesOf(entries, currency) };
    },
    async monthEndBalances(q: LedgerSelection & { from?: string; to?: string }) {
      const { ledger, entries, currency } = await select({ ...q, to: undefined, from: undefined });
      const months = entries.map((e) => periodOf(e.postingDate)).sort();
      const from = q.from ?? months[0];
      const to = q.to ?? (q.asOf ? periodOf(q.asOf) : months[months.length - 1]);
      const balances = from !== undefined && to !== undefined ? monthEndBalances(entries, from, to, currency) : {};
      return { ledger, contractId: q.contractId ?? null, currency, from: from ?? null, to: to ?? null, balances };
    },
    async rollForward(q: LedgerSelection & { from?: string; to?: string }) {
      // Ledger-wide over named months: the months by period (indexed), and — for the opening
      // balances — every entry of the books before `from` (a read that grows with the books' history).
      const { ledger, entries, currency } = byMonths(q)
        ? await (async () => {
          const inRange = await selectMonths(q);
          const before = await repo.list({ ledger: 'books', currency: inRange.currency, postingDateTo: addDays(`${q.from}-01`, -1) });
          return { ...inRange, entries: [...before, ...inRange.entries] };
        })()
        : await select({ ...q, to: undefined, from: undefined });
      const months = entries.map((e) => periodOf(e.postingDate)).sort();
      const from = q.from ?? months[0];
      const to = q.to ?? (q.asOf ? periodOf(q.asOf) : months[months.length - 1]);
      const rf = (a: 'deferred_revenue' | 'unbilled_ar') => (from !== undefined && to !== undefined ? rollForward(entries, a, from, to, currency) : []);
      return { ledger, contractId: q.contractId ?? null, currency, from: from ?? null, to: to ?? null, deferred_revenue: rf('deferred_revenue'), unbilled_ar: rf('unbilled_ar') };
    },
    async contractBalances(q: LedgerSelection) {
      const { ledger, entries, currency, asOf } = await select(q);
      return { ledger, currency, asOf, contracts: contractBalances(entries, currency) };
    },
    async trialBalance(q: LedgerSelection) {
      const { ledger, entries, currency, asOf } = await select(q);
      return { ledger, contractId: q.contractId ?? null, currency, asOf, ...trialBalance(entries, currency) };
    },
  };
}

export type ReportUseCases = ReturnType<typeof createReportUseCases>;
