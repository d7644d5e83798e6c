/**
 * Activities: thin adapters from the contract workflow to the services. Built by factories that
 * take their clients (wired once in the worker). Every call carries the idempotency key the
 * workflow derived from contract, milestone, terms version and action; a service refusal (4xx)
 * becomes a non-retryable ApplicationFailure typed with its code; anything else is retried.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Logger } from '../libs/logger';
import { ServiceError, type ServiceClient } from '../libs/service-client';
import type { Invoice, IssueInvoiceRequest } from '../services/invoicing/api';
import type { OpenReceivableRequest, Receivable } from '../services/ar/api';
import type { JournalEntry } from '../services/revenue/api';
import type { EffectStep, ProgressFacts, StepActivity, StepCall, StepResult } from '../libs/domain/contract';

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

export function createInvoicingActivities(deps: { invoicing: ServiceClient; logger: Logger }) {
  return {
    async issueInvoice(req: IssueInvoiceRequest, idempotencyKey: string): Promise<Invoice> {
      const invoice = await call(() => deps.invoicing.post<Invoice>('/invoices', req, { idempotencyKey }));
      deps.logger.info({ contractId: req.contractId, number: invoice.number, idempotencyKey }, 'invoice issued');
      return invoice;
    },
  };
}

export interface IssueCreditMemoRequest {
  contractId: string;
  customer: { id: string; name: string };
  currency: string;
  originalInvoiceNumber: string;
  amendmentVersion: number;
  date: string;
  paymentTerms: string;
  lines: { milestoneId: string; description: string; amount: string }[];
  sandbox: boolean;
}

export interface CreditMemo {
  number: string;
  originalInvoiceNumber: string;
  date: string;
  total: string;
}

export function createInvoicingCreditActivities(deps: { invoicing: ServiceClient; logger: Logger }) {
  return {
    async issueCreditMemo(req: IssueCreditMemoRequest, idempotencyKey: string): Promise<CreditMemo> {
      const memo = await call(() => deps.invoicing.post<CreditMemo>('/credit-memos', req, { idempotencyKey }));
      deps.logger.info({ contractId: req.contractId, number: memo.number, idempotencyKey }, 'credit memo issued');
      return memo;
    },
  };
}

export function createArActivities(deps: { ar: ServiceClient; logger: Logger }) {
  return {
    async openReceivable(req: OpenReceivableRequest, idempotencyKey: string): Promise<Receivable> {
      return call(() => deps.ar.post<Receivable>('/receivables', req, { idempotencyKey }));
    },
    async applyCreditMemo(req: { creditMemoNumber: string; invoiceNumber: string; amount: string; date: string }, idempotencyKey: string): Promise<unknown> {
      return call(() => deps.ar.post<unknown>('/credit-memos', req, { idempotencyKey }));
    },
  };
}

/** What the revenue service answers to a plan or a posting: the entry and the contract's revenue to date. */
export interface RevenueResult {
  entry?: JournalEntry | null;
  recognized?: Record<string, string>;
  position?: { billed: string; recognized: string };
}

export interface RegisterPlanRequest {
  contractId: string;
  sandbox: boolean;
  currency: string;
  version: number;
  effectiveDate: string;
  obligations: unknown[];
  milestones: Array<{ id: string; obligationId: string; amount: string; weight?: string; billable: boolean; sequence: number }>;
  cancelled: string[];
}

export interface ContractEventPosting {
  kind: 'contract_event';
  contractId: string;
  sandbox: boolean;
  currency: string;
  eventDate: string;
  source: { type: string; ref: string };
  billed: string;
  progress?: ProgressFacts;
}

export function createRevenueActivities(deps: { revenue: ServiceClient; logger: Logger }) {
  return {
    async registerRevenuePlan(req: RegisterPlanRequest, idempotencyKey: string): Promise<RevenueResult> {
      return call(() => deps.revenue.post<RevenueResult>('/plans', req, { idempotencyKey }));
    },
    async postToLedger(req: ContractEventPosting, idempotencyKey: string): Promise<RevenueResult> {
      const result = await call(() => deps.revenue.post<RevenueResult & JournalEntry>('/postings', req, { idempotencyKey }));
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
export function createEffectActivities(steps: Record<StepActivity, (request: never, idempotencyKey: string) => Promise<unknown>>) {
  return {
    async runEffectSteps(calls: StepCall[]): Promise<StepResult[]> {
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
      return calls.map((c) => results.get(c.step)!);
    },
  };
}

export type InvoicingActivities = ReturnType<typeof createInvoicingActivities>;
export type ArActivities = ReturnType<typeof createArActivities>;
export type RevenueActivities = ReturnType<typeof createRevenueActivities>;
export type InvoicingCreditActivities = ReturnType<typeof createInvoicingCreditActivities>;
export type EffectActivities = ReturnType<typeof createEffectActivities>;
export type ContractActivities = InvoicingActivities & InvoicingCreditActivities & ArActivities & RevenueActivities & EffectActivities;

export function createActivities(deps: { invoicing: ServiceClient; ar: ServiceClient; revenue: ServiceClient; logger: Logger }) {
  const steps = {
    ...createInvoicingActivities(deps),
    ...createInvoicingCreditActivities(deps),
    ...createArActivities(deps),
    ...createRevenueActivities(deps),
  };
  return { ...steps, ...createEffectActivities(steps) };
}
