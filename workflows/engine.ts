/**
 * The contract's rules (DESIGN §3a, §4, §8, §11) as deterministic functions over the plain state.
 * They decide, change state and queue effects in the outbox; they never do I/O and never wait.
 * The workflow (workflows/contract.ts) calls them from its handlers and runs the effects.
 *
 * Refusals are thrown as non-retryable ApplicationFailures typed with the DESIGN error code, always
 * before anything changes, so a refused request changes nothing.
 */
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { dueDate, transactionPrice } from '../libs/accounting';
import { amendmentProblems, mergeAmendment, type AmendInput } from '../libs/domain/amendment';
import type {
  ContractState, CostReportInput, Effect, EffectStep, FailedStep, InvoicePaidInput, InvoiceProgress, InvoiceSummary, LogEntry, MilestoneEventInput,
  MilestoneProgress, MilestoneState, PendingTimer, PostingProgress, ProgressInput, RejectInput, StepInput, TimerKind, UpdateOutcome,
} from '../libs/domain/contract';
import { currentTerms, currentVersion, STEP_NEEDS } from '../libs/domain/contract';
import type { ErrorCode } from '../libs/domain/errors';
import { eventIds } from '../libs/domain/events';
import type { ContractTerms, Milestone } from '../libs/domain/terms';
import { addDays, isBusinessDate, lastDayOfMonth, maxDate, nextBillingDay } from '../libs/dates';
import { Dec, dec, formatMoney, isMoneyString, minorUnits } from '../libs/money';

export type Via = LogEntry['via'];

/** The DESIGN codes that are business refusals: final answers, recorded, never retried. */
export const REFUSAL_CODES: readonly ErrorCode[] = [
  'validation_failed', 'not_found', 'future_date', 'not_allowed_in_state', 'window_closed', 'requires_amendment',
  'stale_version', 'invalid_amendment', 'idempotency_conflict', 'unbalanced_entry', 'duplicate_contract',
];

/**
 * The business refusal in an error (an activity's, or the rules' own), else undefined: anything else
 * (a TypeError, a service's 401, an unknown failure type) is a bug or an outage, never recorded as
 * a refusal — it propagates, so Temporal retries it.
 */
export function refusalOf(err: unknown): ApplicationFailure | undefined {
  const failure = err instanceof ActivityFailure ? err.cause : err;
  return failure instanceof ApplicationFailure && REFUSAL_CODES.includes(failure.type as ErrorCode) ? failure : undefined;
}

export function refusal(code: ErrorCode, message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ message, type: code, nonRetryable: true, details: details === undefined ? undefined : [details] });
}

const TIMER_RANK: Record<TimerKind, number> = { advance: 0, acceptance: 1, invoice: 2, month_end: 3 };
const DONE_FOR_SEQUENCE = new Set(['invoiced', 'paid', 'covered']);

// ───────────────────────────── state ─────────────────────────────

export function initialState(terms: ContractTerms, today: string): ContractState {
  const zero = formatMoney('0', terms.currency);
  const state: ContractState = {
    contractId: terms.contractId,
    customerId: terms.customer.id,
    currency: terms.currency,
    sandbox: terms.sandbox !== undefined,
    clock: terms.sandbox?.clockStart ?? today,
    status: 'active',
    version: 1,
    versions: [{ version: 1, effectiveDate: terms.signedDate, terms, cancelled: [] }],
    milestones: Object.fromEntries(terms.milestones.map((m) => [m.id, { id: m.id, status: 'planned', invoiceNumbers: [] } as MilestoneState])),
    invoices: [],
    creditMemos: [],
    timers: [],
    heldInvoices: [],
    advance: terms.advanceBilling ? { amount: terms.advanceBilling.amount, issued: false, applied: zero } : undefined,
    recognized: Object.fromEntries(terms.obligations.map((o) => [o.id, zero])),
    recognizedTotal: zero,
    billed: zero,
    costToDate: {},
    log: [],
    outbox: [],
    failedSteps: [],
    effectsDone: 0,
    effectsQueued: 0,
    timerSeq: 0,
    progressSeq: 0,
    runs: 1,
  };
  enqueue(state, { kind: 'register_plan', version: 1, effectiveDate: terms.signedDate });
  if (terms.advanceBilling) addTimer(state, 'advance', terms.advanceBilling.date, 'issue the advance invoice');
  for (const m of terms.milestones) {
    if (m.trigger.type === 'date') addTimer(state, 'acceptance', m.trigger.date, `accept ${m.id} on its date`, m.id);
  }
  planMonthEnds(state, terms);
  return state;
}

function terms(state: ContractState): ContractTerms {
  return currentTerms(state);
}

function milestoneOf(state: ContractState, id: string): Milestone | undefined {
  return terms(state).milestones.find((m) => m.id === id);
}

function money(state: ContractState, value: string | InstanceType<typeof Dec>): string {
  return formatMoney(value, state.currency);
}

export function enqueue(state: ContractState, effect: DistributiveOmit<Effect, 'id'>): number {
  state.effectsQueued += 1;
  state.outbox.push({ ...effect, id: state.effectsQueued } as Effect);
  return state.effectsQueued;
}
type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

function addTimer(state: ContractState, kind: TimerKind, date: string, purpose: string, milestoneId?: string, deemed = false): void {
  state.timerSeq += 1;
  state.timers.push({ seq: state.timerSeq, kind, date, purpose, ...(milestoneId ? { milestoneId } : {}), ...(deemed ? { deemed } : {}) });
}

function removeTimers(state: ContractState, pred: (t: PendingTimer) => boolean): void {
  state.timers = state.timers.filter((t) => !pred(t));
}

/** Month ends (and end dates) of every ratable obligation not yet posted. */
function planMonthEnds(state: ContractState, t: ContractTerms): void {
  const wanted = new Set<string>();
  for (const o of t.obligations) {
    if (o.recognition.method !== 'ratable') continue;
    let d = lastDayOfMonth(o.recognition.startDate);
    while (d < o.recognition.endDate) {
      wanted.add(d);
      d = lastDayOfMonth(addDays(d, 1));
    }
    wanted.add(o.recognition.endDate);
  }
  const planned = new Set(state.timers.filter((x) => x.kind === 'month_end').map((x) => x.date));
  const posted = state.ratablePostedThrough;
  for (const d of [...wanted].sort()) {
    if (!planned.has(d) && (posted === undefined || d > posted)) addTimer(state, 'month_end', d, 'post ratable revenue through this day');
  }
}

export function record(state: ContractState, entry: Omit<LogEntry, 'seq' | 'on'>): void {
  state.logSeq = (state.logSeq ?? state.log.length) + 1;
  state.log.push({ seq: state.logSeq, on: state.clock, ...entry });
}

// ───────────────────────────── checks ─────────────────────────────

/** Checks a business date: valid, and not after today on the contract's clock. */
export function checkDate(state: ContractState, date: string | undefined, today: string): string {
  if (date !== undefined && (typeof date !== 'string' || !isBusinessDate(date))) {
    throw refusal('validation_failed', `date ${String(date)} is not a calendar date YYYY-MM-DD`, [{ path: 'date', message: 'must be YYYY-MM-DD' }]);
  }
  const d = date ?? today;
  if (d > today) throw refusal('future_date', `date ${d} is after today (${today}) on contract ${state.contractId}'s clock`);
  return d;
}

export function checkMilestone(state: ContractState, input: MilestoneEventInput, today: string): { milestone: Milestone; ms: MilestoneState; date: string } {
  const milestone = milestoneOf(state, input?.milestoneId);
  if (!milestone) throw refusal('not_found', `contract ${state.contractId} has no milestone ${String(input?.milestoneId)}`);
  const date = checkDate(state, input.date, today);
  return { milestone, ms: state.milestones[milestone.id]!, date };
}

function checkActive(state: ContractState): void {
  if (state.status !== 'active') throw refusal('not_allowed_in_state', `contract ${state.contractId} is completed`);
}

// ───────────────────────────── completions ─────────────────────────────

type Decision =
  | { kind: 'ignore'; reason: string }
  | { kind: 'apply'; run: () => void };

function conclude(state: ContractState, kind: string, via: Via, input: { milestoneId?: string; date?: string }, d: Decision, ms?: MilestoneState): UpdateOutcome {
  if (d.kind === 'ignore') {
    record(state, { kind, via, milestoneId: input.milestoneId, date: input.date, outcome: 'ignored', reason: d.reason });
    return { outcome: 'ignored', reason: d.reason, milestone: ms };
  }
  d.run();
  record(state, { kind, via, milestoneId: input.milestoneId, date: input.date, outcome: 'applied' });
  return { outcome: 'applied', milestone: ms };
}

/** `complete` and `declare` (DESIGN §4): declare on a non-vendor milestone acts as complete, and vice versa. */
export function decideCompletion(state: ContractState, input: MilestoneEventInput, today: string): Decision {
  checkActive(state);
  const { milestone, ms, date } = checkMilestone(state, input, today);
  if (milestone.trigger.type === 'date') return { kind: 'ignore', reason: 'a date-triggered milestone is accepted on its date' };
  if (ms.status === 'cancelled') throw refusal('not_allowed_in_state', `milestone ${milestone.id} is cancelled`);
  if (ms.status !== 'planned' && ms.status !== 'rejected') return { kind: 'ignore', reason: `duplicate: milestone ${milestone.id} is already ${ms.status}` };
  if (milestone.plannedFinishDate && milestone.allowDateChange === false && date > milestone.plannedFinishDate) {
    throw refusal('requires_amendment', `milestone ${milestone.id} was due by ${milestone.plannedFinishDate}; completing it on ${date} needs an amendment`);
  }
  const trigger = milestone.trigger;
  return {
    kind: 'apply',
    run: () => {
      ms.rejection = undefined;
      // A milestone billed by progress is complete at 100 % (docs/progressive-billing.md).
      if (milestone.progressBilling === true) progressOf(state, ms).percent = '100';
      if (trigger.completion === 'external_event') {
        ms.completedOn = date;
        acceptMilestone(state, milestone, date, 'event');
      } else if (trigger.completion === 'customer_signoff') {
        ms.completedOn = date;
        ms.status = 'completed';
      } else {
        ms.declaredOn = date;
        ms.status = 'declared';
        if (trigger.deemedAcceptanceDays !== undefined) {
          addTimer(state, 'acceptance', addDays(date, trigger.deemedAcceptanceDays), `deem ${milestone.id} accepted`, milestone.id, true);
        }
      }
    },
  };
}

export function complete(state: ContractState, input: MilestoneEventInput, today: string, via: Via, kind = 'complete'): UpdateOutcome {
  const d = decideCompletion(state, input, today);
  return conclude(state, kind, via, input, d, state.milestones[input.milestoneId]);
}

export function decideAccept(state: ContractState, input: MilestoneEventInput, today: string): Decision {
  checkActive(state);
  const { milestone, ms, date } = checkMilestone(state, input, today);
  if (ms.acceptedOn !== undefined) return { kind: 'ignore', reason: `duplicate: milestone ${milestone.id} is already accepted` };
  if (ms.status !== 'completed' && ms.status !== 'declared') {
    throw refusal('not_allowed_in_state', `milestone ${milestone.id} is ${ms.status}: only a completed or declared milestone can be accepted`);
  }
  return { kind: 'apply', run: () => acceptMilestone(state, milestone, date, 'signoff') };
}

export function accept(state: ContractState, input: MilestoneEventInput, today: string, via: Via): UpdateOutcome {
  return conclude(state, 'accept', via, input, decideAccept(state, input, today), state.milestones[input.milestoneId]);
}

export function decideReject(state: ContractState, input: RejectInput, today: string): Decision {
  checkActive(state);
  const { milestone, ms, date } = checkMilestone(state, input, today);
  if (typeof input.reason !== 'string' || input.reason.trim() === '') {
    throw refusal('validation_failed', 'a rejection needs a reason', [{ path: 'reason', message: 'required' }]);
  }
  if (ms.acceptance === 'deemed') throw refusal('window_closed', `milestone ${milestone.id} was deemed accepted on ${ms.acceptedOn}; the window is closed`);
  if (ms.status === 'rejected') return { kind: 'ignore', reason: `duplicate: milestone ${milestone.id} was already rejected on ${ms.rejection?.on}` };
  if (ms.status === 'declared') {
    const window = state.timers.find((t) => t.kind === 'acceptance' && t.deemed && t.milestoneId === milestone.id);
    if (window && date >= window.date) throw refusal('window_closed', `the acceptance window of ${milestone.id} closed on ${window.date}`);
  } else if (ms.status !== 'completed') {
    throw refusal('not_allowed_in_state', `milestone ${milestone.id} is ${ms.status}: only a completed or declared milestone can be rejected`);
  }
  return {
    kind: 'apply',
    run: () => {
      ms.status = 'rejected';
      ms.rejection = { on: date, reason: input.reason };
      removeTimers(state, (t) => t.kind === 'acceptance' && t.milestoneId === milestone.id);
    },
  };
}

export function reject(state: ContractState, input: RejectInput, today: string, via: Via): UpdateOutcome {
  return conclude(state, 'reject', via, input, decideReject(state, input, today), state.milestones[input.milestoneId]);
}

// ───────────────────────────── acceptance and invoices ─────────────────────────────

/** Whether a milestone issues an invoice of its own (billable and a non-zero amount). */
function bills(m: Milestone): boolean {
  return m.billable && !dec(m.amount).isZero();
}

function acceptMilestone(state: ContractState, milestone: Milestone, date: string, kind: MilestoneState['acceptance'] & string): void {
  const ms = state.milestones[milestone.id]!;
  ms.status = 'accepted';
  ms.acceptedOn = date;
  ms.acceptance = kind;
  removeTimers(state, (t) => t.kind === 'acceptance' && t.milestoneId === milestone.id);
  announceAcceptance(state, milestone, ms);
  const progress: PostingProgress = { accepted: [milestone.id] };
  if (!bills(milestone)) {
    postProgress(state, date, { type: 'milestone', ref: milestone.id }, progress);
    return;
  }
  const timing = milestone.invoiceTiming;
  if (timing.type === 'immediate') {
    finalFallsDue(state, milestone.id, maxDate(date, state.clock), progress, date);
    return;
  }
  postProgress(state, date, { type: 'milestone', ref: milestone.id }, progress);
  const when = timing.type === 'days_after_acceptance' ? addDays(date, timing.days) : nextBillingDay(date, terms(state).billingDay);
  addTimer(state, 'invoice', when, `invoice ${milestone.id}`, milestone.id);
}

/**
 * `milestone.accepted` (DESIGN §9, deemed acceptance included), queued before the effects the
 * acceptance causes so it is published before the invoice it may bring. Only in runs begun with the
 * 'outbound-events' patch (`state.announces`).
 */
function announceAcceptance(state: ContractState, milestone: Milestone, ms: MilestoneState): void {
  if (!state.announces) return;
  enqueue(state, {
    kind: 'announce',
    event: {
      id: eventIds.milestoneAccepted(state.contractId, milestone.id),
      type: 'milestone.accepted',
      contractId: state.contractId,
      customerId: state.customerId,
      sandbox: state.sandbox,
      occurredOn: ms.acceptedOn!,
      data: {
        milestoneId: milestone.id, name: milestone.name, obligationId: milestone.obligationId, acceptedOn: ms.acceptedOn, acceptance: ms.acceptance,
        ...(ms.completedOn ? { completedOn: ms.completedOn } : {}), ...(ms.declaredOn ? { declaredOn: ms.declaredOn } : {}),
        amount: milestone.amount, billable: milestone.billable, currency: state.currency, termsVersion: state.version,
        // When its invoice is due (the console's "invoiced the day it became billable" KPI, docs/console.md):
        // the acceptance date for immediate timing, else the planned invoice date of the timing clause.
        ...(bills(milestone) ? { invoiceTiming: milestone.invoiceTiming.type, billableOn: billableOn(state, milestone, ms.acceptedOn!) } : {}),
      },
    },
  });
}

/** The day an accepted milestone's invoice falls due by its timing clause (before holds and sequence). */
function billableOn(state: ContractState, milestone: Milestone, acceptedOn: string): string {
  const timing = milestone.invoiceTiming;
  if (timing.type === 'immediate') return acceptedOn;
  return timing.type === 'days_after_acceptance' ? addDays(acceptedOn, timing.days) : nextBillingDay(acceptedOn, terms(state).billingDay);
}

function postProgress(state: ContractState, date: string, source: Extract<Effect, { kind: 'post_progress' }>['source'], progress: PostingProgress): void {
  state.progressSeq += 1;
  enqueue(state, { kind: 'post_progress', date, source, progress, key: `${source.type}:${source.ref}:${state.progressSeq}` });
}

/**
 * An invoice falls due (DESIGN §4, §11): queued under a hold, waiting for its sequence, or issued.
 * `progress` rides along when the invoice and the acceptance are one event on one date.
 */
function invoiceFallsDue(state: ContractState, milestoneId: string, date: string, progress?: PostingProgress, progressDate?: string): void {
  const ms = milestoneId === 'advance' ? undefined : state.milestones[milestoneId]!;
  const oneEvent = progress !== undefined && (progressDate ?? date) === date;
  const postAlone = () => {
    if (progress) postProgress(state, progressDate ?? date, { type: 'milestone', ref: milestoneId }, progress);
  };
  if (state.hold) {
    postAlone();
    // A milestone billed by progress is queued once: the release bills the share reached then.
    if (!(ms?.progress && state.heldInvoices.includes(milestoneId))) state.heldInvoices.push(milestoneId);
    if (ms) ms.waiting = 'customer_hold';
    return;
  }
  if (ms && sequenceBlockers(state, milestoneId).length > 0) {
    postAlone();
    ms.waiting = 'awaiting_sequence';
    return;
  }
  if (!oneEvent) postAlone();
  issue(state, milestoneId, date, oneEvent ? progress : undefined);
}

function sequenceBlockers(state: ContractState, milestoneId: string): string[] {
  const t = terms(state);
  if (!t.enforceSequence) return [];
  const me = milestoneOf(state, milestoneId)!;
  const cancelled = new Set(currentVersion(state).cancelled);
  return t.milestones
    .filter((m) => bills(m) && !cancelled.has(m.id) && m.sequence < me.sequence)
    .filter((m) => !DONE_FOR_SEQUENCE.has(state.milestones[m.id]!.status))
    .map((m) => m.id);
}

function issue(state: ContractState, milestoneId: string, date: string, progress?: PostingProgress): void {
  if (milestoneId === 'advance') {
    const amount = state.advance!.amount;
    state.advance!.issued = true;
    addInvoice(state, { kind: 'advance', milestoneIds: ['advance'], amount, date });
    return;
  }
  const milestone = milestoneOf(state, milestoneId)!;
  const ms = state.milestones[milestoneId]!;
  ms.waiting = undefined;
  if (!bills(milestone) || ms.status === 'cancelled') {
    // An amendment made it stop billing after its invoice fell due: nothing to invoice.
    if (progress) postProgress(state, date, { type: 'milestone', ref: milestoneId }, progress);
    releaseSequence(state, date);
    return;
  }
  if (milestone.progressBilling === true) {
    issueProgress(state, milestone, ms, date, progress);
    releaseSequence(state, date);
    return;
  }
  const amount = applyAdvance(state, dec(milestone.amount));
  if (amount.isZero()) {
    ms.status = 'covered';
    if (progress) postProgress(state, date, { type: 'milestone', ref: milestoneId }, progress);
  } else {
    ms.status = 'invoiced';
    ms.invoicedOn = ms.invoicedOn ?? date;
    addInvoice(state, { kind: 'milestone', milestoneIds: [milestoneId], amount: money(state, amount), date }, progress);
  }
  releaseSequence(state, date);
}

/** What the unapplied advance leaves of a milestone invoice (DESIGN §3: reduced, never below 0), applying it. */
function applyAdvance(state: ContractState, amount: InstanceType<typeof Dec>): InstanceType<typeof Dec> {
  if (!state.advance?.issued) return amount;
  const unapplied = dec(state.advance.amount).minus(state.advance.applied);
  const use = Dec.min(unapplied, amount);
  state.advance.applied = money(state, dec(state.advance.applied).plus(use));
  return amount.minus(use);
}

type NewInvoice = Pick<InvoiceSummary, 'kind' | 'milestoneIds' | 'amount' | 'date' | 'originalInvoiceNumber' | 'part' | 'progress'>;

function addInvoice(state: ContractState, inv: NewInvoice, progress?: PostingProgress): void {
  const t = terms(state);
  state.invoices.push({ ...inv, dueDate: dueDate(inv.date, t.paymentTerms), termsVersion: state.version, paid: false });
  state.billed = money(state, dec(state.billed).plus(inv.amount));
  enqueue(state, { kind: 'issue_invoice', invoiceIndex: state.invoices.length - 1, ...(progress ? { progress } : {}) });
}

/** Issues every invoice waiting for its sequence whose blockers are all invoiced now. */
function releaseSequence(state: ContractState, date: string): void {
  const t = terms(state);
  const waiting = t.milestones
    .filter((m) => state.milestones[m.id]!.waiting === 'awaiting_sequence')
    .sort((a, b) => a.sequence - b.sequence);
  for (const m of waiting) {
    const ms = state.milestones[m.id]!;
    if (ms.waiting !== 'awaiting_sequence' || sequenceBlockers(state, m.id).length > 0) continue;
    if (state.hold) {
      // Unblocked during a hold: it joins the queue the release issues.
      ms.waiting = 'customer_hold';
      state.heldInvoices.push(m.id);
    } else {
      issue(state, m.id, date);
    }
  }
}

// ───────────────────────────── progress billing ─────────────────────────────

const PERCENT = /^\d{1,3}(\.\d{1,2})?$/;

/** The progress record of a milestone billed by progress (made on its first report or completion). */
function progressOf(state: ContractState, ms: MilestoneState): MilestoneProgress {
  ms.progress ??= { percent: '0', billed: money(state, '0'), parts: 0 };
  return ms.progress;
}

/** The share of `amount` reached at `percent`, rounded down to the minor unit: never billed ahead of the progress. */
export function progressShare(amount: string | InstanceType<typeof Dec>, percent: string, currency: string): InstanceType<typeof Dec> {
  return dec(amount).times(percent).dividedBy(100).toDecimalPlaces(minorUnits(currency), Dec.ROUND_DOWN);
}

/**
 * A progress report (docs/progressive-billing.md): a part invoice for the newly reached share, or at
 * 100 % the milestone's completion by its kind. Checks in the documented order.
 */
export function decideProgress(state: ContractState, input: ProgressInput, today: string): Decision {
  checkActive(state);
  const { milestone, ms, date } = checkMilestone(state, input, today);
  if (typeof input.percent !== 'string' || !PERCENT.test(input.percent) || dec(input.percent).lte(0) || dec(input.percent).gt(100)) {
    throw refusal('validation_failed', `percent ${String(input.percent)} must be a decimal string above 0 and at most 100`, [{ path: 'percent', message: 'must be above 0 and at most 100, at most 2 decimals' }]);
  }
  if (milestone.progressBilling !== true) throw refusal('not_allowed_in_state', `milestone ${milestone.id} is not billed by progress`);
  if (ms.status === 'cancelled') throw refusal('not_allowed_in_state', `milestone ${milestone.id} is cancelled`);
  if (ms.status !== 'planned' && ms.status !== 'rejected') return { kind: 'ignore', reason: `duplicate: milestone ${milestone.id} is already ${ms.status}` };
  const percent = dec(input.percent);
  const last = dec(ms.progress?.percent ?? '0');
  if (ms.status === 'rejected' && last.equals(100)) {
    if (!percent.equals(100)) throw refusal('not_allowed_in_state', `milestone ${milestone.id} was rejected after its completion; report 100 when it is done again`);
    return decideCompletion(state, { milestoneId: milestone.id, date }, today);
  }
  if (percent.lessThan(last)) {
    throw refusal('not_allowed_in_state', `progress of ${milestone.id} is at ${last.toString()} %; it never goes back (an amendment of the amount corrects its billing)`);
  }
  if (percent.equals(last)) return { kind: 'ignore', reason: `duplicate: progress of ${milestone.id} is already at ${last.toString()} %` };
  if (percent.equals(100)) return decideCompletion(state, { milestoneId: milestone.id, date }, today);
  return {
    kind: 'apply',
    run: () => {
      const p = progressOf(state, ms);
      p.percent = percent.toString();
      p.partPercent = p.percent;
      invoiceFallsDue(state, milestone.id, maxDate(date, state.clock));
    },
  };
}

export function reportProgress(state: ContractState, input: ProgressInput, today: string, via: Via): UpdateOutcome {
  return conclude(state, 'progress', via, input, decideProgress(state, input, today), state.milestones[input.milestoneId]);
}

/** The final invoice of an accepted milestone falls due (for one billed by progress: the rest). */
function finalFallsDue(state: ContractState, milestoneId: string, date: string, progress?: PostingProgress, progressDate?: string): void {
  const ms = state.milestones[milestoneId];
  if (ms?.progress) ms.progress.finalDue = true;
  invoiceFallsDue(state, milestoneId, date, progress, progressDate);
}

/**
 * Issues what a milestone billed by progress owes now: the share reached minus what its parts
 * billed, or once its final invoice fell due, the rest of its amount. The advance reduces it.
 */
function issueProgress(state: ContractState, milestone: Milestone, ms: MilestoneState, date: string, progress?: PostingProgress): void {
  const p = progressOf(state, ms);
  const final = p.finalDue === true;
  // A part bills up to the last percent reported below 100, also once completed (the rest waits for the acceptance).
  const target = final ? dec(milestone.amount) : progressShare(milestone.amount, p.partPercent ?? '0', state.currency);
  const previouslyBilled = p.billed;
  const due = target.minus(previouslyBilled);
  let issued = false;
  if (due.greaterThan(0)) {
    p.billed = money(state, target);
    if (!final) p.billedAt = p.partPercent;
    const amount = applyAdvance(state, due);
    if (!amount.isZero()) {
      if (!final) p.parts += 1;
      const billedProgress: InvoiceProgress = { percent: final ? '100' : p.partPercent!, cumulative: money(state, target), previouslyBilled };
      ms.invoicedOn = ms.invoicedOn ?? date;
      if (final) ms.status = 'invoiced';
      addInvoice(state, { kind: 'milestone', milestoneIds: [milestone.id], amount: money(state, amount), date, progress: billedProgress, ...(final ? {} : { part: p.parts }) }, progress);
      issued = true;
    }
  }
  if (final && !issued) ms.status = settledStatus(state, milestone.id);
  if (!issued && progress) postProgress(state, date, { type: 'milestone', ref: milestone.id }, progress);
}

/**
 * A milestone billed by progress whose rest needed no invoice: covered when no invoice of it bills
 * anything (none, or each credited in full: the advance covered the rest), else invoiced — paid
 * when all its invoices are settled.
 */
function settledStatus(state: ContractState, milestoneId: string): MilestoneState['status'] {
  const mine = invoiceIndexesOf(state, milestoneId);
  if (mine.every((i) => fullyCredited(state, i))) return 'covered';
  return mine.every((i) => invoiceSettled(state, i)) ? 'paid' : 'invoiced';
}

/** The positions of a milestone's own invoices (milestone and supplementary, not the advance). */
function invoiceIndexesOf(state: ContractState, milestoneId: string): number[] {
  return state.invoices.flatMap((inv, i) => (inv.kind !== 'advance' && inv.milestoneIds.includes(milestoneId) ? [i] : []));
}

/**
 * What credit memos took off invoice `index`: those naming it (progress billing), and a memo
 * naming none, which credits its milestone's first invoice (its original, as the workflow sends it).
 */
function creditedOn(state: ContractState, index: number): InstanceType<typeof Dec> {
  const inv = state.invoices[index]!;
  return state.creditMemos.reduce((sum, c) => {
    const target = c.invoiceIndex ?? state.invoices.findIndex((i) => i.kind === 'milestone' && i.milestoneIds.includes(c.milestoneId));
    return target === index && inv.milestoneIds.includes(c.milestoneId) ? sum.plus(c.amount) : sum;
  }, new Dec(0));
}

function fullyCredited(state: ContractState, index: number): boolean {
  return creditedOn(state, index).gte(state.invoices[index]!.amount);
}

/**
 * An invoice with nothing left to pay: paid, or credited in full for a milestone billed by progress
 * (whose credits go newest first and often take a part whole; AR never reports such an invoice
 * paid, so it must not keep its milestone from `paid`). Other milestones keep DESIGN §4's reading:
 * paid when every invoice of it is paid (docs/status.md). `state.creditsSettle`: 'progress' since
 * the 'credited-parts-settle' patch; 'all' in runs begun under 'credited-invoices-settle' (every
 * milestone's, a rule replaced before release), which replay as they ran.
 */
function invoiceSettled(state: ContractState, index: number): boolean {
  const inv = state.invoices[index]!;
  if (inv.paid) return true;
  if (state.creditsSettle === 'all') return fullyCredited(state, index);
  const byProgress = inv.milestoneIds.some((id) => state.milestones[id]?.progress !== undefined);
  return state.creditsSettle === 'progress' && byProgress && fullyCredited(state, index);
}

/** Milestones every invoice of which is settled now (after credits): `paid` (since 'credited-invoices-settle'). */
function settleCredited(state: ContractState): void {
  if (!state.creditsSettle) return;
  for (const ms of Object.values(state.milestones)) {
    if (ms.status !== 'invoiced') continue;
    const mine = invoiceIndexesOf(state, ms.id);
    if (mine.length > 0 && mine.every((i) => invoiceSettled(state, i))) ms.status = 'paid';
  }
}

/**
 * An amendment re-targets what the parts of a milestone billed by progress billed, before its
 * final invoice: below 100 %, the share of the new amount at the percent they billed up to (a part
 * still queued is billed later, at the new amount); once completed, the parts stay unless they
 * exceed the new amount. More: a supplementary invoice; less: credits. A cancelled one billed nothing.
 */
function retargetParts(state: ContractState, m: Milestone, ms: MilestoneState, effectiveDate: string): void {
  const p = ms.progress!;
  if (ms.status === 'cancelled' || m.progressBilling !== true) return;
  const amount = bills(m) ? dec(m.amount) : new Dec(0);
  const billed = dec(p.billed);
  const complete = p.finalDue === true || dec(p.percent).equals(100);
  const target = complete ? Dec.min(billed, amount) : progressShare(amount, p.billedAt ?? '0', state.currency);
  const diff = target.minus(billed);
  if (diff.isZero()) return;
  p.billed = money(state, target);
  if (diff.isNegative()) {
    creditNewestFirst(state, m.id, diff.negated(), effectiveDate);
    return;
  }
  ms.invoicedOn = ms.invoicedOn ?? effectiveDate;
  const original = state.invoices.find((i) => i.kind === 'milestone' && i.milestoneIds.includes(m.id));
  addInvoice(state, {
    kind: 'supplementary', milestoneIds: [m.id], amount: money(state, diff), date: effectiveDate, originalInvoiceNumber: original?.number,
    progress: { percent: p.billedAt ?? p.percent, cumulative: p.billed, previouslyBilled: money(state, billed) },
  });
}

/**
 * A decrease of a milestone billed by progress: one credit memo per invoice, newest first, each at
 * most what that invoice still bills (net of earlier credits); what the advance covered goes back
 * to the advance, unapplied.
 */
function creditNewestFirst(state: ContractState, milestoneId: string, decrease: InstanceType<typeof Dec>, effectiveDate: string): void {
  let left = decrease;
  let seq = 0;
  for (let index = state.invoices.length - 1; index >= 0 && left.greaterThan(0); index -= 1) {
    const inv = state.invoices[index]!;
    if (inv.kind === 'advance' || !inv.milestoneIds.includes(milestoneId)) continue;
    const credited = state.creditMemos.filter((c) => c.invoiceIndex === index).reduce((a, c) => a.plus(c.amount), new Dec(0));
    const memo = Dec.min(left, dec(inv.amount).minus(credited));
    if (memo.lte(0)) continue;
    seq += 1;
    left = left.minus(memo);
    state.creditMemos.push({
      milestoneId, amount: money(state, memo), date: effectiveDate, amendmentVersion: state.version, originalInvoiceNumber: inv.number, invoiceIndex: index, seq,
    });
    state.billed = money(state, dec(state.billed).minus(memo));
    enqueue(state, { kind: 'issue_credit_memo', memoIndex: state.creditMemos.length - 1 });
  }
  if (state.advance && left.greaterThan(0)) {
    state.advance.applied = money(state, Dec.max(dec(state.advance.applied).minus(left), 0));
  }
}

// ───────────────────────────── timers and the clock ─────────────────────────────

export function nextTimer(state: ContractState): PendingTimer | undefined {
  return [...state.timers].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : TIMER_RANK[a.kind] - TIMER_RANK[b.kind] || a.seq - b.seq))[0];
}

/** Fires, in date order (DESIGN §11 ranks within a day), every timer due by 00:00 of `through`. */
export function fireDueTimers(state: ContractState, through: string): number {
  let fired = 0;
  for (let t = nextTimer(state); t && t.date <= through; t = nextTimer(state)) {
    removeTimers(state, (x) => x.seq === t!.seq);
    if (t.date > state.clock) state.clock = t.date;
    fireTimer(state, t);
    fired += 1;
  }
  if (through > state.clock) state.clock = through;
  return fired;
}

function fireTimer(state: ContractState, t: PendingTimer): void {
  const via: Via = 'timer';
  switch (t.kind) {
    case 'advance':
      invoiceFallsDue(state, 'advance', maxDate(t.date, state.clock));
      record(state, { kind: 'advance', via, date: t.date, outcome: 'applied' });
      return;
    case 'acceptance': {
      const milestone = milestoneOf(state, t.milestoneId!)!;
      const ms = state.milestones[milestone.id]!;
      if (ms.status === 'cancelled' || ms.acceptedOn !== undefined) return;
      if (t.deemed) {
        if (ms.status !== 'declared') return;
        acceptMilestone(state, milestone, t.date, 'deemed');
        record(state, { kind: 'deemed_acceptance', via, milestoneId: milestone.id, date: t.date, outcome: 'applied' });
      } else if (milestone.trigger.type === 'date') {
        acceptMilestone(state, milestone, t.date, 'date');
        record(state, { kind: 'date_trigger', via, milestoneId: milestone.id, date: t.date, outcome: 'applied' });
      }
      return;
    }
    case 'invoice':
      finalFallsDue(state, t.milestoneId!, maxDate(t.date, state.clock));
      record(state, { kind: 'invoice_due', via, milestoneId: t.milestoneId, date: t.date, outcome: 'applied' });
      return;
    case 'month_end':
      state.ratablePostedThrough = t.date;
      postProgress(state, t.date, { type: 'ratable_month', ref: t.date }, { ratableThrough: t.date });
      record(state, { kind: 'month_end', via, date: t.date, outcome: 'applied' });
      return;
  }
}

export function checkAdvanceClock(state: ContractState, to: string): void {
  if (!state.sandbox) throw refusal('not_allowed_in_state', `contract ${state.contractId} runs on the wall clock, not a sandbox clock`);
  if (typeof to !== 'string' || !isBusinessDate(to)) throw refusal('validation_failed', `to ${String(to)} is not a calendar date`, [{ path: 'to', message: 'must be YYYY-MM-DD' }]);
  if (to < state.clock) throw refusal('validation_failed', `the clock is at ${state.clock}; it cannot go back to ${to}`, [{ path: 'to', message: 'before the clock' }]);
}

// ───────────────────────────── hold, cost, payments ─────────────────────────────

export function hold(state: ContractState, input: { date?: string }, today: string, via: Via): UpdateOutcome {
  checkActive(state);
  const date = checkDate(state, input?.date, today);
  const d: Decision = state.hold ? { kind: 'ignore', reason: `duplicate: on hold since ${state.hold.since}` } : { kind: 'apply', run: () => { state.hold = { since: date }; } };
  return conclude(state, 'hold', via, { date }, d);
}

export function release(state: ContractState, input: { date?: string }, today: string, via: Via): UpdateOutcome {
  checkActive(state);
  const date = maxDate(checkDate(state, input?.date, today), state.clock);
  if (!state.hold) return conclude(state, 'release', via, { date }, { kind: 'ignore', reason: 'the contract is not on hold' });
  return conclude(state, 'release', via, { date }, {
    kind: 'apply',
    run: () => {
      state.hold = undefined;
      const queued = state.heldInvoices;
      state.heldInvoices = [];
      for (const id of queued) {
        if (id !== 'advance') state.milestones[id]!.waiting = undefined;
        invoiceFallsDue(state, id, date);
      }
    },
  });
}

export function checkCost(state: ContractState, input: CostReportInput, today: string): string {
  checkActive(state);
  const ob = terms(state).obligations.find((o) => o.id === input?.obligationId);
  if (!ob) throw refusal('not_found', `contract ${state.contractId} has no obligation ${String(input?.obligationId)}`);
  if (typeof input.amount !== 'string' || !isMoneyString(input.amount)) {
    throw refusal('validation_failed', 'amount must be a non-negative decimal string', [{ path: 'amount', message: 'must be a decimal string' }]);
  }
  if (ob.recognition.method !== 'cost_input') throw refusal('not_allowed_in_state', `obligation ${ob.id} is not measured by cost (${ob.recognition.method})`);
  return checkDate(state, input.date, today);
}

export function reportCost(state: ContractState, input: CostReportInput, today: string, via: Via): UpdateOutcome {
  const date = checkCost(state, input, today);
  return conclude(state, 'cost', via, { date }, {
    kind: 'apply',
    run: () => {
      state.costToDate[input.obligationId] = money(state, dec(state.costToDate[input.obligationId] ?? '0').plus(input.amount));
      postProgress(state, date, { type: 'cost', ref: input.obligationId }, { cost: { obligationId: input.obligationId, amount: input.amount } });
    },
  });
}

export function invoicePaid(state: ContractState, input: InvoicePaidInput): void {
  const inv = state.invoices.find((i) => i.number !== undefined && i.number === input?.invoiceNumber);
  if (!inv) {
    record(state, { kind: 'invoice_paid', via: 'signal', outcome: 'ignored', reason: `unknown invoice ${String(input?.invoiceNumber)}` });
    return;
  }
  if (inv.paid) {
    record(state, { kind: 'invoice_paid', via: 'signal', date: input.paidOn, outcome: 'ignored', reason: `duplicate: ${inv.number} is already paid` });
    return;
  }
  inv.paid = true;
  for (const id of inv.milestoneIds) {
    const ms = state.milestones[id];
    if (!ms || ms.status !== 'invoiced') continue;
    if (invoiceIndexesOf(state, id).every((i) => invoiceSettled(state, i))) ms.status = 'paid';
  }
  record(state, { kind: 'invoice_paid', via: 'signal', date: input.paidOn, outcome: 'applied', reason: inv.number });
}

// ───────────────────────────── amendments ─────────────────────────────

export function checkAmend(state: ContractState, input: AmendInput, today: string): { next: ContractTerms; effectiveDate: string } {
  checkActive(state);
  if (typeof input?.baseVersion !== 'number') throw refusal('validation_failed', 'baseVersion is required', [{ path: 'baseVersion', message: 'required' }]);
  if (input.baseVersion !== state.version) {
    throw refusal('stale_version', `the contract is at version ${state.version}, not ${input.baseVersion}`, { currentVersion: state.version });
  }
  const effectiveDate = checkDate(state, input.effectiveDate, today);
  const statuses = Object.fromEntries(Object.values(state.milestones).map((m) => [m.id, m.status]));
  const progress = new Map(Object.values(state.milestones).filter((m) => m.progress).map((m) => [m.id, { billed: dec(m.progress!.billed).greaterThan(0) }]));
  const problems = amendmentProblems(terms(state), statuses, input.changes ?? {}, progress);
  if (problems.length > 0) throw refusal('invalid_amendment', problems.map((p) => p.message).join('; '), problems);
  return { next: mergeAmendment(terms(state), input.changes ?? {}), effectiveDate };
}

/**
 * An amendment (DESIGN §8, §11), in the order its parts apply: the new version; cancellations;
 * the schedule re-planned (date triggers, month ends); the revenue plan and its catch-up; invoices
 * released from a cancelled sequence blocker; billing corrections (credit memos, supplementary
 * invoices, invoices started or stopped); then timers already due fire.
 */
export function amend(state: ContractState, input: AmendInput, today: string): UpdateOutcome {
  const { next, effectiveDate } = checkAmend(state, input, today);
  const changes = input.changes ?? {};
  const previous = terms(state);
  // Billing corrections apply to what was billed before this amendment, not to invoices it releases.
  const statusBefore = Object.fromEntries(Object.values(state.milestones).map((ms) => [ms.id, ms.status]));
  addVersion(state, next, effectiveDate, changes.cancel ?? []);
  cancelMilestones(state, changes.cancel ?? [], effectiveDate);
  replanDateTriggers(state, previous, next, effectiveDate);
  removeTimers(state, (t) => t.kind === 'month_end');
  planMonthEnds(state, next);
  queueRevenueCatchUp(state, previous, next, effectiveDate);
  // A cancelled blocker no longer holds back the invoices waiting for their sequence.
  releaseSequence(state, state.clock);
  correctBilling(state, previous, next, effectiveDate, statusBefore);
  settleCredited(state);
  record(state, { kind: 'amend', via: 'update', date: effectiveDate, outcome: 'applied', reason: `version ${state.version}` });
  // A moved date trigger already past fires at once.
  fireDueTimers(state, state.clock);
  return { outcome: 'applied', version: state.version };
}

/** The new version of the terms (cancellations accumulate), and a state entry for each new milestone and obligation. */
function addVersion(state: ContractState, next: ContractTerms, effectiveDate: string, cancel: readonly string[]): void {
  const cancelled = [...currentVersion(state).cancelled, ...cancel.filter((id) => !currentVersion(state).cancelled.includes(id))];
  state.version += 1;
  state.versions.push({ version: state.version, effectiveDate, terms: next, cancelled });
  for (const m of next.milestones) {
    state.milestones[m.id] ??= { id: m.id, status: 'planned', invoiceNumbers: [] };
    if (!state.recognized[m.obligationId]) state.recognized[m.obligationId] = money(state, '0');
  }
  for (const o of next.obligations) state.recognized[o.id] ??= money(state, '0');
}

/** Cancelled milestones: their timers and queued (held) invoices go. */
function cancelMilestones(state: ContractState, cancel: readonly string[], effectiveDate: string): void {
  for (const id of cancel) {
    const ms = state.milestones[id]!;
    ms.status = 'cancelled';
    ms.cancelledOn = effectiveDate;
    ms.waiting = undefined;
    removeTimers(state, (t) => t.milestoneId === id);
    state.heldInvoices = state.heldInvoices.filter((x) => x !== id);
  }
}

/** Re-plans date triggers of unaccepted milestones; running deemed windows keep their terms. */
function replanDateTriggers(state: ContractState, previous: ContractTerms, next: ContractTerms, effectiveDate: string): void {
  for (const m of next.milestones) {
    const ms = state.milestones[m.id]!;
    if (ms.status === 'cancelled' || ms.acceptedOn !== undefined) continue;
    const before = previous.milestones.find((x) => x.id === m.id);
    const beforeDate = before?.trigger.type === 'date' ? before.trigger.date : undefined;
    const nowDate = m.trigger.type === 'date' ? m.trigger.date : undefined;
    if (beforeDate !== nowDate) {
      if (beforeDate !== undefined) removeTimers(state, (t) => t.kind === 'acceptance' && !t.deemed && t.milestoneId === m.id);
      // A trigger moved to a date already past fires at once: on the amendment's effective date,
      // never before the terms that moved it took effect.
      if (nowDate !== undefined) addTimer(state, 'acceptance', maxDate(nowDate, effectiveDate), `accept ${m.id} on its date`, m.id);
    }
  }
}

/** The revenue plan of the new version (the service posts the catch-up), and a ratable catch-up for an obligation newly ratable. */
function queueRevenueCatchUp(state: ContractState, previous: ContractTerms, next: ContractTerms, effectiveDate: string): void {
  // The revenue plan of the new version first (it posts the catch-up), then the billing corrections.
  enqueue(state, { kind: 'register_plan', version: state.version, effectiveDate });
  // A ratable obligation new to the month ends already posted catches up through the last of them.
  const newlyRatable = next.obligations.some((o) => o.recognition.method === 'ratable'
    && previous.obligations.find((x) => x.id === o.id)?.recognition.method !== 'ratable');
  if (newlyRatable && state.ratablePostedThrough !== undefined) {
    postProgress(state, effectiveDate, { type: 'ratable_month', ref: `v${state.version}` }, { ratableThrough: state.ratablePostedThrough });
  }
}

/**
 * Billing corrections, milestone by milestone (those new in this version have none): an accepted
 * milestone's invoice not out yet follows its new terms; one billed before the amendment gets a
 * credit memo or a supplementary invoice for the change of its amount.
 */
function correctBilling(state: ContractState, previous: ContractTerms, next: ContractTerms, effectiveDate: string, statusBefore: Record<string, MilestoneState['status']>): void {
  for (const m of next.milestones) {
    const before = previous.milestones.find((x) => x.id === m.id);
    const ms = state.milestones[m.id]!;
    if (!before) continue;
    if (ms.progress && statusBefore[m.id] !== 'invoiced' && statusBefore[m.id] !== 'paid' && statusBefore[m.id] !== 'covered') {
      // Billed by progress, the rest not out yet: its parts follow the new amount (docs/progressive-billing.md).
      retargetParts(state, m, ms, effectiveDate);
    }
    if (ms.status === 'accepted') {
      replanPendingInvoice(state, before, m, ms, next, effectiveDate);
      continue;
    }
    if (statusBefore[m.id] !== 'invoiced' && statusBefore[m.id] !== 'paid') continue;
    rebill(state, before, m, ms, effectiveDate);
  }
}

/** Accepted, invoice not out yet: it may have stopped (or started) billing, or its timing changed. */
function replanPendingInvoice(state: ContractState, before: Milestone, m: Milestone, ms: MilestoneState, next: ContractTerms, effectiveDate: string): void {
  if (bills(before) && !bills(m)) {
    removeTimers(state, (t) => t.kind === 'invoice' && t.milestoneId === m.id);
    state.heldInvoices = state.heldInvoices.filter((x) => x !== m.id);
    ms.waiting = undefined;
  } else if (!bills(before) && bills(m)) {
    finalFallsDue(state, m.id, maxDate(effectiveDate, state.clock));
  } else if (bills(m) && JSON.stringify(before.invoiceTiming) !== JSON.stringify(m.invoiceTiming)
    && state.timers.some((t) => t.kind === 'invoice' && t.milestoneId === m.id)) {
    // The schedule is re-planned: an invoice timer still pending follows the new timing.
    removeTimers(state, (t) => t.kind === 'invoice' && t.milestoneId === m.id);
    const timing = m.invoiceTiming;
    if (timing.type === 'immediate') finalFallsDue(state, m.id, maxDate(effectiveDate, state.clock));
    else {
      const when = timing.type === 'days_after_acceptance' ? addDays(ms.acceptedOn!, timing.days) : nextBillingDay(ms.acceptedOn!, next.billingDay);
      addTimer(state, 'invoice', when, `invoice ${m.id}`, m.id);
    }
  }
}

/** A billed milestone whose billing amount changed: a credit memo for a decrease, a supplementary invoice for an increase. */
function rebill(state: ContractState, before: Milestone, m: Milestone, ms: MilestoneState, effectiveDate: string): void {
  const billing = (x: Milestone) => (bills(x) ? dec(x.amount) : new Dec(0));
  const diff = billing(m).minus(billing(before));
  if (diff.isZero()) return;
  const original = state.invoices.find((i) => i.kind === 'milestone' && i.milestoneIds.includes(m.id));
  if (diff.isNegative()) {
    creditDecrease(state, m.id, diff.negated(), effectiveDate, original?.number);
  } else {
    addInvoice(state, { kind: 'supplementary', milestoneIds: [m.id], amount: money(state, diff), date: effectiveDate, originalInvoiceNumber: original?.number });
    ms.status = 'invoiced';
  }
}

/**
 * A decrease of a billed milestone: never credit more than the milestone's invoices billed (net of
 * earlier credit memos); what the advance covered goes back to the advance, unapplied.
 */
function creditDecrease(state: ContractState, milestoneId: string, decrease: InstanceType<typeof Dec>, effectiveDate: string, originalInvoiceNumber: string | undefined): void {
  if (state.milestones[milestoneId]?.progress) {
    creditNewestFirst(state, milestoneId, decrease, effectiveDate);
    return;
  }
  const netBilled = state.invoices.filter((i) => i.kind !== 'advance' && i.milestoneIds.includes(milestoneId)).reduce((a, i) => a.plus(i.amount), new Dec(0))
    .minus(state.creditMemos.filter((c) => c.milestoneId === milestoneId).reduce((a, c) => a.plus(c.amount), new Dec(0)));
  const memo = Dec.min(decrease, Dec.max(netBilled, 0));
  const backToAdvance = decrease.minus(memo);
  if (state.advance && backToAdvance.greaterThan(0)) {
    state.advance.applied = money(state, Dec.max(dec(state.advance.applied).minus(backToAdvance), 0));
  }
  if (memo.isZero()) return;
  state.creditMemos.push({ milestoneId, amount: money(state, memo), date: effectiveDate, amendmentVersion: state.version, originalInvoiceNumber });
  state.billed = money(state, dec(state.billed).minus(memo));
  enqueue(state, { kind: 'issue_credit_memo', memoIndex: state.creditMemos.length - 1 });
}

// ───────────────────────────── life ─────────────────────────────

/** Every milestone paid, covered, cancelled (or accepted when it never bills), revenue fully recognized. */
export function isFinished(state: ContractState): boolean {
  if (state.outbox.length > 0 || state.timers.length > 0 || state.heldInvoices.length > 0) return false;
  const t = terms(state);
  const cancelled = new Set(currentVersion(state).cancelled);
  for (const m of t.milestones) {
    const ms = state.milestones[m.id]!;
    if (cancelled.has(m.id) || ms.status === 'covered' || ms.status === 'paid') continue;
    if (!bills(m) && ms.acceptedOn !== undefined) continue;
    return false;
  }
  if (state.advance && !state.invoices.filter((i) => i.kind === 'advance').every((i) => i.paid)) return false;
  return dec(state.recognizedTotal).equals(transactionPrice(t, [...cancelled]));
}

// ───────────────────────────── failed steps ─────────────────────────────

/** The steps an effect makes, in order. */
export function stepsOf(effect: Effect): EffectStep[] {
  switch (effect.kind) {
    case 'register_plan': return ['plan'];
    case 'issue_invoice': return ['invoice', 'receivable', 'ledger'];
    case 'issue_credit_memo': return ['credit_memo', 'apply_credit', 'ledger'];
    case 'post_progress': return ['ledger'];
    case 'announce': return ['announce'];
  }
}

/** The steps of an effect to run now: all of them, or those a retry asked for. */
export function stepsToRun(effect: Effect): EffectStep[] {
  const only = effect.only;
  return only ? stepsOf(effect).filter((s) => only.includes(s)) : stepsOf(effect);
}

/** A step `failed` leaves undone: those that need it, directly or not. */
export function dependentsOf(step: EffectStep, steps: readonly EffectStep[]): EffectStep[] {
  const needs = (s: EffectStep): boolean => STEP_NEEDS[s] === step || (STEP_NEEDS[s] !== undefined && needs(STEP_NEEDS[s]!));
  return steps.filter((s) => s !== step && needs(s));
}

/** Records a step the service refused for good (or again, after a retry). */
export function stepFailed(state: ContractState, effect: Effect, step: EffectStep, code: string, message: string): FailedStep {
  const id = `${effect.id}:${step}`;
  const { only, ...base } = effect;
  void only;
  const retrySteps = [step, ...dependentsOf(step, stepsOf(effect))];
  const existing = state.failedSteps.find((f) => f.id === id);
  const failed: FailedStep = {
    id, step, effect: base as Effect, retrySteps, code, message, on: state.clock,
    attempts: (existing?.attempts ?? 0) + 1, status: 'failed',
  };
  if (existing) Object.assign(existing, failed);
  else state.failedSteps.push(failed);
  record(state, { kind: 'step_failed', via: 'timer', outcome: 'refused', code, reason: `${effect.kind} ${step}: ${message}` });
  return existing ?? failed;
}

/** A retried step that went through. */
export function stepSucceeded(state: ContractState, effect: Effect, step: EffectStep): void {
  const failed = state.failedSteps.find((f) => f.id === `${effect.id}:${step}`);
  if (!failed || failed.status === 'resolved') return;
  failed.status = 'resolved';
  failed.resolution = { on: state.clock, reason: `retried: ${step} succeeded` };
  record(state, { kind: 'step_retried', via: 'update', outcome: 'applied', reason: `${failed.effect.kind} ${step}` });
}

function findFailedStep(state: ContractState, input: StepInput): FailedStep {
  const f = state.failedSteps.find((x) => x.id === input?.stepId);
  if (!f) throw refusal('not_found', `contract ${state.contractId} has no failed step ${String(input?.stepId)}`);
  return f;
}

/** Validates a retry: the step exists and is failed (a resolved or running one is answered `ignored`). */
export function checkRetryStep(state: ContractState, input: StepInput): void {
  findFailedStep(state, input);
}

/** Runs a failed step again (and the steps that needed it), with the same idempotency keys. */
export function retryStep(state: ContractState, input: StepInput): UpdateOutcome {
  const f = findFailedStep(state, input);
  if (f.status !== 'failed') return { outcome: 'ignored', reason: `step ${f.id} is ${f.status}` };
  f.status = 'retrying';
  state.effectsQueued += 1;
  state.outbox.push({ ...f.effect, only: f.retrySteps });
  return { outcome: 'applied', reason: `retrying ${f.effect.kind} ${f.retrySteps.join(', ')}` };
}

export function checkResolveStep(state: ContractState, input: StepInput): void {
  findFailedStep(state, input);
  if (typeof input.reason !== 'string' || input.reason.trim() === '') {
    throw refusal('validation_failed', 'a reason is required to resolve a step by hand', { path: 'body.reason', message: 'required' });
  }
}

/** Finance resolved the step by hand (outside Tollgate): it no longer counts as a difference. */
export function resolveStep(state: ContractState, input: StepInput): UpdateOutcome {
  const f = findFailedStep(state, input);
  if (f.status === 'resolved') return { outcome: 'ignored', reason: `step ${f.id} is already resolved` };
  if (f.status === 'retrying') throw refusal('not_allowed_in_state', `step ${f.id} is being retried`);
  f.status = 'resolved';
  f.resolution = { on: state.clock, reason: input.reason! };
  record(state, { kind: 'step_resolved', via: 'update', outcome: 'applied', reason: `${f.id}: ${input.reason}` });
  return { outcome: 'applied', reason: `step ${f.id} resolved` };
}
