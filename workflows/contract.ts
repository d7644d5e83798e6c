/**
 * The contract workflow: one per contract (`contract-<id>`). Handlers apply the rules of
 * workflows/engine.ts to the plain state; the main loop fires timers (the wall clock, or the
 * sandbox clock when finance advances it) and runs the outbox of side effects through activities,
 * one at a time, in order. Deterministic: no I/O, no Node APIs; time comes from the workflow clock.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SignalDefinition, UpdateDefinition } from '@temporalio/common';
import type { ContractActivities, RevenueResult } from '../activities';
import type { ArCreditMemoRequest, OpenReceivableRequest } from '../libs/contracts/ar';
import type { CreditMemo, Invoice, IssueCreditMemoRequest, IssueInvoiceRequest } from '../libs/contracts/invoicing';
import type { ContractEventPostingRequest, PostPlanRequest } from '../libs/contracts/revenue';
import type { Actor, ContractState, ContractWorkflowInput, Effect, EffectStep, PostingProgress, StepCall, UpdateOutcome } from '../libs/domain/contract';
import { currentTerms, STEP_NEEDS } from '../libs/domain/contract';
import type { ErrorCode } from '../libs/domain/errors';
import * as messages from '../libs/domain/messages';
import { liveDetails, timerText } from '../libs/domain/summary';
import { dateInZone, startOfDayInZone } from '../libs/dates';
import { dec, formatMoney, sumMoney } from '../libs/money';
import { dueDate } from '../libs/accounting';
import * as engine from './engine';


/**
 * Activities heartbeat while they wait on a service (activities/index.ts), so one lost with a
 * killed worker is retried elsewhere after the heartbeat timeout (seconds), not after the whole
 * start-to-close timeout. Transient failures retry without end (nothing is lost while a service is
 * down); refusals (DESIGN codes) are final and become failed steps.
 */
const remoteServices = proxyActivities<ContractActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds', nonRetryableErrorTypes: [...engine.REFUSAL_CODES] },
});

/**
 * Since 'local-effect-batches' (issue 11) an effect's steps run as one local activity
 * (`runEffectSteps`) in the worker that runs the workflow task, recorded as one marker in that
 * task's completion, instead of each step being scheduled, dispatched and completed through the
 * server (a milestone's three service calls were four server round trips and 22 history events;
 * now one round trip and 8). Same idempotency keys, same retries; a batch lost with its worker runs
 * again when the workflow task is retried elsewhere (the steps already done answer their originals).
 */
const localServices = proxyLocalActivities<ContractActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds', nonRetryableErrorTypes: [...engine.REFUSAL_CODES] },
});

const refusalOf = engine.refusalOf;

/**
 * A service request whose field `K` a batch may leave for the worker to fill in from an earlier
 * step of the same batch (`StepCall.fill`): the number the invoice or credit memo step issues.
 */
type Unfilled<T, K extends keyof T> = Omit<T, K> & { [P in K]: T[P] | undefined };

const TIMER_ACTOR: Actor = { type: 'timer' };
const SIGNAL_ACTOR: Actor = { type: 'signal' };
const SYSTEM_ACTOR: Actor = { type: 'system', name: 'workflow' };
const AR_ACTOR: Actor = { type: 'system', name: 'ar' };

/** Log entries kept in state (older ones are counted, not kept, to bound the payload). */
const LOG_LIMIT = 2_000;
const DEFAULT_MAX_MESSAGES_PER_RUN = 1_000;

export async function contractWorkflow(input: ContractWorkflowInput): Promise<ContractState> {
  const terms0 = input.terms;
  const wallToday = () => dateInZone(Date.now(), currentTerms(state).timezone);
  const state: ContractState = input.resume ?? engine.initialState(terms0, dateInZone(Date.now(), terms0.timezone));
  state.failedSteps ??= []; // runs carried over from before steps were tracked
  // Since 'outbound-events' (issue 12): an acceptance queues its `milestone.accepted` event (an
  // `announce` effect). Decided once per run, before anything fires; runs recorded before replay without.
  state.announces = patched('outbound-events') || undefined;
  // Since 'announce-in-batch' (issue 15): an acceptance's event runs in one batch with the effect
  // queued after it — the invoice it brings, or its revenue posting — (one local activity, one
  // intake request; docs/performance.md §9). Decided once per run.
  const announceInBatch = patched('announce-in-batch');
  // Since 'credited-parts-settle' (issue 15): an invoice of a milestone billed by progress credited in
  // full has nothing left to pay, so it no longer keeps its milestone from `paid` (AR never reports
  // it paid). Runs begun under 'credited-invoices-settle' (every milestone's; replaced before
  // release, its histories kept) replay that rule. Decided once per run.
  const partsSettle = patched('credited-parts-settle');
  state.creditsSettle = partsSettle ? 'progress' : patched('credited-invoices-settle') ? 'all' : undefined;
  const maxMessages = input.options?.maxMessagesPerRun ?? DEFAULT_MAX_MESSAGES_PER_RUN;
  let messagesThisRun = 0;

  /** Today on the contract's clock; wall-clock contracts first fire whatever fell due. */
  const today = (): string => {
    if (!state.sandbox) engine.fireDueTimers(state, wallToday());
    return state.clock;
  };

  /** Today without firing anything: validators must not change state (they are skipped on replay). */
  const peekToday = (): string => (state.sandbox || wallToday() < state.clock ? state.clock : wallToday());

  if (!input.resume && state.sandbox) byActor(TIMER_ACTOR, () => engine.fireDueTimers(state, state.clock));

  setHandler(messages.contractStateQuery, () => state);

  /**
   * The Temporal UI's "current details" of this run (docs/workflow.md): the live position as
   * markdown, refreshed after every handler, timer firing and effect. Pure: no command, so
   * histories replay the same.
   */
  function showDetails(): void {
    setCurrentDetails(liveDetails(state, currentTerms(state)));
  }
  showDetails();

  /**
   * Runs `fn` and names `actor` on the log entries it made (those a timer made name the timer).
   * Pure bookkeeping on the state: no commands, so histories replay the same.
   */
  function byActor<T>(actor: Actor, fn: () => T): T {
    const before = state.logSeq ?? state.log.length;
    try {
      return fn();
    } finally {
      for (let k = state.log.length - 1; k >= 0 && state.log[k]!.seq > before; k -= 1) {
        const entry = state.log[k]!;
        entry.actor ??= entry.via === 'timer' ? TIMER_ACTOR : actor;
      }
      showDetails();
    }
  }

  /**
   * An update that changes state: validated, applied, answered once its side effects are done,
   * with what it caused (the invoices and credit memos it issued, the timers it planned).
   * `after` may turn what those effects did into the answer (throwing a refusal to the caller).
   * The second argument names the caller (the gateway sends the API key or webhook source).
   */
  function update<I>(
    def: UpdateDefinition<UpdateOutcome, [I, Actor?]>,
    validate: (i: I) => void,
    apply: (i: I) => UpdateOutcome,
    after?: (i: I, outcome: UpdateOutcome) => void,
  ): void {
    setHandler(
      def,
      async (i: I, actor?: Actor) => {
        messagesThisRun += 1;
        const mark = { invoices: state.invoices.length, creditMemos: state.creditMemos.length, timerSeq: state.timerSeq };
        const outcome = byActor(actor ?? SYSTEM_ACTOR, () => {
          const o = apply(i);
          settleTimers();
          return o;
        });
        const made = { invoices: state.invoices.length, creditMemos: state.creditMemos.length };
        const timers = state.timers.filter((t) => t.seq > mark.timerSeq).map((t) => ({ ...t }));
        // Answer once every effect queued so far is done (the outbox runs in order), so the caller
        // reads a consistent state — also when this update queued nothing but earlier ones still run.
        const ticket = state.effectsQueued;
        await condition(() => state.effectsDone >= ticket);
        after?.(i, outcome);
        trimLog();
        return {
          ...outcome,
          caused: {
            invoices: state.invoices.slice(mark.invoices, made.invoices).map((x) => ({ ...x })),
            creditMemos: state.creditMemos.slice(mark.creditMemos, made.creditMemos).map((x) => ({ ...x })),
            timers,
          },
        };
      },
      { validator: (i: I, _actor?: Actor) => validate(i) },
    );
  }

  /** A signal: applied like the update; an ignored or refused one is recorded with its reason. */
  function signal<I extends { date?: string }>(def: SignalDefinition<[I]>, kind: string, apply: (i: I) => UpdateOutcome): void {
    setHandler(def, (i: I) => byActor(SIGNAL_ACTOR, () => {
      messagesThisRun += 1;
      try {
        apply(i);
        settleTimers();
      } catch (err) {
        // Only a business refusal is recorded; anything else is a bug and fails the workflow task,
        // so Temporal retries it (after a fix) instead of the signal vanishing into the log.
        const failure = refusalOf(err);
        if (!failure) throw err;
        const milestoneId = (i as { milestoneId?: string })?.milestoneId;
        engine.record(state, { kind, via: 'signal', milestoneId, date: i?.date, outcome: 'refused', code: failure.type ?? 'internal', reason: failure.message });
        log.warn('signal refused', { contractId: state.contractId, kind, code: failure.type, reason: failure.message });
      }
    }));
  }

  update(messages.completeMilestoneUpdate, (i) => void engine.decideCompletion(state, i, peekToday()), (i) => engine.complete(state, i, today(), 'update'));
  update(messages.declareMilestoneUpdate, (i) => void engine.decideCompletion(state, i, peekToday()), (i) => engine.complete(state, i, today(), 'update', 'declare'));
  update(messages.acceptMilestoneUpdate, (i) => void engine.decideAccept(state, i, peekToday()), (i) => engine.accept(state, i, today(), 'update'));
  update(messages.rejectMilestoneUpdate, (i) => void engine.decideReject(state, i, peekToday()), (i) => engine.reject(state, i, today(), 'update'));
  update(messages.reportProgressUpdate, (i) => void engine.decideProgress(state, i, peekToday()), (i) => engine.reportProgress(state, i, today(), 'update'));
  update(messages.reportCostUpdate, (i) => void engine.checkCost(state, i, peekToday()), (i) => engine.reportCost(state, i, today(), 'update'));
  update(messages.holdUpdate, (i) => void engine.checkDate(state, i?.date, peekToday()), (i) => engine.hold(state, i ?? {}, today(), 'update'));
  update(messages.releaseUpdate, (i) => void engine.checkDate(state, i?.date, peekToday()), (i) => engine.release(state, i ?? {}, today(), 'update'));
  update(messages.amendUpdate, (i) => void engine.checkAmend(state, i, peekToday()), (i) => engine.amend(state, i, today()));
  update(
    messages.advanceClockUpdate,
    (i) => engine.checkAdvanceClock(state, i?.to),
    (i) => {
      const fired = engine.fireDueTimers(state, i.to);
      return { outcome: 'applied', reason: `clock at ${state.clock}; ${fired} timer(s) fired` };
    },
  );

  update(messages.resolveStepUpdate, (i) => engine.checkResolveStep(state, i), (i) => engine.resolveStep(state, i));
  update(messages.retryStepUpdate, (i) => engine.checkRetryStep(state, i), (i) => engine.retryStep(state, i), (i, outcome) => {
    const step = state.failedSteps.find((f) => f.id === i.stepId)!;
    // Refused again: the caller gets the service's refusal; the step stays failed and visible.
    if (outcome.outcome === 'applied' && step.status === 'failed') throw engine.refusal(step.code as ErrorCode, `retry of ${step.id} refused again: ${step.message}`);
  });

  signal(messages.milestoneCompletedSignal, 'complete', (i) => engine.complete(state, i, today(), 'signal'));
  signal(messages.milestoneDeclaredSignal, 'declare', (i) => engine.complete(state, i, today(), 'signal', 'declare'));
  signal(messages.milestoneAcceptedSignal, 'accept', (i) => engine.accept(state, i, today(), 'signal'));
  signal(messages.milestoneRejectedSignal, 'reject', (i) => engine.reject(state, i, today(), 'signal'));
  signal(messages.costReportedSignal, 'cost', (i) => engine.reportCost(state, i, today(), 'signal'));
  signal(messages.progressReportedSignal, 'progress', (i) => engine.reportProgress(state, i, today(), 'signal'));
  setHandler(messages.invoicePaidSignal, (i) => byActor(AR_ACTOR, () => {
    messagesThisRun += 1;
    engine.invoicePaid(state, i);
  }));

  /** A backdated event can leave timers already due (a window that lapsed): they fire at once. */
  function settleTimers(): void {
    engine.fireDueTimers(state, state.clock);
  }

  function trimLog(): void {
    if (state.log.length > LOG_LIMIT) state.log.splice(0, state.log.length - LOG_LIMIT);
  }

  function takeRevenue(result: RevenueResult): void {
    if (!result.recognized) return;
    state.recognized = { ...state.recognized, ...result.recognized };
    state.recognizedTotal = formatMoney(sumMoney(Object.values(state.recognized)), state.currency);
  }

  /** Records a step the service refused for good (finance retries or resolves it). */
  function refused(effect: Effect, name: EffectStep, code: string, message: string): void {
    engine.stepFailed(state, effect, name, code, message);
    log.error('step refused', { contractId: state.contractId, effect: effect.kind, step: name, code, message });
  }

  /**
   * Runs an effect's steps. Since 'local-effect-batches': all of them in one local activity
   * (`runEffectSteps`, one marker in the history, no server round trip per step). Before it: one
   * scheduled activity per step, and — before 'independent-effect-steps' — a refused receivable or
   * credit application skipped the rest; histories made then replay that way.
   */
  async function run(effect: Effect): Promise<void> {
    if (patched('local-effect-batches')) {
      await runBatch([effect]);
      return;
    }
    const failed = new Set<EffectStep>();
    for (const name of engine.stepsToRun(effect)) {
      const needs = STEP_NEEDS[name];
      if (needs && failed.has(needs)) continue;
      if (failed.size > 0 && !patched('independent-effect-steps')) return;
      const c = callFor(effect, name, false);
      try {
        const result = c.activity ? await (remoteServices[c.activity] as (req: unknown, key: string) => Promise<unknown>)(c.request, c.key!) : undefined;
        take(effect, name, result);
      } catch (err) {
        const failure = refusalOf(err);
        if (!failure) throw err;
        refused(effect, name, failure.type ?? 'internal', failure.message);
        failed.add(name);
        continue;
      }
      if (effect.only) engine.stepSucceeded(state, effect, name);
    }
  }

  /**
   * Runs the steps of one or more effects in one local activity (`runEffectSteps`), then takes each
   * step's result into the state as its own effect's. Effects run together have distinct step names
   * (an `announce` and the `issue_invoice` after it), which the executor keys its results by.
   */
  async function runBatch(effects: Effect[]): Promise<void> {
    const parts = effects.map((effect) => ({ effect, calls: engine.stepsToRun(effect).map((name) => callFor(effect, name, true)) }));
    const results = await localServices.runEffectSteps(parts.flatMap((p) => p.calls));
    let at = 0;
    for (const { effect, calls } of parts) {
      for (const r of results.slice(at, at + calls.length)) {
        if (r.status === 'skipped') continue;
        if (r.status === 'refused') {
          // A 4xx whose code is not a business refusal is a bug: it fails loudly, as it did unbatched.
          if (!engine.REFUSAL_CODES.includes(r.code as ErrorCode)) throw ApplicationFailure.nonRetryable(r.message, r.code);
          refused(effect, r.step, r.code, r.message);
          continue;
        }
        take(effect, r.step, r.result);
        if (effect.only) engine.stepSucceeded(state, effect, r.step);
      }
      at += calls.length;
    }
  }

  /**
   * How many effects at the head of the outbox run as one batch: an acceptance's event with the
   * effect queued right after it when that is its invoice or its revenue posting (their steps are
   * named apart from `announce`).
   */
  function headBatchSize(): number {
    const [head, next] = state.outbox;
    const together = announceInBatch && head?.kind === 'announce' && (next?.kind === 'issue_invoice' || next?.kind === 'post_progress') && !head.only && !next.only;
    return together ? 2 : 1;
  }

  /**
   * The call one step makes: activity, request and idempotency key. `batched`: the steps of the
   * effect are built together before any runs, so a number an earlier step of the batch issues is
   * filled in by the worker (`fill`).
   */
  function callFor(effect: Effect, name: EffectStep, batched: boolean): StepCall {
    const t = currentTerms(state);
    const base = { contractId: state.contractId, sandbox: state.sandbox, currency: state.currency };
    const needs = batched ? STEP_NEEDS[name] : undefined;
    /** A posting of a contract event to the revenue ledger (what every effect's `ledger` step is). */
    const posting = (eventDate: string, source: { type: string; ref: string }, billed: string, key: string, progress?: PostingProgress): StepCall => ({
      step: name,
      activity: 'postToLedger',
      request: { ...base, kind: 'contract_event', eventDate, source, billed, ...(progress ? { progress } : {}) } satisfies ContractEventPostingRequest,
      key,
      needs,
    });
    switch (effect.kind) {
      case 'register_plan': {
        const v = state.versions.find((x) => x.version === effect.version)!;
        return {
          step: name,
          activity: 'registerRevenuePlan',
          request: {
            ...base,
            version: v.version,
            effectiveDate: effect.effectiveDate,
            obligations: v.terms.obligations,
            milestones: v.terms.milestones.map((m) => ({ id: m.id, obligationId: m.obligationId, amount: m.amount, weight: m.weight, billable: m.billable, sequence: m.sequence })),
            cancelled: v.cancelled,
          } satisfies PostPlanRequest,
          key: `${state.contractId}:plan:v${v.version}:register`,
        };
      }
      case 'issue_invoice': {
        const inv = state.invoices[effect.invoiceIndex]!;
        const vTerms = state.versions.find((x) => x.version === inv.termsVersion)!.terms;
        const milestoneId = inv.milestoneIds[0]!;
        // A progress invoice (docs/progressive-billing.md) is one of several of its kind for the milestone: its part number tells them apart.
        const key = `${state.contractId}:${milestoneId}:v${inv.termsVersion}:${inv.kind}${inv.part !== undefined ? `:part-${inv.part}` : ''}`;
        if (name === 'invoice') {
          const description = inv.kind === 'advance'
            ? `Advance billing under contract ${state.contractId}`
            : vTerms.milestones.find((m) => m.id === milestoneId)!.description;
          if (inv.kind === 'supplementary') {
            // The original may have been numbered only after the amendment was handled.
            inv.originalInvoiceNumber ??= state.invoices.find((i) => i.kind === 'milestone' && i.milestoneIds.includes(milestoneId))?.number;
          }
          return {
            step: name,
            activity: 'issueInvoice',
            request: {
              kind: inv.kind,
              contractId: state.contractId,
              customer: vTerms.customer,
              currency: state.currency,
              termsVersion: inv.termsVersion,
              date: inv.date,
              paymentTerms: vTerms.paymentTerms,
              lines: [{ milestoneId, description, amount: inv.amount }],
              sandbox: state.sandbox,
              ...(inv.kind === 'supplementary' ? { originalInvoiceNumber: inv.originalInvoiceNumber, amendmentVersion: inv.termsVersion } : {}),
              ...(inv.progress ? { progress: inv.progress } : {}),
            } satisfies IssueInvoiceRequest,
            key: `${key}:invoice`,
          };
        }
        if (name === 'receivable') {
          return {
            step: name,
            activity: 'openReceivable',
            request: {
              invoiceNumber: inv.number,
              contractId: state.contractId,
              customerId: vTerms.customer.id,
              currency: state.currency,
              amount: inv.amount,
              issueDate: inv.date,
              dueDate: dueDate(inv.date, vTerms.paymentTerms),
              milestoneIds: inv.milestoneIds,
              sandbox: state.sandbox,
            } satisfies Unfilled<OpenReceivableRequest, 'invoiceNumber'>,
            key: `${key}:receivable`,
            needs,
            ...(batched && inv.number === undefined ? { fill: { field: 'invoiceNumber' as const, from: 'invoice' as const } } : {}),
          };
        }
        return posting(inv.date, { type: inv.kind === 'advance' ? 'advance' : 'milestone', ref: milestoneId }, inv.amount, `${key}:post`, effect.progress);
      }
      case 'issue_credit_memo': {
        const memo = state.creditMemos[effect.memoIndex]!;
        // Progress billing credits several invoices of a milestone in one amendment (`seq`, the invoice it credits `invoiceIndex`).
        const key = `${state.contractId}:${memo.milestoneId}:v${memo.amendmentVersion}:credit-memo${memo.seq !== undefined ? `:${memo.seq}` : ''}`;
        if (name === 'credit_memo') {
          const original = memo.originalInvoiceNumber
            ?? (memo.invoiceIndex !== undefined ? state.invoices[memo.invoiceIndex]?.number : state.invoices.find((i) => i.kind === 'milestone' && i.milestoneIds.includes(memo.milestoneId))?.number);
          memo.originalInvoiceNumber = original;
          const milestone = t.milestones.find((m) => m.id === memo.milestoneId)!;
          return {
            step: name,
            activity: 'issueCreditMemo',
            request: {
              contractId: state.contractId,
              customer: t.customer,
              currency: state.currency,
              originalInvoiceNumber: original ?? 'unknown',
              amendmentVersion: memo.amendmentVersion,
              date: memo.date,
              paymentTerms: t.paymentTerms,
              lines: [{ milestoneId: memo.milestoneId, description: milestone.description, amount: memo.amount }],
              sandbox: state.sandbox,
            } satisfies IssueCreditMemoRequest,
            key: `${key}:issue`,
          };
        }
        if (name === 'apply_credit') {
          // No original invoice to apply the credit to: nothing to call.
          if (!memo.originalInvoiceNumber) return { step: name, needs };
          return {
            step: name,
            activity: 'applyCreditMemo',
            request: { creditMemoNumber: memo.number, invoiceNumber: memo.originalInvoiceNumber, amount: memo.amount, date: memo.date } satisfies Unfilled<ArCreditMemoRequest, 'creditMemoNumber'>,
            key: `${key}:apply`,
            needs,
            ...(batched && memo.number === undefined ? { fill: { field: 'creditMemoNumber' as const, from: 'credit_memo' as const } } : {}),
          };
        }
        return posting(memo.date, { type: 'amendment', ref: `v${memo.amendmentVersion}:${memo.milestoneId}` }, formatMoney(dec(memo.amount).negated(), state.currency), `${key}:post`);
      }
      case 'post_progress':
        return posting(effect.date, effect.source, formatMoney('0', state.currency), `${state.contractId}:${effect.key}:post`, effect.progress);
      case 'announce':
        // The event's id is unique per fact: the gateway keeps it once however often this runs.
        return { step: name, activity: 'publishEvents', request: { events: [effect.event] }, key: effect.event.id };
    }
  }

  /** Takes what a step's service answered into the state: numbers issued, revenue to date. */
  function take(effect: Effect, name: EffectStep, result: unknown): void {
    if (name === 'invoice' && effect.kind === 'issue_invoice') {
      const inv = state.invoices[effect.invoiceIndex]!;
      const issued = result as Pick<Invoice, 'number'>;
      inv.number = issued.number;
      for (const id of inv.milestoneIds) state.milestones[id]?.invoiceNumbers.push(issued.number);
    } else if (name === 'credit_memo' && effect.kind === 'issue_credit_memo') {
      state.creditMemos[effect.memoIndex]!.number = (result as Pick<CreditMemo, 'number'>).number;
    } else if (name === 'plan' || name === 'ledger') {
      takeRevenue(result as RevenueResult);
    }
  }

  async function drainOutbox(): Promise<void> {
    while (state.outbox.length > 0) {
      const n = headBatchSize();
      if (n > 1) await runBatch(state.outbox.slice(0, n));
      else await run(state.outbox[0]!);
      state.outbox.splice(0, n);
      state.effectsDone += n;
    }
    showDetails();
  }

  /**
   * Waits until every handler has finished, running the effects they queue meanwhile (a handler
   * waits for its effects, so waiting for handlers alone could wait forever).
   */
  async function settle(): Promise<void> {
    for (;;) {
      await condition(() => state.outbox.length > 0 || allHandlersFinished());
      if (state.outbox.length === 0) return;
      await drainOutbox();
    }
  }

  const wantsContinueAsNew = () => workflowInfo().continueAsNewSuggested || messagesThisRun >= maxMessages;

  for (;;) {
    const timer = state.sandbox ? undefined : engine.nextTimer(state);
    const wakeInMs = timer ? startOfDayInZone(timer.date, currentTerms(state).timezone) - Date.now() : undefined;
    const timerSeq = state.timerSeq;
    const wake = () => state.outbox.length > 0 || state.timerSeq !== timerSeq || wantsContinueAsNew() || engine.isFinished(state);
    if (wakeInMs === undefined) await condition(wake);
    // The timer's summary names the business timer it waits for (the Temporal UI shows it; metadata only, no other command).
    else if (wakeInMs > 0) await condition(wake, wakeInMs, { summary: timerText(timer!) });
    if (!state.sandbox) {
      const fired = byActor(TIMER_ACTOR, () => engine.fireDueTimers(state, wallToday()));
      // Never loop without waiting: a timer whose day has not begun yet in the zone waits a moment.
      if (fired === 0 && wakeInMs !== undefined && wakeInMs <= 0 && state.outbox.length === 0) await condition(wake, 1_000);
    }
    await drainOutbox();
    trimLog();
    if (engine.isFinished(state)) {
      await settle();
      if (engine.isFinished(state)) {
        state.status = 'completed';
        upsertSearchAttributes([{ key: messages.searchAttributes.status, value: 'completed' }]);
        byActor(SYSTEM_ACTOR, () => engine.record(state, { kind: 'completed', via: 'timer', outcome: 'applied', reason: 'every milestone paid, covered or cancelled; revenue fully recognized' }));
        return state;
      }
    }
    if (wantsContinueAsNew()) {
      await settle();
      await continueAsNew<typeof contractWorkflow>({ terms: input.terms, options: input.options, resume: { ...state, runs: state.runs + 1 } });
    }
  }
}
