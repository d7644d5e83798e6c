/**
 * The invoicing service's contract: every request and response shape (zod), defined once and shared
 * by the service (validation, its OpenAPI document), its callers (the worker's activities, AR, the
 * gateway) and the contract workflow (`import type` only). Types come from the schemas.
 */
import { z } from 'zod';
import {
  businessDate, money, moneyString, pageOffset, paymentTermsSchema, refineMoney, signedMoneyString, versionNumber,
} from '../domain/terms';

export const invoiceLineSchema = z.object({
  milestoneId: z.string().min(1),
  description: z.string().min(1),
  amount: moneyString,
});

/** The lines' amounts in the document's currency (minor units, 15 integer digits): never rounded here. */
const refineLines = (v: { currency: string; lines: Array<{ amount: string }> }, ctx: z.RefinementCtx) =>
  refineMoney(ctx, v.currency, v.lines.map((l, i) => [l.amount, ['lines', i, 'amount']] as const));

/** Progress billing (docs/progressive-billing.md): the progress an invoice bills, printed on it. */
export const invoiceProgressSchema = z.object({
  percent: z.string().regex(/^\d{1,3}(\.\d{1,2})?$/, 'a percent such as "62.5"'),
  cumulative: moneyString.describe('billed for the milestone with this invoice (gross of the advance)'),
  previouslyBilled: moneyString.describe('billed for the milestone before this invoice (gross of the advance)'),
});

const customerSchema = z.object({ id: z.string().min(1), name: z.string().min(1) });
const currencySchema = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 currency code');

export const issueInvoiceSchema = z.object({
  kind: z.enum(['milestone', 'advance', 'supplementary']),
  contractId: z.string().min(1),
  customer: customerSchema,
  currency: currencySchema,
  termsVersion: versionNumber,
  date: businessDate,
  paymentTerms: paymentTermsSchema,
  lines: z.array(invoiceLineSchema).min(1).max(500),
  sandbox: z.boolean().default(false),
  /** Supplementary invoices: the invoice whose amount they raise, and the amendment (terms version). */
  originalInvoiceNumber: z.string().min(1).optional(),
  amendmentVersion: versionNumber.optional(),
  progress: invoiceProgressSchema.optional(),
}).superRefine((v, ctx) => {
  refineLines(v, ctx);
  if (v.kind !== 'supplementary' && v.originalInvoiceNumber !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['originalInvoiceNumber'], message: 'only supplementary invoices reference an original invoice' });
  }
});

export type IssueInvoiceRequest = z.input<typeof issueInvoiceSchema>;

export const INVOICE_STATUSES = ['issued', 'partially_paid', 'paid', 'credited'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

export const invoiceResponseSchema = z.object({
  number: z.string().describe('INV-YYYY-NNNNNN (sandbox: SBX-INV-YYYY-NNNNNN), sequential per year of the invoice date'),
  kind: z.enum(['milestone', 'advance', 'supplementary']),
  contractId: z.string(),
  customer: customerSchema,
  currency: z.string(),
  termsVersion: z.number().int(),
  date: z.string(),
  dueDate: z.string().describe('date + payment-term days'),
  paymentTerms: z.string(),
  lines: z.array(z.object({ milestoneId: z.string(), description: z.string(), amount: z.string() })),
  total: z.string(),
  status: z.enum(INVOICE_STATUSES),
  sandbox: z.boolean(),
  createdAt: z.string(),
  originalInvoiceNumber: z.string().optional(),
  amendmentVersion: z.number().int().optional(),
  /** Progress billing: the progress this invoice bills (docs/progressive-billing.md). */
  progress: invoiceProgressSchema.optional(),
  /** Σ credit memos against this invoice. */
  creditedAmount: z.string().optional(),
  creditMemoNumbers: z.array(z.string()).optional(),
  /** As last reported by AR. */
  paidAmount: z.string().optional(),
  openAmount: z.string().optional(),
});
export type Invoice = z.infer<typeof invoiceResponseSchema>;

export const issueCreditMemoSchema = z.object({
  contractId: z.string().min(1),
  customer: customerSchema,
  currency: currencySchema,
  originalInvoiceNumber: z.string().min(1),
  amendmentVersion: versionNumber,
  date: businessDate,
  paymentTerms: paymentTermsSchema.optional(),
  lines: z.array(invoiceLineSchema).min(1).max(500),
  sandbox: z.boolean().default(false),
}).superRefine(refineLines);
export type IssueCreditMemoRequest = z.input<typeof issueCreditMemoSchema>;

export const creditMemoResponseSchema = z.object({
  number: z.string().describe('CM-YYYY-NNNNNN (sandbox: SBX-CM-YYYY-NNNNNN), sequential per year of the memo date'),
  kind: z.literal('credit_memo'),
  contractId: z.string(),
  customer: customerSchema,
  currency: z.string(),
  originalInvoiceNumber: z.string(),
  amendmentVersion: z.number().int(),
  date: z.string(),
  paymentTerms: z.string().optional(),
  lines: z.array(z.object({ milestoneId: z.string(), description: z.string(), amount: z.string() })),
  total: z.string().describe('the amount the original invoice is reduced by (positive)'),
  sandbox: z.boolean(),
  createdAt: z.string(),
});
export type CreditMemo = z.infer<typeof creditMemoResponseSchema>;

/**
 * AR → invoicing: the payment status of an invoice, with AR's revision of the receivable (newer
 * wins). The body names no currency: amounts have at most 15 integer digits and 4 decimals here.
 */
export const paymentStatusSchema = z.object({
  status: z.enum(['issued', 'partially_paid', 'paid']),
  paidAmount: money(),
  openAmount: signedMoneyString,
  revision: versionNumber,
});
export type PaymentStatusRequest = z.input<typeof paymentStatusSchema>;

const pagination = {
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: pageOffset,
  /** The `nextCursor` of the previous page (then `offset` is ignored). */
  cursor: z.string().max(200).optional(),
};

export const listInvoicesQuery = z.object({
  contractId: z.string().optional(),
  customerId: z.string().optional(),
  status: z.enum(INVOICE_STATUSES).optional(),
  kind: z.enum(['milestone', 'advance', 'supplementary']).optional(),
  dateFrom: businessDate.optional(),
  dateTo: businessDate.optional(),
  sandbox: z.enum(['true', 'false']).optional(),
  format: z.enum(['json']).optional(),
  ...pagination,
});

export const listCreditMemosQuery = z.object({
  contractId: z.string().optional(),
  customerId: z.string().optional(),
  originalInvoiceNumber: z.string().optional(),
  dateFrom: businessDate.optional(),
  dateTo: businessDate.optional(),
  sandbox: z.enum(['true', 'false']).optional(),
  ...pagination,
});

export const documentFormatQuery = z.object({ format: z.enum(['json', 'html']).default('json') });

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    data: z.array(item), limit: z.number().int(), offset: z.number().int(), total: z.number().int(),
    nextCursor: z.string().optional().describe('pass as `cursor` for the next page; absent on the last page'),
  });
}
