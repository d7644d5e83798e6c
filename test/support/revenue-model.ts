/**
 * Random contracts and event sequences for property tests of the revenue ledger (fast-check), the
 * requests the contract workflow would send for them, in-memory repositories so the service's own
 * use cases run without a database, and the invariants of DESIGN §6 and §10 as one checker.
 */
import fc from 'fast-check';
import { ACCOUNTS, allocatePrice, isBalanced, transactionPrice } from '../../libs/accounting';
import { addDays, lastDayOfMonth } from '../../libs/dates';
import { Dec, dec, formatMoney, sumMoney } from '../../libs/money';
import type { JournalEntry } from '../../services/revenue/api';
import type { EntryDoc, EntryFilter } from '../../services/revenue/data/entries';
import type { PeriodDoc } from '../../services/revenue/data/periods';
import type { PlanDoc } from '../../services/revenue/data/plans';
import { balancesOf } from '../../services/revenue/ledger';

const money = (cents: number) => formatMoney(new Dec(cents).dividedBy(100), 'USD');
const amount = (min: number, max: number) => fc.integer({ min, max }).map(money);

const recognition = fc.oneof(
  fc.constant({ method: 'milestones' as const }),
  fc.constant({ method: 'point_in_time' as const }),
  amount(1, 1_000_000_00).map((estimatedTotalCost) => ({ method: 'cost_input' as const, estimatedTotalCost })),
  fc.record({ start: fc.integer({ min: 0, max: 90 }), length: fc.integer({ min: 0, max: 400 }) }).map(({ start, length }) => ({
    method: 'ratable' as const, startDate: addDays('2025-01-01', start), endDate: addDays('2025-01-01', start + length),
  })),
);

export const contractSpec = fc.array(
  fc.record({
    ssp: amount(1, 1_000_000_00),
    recognition,
    milestones: fc.array(
      fc.record({ amount: amount(0, 500_000_00), billable: fc.boolean(), weight: fc.option(amount(0, 100_000_00), { nil: undefined }) }),
      { minLength: 1, maxLength: 4 },
    ),
  }),
  { minLength: 1, maxLength: 3 },
);
type ValueOf<A> = A extends fc.Arbitrary<infer T> ? T : never;
export type ContractSpec = ValueOf<typeof contractSpec>;

const signed = fc.integer({ min: -200_000_00, max: 500_000_00 }).map(money);
export const eventSpec = fc.oneof(
  fc.record({ type: fc.constant('accept' as const), pick: fc.nat(), bill: fc.boolean() }),
  fc.record({ type: fc.constant('bill' as const), billed: signed }),
  fc.record({ type: fc.constant('cost' as const), pick: fc.nat(), amount: amount(0, 600_000_00) }),
  fc.record({ type: fc.constant('month_end' as const) }),
  fc.record({ type: fc.constant('pay' as const), amount: amount(1, 300_000_00) }),
  fc.record({ type: fc.constant('amend' as const), pick: fc.nat(), amount: amount(0, 500_000_00), cancel: fc.boolean(), ssp: amount(1, 1_000_000_00) }),
);
export type EventSpec = ValueOf<typeof eventSpec>;

export interface Call { route: '/plans' | '/postings'; body: any; key: string }

/** The requests for a contract and its events, one event per ~12 days from 2025-01-10. */
export function callsFor(spec: ContractSpec, events: readonly EventSpec[], contractId: string): Call[] {
  const base = { contractId, sandbox: true, currency: 'USD' };
  const obligations = spec.map((o, i) => ({ id: `o${i}`, ssp: o.ssp, recognition: o.recognition }));
  const milestones = spec.flatMap((o, i) => o.milestones.map((m, j) => ({ id: `m${i}-${j}`, obligationId: `o${i}`, sequence: i * 10 + j, ...m })));
  const cancelled: string[] = [];
  const accepted = new Set<string>();
  let version = 1;
  const plan = (effectiveDate: string): Call => ({
    route: '/plans', key: `${contractId}:v${version}`,
    body: structuredClone({ ...base, version, effectiveDate, obligations, milestones, cancelled }),
  });
  const calls: Call[] = [plan('2025-01-01')];
  let monthEnd = '2025-01-31';
  events.forEach((e, i) => {
    const date = addDays('2025-01-10', i * 12);
    const key = `${contractId}:e${i}`;
    const event = (body: Record<string, unknown>) =>
      calls.push({ route: '/postings', key, body: { kind: 'contract_event', ...base, eventDate: date, source: { type: e.type, ref: `e${i}` }, ...body } });
    const live = milestones.filter((m) => !cancelled.includes(m.id));
    switch (e.type) {
      case 'accept': {
        const m = live[e.pick % live.length];
        if (!m) return;
        accepted.add(m.id);
        event({ billed: e.bill && m.billable ? m.amount : '0', progress: { accepted: [m.id] } });
        return;
      }
      case 'bill':
        event({ billed: e.billed });
        return;
      case 'cost':
        event({ progress: { cost: { obligationId: obligations[e.pick % obligations.length]!.id, amount: e.amount } } });
        return;
      case 'month_end':
        event({ progress: { ratableThrough: monthEnd } });
        monthEnd = lastDayOfMonth(addDays(monthEnd, 1));
        return;
      case 'pay':
        calls.push({ route: '/postings', key, body: { kind: 'payment', ...base, eventDate: date, source: { type: 'payment', ref: `e${i}` }, amount: e.amount } });
        return;
      case 'amend': {
        version += 1;
        const m = live[e.pick % live.length];
        if (m && e.cancel && !accepted.has(m.id) && live.length > 1) cancelled.push(m.id);
        else if (m) m.amount = e.amount;
        obligations[e.pick % obligations.length]!.ssp = e.ssp;
        calls.push(plan(date));
        return;
      }
    }
  });
  return calls;
}

/** The invariants of a contract's entries (in seq order) against its latest plan. */
export function checkInvariants(entries: readonly JournalEntry[], plan: Pick<PlanDoc, 'currency' | 'obligations' | 'milestones' | 'cancelled'>): void {
  const currency = plan.currency;
  const fail = (message: string, extra: unknown = {}) => {
    throw new Error(`${message}: ${JSON.stringify(extra)}`);
  };
  const allocated = allocatePrice(plan, plan.cancelled);
  if (!sumMoney(Object.values(allocated)).equals(dec(transactionPrice(plan, plan.cancelled)))) fail('shares do not sum to the price', allocated);
  const seen: JournalEntry[] = [];
  let payments = new Dec(0);
  for (const e of entries) {
    if (!isBalanced(e.lines)) fail('unbalanced entry', e);
    if (e.lines.some((l) => !ACCOUNTS.includes(l.account))) fail('unknown account', e);
    seen.push(e);
    if (e.kind === 'payment') payments = payments.plus(e.lines.find((l) => l.account === 'cash')!.debit);
    const b = balancesOf(seen, currency);
    const u = dec(b.unbilled_ar);
    const d = dec(b.deferred_revenue);
    if (u.isNegative() || d.isNegative() || (!u.isZero() && !d.isZero())) fail('both unbilled AR and deferred revenue are non-zero (or one is negative)', b);
    const position = dec(e.position.recognized).minus(e.position.billed);
    if (!u.minus(d).equals(position)) fail('position ≠ unbilled AR − deferred revenue', { b, position: e.position });
    if (!dec(b.revenue).equals(e.position.recognized)) fail('revenue ≠ recognized', { b, position: e.position });
    if (!dec(b.ar).equals(dec(e.position.billed).minus(payments))) fail('ar ≠ billed − paid', { b, position: e.position });
    if (!sumMoney(Object.values(e.recognized)).equals(dec(e.position.recognized))) fail('recognized per obligation ≠ total', e);
  }
  const last = entries[entries.length - 1];
  for (const [o, r] of Object.entries(last?.recognized ?? {})) {
    if (dec(r).isNegative() || dec(r).greaterThan(allocated[o] ?? '0')) fail(`recognized ${r} on ${o} is outside [0, ${allocated[o]}]`);
  }
}

/** In-memory stand-ins for the three repositories, with the same unique keys (error code 11000). */
export function memoryRepos() {
  const dup = () => Object.assign(new Error('E11000 duplicate key'), { code: 11000 });
  const entries: EntryDoc[] = [];
  const plans: PlanDoc[] = [];
  const periods: PeriodDoc[] = [];
  const clone = <T>(x: T): T => structuredClone(x);
  return {
    entries: {
      async findByKey(k: string) { return clone(entries.find((e) => e.idempotencyKey === k) ?? null); },
      async latest(ledger: string, contractId: string) {
        return clone(entries.filter((e) => e.ledger === ledger && e.contractId === contractId).sort((a, b) => b.seq - a.seq)[0] ?? null);
      },
      async insert(doc: EntryDoc) {
        if (entries.some((e) => e.idempotencyKey === doc.idempotencyKey || e.entryId === doc.entryId || (e.ledger === doc.ledger && e.contractId === doc.contractId && e.seq === doc.seq))) throw dup();
        entries.push(clone(doc));
      },
      async list(f: EntryFilter) {
        return clone(entries.filter((e) => (!f.ledger || e.ledger === f.ledger) && (!f.contractId || e.contractId === f.contractId) && (!f.postingDateTo || e.postingDate <= f.postingDateTo)));
      },
    },
    plans: {
      async findByKey(k: string) { return clone(plans.find((p) => p.idempotencyKey === k) ?? null); },
      async latest(ledger: string, contractId: string) {
        return clone(plans.filter((p) => p.ledger === ledger && p.contractId === contractId).sort((a, b) => b.version - a.version)[0] ?? null);
      },
      async list(ledger: string, contractId: string) { return clone(plans.filter((p) => p.ledger === ledger && p.contractId === contractId)); },
      async insert(doc: PlanDoc) {
        if (plans.some((p) => p.idempotencyKey === doc.idempotencyKey || (p.ledger === doc.ledger && p.contractId === doc.contractId && p.version === doc.version))) throw dup();
        plans.push(clone(doc));
      },
    },
    periods: {
      async find(ledger: string, period: string) { return clone(periods.find((p) => p.ledger === ledger && p.period === period) ?? null); },
      async list(ledger: string) { return clone(periods.filter((p) => p.ledger === ledger)); },
      async insert(doc: PeriodDoc) {
        if (periods.some((p) => p.ledger === doc.ledger && p.period === doc.period)) throw dup();
        periods.push(clone(doc));
      },
    },
  };
}
