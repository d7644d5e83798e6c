/**
 * What the gateway's operations answer (zod): the response schemas of the OpenAPI document, so a
 * generated client types every answer. Named schemas (`.meta({ id })`) are `components/schemas`.
 * The contract's public state and the answer of every update are in public-state.ts.
 */
import { z } from 'zod';
import type { ErrorCode } from '../../libs/domain/errors';
import { contractTermsSchema } from '../../libs/domain/terms';
import type { OpenApiOperation } from '../../libs/openapi';
import { paymentResponseSchema } from '../ar/api';
import { closeResultSchema, journalEntrySchema, REPORT_NAMES } from '../revenue/api';
import { REPORT_SCHEMAS } from '../revenue/openapi';
import type { ContractOperation } from './contracts';
import { logEntrySchema, updateAnswerSchema } from './public-state';
import { amendBody, datedBody, deliveryWebhookBody, progressBody } from './schemas';

export { publicContractSchema, updateAnswerSchema } from './public-state';

/** A business date YYYY-MM-DD. */
export const dateField = z.string().meta({ format: 'date', description: 'a business date YYYY-MM-DD' });
/** An instant, ISO 8601 (UTC). */
export const dateTimeField = z.string().meta({ format: 'date-time' });

/**
 * Gives a schema defined elsewhere (a request body, a shared shape) a component name without
 * changing it: the document then refers to it by `$ref`.
 */
export function named<S extends z.ZodType>(schema: S, id: string): S {
  const meta = z.globalRegistry.get(schema) as { id?: string } | undefined;
  if (meta?.id === undefined) z.globalRegistry.add(schema, { ...(meta ?? {}), id });
  return schema;
}

/** One page of a list: `{data, nextCursor?}` (cursor paging; no nextCursor on the last page). */
export function pageOf<T extends z.ZodType>(item: T, id: string) {
  return z.object({
    data: z.array(item),
    nextCursor: z.string().optional().describe('pass as `cursor` for the next page; absent on the last page'),
  }).meta({ id });
}

named(contractTermsSchema, 'ContractTerms');
named(amendBody, 'AmendmentRequest');
named(datedBody, 'DatedRequest');
named(progressBody, 'ProgressRequest');
named(deliveryWebhookBody, 'DeliveryWebhookEvent');

export const createdContractSchema = z.object({
  contractId: z.string(),
  workflowId: z.string().describe('the Temporal workflow running the contract'),
  version: z.number().int().describe('the terms version (1)'),
}).meta({ id: 'CreatedContract' });

export const contractListItemSchema = z.object({
  contractId: z.string(),
  customerId: z.string().optional(),
  currency: z.string().optional(),
  status: z.enum(['active', 'completed']).optional(),
  workflowStatus: z.enum(['UNSPECIFIED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'CONTINUED_AS_NEW', 'TIMED_OUT']),
  startedAt: dateTimeField.optional(),
}).meta({ id: 'ContractListItem' });

export const contractPageSchema = pageOf(contractListItemSchema, 'ContractPage');

export const termsVersionsSchema = z.object({
  version: z.number().int().describe('the current version'),
  versions: z.array(z.object({
    version: z.number().int(),
    effectiveDate: dateField,
    terms: contractTermsSchema,
    cancelled: z.array(z.string()).describe('milestones cancelled as of this version'),
  })),
}).meta({ id: 'TermsVersions' });

export const logPageSchema = pageOf(logEntrySchema, 'LogPage');

export const webhookAnswerSchema = updateAnswerSchema.extend({ eventId: z.string() }).meta({ id: 'WebhookAnswer' });

export const paymentSchema = paymentResponseSchema.extend({
  date: dateField,
  createdAt: dateTimeField,
}).meta({ id: 'RecordedPayment', description: 'A payment as AR recorded it: applied to the named invoices, then oldest first; the rest is customer credit' });

export const closedPeriodSchema = closeResultSchema.extend({
  period: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/).describe('YYYY-MM'),
  closedAt: dateTimeField,
}).meta({ id: 'ClosedPeriod' });

export const journalPageSchema = z.object({
  data: z.array(journalEntrySchema.extend({ eventDate: dateField, postingDate: dateField, createdAt: dateTimeField }).meta({ id: 'JournalEntry' })),
  nextCursor: z.string().optional().describe('pass as `cursor` for the next page; absent on the last page'),
}).meta({ id: 'JournalPage' });

export const reconciliationSchema = z.object({
  contractId: z.string(),
  ok: z.boolean().describe('every check holds'),
  checks: z.array(z.object({
    name: z.string(),
    ok: z.boolean(),
    expected: z.string(),
    actual: z.string(),
    variance: z.string(),
  })),
}).meta({ id: 'Reconciliation', description: 'The workflow, invoicing, AR and the ledger side by side, with each invariant\'s variance (DESIGN §10)' });

/** Any report's JSON answer (which one follows from `{report}`). */
export const reportSchema = z.union(REPORT_NAMES.map((n) => REPORT_SCHEMAS[n]) as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]])
  .describe('the report named by `{report}` (`waterfall` is revenue-by-period)');

/**
 * The query a report accepts (passed on to the revenue service, which validates it): `format`, the
 * date of the balances, the months of a series, the journal's filters.
 */
export const reportQuerySchema = z.object({
  format: z.enum(['json', 'csv']).default('json').describe('csv: the report as a CSV file'),
  asOf: dateField.optional().describe('balances as of this date (default: today on the contract\'s clock)'),
  from: z.string().optional().describe('first month YYYY-MM (month-end-balances, roll-forward) or first date (journal)'),
  to: z.string().optional().describe('last month YYYY-MM (month-end-balances, roll-forward) or last date (journal)'),
  currency: z.string().regex(/^[A-Z]{3}$/).optional(),
  account: z.enum(['ar', 'unbilled_ar', 'deferred_revenue', 'revenue', 'cash']).optional().describe('journal: one account'),
  kind: z.enum(['contract_event', 'payment', 'amendment']).optional().describe('journal: one kind of entry'),
  sourceType: z.string().max(100).optional().describe('journal: entries of one source type, e.g. milestone, advance, amendment'),
  limit: z.string().regex(/^\d{1,5}$/).optional().describe('journal: at most this many lines (default 1000)'),
  offset: z.string().regex(/^\d{1,9}$/).optional().describe('journal: skip this many lines'),
}).strict();

type Responses = OpenApiOperation['responses'];

/** The answer of a contract update, and the refusals a contract update may give besides the common ones. */
function updateResponses(description: string, refusals: { 409?: ErrorCode[]; 422?: ErrorCode[] }): Responses {
  const responses: Responses = { 200: { description, schema: updateAnswerSchema } };
  if (refusals[409]) responses[409] = { description: 'refused in the contract\'s current state', codes: refusals[409] };
  if (refusals[422]) responses[422] = { description: 'refused by the contract\'s rules', codes: refusals[422] };
  return responses;
}

const answer = 'applied or ignored (with the reason), and what the call caused: invoices, credit memos, timers planned';

/** Each contract update of the API: its operation id, tag and answers (routes.ts declares the rest). */
export const UPDATE_OPERATIONS: Record<ContractOperation, { operationId: string; tags: string[]; responses: Responses }> = {
  complete: { operationId: 'completeMilestone', tags: ['milestones'], responses: updateResponses(`${answer}; \`milestone\` is its state after`, { 409: ['not_allowed_in_state', 'requires_amendment'], 422: ['future_date'] }) },
  declare: { operationId: 'declareMilestone', tags: ['milestones'], responses: updateResponses(`${answer}; \`milestone\` is its state after`, { 409: ['not_allowed_in_state', 'requires_amendment'], 422: ['future_date'] }) },
  accept: { operationId: 'acceptMilestone', tags: ['milestones'], responses: updateResponses(`${answer}; \`milestone\` is its state after`, { 409: ['not_allowed_in_state', 'window_closed'], 422: ['future_date'] }) },
  reject: { operationId: 'rejectMilestone', tags: ['milestones'], responses: updateResponses(`${answer}; \`milestone\` is its state after`, { 409: ['not_allowed_in_state', 'window_closed'], 422: ['future_date'] }) },
  progress: {
    operationId: 'reportMilestoneProgress', tags: ['milestones'],
    responses: updateResponses(`${answer} (the part it invoiced, if any); \`milestone\` is its state after, with its \`progress\``, { 409: ['not_allowed_in_state', 'requires_amendment'], 422: ['future_date'] }),
  },
  cost: { operationId: 'reportCost', tags: ['milestones'], responses: updateResponses(answer, { 409: ['not_allowed_in_state'], 422: ['future_date'] }) },
  hold: { operationId: 'placeHold', tags: ['holds'], responses: updateResponses(answer, { 409: ['not_allowed_in_state'], 422: ['future_date'] }) },
  release: { operationId: 'releaseHold', tags: ['holds'], responses: updateResponses(`${answer} (the invoices the hold queued)`, { 409: ['not_allowed_in_state'], 422: ['future_date'] }) },
  amend: {
    operationId: 'amendContract', tags: ['amendments'],
    responses: updateResponses(`${answer} (credit memos and supplementary invoices); \`version\` is the new terms version`, { 409: ['stale_version', 'not_allowed_in_state'], 422: ['invalid_amendment', 'future_date'] }),
  },
  advanceClock: { operationId: 'advanceClock', tags: ['contracts'], responses: updateResponses(`${answer} (timers that fired on the way)`, { 409: ['not_allowed_in_state'] }) },
  retryStep: {
    operationId: 'retryFailedStep', tags: ['contracts'],
    responses: updateResponses(`${answer}; a retry refused again answers the service's refusal`, { 409: ['not_allowed_in_state'] }),
  },
  resolveStep: { operationId: 'resolveFailedStep', tags: ['contracts'], responses: updateResponses(answer, { 409: ['not_allowed_in_state'] }) },
};
