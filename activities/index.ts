/**
 * Activities: thin adapters from the contract workflow to the services. Built by factories that
 * take their clients (wired once in the worker). Every call carries the idempotency key the
 * workflow derived from contract, milestone, terms version and action; a service refusal (4xx)
 * becomes a non-retryable ApplicationFailure typed with its code; anything else is retried.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Logger } from '../libs/logger';
import { ServiceError, type ServiceClient } from '../libs/service-client';
import type { Invoice, IssueInvoiceRequest } from '../services/invoicing/api';
import type { OpenReceivableRequest, Receivable } from '../services/ar/api';
import type { JournalEntry, PostingRequest } from '../services/revenue/api';

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ServiceError && err.isRefusal) {
      throw ApplicationFailure.nonRetryable(err.message, err.code, { service: err.service, status: err.status, details: err.details });
    }
    throw err;
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

export function createArActivities(deps: { ar: ServiceClient; logger: Logger }) {
  return {
    async openReceivable(req: OpenReceivableRequest, idempotencyKey: string): Promise<Receivable> {
      return call(() => deps.ar.post<Receivable>('/receivables', req, { idempotencyKey }));
    },
  };
}

export function createRevenueActivities(deps: { revenue: ServiceClient; logger: Logger }) {
  return {
    async postToLedger(req: PostingRequest, idempotencyKey: string): Promise<JournalEntry> {
      const entry = await call(() => deps.revenue.post<JournalEntry>('/postings', req, { idempotencyKey }));
      deps.logger.info({ contractId: req.contractId, entryId: entry.entryId, idempotencyKey }, 'journal entry posted');
      return entry;
    },
  };
}

export type InvoicingActivities = ReturnType<typeof createInvoicingActivities>;
export type ArActivities = ReturnType<typeof createArActivities>;
export type RevenueActivities = ReturnType<typeof createRevenueActivities>;

export function createActivities(deps: { invoicing: ServiceClient; ar: ServiceClient; revenue: ServiceClient; logger: Logger }) {
  return {
    ...createInvoicingActivities(deps),
    ...createArActivities(deps),
    ...createRevenueActivities(deps),
  };
}
