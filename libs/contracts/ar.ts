/**
 * The accounts-receivable service's contract: every request and response shape (zod), defined once and shared
 * by the service (validation, its OpenAPI document), its callers (the worker's activities, AR, the
 * gateway) and the contract workflow (`import type` only). Types come from the schemas.
 */
import { z } from 'zod';
import { addDays } from '../dates';
import {
  businessDate, calendarDate, factDate, MAX_DATE, MIN_DATE, moneyString, pageOffset, positiveMoneyString, refineMoney,
} from '../domain/terms';

const currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 currency code');

/** Invoice dates are business dates; a due date is up to NET_90 after one. */
const dueDate = calendarDate(MIN_DATE, addDays(MAX_DATE, 90));

export const openReceivableSchema = z.object({
  invoiceNumber: z.string().min(1),
  contractId: z.string().min(1),
  customerId: z.string().min(1),
  currency,
  amount: moneyString,
  issueDate: businessDate,
  dueDate,
  milestoneIds: z.array(z.string()).max(500).default([]),
  sandbox: z.boolean().default(false),
}).superRefine((v, ctx) => refineMoney(ctx, v.currency, [[v.amount, ['amount']]]));

export type OpenReceivableRequest = z.input<typeof openReceivableSchema>;

export const RECEIVABLE_STATUSES = ['open', 'partially_paid', 'paid', 'credited'] as const;

export const applicationSchema = z.object({
  kind: z.enum(['payment', 'credit_memo', 'credit']).describe('payment; credit memo; customer credit applied'),
  ref: z.string().describe('payment id, credit memo number or credit lot id'),
  amount: z.string(),
  date: z.string(),
});

export const receivableResponseSchema = z.object({
  invoiceNumber: z.string(),
  contractId: z.string(),
  customerId: z.string(),
  currency: z.string(),
  amount: z.string(),
  openAmount: z.string().describe('amount − paidAmount − creditedAmount'),
  paidAmount: z.string().optional().describe('payments and customer credit applied'),
  creditedAmount: z.string().optional().describe('credit memos applied'),
  issueDate: z.string(),
  dueDate: z.string(),
  milestoneIds: z.array(z.string()),
  status: z.enum(RECEIVABLE_STATUSES),
  paidOn: z.string().optional(),
  sandbox: z.boolean(),
  applications: z.array(applicationSchema).optional(),
});
export type Receivable = z.infer<typeof receivableResponseSchema>;

const pagination = {
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: pageOffset,
};

export const listReceivablesQuery = z.object({
  contractId: z.string().optional(),
  customerId: z.string().optional(),
  status: z.enum(RECEIVABLE_STATUSES).optional(),
  ...pagination,
});

/** The body names no currency (the receivable's): the amount has at most 15 integer digits and 4 decimals here. */
export const arCreditMemoSchema = z.object({
  creditMemoNumber: z.string().min(1),
  invoiceNumber: z.string().min(1),
  amount: moneyString,
  date: businessDate,
});
export type ArCreditMemoRequest = z.input<typeof arCreditMemoSchema>;

export const arCreditMemoResponseSchema = z.object({
  creditMemoNumber: z.string(),
  invoiceNumber: z.string(),
  amount: z.string(),
  date: z.string(),
  applied: z.string().describe('how much reduced the receivable'),
  toCredit: z.string().describe('the rest (the invoice was already paid): kept as customer credit'),
});
export type ArCreditMemo = z.infer<typeof arCreditMemoResponseSchema>;

export const recordPaymentSchema = z
  .object({
    customerId: z.string().min(1),
    currency,
    /** Not after today: `future_date` (the wall clock; a sandbox's own clock is checked by the gateway). */
    date: factDate,
    amount: positiveMoneyString,
    invoiceNumbers: z.array(z.string().min(1)).max(100).optional(),
    contractId: z.string().min(1).optional(),
    sandbox: z.boolean().default(false),
  })
  .superRefine((v, ctx) => {
    refineMoney(ctx, v.currency, [[v.amount, ['amount'], { positive: true }]]);
    if (v.sandbox && v.contractId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['contractId'], message: 'a sandbox payment names its sandbox contract' });
    }
  });
export type RecordPaymentRequest = z.input<typeof recordPaymentSchema>;

export const paymentResponseSchema = z.object({
  paymentId: z.string(),
  customerId: z.string(),
  currency: z.string(),
  date: z.string(),
  amount: z.string(),
  invoiceNumbers: z.array(z.string()),
  contractId: z.string().describe('the contract whose ledger books the receipt'),
  sandbox: z.boolean(),
  allocations: z.array(z.object({ invoiceNumber: z.string(), amount: z.string() })),
  unapplied: z.string().describe('kept as customer credit'),
  state: z.enum(['received', 'applied']),
  postedToLedger: z.boolean(),
  ledgerEntryId: z.string().optional(),
  createdAt: z.string(),
});
export type Payment = z.infer<typeof paymentResponseSchema>;

export const listPaymentsQuery = z.object({
  customerId: z.string().optional(),
  contractId: z.string().optional(),
  ...pagination,
});

/** Which book a question is about: the real books, or one sandbox contract's isolated books. */
const bookQuery = {
  currency,
  customerId: z.string().optional(),
  contractId: z.string().optional(),
  sandbox: z.enum(['true', 'false']).default('false'),
};

export const agingQuery = z.object({ asOf: businessDate, ...bookQuery });
export const overdueQuery = z.object({ asOf: businessDate, ...bookQuery });
export const dsoQuery = z.object({ from: businessDate, to: businessDate, ...bookQuery });
export const creditsQuery = z.object({ ...bookQuery });

export const applyCreditSchema = z.object({
  customerId: z.string().min(1),
  currency,
  sandbox: z.boolean().default(false),
  contractId: z.string().min(1).optional(),
});

export const AGING_BUCKETS = ['current', 'days_1_30', 'days_31_60', 'days_61_90', 'days_over_90'] as const;
export type AgingBucket = (typeof AGING_BUCKETS)[number];
const bucketsSchema = z.object(Object.fromEntries(AGING_BUCKETS.map((b) => [b, z.string()])) as Record<AgingBucket, z.ZodString>);

export const agingResponseSchema = z.object({
  asOf: z.string(),
  currency: z.string(),
  total: bucketsSchema.extend({ total: z.string(), credit: z.string() }),
  customers: z.array(bucketsSchema.extend({ customerId: z.string(), total: z.string(), credit: z.string() })),
});
export type Aging = z.infer<typeof agingResponseSchema>;

export const overdueItemSchema = z.object({
  invoiceNumber: z.string(),
  contractId: z.string(),
  customerId: z.string(),
  currency: z.string(),
  dueDate: z.string(),
  daysPastDue: z.number().int(),
  bucket: z.enum(AGING_BUCKETS),
  openAmount: z.string(),
});

export const dsoResponseSchema = z.object({
  from: z.string(),
  to: z.string(),
  currency: z.string(),
  days: z.number().int(),
  receivablesAtEnd: z.string(),
  sales: z.string(),
  dso: z.string().nullable().describe('receivablesAtEnd ÷ sales × days, one decimal; null without sales'),
});

export const creditLotSchema = z.object({
  lotId: z.string(),
  customerId: z.string(),
  currency: z.string(),
  sandbox: z.boolean(),
  contractId: z.string().optional(),
  source: z.object({ type: z.enum(['payment', 'credit_memo']), ref: z.string() }),
  date: z.string(),
  amount: z.string(),
  remaining: z.string(),
});
export type CreditLot = z.infer<typeof creditLotSchema>;
