/**
 * What the public API says about a contract: the workflow's state without its machinery (the
 * outbox, counters, effect payloads), and the answer of every contract update with what the update
 * caused. The zod schemas are the OpenAPI description of both; `publicContract` is the mapping.
 */
import { z } from 'zod';
import {
  openFailureCount, type ContractState, type CreditMemoSummary, type MilestoneState, type UpdateOutcome,
} from '../../libs/domain/contract';

const date = z.string().meta({ format: 'date', description: 'a business date, YYYY-MM-DD' });
const amount = z.string().meta({ description: 'a decimal string in the contract currency' });
const percent = z.string().meta({ description: 'percent complete, a decimal string such as "62.5" (0–100, at most 2 decimals)' });

/** A milestone billed by progress (docs/progressive-billing.md): what was reported and billed so far. */
export const milestoneProgressSchema = z.object({
  percent: percent.describe('the last percent reported ("100" once completed)'),
  billed: amount.describe('what its progress invoices billed so far (before the advance)'),
  parts: z.number().int().describe('how many progress invoices (parts) it has had'),
}).meta({ id: 'MilestoneProgress' });

/** What a progress invoice bills (docs/progressive-billing.md), as printed on it. */
export const invoiceProgressSummarySchema = z.object({
  percent: percent.describe('the percent complete it bills up to ("100" on the invoice of the rest)'),
  cumulative: amount.describe('billed for the milestone with this invoice (before the advance)'),
  previouslyBilled: amount.describe('billed for the milestone before this invoice (before the advance)'),
}).meta({ id: 'InvoiceProgress' });

export const milestoneStateSchema = z.object({
  id: z.string(),
  status: z.enum(['planned', 'completed', 'declared', 'rejected', 'accepted', 'invoiced', 'covered', 'paid', 'cancelled']),
  completedOn: date.optional(),
  declaredOn: date.optional(),
  acceptedOn: date.optional(),
  acceptance: z.enum(['date', 'event', 'signoff', 'deemed']).optional(),
  invoicedOn: date.optional(),
  invoiceNumbers: z.array(z.string()),
  rejection: z.object({ on: date, reason: z.string() }).optional(),
  waiting: z.enum(['awaiting_sequence', 'customer_hold']).optional(),
  cancelledOn: date.optional(),
  progress: milestoneProgressSchema.optional().describe('a milestone billed by progress: set once progress is reported'),
}).meta({ id: 'MilestoneState' });

export const invoiceSummarySchema = z.object({
  number: z.string().optional().describe('assigned once the invoicing service has issued it'),
  kind: z.enum(['milestone', 'advance', 'supplementary']),
  milestoneIds: z.array(z.string()),
  amount,
  date,
  dueDate: date,
  termsVersion: z.number().int(),
  originalInvoiceNumber: z.string().optional(),
  paid: z.boolean(),
  part: z.number().int().optional().describe('a progress invoice: its part number (1, 2, …); absent on the invoice of the rest'),
  progress: invoiceProgressSummarySchema.optional().describe('progress billing: the progress the invoice bills'),
}).meta({ id: 'InvoiceSummary' });

export const creditMemoSummarySchema = z.object({
  number: z.string().optional(),
  milestoneId: z.string(),
  originalInvoiceNumber: z.string().optional(),
  amount,
  date,
  amendmentVersion: z.number().int(),
}).meta({ id: 'CreditMemoSummary' });

export const pendingTimerSchema = z.object({
  kind: z.enum(['advance', 'acceptance', 'invoice', 'month_end']),
  date: date.describe('the business date it fires (00:00 in the contract timezone)'),
  milestoneId: z.string().optional(),
  purpose: z.string(),
  deemed: z.boolean().optional(),
}).meta({ id: 'PendingTimer' });

export const actorSchema = z.object({
  type: z.enum(['key', 'webhook', 'timer', 'signal', 'system']),
  name: z.string().optional().describe('the API key name, the webhook source, or the component'),
  role: z.string().optional(),
}).meta({ id: 'Actor', description: 'who or what caused a log entry' });

export const logEntrySchema = z.object({
  seq: z.number().int(),
  on: date,
  kind: z.string(),
  via: z.enum(['update', 'signal', 'timer']),
  actor: actorSchema.optional(),
  milestoneId: z.string().optional(),
  date: date.optional(),
  outcome: z.enum(['applied', 'ignored', 'refused']),
  code: z.string().optional(),
  reason: z.string().optional(),
}).meta({ id: 'LogEntry' });

export const failedStepSchema = z.object({
  id: z.string(),
  step: z.enum(['plan', 'invoice', 'receivable', 'credit_memo', 'apply_credit', 'ledger', 'announce']),
  effect: z.string().describe('what the step was part of, e.g. issue_invoice'),
  retrySteps: z.array(z.string()),
  code: z.string(),
  message: z.string(),
  on: date,
  attempts: z.number().int(),
  status: z.enum(['failed', 'retrying', 'resolved']),
  resolution: z.object({ on: date, reason: z.string() }).optional(),
}).meta({ id: 'FailedStep' });

export const publicContractSchema = z.object({
  contractId: z.string(),
  customerId: z.string(),
  currency: z.string(),
  sandbox: z.boolean(),
  clock: date.describe('the business clock (sandbox) or the last date seen'),
  status: z.enum(['active', 'completed']),
  version: z.number().int(),
  versions: z.array(z.object({
    version: z.number().int(),
    effectiveDate: date,
    terms: z.record(z.string(), z.unknown()).describe('the contract terms of this version (the POST /contracts body)'),
    cancelled: z.array(z.string()),
  })),
  milestones: z.record(z.string(), milestoneStateSchema),
  invoices: z.array(invoiceSummarySchema),
  creditMemos: z.array(creditMemoSummarySchema),
  timers: z.array(pendingTimerSchema),
  hold: z.object({ since: date }).optional(),
  heldInvoices: z.array(z.string()).describe('milestones (or advance) whose invoice fell due during the hold'),
  advance: z.object({ amount, issued: z.boolean(), applied: amount }).optional(),
  recognized: z.record(z.string(), amount).describe('revenue recognized to date per obligation'),
  recognizedTotal: amount,
  billed: amount,
  costToDate: z.record(z.string(), amount),
  ratablePostedThrough: date.optional(),
  log: z.array(logEntrySchema).describe('the latest entries; GET /contracts/{id}/log pages through them'),
  failedSteps: z.array(failedStepSchema),
  pendingEffects: z.number().int().describe('side effects (invoices, postings…) queued and not yet done; 0 when settled'),
  openFailures: z.number().int().describe('failed steps nobody has retried or resolved'),
  renews: z.string().optional().describe('the contract this one renews (its terms\' `renews`; docs/renewals.md)'),
  renewedBy: z.string().optional().describe('the contract renewing this one (the gateway\'s record of the renewal)'),
}).meta({ id: 'Contract' });

export type PublicContract = z.infer<typeof publicContractSchema>;

/** Log entries shown in the state (the whole log pages through `GET /contracts/:id/log`). */
const STATE_LOG_TAIL = 50;

/**
 * The public view of a contract's state: the same facts, without the workflow's machinery. `renews`
 * comes from its first terms; `renewedBy` is the gateway's record, joined by the caller (renewals.ts).
 */
export function publicContract(state: ContractState, links: { renewedBy?: string } = {}): PublicContract {
  const renews = state.versions[0]?.terms.renews;
  return {
    contractId: state.contractId,
    customerId: state.customerId,
    currency: state.currency,
    sandbox: state.sandbox,
    clock: state.clock,
    status: state.status,
    version: state.version,
    versions: state.versions.map((v) => ({ version: v.version, effectiveDate: v.effectiveDate, terms: v.terms as unknown as Record<string, unknown>, cancelled: v.cancelled })),
    milestones: Object.fromEntries(Object.entries(state.milestones).map(([id, m]) => [id, publicMilestone(m)])),
    invoices: state.invoices,
    creditMemos: state.creditMemos.map(publicCreditMemo),
    timers: state.timers.map(({ seq, ...t }) => {
      void seq;
      return t;
    }),
    ...(state.hold ? { hold: state.hold } : {}),
    heldInvoices: state.heldInvoices,
    ...(state.advance ? { advance: state.advance } : {}),
    recognized: state.recognized,
    recognizedTotal: state.recognizedTotal,
    billed: state.billed,
    costToDate: state.costToDate,
    ...(state.ratablePostedThrough ? { ratablePostedThrough: state.ratablePostedThrough } : {}),
    log: state.log.slice(-STATE_LOG_TAIL),
    failedSteps: (state.failedSteps ?? []).map(({ effect, ...f }) => ({ ...f, effect: effect.kind })),
    pendingEffects: state.outbox.length,
    openFailures: openFailureCount(state),
    ...(renews !== undefined ? { renews } : {}),
    ...(links.renewedBy !== undefined ? { renewedBy: links.renewedBy } : {}),
  };
}

/** A milestone's public state: its progress without the workflow's bookkeeping (`finalDue`). */
export function publicMilestone(m: MilestoneState): PublicContract['milestones'][string] {
  if (!m.progress) return m;
  const { percent, billed, parts } = m.progress;
  return { ...m, progress: { percent, billed, parts } };
}

/** A credit memo's public summary: without the workflow's bookkeeping (the invoice index and sequence it credits in). */
export function publicCreditMemo(c: CreditMemoSummary): PublicContract['creditMemos'][number] {
  const { invoiceIndex, seq, ...rest } = c;
  void [invoiceIndex, seq];
  return rest;
}

export const causedSchema = z.object({
  invoices: z.array(invoiceSummarySchema).describe('invoices this call issued (or queued: no number yet while on hold)'),
  creditMemos: z.array(creditMemoSummarySchema),
  timers: z.array(pendingTimerSchema).describe('timers this call planned, with their fire dates'),
}).meta({ id: 'Caused', description: 'what the call caused' });

export const updateAnswerSchema = z.object({
  outcome: z.enum(['applied', 'ignored']),
  reason: z.string().optional(),
  milestone: milestoneStateSchema.optional(),
  version: z.number().int().optional(),
  caused: causedSchema,
}).meta({ id: 'UpdateAnswer' });

export type UpdateAnswer = z.infer<typeof updateAnswerSchema>;

/** An update's answer in the public shape: `caused` always present (empty lists when nothing). */
export function publicAnswer(outcome: UpdateOutcome): UpdateAnswer {
  const caused = outcome.caused ?? { invoices: [], creditMemos: [], timers: [] };
  return {
    ...outcome,
    ...(outcome.milestone ? { milestone: publicMilestone(outcome.milestone) } : {}),
    caused: { ...caused, creditMemos: caused.creditMemos.map(publicCreditMemo), timers: caused.timers.map(({ seq, ...t }) => {
      void seq;
      return t;
    }) },
  };
}
