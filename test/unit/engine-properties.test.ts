/**
 * Property tests of the contract rules (workflows/engine.ts, fast-check): random terms and random
 * sequences of facts (completions, declarations, accepts, rejects, holds, releases, payments,
 * amendments, clock moves), checking after every step the invariants of DESIGN §3a, §4, §10 and §11
 * that hold whatever happens, and that the same terms and facts always give the same state.
 */
import fc from 'fast-check';
import type { ContractState } from '../../libs/domain/contract';
import type { ContractTerms, Milestone } from '../../libs/domain/terms';
import { addDays } from '../../libs/dates';
import { Dec, dec, formatMoney, sumMoney } from '../../libs/money';
import * as engine from '../../workflows/engine';
import { drain, ms, obligation, runs, start, terms } from '../support/engine-fixtures';

const money = (units: number) => formatMoney(new Dec(units), 'USD');

const trigger = fc.oneof(
  fc.constant({ type: 'event', completion: 'external_event' } as const),
  fc.constant({ type: 'event', completion: 'customer_signoff' } as const),
  fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }).map((d) => ({ type: 'event', completion: 'vendor_declaration', ...(d === undefined ? {} : { deemedAcceptanceDays: d }) }) as const),
  fc.integer({ min: -5, max: 60 }).map((d) => ({ type: 'date', date: addDays('2026-01-01', d) }) as const),
);
const timing = fc.oneof(
  fc.constant({ type: 'immediate' } as const),
  fc.integer({ min: 0, max: 20 }).map((days) => ({ type: 'days_after_acceptance', days }) as const),
  fc.constant({ type: 'next_billing_cycle' } as const),
);

const termsSpec = fc.record({
  milestones: fc.array(fc.record({
    amount: fc.oneof({ arbitrary: fc.constant(0), weight: 1 }, { arbitrary: fc.integer({ min: 1, max: 5000 }), weight: 6 }),
    billable: fc.integer({ min: 0, max: 4 }).map((x) => x > 0),
    sequence: fc.integer({ min: 0, max: 5 }),
    trigger,
    timing,
    strict: fc.boolean(),
  }), { minLength: 1, maxLength: 4 }),
  billingDay: fc.integer({ min: 1, max: 31 }),
  enforceSequence: fc.boolean(),
  paymentDays: fc.integer({ min: 0, max: 90 }),
  advance: fc.option(fc.record({ amount: fc.integer({ min: 1, max: 6000 }), day: fc.integer({ min: -3, max: 40 }) }), { nil: undefined }),
  ratable: fc.boolean(),
});
type TermsSpec = typeof termsSpec extends fc.Arbitrary<infer T> ? T : never;

function termsOf(spec: TermsSpec): ContractTerms {
  return terms(spec.milestones.map((m, i) => ms(`m${i}`, {
    amount: money(m.amount), billable: m.billable, sequence: m.sequence, trigger: m.trigger, invoiceTiming: m.timing,
    ...(m.strict ? { plannedFinishDate: '2026-01-20', allowDateChange: false } : {}),
  })), {
    billingDay: spec.billingDay,
    enforceSequence: spec.enforceSequence,
    paymentTerms: `NET_${spec.paymentDays}`,
    ...(spec.advance ? { advanceBilling: { amount: money(spec.advance.amount), date: addDays('2026-01-01', spec.advance.day) } } : {}),
    obligations: spec.ratable
      ? [obligation('impl'), obligation('sup', { method: 'ratable', startDate: '2026-01-10', endDate: '2026-03-15' })]
      : [obligation('impl')],
  });
}

const pick = fc.nat({ max: 3 });
const back = fc.integer({ min: 0, max: 4 });
const eventSpec = fc.oneof(
  { arbitrary: fc.record({ type: fc.constant('tick' as const), days: fc.integer({ min: 0, max: 25 }) }), weight: 3 },
  { arbitrary: fc.record({ type: fc.constant('complete' as const), pick, back }), weight: 4 },
  { arbitrary: fc.record({ type: fc.constant('declare' as const), pick, back }), weight: 1 },
  { arbitrary: fc.record({ type: fc.constant('accept' as const), pick, back }), weight: 2 },
  { arbitrary: fc.record({ type: fc.constant('reject' as const), pick, back }), weight: 1 },
  { arbitrary: fc.record({ type: fc.constant('hold' as const) }), weight: 1 },
  { arbitrary: fc.record({ type: fc.constant('release' as const) }), weight: 1 },
  { arbitrary: fc.record({ type: fc.constant('pay' as const), pick: fc.nat() }), weight: 2 },
  {
    arbitrary: fc.record({
      type: fc.constant('amend' as const), pick, amount: fc.option(fc.integer({ min: 0, max: 5000 }), { nil: undefined }),
      cancel: fc.integer({ min: 0, max: 4 }).map((x) => x === 0), move: fc.option(fc.integer({ min: -10, max: 30 }), { nil: undefined }),
      stale: fc.integer({ min: 0, max: 9 }).map((x) => x === 0),
    }),
    weight: 3,
  },
);
type EventSpec = typeof eventSpec extends fc.Arbitrary<infer T> ? T : never;

/** Applies one fact as the workflow would (today = the sandbox clock; due timers settle afterwards). */
function apply(s: ContractState, e: EventSpec): void {
  const ids = Object.keys(s.milestones);
  const id = 'pick' in e ? ids[e.pick % ids.length]! : '';
  const date = 'back' in e ? addDays(s.clock, -e.back) : undefined;
  switch (e.type) {
    case 'tick': engine.checkAdvanceClock(s, addDays(s.clock, e.days)); engine.fireDueTimers(s, addDays(s.clock, e.days)); break;
    case 'complete': engine.complete(s, { milestoneId: id, date }, s.clock, 'update'); break;
    case 'declare': engine.complete(s, { milestoneId: id, date }, s.clock, 'signal', 'declare'); break;
    case 'accept': engine.accept(s, { milestoneId: id, date }, s.clock, 'update'); break;
    case 'reject': engine.reject(s, { milestoneId: id, date, reason: 'not done' }, s.clock, 'update'); break;
    case 'hold': engine.hold(s, {}, s.clock, 'update'); break;
    case 'release': engine.release(s, {}, s.clock, 'update'); break;
    case 'pay': {
      const open = s.invoices.filter((i) => !i.paid && i.number);
      const inv = open[e.pick % Math.max(open.length, 1)];
      if (inv) engine.invoicePaid(s, { invoiceNumber: inv.number!, paidOn: s.clock });
      break;
    }
    case 'amend': {
      const change: Partial<Milestone> & { id: string } = { id };
      if (e.amount !== undefined) change.amount = money(e.amount);
      if (e.move !== undefined) change.trigger = { type: 'date', date: addDays(s.clock, e.move) };
      engine.amend(s, { baseVersion: e.stale ? s.version - 1 : s.version, changes: e.cancel ? { cancel: [id] } : { milestones: [change] } }, s.clock);
      break;
    }
  }
  engine.fireDueTimers(s, s.clock);
  drain(s);
}

const TIMER_LOG = new Set(['advance', 'date_trigger', 'deemed_acceptance', 'invoice_due', 'month_end']);
const bills = (m: Milestone) => m.billable && !dec(m.amount).isZero();

/** The invariants every state satisfies; `before` is the state before the step. */
function check(s: ContractState, before: ContractState): void {
  const termsNow = s.versions[s.versions.length - 1]!.terms;
  // Σ invoices − Σ credit memos = billed, never negative (DESIGN §10.2).
  const net = sumMoney(s.invoices.map((i) => i.amount)).minus(sumMoney(s.creditMemos.map((c) => c.amount)));
  expect(formatMoney(net, 'USD')).toBe(s.billed);
  expect(net.isNegative()).toBe(false);
  for (const c of s.creditMemos) expect(dec(c.amount).greaterThan(0)).toBe(true);
  // New invoices and memos are never dated before the clock they were issued on, nor after it now.
  for (const doc of [...s.invoices.slice(before.invoices.length), ...s.creditMemos.slice(before.creditMemos.length)]) {
    expect(doc.date >= before.clock && doc.date <= s.clock).toBe(true);
  }
  for (const inv of s.invoices) expect(inv.dueDate >= inv.date).toBe(true);
  // Timers of one step fire in non-decreasing date order; the clock never goes back.
  const fired = s.log.slice(before.log.length).filter((l) => l.via === 'timer' && TIMER_LOG.has(l.kind)).map((l) => l.date!);
  expect([...fired].sort()).toEqual(fired);
  expect(s.clock >= before.clock).toBe(true);
  // One milestone invoice per milestone, consistent with its status (DESIGN §10.1, §11).
  const advanceApplied = s.advance ? dec(s.advance.applied) : new Dec(0);
  let owed = new Dec(0);
  for (const m of termsNow.milestones) {
    const st = s.milestones[m.id]!;
    const own = s.invoices.filter((i) => i.kind === 'milestone' && i.milestoneIds.includes(m.id));
    expect(own.length).toBeLessThanOrEqual(1);
    if (st.status === 'invoiced' || st.status === 'paid') expect(own.length + s.invoices.filter((i) => i.kind === 'supplementary' && i.milestoneIds.includes(m.id)).length).toBeGreaterThan(0);
    if (['planned', 'completed', 'declared', 'rejected', 'cancelled'].includes(st.status)) {
      expect(own).toEqual([]);
      expect(st.acceptedOn).toBeUndefined();
    }
    if (st.status === 'covered') expect(own).toEqual([]);
    if (['invoiced', 'paid', 'covered'].includes(st.status) && bills(m)) owed = owed.plus(m.amount);
    // An accepted billable milestone not invoiced yet has its reason: a timer, a hold, a sequence.
    if (st.status === 'accepted' && bills(m)) {
      const timer = s.timers.some((t) => t.kind === 'invoice' && t.milestoneId === m.id);
      expect(timer || st.waiting !== undefined).toBe(true);
    }
    if (st.waiting === 'customer_hold') expect(s.heldInvoices).toContain(m.id);
  }
  // Billed to milestones (net of memos) plus the advance applied to them = their current amounts.
  const milestoneBilled = sumMoney(s.invoices.filter((i) => i.kind !== 'advance').map((i) => i.amount)).minus(sumMoney(s.creditMemos.map((c) => c.amount)));
  expect(milestoneBilled.plus(advanceApplied).toFixed(2)).toBe(owed.toFixed(2));
  if (s.advance) {
    expect(advanceApplied.isNegative()).toBe(false);
    expect(advanceApplied.lessThanOrEqualTo(s.advance.amount)).toBe(true);
    if (!s.advance.issued) expect(advanceApplied.isZero()).toBe(true);
    expect(s.invoices.filter((i) => i.kind === 'advance').length).toBe(s.advance.issued ? 1 : 0);
  }
  if (!s.hold) expect(s.heldInvoices).toEqual([]);
  expect(new Set(s.heldInvoices).size).toBe(s.heldInvoices.length);
  // Every pending timer is in the future of the clock (due ones fired).
  for (const t of s.timers) expect(t.date > s.clock).toBe(true);
}

function run(spec: TermsSpec, events: readonly EventSpec[], checkEach = true): ContractState {
  const s = start(termsOf(spec));
  drain(s);
  for (const e of events) {
    const before = structuredClone(s);
    try {
      apply(s, e);
    } catch (err) {
      // Only business refusals, and a refusal changes nothing.
      expect(engine.refusalOf(err)).toBeDefined();
      expect(s).toEqual(before);
      continue;
    }
    if (checkEach) check(s, before);
  }
  return s;
}

describe('contract rules: properties over random terms and facts', () => {
  it('billed = Σ invoices − Σ credit memos ≥ 0; invoices dated on the clock; timers in date order; one invoice per milestone; refusals change nothing', () => {
    fc.assert(fc.property(termsSpec, fc.array(eventSpec, { minLength: 4, maxLength: 40, size: 'medium' }), (spec, events) => {
      run(spec, events);
    }), { numRuns: runs(120) });
  });

  it('the same terms and the same facts give the same state', () => {
    fc.assert(fc.property(termsSpec, fc.array(eventSpec, { maxLength: 30 }), (spec, events) => {
      expect(run(spec, events, false)).toEqual(run(spec, events, false));
    }), { numRuns: runs(40) });
  });

  it('a repeated fact is answered ignored and changes nothing but the log', () => {
    fc.assert(fc.property(termsSpec, fc.array(eventSpec, { maxLength: 20 }), fc.nat({ max: 3 }), (spec, events, p) => {
      const s = run(spec, events, false);
      const id = Object.keys(s.milestones)[p % Object.keys(s.milestones).length]!;
      const st = s.milestones[id]!.status;
      if (!['accepted', 'invoiced', 'paid', 'covered', 'completed', 'declared'].includes(st) || s.status !== 'active') return;
      const before = structuredClone(s);
      const out = engine.complete(s, { milestoneId: id }, s.clock, 'update');
      expect(out.outcome).toBe('ignored');
      expect({ ...s, log: [], logSeq: 0 }).toEqual({ ...before, log: [], logSeq: 0 });
    }), { numRuns: runs(80) });
  });

  it('after everything is accepted and the clock runs past every timer, every billable milestone is billed exactly once at its amount', () => {
    fc.assert(fc.property(termsSpec, (spec) => {
      const s = start(termsOf(spec));
      for (const id of Object.keys(s.milestones)) {
        engine.complete(s, { milestoneId: id }, s.clock, 'update');
        if (s.milestones[id]!.status === 'completed' || s.milestones[id]!.status === 'declared') engine.accept(s, { milestoneId: id }, s.clock, 'update');
      }
      engine.fireDueTimers(s, '2027-01-01');
      const t = s.versions[0]!.terms;
      for (const m of t.milestones) {
        const st = s.milestones[m.id]!;
        expect(st.acceptedOn).toBeDefined();
        if (!bills(m)) continue;
        expect(['invoiced', 'covered']).toContain(st.status);
      }
      const price = sumMoney(t.milestones.filter(bills).map((m) => m.amount));
      const advanceUnapplied = s.advance ? dec(s.advance.amount).minus(s.advance.applied) : new Dec(0);
      expect(dec(s.billed).minus(advanceUnapplied).toFixed(2)).toBe(price.toFixed(2));
    }), { numRuns: runs(100) });
  });
});
