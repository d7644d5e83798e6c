/**
 * A small builder for unit tests of the contract rules (workflows/engine.ts) with no server:
 * contract terms validated by the real schema (so defaults apply as in production), a started
 * contract the way the workflow starts one, the sandbox clock, the outbox "run" the way the
 * workflow runs it (numbers issued, deterministically from the index), and the refusal a rule throws.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { AmendInput, ContractState, Effect } from '../../libs/domain/contract';
import { contractTermsSchema, type ContractTerms, type ContractTermsInput } from '../../libs/domain/terms';
import * as engine from '../../workflows/engine';
import { milestone, type MilestoneInput } from './terms';

type ObligationInput = ContractTermsInput['obligations'][number];

/** A billable milestone of obligation `impl` (external event, immediate invoice, 1000.00) unless overridden. */
export function ms(id: string, overrides: Partial<MilestoneInput> = {}): MilestoneInput {
  return milestone(id, { amount: '1000.00', ...overrides });
}

export const signoff = { type: 'event', completion: 'customer_signoff' } as const;
export const external = { type: 'event', completion: 'external_event' } as const;
export const declaration = (deemedAcceptanceDays?: number) =>
  ({ type: 'event', completion: 'vendor_declaration', ...(deemedAcceptanceDays === undefined ? {} : { deemedAcceptanceDays }) }) as const;
export const onDate = (date: string) => ({ type: 'date', date }) as const;
export const afterDays = (days: number) => ({ type: 'days_after_acceptance', days }) as const;
export const nextCycle = { type: 'next_billing_cycle' } as const;

export const obligation = (id: string, recognition: ObligationInput['recognition'] = { method: 'milestones' }, ssp = '1000.00'): ObligationInput =>
  ({ id, name: `Obligation ${id}`, ssp, recognition });

/** Sandbox terms (clock at 2026-01-01, NET_30, billing day 1) with the given milestones. */
export function terms(milestones: MilestoneInput[], overrides: Partial<ContractTermsInput> = {}): ContractTerms {
  return contractTermsSchema.parse({
    contractId: 'c-unit',
    customer: { id: 'cust-1', name: 'Customer One' },
    currency: 'USD',
    signedDate: '2026-01-01',
    paymentTerms: 'NET_30',
    obligations: [obligation('impl')],
    milestones,
    sandbox: { clockStart: '2026-01-01' },
    ...overrides,
  });
}

/** A contract started as the workflow starts one: initial state, then the timers due on clockStart. */
export function start(t: ContractTerms, today = '2026-01-01'): ContractState {
  const state = engine.initialState(t, today);
  // As a run begun by the current workflow code sets it (the 'credited-parts-settle' patch).
  state.creditsSettle = 'progress';
  if (state.sandbox) engine.fireDueTimers(state, state.clock);
  return state;
}

/** Finance advances the sandbox clock (DESIGN §3a): checked, then every timer due by `to` fires. */
export function advanceClock(state: ContractState, to: string): number {
  engine.checkAdvanceClock(state, to);
  return engine.fireDueTimers(state, to);
}

/**
 * Runs the outbox as the workflow does when every service answers: invoices and credit memos get
 * their numbers (INV-<year>-…, CM-<year>-…), the milestone lists its invoice numbers. Returns the
 * effects that ran.
 */
export function drain(state: ContractState): Effect[] {
  const ran = state.outbox;
  for (const effect of ran) {
    if (effect.kind === 'issue_invoice') {
      const inv = state.invoices[effect.invoiceIndex]!;
      inv.number = `INV-${inv.date.slice(0, 4)}-${String(effect.invoiceIndex + 1).padStart(6, '0')}`;
      for (const id of inv.milestoneIds) state.milestones[id]?.invoiceNumbers.push(inv.number);
    } else if (effect.kind === 'issue_credit_memo') {
      const memo = state.creditMemos[effect.memoIndex]!;
      memo.number = `CM-${memo.date.slice(0, 4)}-${String(effect.memoIndex + 1).padStart(6, '0')}`;
    }
  }
  state.effectsDone += ran.length;
  state.outbox = [];
  return ran;
}

/** The refusal `fn` throws (fails the test when it throws nothing or something else). */
export function refusalOf(fn: () => unknown): ApplicationFailure {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  if (thrown === undefined) throw new Error('expected a refusal, nothing was thrown');
  if (!(thrown instanceof ApplicationFailure)) throw new Error(`expected an ApplicationFailure, got ${String(thrown)}`);
  expect(thrown.nonRetryable).toBe(true);
  return thrown;
}

/** The DESIGN code of the refusal `fn` throws. */
export function codeOf(fn: () => unknown): string | undefined {
  return refusalOf(fn).type ?? undefined;
}

/** A compact view of the invoices: kind, milestone, amount, date, due date. */
export function invoiceRows(state: ContractState): Array<[string, string, string, string, string]> {
  return state.invoices.map((i) => [i.kind, i.milestoneIds.join(','), i.amount, i.date, i.dueDate]);
}

export function statusOf(state: ContractState, id: string): string {
  return state.milestones[id]!.status;
}

/** The effects of the outbox of one kind. */
export function effectsOf<K extends Effect['kind']>(state: ContractState, kind: K): Array<Extract<Effect, { kind: K }>> {
  return state.outbox.filter((e): e is Extract<Effect, { kind: K }> => e.kind === kind);
}

/** The log entries (kind, outcome, milestone, reason) after position `from`. */
export function logRows(state: ContractState, from = 0): Array<[string, string, string | undefined]> {
  return state.log.slice(from).map((e) => [e.kind, e.outcome, e.milestoneId]);
}

/**
 * How many runs a property test makes: `n`, scaled down under mutation testing (jest.mutation.config.js
 * sets FC_RUNS_SCALE), where every mutant re-runs the tests that cover it.
 */
export function runs(n: number): number {
  return Math.max(10, Math.round(n * Number(process.env.FC_RUNS_SCALE ?? '1')));
}

/**
 * The facts a test sends, as the workflow's updates apply them (today = the contract's clock; an
 * optional business date for the milestone events).
 */
export const facts = {
  progress: (s: ContractState, milestoneId: string, percent: string, date?: string) =>
    engine.reportProgress(s, { milestoneId, percent, ...(date ? { date } : {}) }, s.clock, 'update'),
  complete: (s: ContractState, milestoneId: string, date?: string) => engine.complete(s, { milestoneId, ...(date ? { date } : {}) }, s.clock, 'update'),
  accept: (s: ContractState, milestoneId: string) => engine.accept(s, { milestoneId }, s.clock, 'update'),
  reject: (s: ContractState, milestoneId: string) => engine.reject(s, { milestoneId, reason: 'not done' }, s.clock, 'update'),
  hold: (s: ContractState) => engine.hold(s, {}, s.clock, 'update'),
  release: (s: ContractState) => engine.release(s, {}, s.clock, 'update'),
  pay: (s: ContractState, invoiceNumber: string) => engine.invoicePaid(s, { invoiceNumber, paidOn: s.clock }),
  amend: (s: ContractState, changes: AmendInput['changes']) => engine.amend(s, { baseVersion: s.version, changes }, s.clock),
};
