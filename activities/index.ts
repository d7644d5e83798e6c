/**
 * Activities: thin adapters from the contract workflow to the services. Built by factories that
 * take their clients (wired once in the worker). Every call carries the idempotency key the
 * workflow derived from contract, milestone, terms version and action; a service refusal (4xx)
 * becomes a non-retryable ApplicationFailure typed with its code; anything else is retried.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { eventIds, type EventInput } from '../libs/domain/events';
import type { EventPublisher } from '../libs/event-publisher';
import type { Logger } from '../libs/logger';
import { ServiceError, type ServiceClient } from '../libs/service-client';
import type { CreditMemo, Invoice, IssueCreditMemoRequest, IssueInvoiceRequest } from '../libs/contracts/invoicing';
import type { ArCreditMemo, ArCreditMemoRequest, OpenReceivableRequest, Receivable } from '../libs/contracts/ar';
import type { ContractEventPostingRequest, JournalEntry, PlanResult, PostPlanRequest } from '../libs/contracts/revenue';
import type { EffectStep, StepActivity, StepCall, StepResult } from '../libs/domain/contract';

/** How often a running activity tells the server it is alive (the workflow's heartbeat timeout is 5 s). */
const HEARTBEAT_EVERY_MS = 1_000;

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // called outside an activity (unit tests)
  }
}

async function call<T>(fn: () => Promise<T>): Promise<T> {
  // Heartbeats while the service answers: if this worker dies, the server notices within the
  // heartbeat timeout and another worker runs the activity again (same idempotency key).
  const ctx = activityContext();
  // A local activity has no heartbeat of its own: the worker keeps its workflow task alive.
  const beat = ctx && !ctx.info.isLocal ? setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS) : undefined;
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ServiceError && err.isRefusal) {
      throw ApplicationFailure.nonRetryable(err.message, err.code, { service: err.service, status: err.status, details: err.details });
    }
    throw err;
  } finally {
    if (beat) clearInterval(beat);
  }
}

/**
 * Publishes outbound events after the fact is done (docs/events.md). Every run publishes — also a
 * retry whose service answered its original — and the gateway keeps each event id once. A failure
 * throws a plain (retryable) error, never a refusal: the step's fact is done, and is not recorded
 * as refused; the activity runs again (its service answers the original) until the event is taken.
 */
async function announce(events: EventPublisher | undefined, logger: Logger, make: () => EventInput[]): Promise<void> {
  if (!events) return;
  const list = make();
  try {
    await events.publish(list);
  } catch (err) {
    logger.warn({ contractId: list[0]?.contractId, eventIds: list.map((e) => e.id), err: (err as Error).message }, 'publishing events failed; will retry');
    throw new Error((err as Error).message);
  }
}

/** `invoice.issued`: the invoice as the invoicing service issued it. */
export function invoiceIssuedEvent(invoice: Invoice): EventInput {
  return {
    id: eventIds.invoiceIssued(invoice.number),
    type: 'invoice.issued',
    contractId: invoice.contractId,
    customerId: invoice.customer.id,
    sandbox: invoice.sandbox,
    occurredOn: invoice.date,
    data: {
      invoiceNumber: invoice.number, kind: invoice.kind, date: invoice.date, dueDate: invoice.dueDate, currency: invoice.currency, total: invoice.total,
      paymentTerms: invoice.paymentTerms, termsVersion: invoice.termsVersion, lines: invoice.lines,
      ...(invoice.originalInvoiceNumber ? { originalInvoiceNumber: invoice.originalInvoiceNumber } : {}),
      ...(invoice.progress ? { progress: invoice.progress } : {}),
    },
  };
}

/** `credit_memo.issued`: the memo, the invoice it reduces and by how much. */
export function creditMemoIssuedEvent(req: IssueCreditMemoRequest, memo: Pick<CreditMemo, 'number' | 'originalInvoiceNumber' | 'date' | 'total'>): EventInput {
  return {
    id: eventIds.creditMemoIssued(memo.number),
    type: 'credit_memo.issued',
    contractId: req.contractId,
    customerId: req.customer.id,
    sandbox: req.sandbox ?? false, // the service's default
    occurredOn: memo.date,
    data: {
      creditMemoNumber: memo.number, originalInvoiceNumber: memo.originalInvoiceNumber, date: memo.date, currency: req.currency, total: memo.total,
      amendmentVersion: req.amendmentVersion, lines: req.lines,
    },
  };
}

export function createInvoicingActivities(deps: { invoicing: ServiceClient; logger: Logger; events?: EventPublisher }) {
  return {
    async issueInvoice(req: IssueInvoiceRequest, idempotencyKey: string): Promise<Invoice> {
      const invoice = await call(() => deps.invoicing.post<Invoice>('/invoices', req, { idempotencyKey }));
      deps.logger.info({ contractId: req.contractId, number: invoice.number, idempotencyKey }, 'invoice issued');
      await call(() => announce(deps.events, deps.logger, () => [invoiceIssuedEvent(invoice)]));
      return invoice;
    },
  };
}

/** The workflow's own events (`milestone.accepted`): published as one step of an `announce` effect. */
export function createEventActivities(deps: { logger: Logger; events?: EventPublisher }) {
  return {
    async publishEvents(req: { events: EventInput[] }, idempotencyKey: string): Promise<{ published: number }> {
      void idempotencyKey; // each event's id is its idempotency key
      await announce(deps.events, deps.logger, () => req.events);
      return { published: deps.events ? req.events.length : 0 };
    },
  };
}

export function createInvoicingCreditActivities(deps: { invoicing: ServiceClient; logger: Logger; events?: EventPublisher }) {
  return {
    async issueCreditMemo(req: IssueCreditMemoRequest, idempotencyKey: string): Promise<CreditMemo> {
      const memo = await call(() => deps.invoicing.post<CreditMemo>('/credit-memos', req, { idempotencyKey }));
      deps.logger.info({ contractId: req.contractId, number: memo.number, idempotencyKey }, 'credit memo issued');
      await call(() => announce(deps.events, deps.logger, () => [creditMemoIssuedEvent(req, memo)]));
      return memo;
    },
  };
}

export function createArActivities(deps: { ar: ServiceClient; logger: Logger }) {
  return {
    async openReceivable(req: OpenReceivableRequest, idempotencyKey: string): Promise<Receivable> {
      return call(() => deps.ar.post<Receivable>('/receivables', req, { idempotencyKey }));
    },
    async applyCreditMemo(req: ArCreditMemoRequest, idempotencyKey: string): Promise<ArCreditMemo> {
      return call(() => deps.ar.post<ArCreditMemo>('/credit-memos', req, { idempotencyKey }));
    },
  };
}

/**
 * What a revenue step answers the workflow: the entry and the contract's revenue to date, from a
 * plan (`PlanResult`) or a posting (the entry itself carries them).
 */
export type RevenueResult = Partial<Pick<PlanResult, 'entry' | 'recognized' | 'position'>>;

export function createRevenueActivities(deps: { revenue: ServiceClient; logger: Logger }) {
  return {
    async registerRevenuePlan(req: PostPlanRequest, idempotencyKey: string): Promise<RevenueResult> {
      return call(() => deps.revenue.post<PlanResult>('/plans', req, { idempotencyKey }));
    },
    async postToLedger(req: ContractEventPostingRequest, idempotencyKey: string): Promise<RevenueResult> {
      // POST /postings answers the entry itself (`JournalEntry`); an answer wrapping it as `entry` is taken too.
      const result = await call(() => deps.revenue.post<JournalEntry & RevenueResult>('/postings', req, { idempotencyKey }));
      deps.logger.info({ contractId: req.contractId, idempotencyKey }, 'journal entry posted');
      return { entry: result.entry ?? result, recognized: result.recognized, position: result.position };
    },
  };
}

/**
 * Runs the steps of one effect in order in one (local) activity: one marker in the workflow's
 * history and one activation instead of one per step (issue 11). Each step is the same activity
 * function with the same idempotency key as when they ran one by one. A refusal (a non-retryable
 * failure: the service's 4xx) is answered as that step's result, and the steps needing it are
 * skipped; anything else throws, and the whole batch is retried (the steps already done answer
 * their original results under their keys).
 */
type StepFunctions = Record<StepActivity, (request: never, idempotencyKey: string) => Promise<unknown>>;

export function createEffectActivities(stepsFor: (events: EventPublisher | undefined) => StepFunctions, deps: { logger: Logger; events?: EventPublisher }) {
  const { events, logger } = deps;
  return {
    async runEffectSteps(calls: StepCall[]): Promise<StepResult[]> {
      // The batch's outbound events (an acceptance, the invoice it brings) go to the gateway in one
      // request once every step has run, in the order the steps made them; if that fails the batch
      // throws and runs again (its steps answer their originals, which make the same events).
      const batch = events ? bufferedPublisher() : undefined;
      const steps = stepsFor(batch);
      const results = new Map<EffectStep, StepResult>();
      for (const c of calls) {
        const needed = c.needs ? results.get(c.needs) : undefined;
        let r: StepResult;
        if (needed && needed.status !== 'done') r = { step: c.step, status: 'skipped' };
        else if (!c.activity) r = { step: c.step, status: 'done' };
        else {
          const filled = c.fill ? (results.get(c.fill.from) as { result?: { number?: string } } | undefined)?.result?.number : undefined;
          const request = filled ? { ...c.request, [c.fill!.field]: filled } : c.request;
          try {
            r = { step: c.step, status: 'done', result: await steps[c.activity](request as never, c.key!) };
          } catch (err) {
            if (!(err instanceof ApplicationFailure) || !err.nonRetryable) throw err;
            r = { step: c.step, status: 'refused', code: err.type ?? 'internal', message: err.message };
          }
        }
        results.set(c.step, r);
      }
      if (batch && batch.events.length > 0) await announce(events, logger, () => batch.events);
      return calls.map((c) => results.get(c.step)!);
    },
  };
}

/** Collects what the steps of a batch publish, to publish it once. */
function bufferedPublisher(): EventPublisher & { events: EventInput[] } {
  const events: EventInput[] = [];
  return { events, async publish(list) { events.push(...list); } };
}

export type InvoicingActivities = ReturnType<typeof createInvoicingActivities>;
export type ArActivities = ReturnType<typeof createArActivities>;
export type RevenueActivities = ReturnType<typeof createRevenueActivities>;
export type InvoicingCreditActivities = ReturnType<typeof createInvoicingCreditActivities>;
export type EffectActivities = ReturnType<typeof createEffectActivities>;
export type EventActivities = ReturnType<typeof createEventActivities>;
export type ContractActivities = InvoicingActivities & InvoicingCreditActivities & ArActivities & RevenueActivities & EventActivities & EffectActivities;

/** `events`: where outbound events go (the gateway); without it (unit tests, benches) none are published. */
export function createActivities(deps: { invoicing: ServiceClient; ar: ServiceClient; revenue: ServiceClient; logger: Logger; events?: EventPublisher }) {
  const stepsFor = (events: EventPublisher | undefined) => ({
    ...createInvoicingActivities({ ...deps, events }),
    ...createInvoicingCreditActivities({ ...deps, events }),
    ...createArActivities(deps),
    ...createRevenueActivities(deps),
    ...createEventActivities({ ...deps, events }),
  });
  return { ...stepsFor(deps.events), ...createEffectActivities(stepsFor, deps) };
}
