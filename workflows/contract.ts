/**
 * The contract workflow: one per contract (`contract-<id>`). It owns the terms, the milestone
 * states and the outbox of side effects, and drives the invoicing, AR and revenue services through
 * activities. Deterministic: no I/O, no Node APIs; time comes from the workflow clock.
 */
import {
  ApplicationFailure,
  condition,
  log,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { ArActivities, InvoicingActivities, RevenueActivities } from '../activities';
import { cumulativeRecognized, dueDate } from '../libs/accounting';
import type {
  BillMilestoneEffect,
  ContractState,
  ContractWorkflowInput,
  Effect,
  MilestoneEventInput,
  UpdateOutcome,
} from '../libs/domain/contract';
import { currentTerms } from '../libs/domain/contract';
import type { ErrorCode } from '../libs/domain/errors';
import { completeMilestoneUpdate, contractStateQuery, milestoneCompletedSignal } from '../libs/domain/messages';
import type { ContractTerms, Milestone } from '../libs/domain/terms';
import { dateInZone, isBusinessDate } from '../libs/dates';
import { dec, formatMoney, sumMoney } from '../libs/money';

const REFUSAL_CODES: ErrorCode[] = [
  'validation_failed', 'not_found', 'future_date', 'not_allowed_in_state', 'window_closed',
  'requires_amendment', 'stale_version', 'invalid_amendment', 'idempotency_conflict', 'unbalanced_entry',
];

const services = proxyActivities<InvoicingActivities & ArActivities & RevenueActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: REFUSAL_CODES },
});

function refuse(code: ErrorCode, message: string): never {
  throw ApplicationFailure.nonRetryable(message, code);
}

export function initialState(terms: ContractTerms): ContractState {
  return {
    contractId: terms.contractId,
    customerId: terms.customer.id,
    currency: terms.currency,
    sandbox: terms.sandbox !== undefined,
    status: 'active',
    version: 1,
    versions: [{ version: 1, effectiveDate: terms.signedDate, terms }],
    milestones: Object.fromEntries(terms.milestones.map((m) => [m.id, { id: m.id, status: 'planned', invoiceNumbers: [] }])),
    invoices: [],
    recognized: Object.fromEntries(terms.obligations.map((o) => [o.id, formatMoney('0', terms.currency)])),
    billed: formatMoney('0', terms.currency),
    log: [],
    outbox: [],
    effectsDone: 0,
    effectsQueued: 0,
  };
}

export async function contractWorkflow(input: ContractWorkflowInput): Promise<ContractState> {
  const state: ContractState = input.resume ?? initialState(input.terms);

  const terms = () => currentTerms(state);
  const today = () => dateInZone(Date.now(), terms().timezone);

  function record(entry: Omit<ContractState['log'][number], 'seq' | 'at'>): void {
    state.log.push({ seq: state.log.length + 1, at: new Date(Date.now()).toISOString(), ...entry });
  }

  /** Refuses an event that names an unknown milestone, a bad or future date. */
  function checkMilestoneEvent(e: MilestoneEventInput): { milestone: Milestone; date: string } {
    const milestone = terms().milestones.find((m) => m.id === e?.milestoneId);
    if (!milestone) refuse('not_found', `contract ${state.contractId} has no milestone ${String(e?.milestoneId)}`);
    if (e.date !== undefined && !isBusinessDate(e.date)) refuse('validation_failed', `date ${e.date} is not a calendar date YYYY-MM-DD`);
    const date = e.date ?? today();
    if (date > today()) refuse('future_date', `date ${date} is after today (${today()})`);
    return { milestone, date };
  }

  function enqueue(effect: Omit<Effect, 'id'>): number {
    state.effectsQueued += 1;
    state.outbox.push({ ...effect, id: `${state.effectsQueued}` } as Effect);
    return state.effectsQueued;
  }

  /** Accepts a milestone: recognizes revenue on the acceptance date and queues its invoice. */
  function accept(milestone: Milestone, date: string, kind: 'event' | 'signoff'): number {
    const ms = state.milestones[milestone.id]!;
    ms.status = 'accepted';
    ms.acceptedOn = date;
    ms.acceptance = kind;
    const accepted = Object.values(state.milestones).filter((m) => m.acceptedOn !== undefined).map((m) => m.id);
    const cumulative = cumulativeRecognized(terms(), { accepted });
    const recognized = sumMoney(Object.keys(cumulative).map((o) => dec(cumulative[o]!).minus(state.recognized[o] ?? '0')));
    state.recognized = cumulative;
    return enqueue({
      kind: 'bill_milestone',
      milestoneId: milestone.id,
      date,
      amount: milestone.billable ? milestone.amount : formatMoney('0', state.currency),
      recognized: formatMoney(recognized, state.currency),
      termsVersion: state.version,
    });
  }

  function complete(e: MilestoneEventInput): { outcome: UpdateOutcome; ticket?: number } {
    const { milestone, date } = checkMilestoneEvent(e);
    const ms = state.milestones[milestone.id]!;
    if (milestone.trigger.type === 'date') {
      record({ kind: 'complete', milestoneId: milestone.id, date, outcome: 'ignored', reason: 'date-triggered milestone' });
      return { outcome: { outcome: 'ignored', reason: 'date-triggered milestone: it is accepted on its date', milestone: ms } };
    }
    if (ms.status !== 'planned' && ms.status !== 'rejected') {
      record({ kind: 'complete', milestoneId: milestone.id, date, outcome: 'ignored', reason: 'duplicate' });
      return { outcome: { outcome: 'ignored', reason: `duplicate: milestone is already ${ms.status}`, milestone: ms } };
    }
    if (milestone.trigger.completion !== 'external_event') {
      refuse('not_allowed_in_state', `milestone ${milestone.id} completes by ${milestone.trigger.completion}, not yet supported`);
    }
    ms.completedOn = date;
    const ticket = accept(milestone, date, 'event');
    record({ kind: 'complete', milestoneId: milestone.id, date, outcome: 'applied' });
    return { outcome: { outcome: 'applied', milestone: ms }, ticket };
  }

  setHandler(contractStateQuery, () => state);

  setHandler(
    completeMilestoneUpdate,
    async (e) => {
      const { outcome, ticket } = complete(e);
      if (ticket !== undefined) await condition(() => state.effectsDone >= ticket);
      return { ...outcome, milestone: state.milestones[e.milestoneId] };
    },
    { validator: (e) => void checkMilestoneEvent(e) },
  );

  setHandler(milestoneCompletedSignal, (e) => {
    try {
      complete(e);
    } catch (err) {
      const failure = err as ApplicationFailure;
      record({ kind: 'complete', milestoneId: e?.milestoneId, date: e?.date, outcome: 'refused', code: failure.type ?? 'internal', reason: failure.message });
      log.warn('signal refused', { contractId: state.contractId, code: failure.type, reason: failure.message });
    }
  });

  async function run(effect: Effect): Promise<void> {
    await billMilestone(effect);
  }

  async function billMilestone(effect: BillMilestoneEffect): Promise<void> {
    const t = state.versions.find((v) => v.version === effect.termsVersion)!.terms;
    const milestone = t.milestones.find((m) => m.id === effect.milestoneId)!;
    const key = `${state.contractId}:${milestone.id}:v${effect.termsVersion}`;
    const ms = state.milestones[milestone.id]!;
    let billed = formatMoney('0', state.currency);
    if (milestone.billable && dec(effect.amount).greaterThan(0)) {
      const invoice = await services.issueInvoice(
        {
          kind: 'milestone',
          contractId: state.contractId,
          customer: t.customer,
          currency: t.currency,
          termsVersion: effect.termsVersion,
          date: effect.date,
          paymentTerms: t.paymentTerms,
          lines: [{ milestoneId: milestone.id, description: milestone.description, amount: effect.amount }],
          sandbox: state.sandbox,
        },
        `${key}:invoice`,
      );
      await services.openReceivable(
        {
          invoiceNumber: invoice.number,
          contractId: state.contractId,
          customerId: t.customer.id,
          currency: t.currency,
          amount: invoice.total,
          issueDate: invoice.date,
          dueDate: invoice.dueDate,
          milestoneIds: [milestone.id],
          sandbox: state.sandbox,
        },
        `${key}:receivable`,
      );
      billed = invoice.total;
      state.invoices.push({
        number: invoice.number,
        kind: 'milestone',
        milestoneIds: [milestone.id],
        amount: invoice.total,
        date: invoice.date,
        dueDate: dueDate(invoice.date, t.paymentTerms),
        termsVersion: effect.termsVersion,
      });
      ms.invoiceNumbers.push(invoice.number);
      ms.invoicedOn = ms.invoicedOn ?? invoice.date;
      ms.status = 'invoiced';
      state.billed = formatMoney(dec(state.billed).plus(billed), state.currency);
    }
    if (!dec(billed).isZero() || !dec(effect.recognized).isZero()) {
      await services.postToLedger(
        {
          kind: 'contract_event',
          contractId: state.contractId,
          currency: t.currency,
          eventDate: effect.date,
          source: { type: 'milestone', ref: milestone.id },
          billed,
          recognized: effect.recognized,
          sandbox: state.sandbox,
        },
        `${key}:post`,
      );
    }
  }

  for (;;) {
    await condition(() => state.outbox.length > 0);
    const effect = state.outbox[0]!;
    await run(effect);
    state.outbox.shift();
    state.effectsDone += 1;
  }
}
