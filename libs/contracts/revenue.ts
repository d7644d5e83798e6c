/**
 * The revenue service's contract: every request and response shape (zod), defined once and shared
 * by the service (validation, its OpenAPI document at GET /openapi.json), its callers (the worker's
 * activities, AR, the gateway) and the contract workflow (`import type` only). Types come from the
 * schemas (`z.infer` / `z.input`); there is no hand-kept copy.
 */
import { z } from 'zod';
import { ACCOUNTS, type Account } from '../accounting';
import { checkMoney } from '../money';
import {
  businessDate, calendarMonth, hasPositiveSsp, moneyString, pageOffset, recognitionSchema, refineMoney, sequenceNumber, signedMoneyString,
  SSP_ABOVE_ZERO, termsMoneyFields, versionNumber, weightString,
} from '../domain/terms';

const id = z.string().min(1).max(100).regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only');
const currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 currency code');
export const periodString = calendarMonth;

const source = z.object({
  /** What caused the entry: milestone, advance, amendment, payment, ratable_month, cost, credit_memo, … */
  type: z.string().regex(/^[a-z][a-z_]{0,39}$/, 'lower-case letters and _ only'),
  ref: z.string().min(1).max(200),
});

// ---------------------------------------------------------------------------------------------
// Revenue plan (POST /plans)

export const planObligationSchema = z.object({ id, ssp: moneyString, recognition: recognitionSchema });
export const planMilestoneSchema = z.object({
  id,
  obligationId: id,
  amount: moneyString,
  weight: weightString.optional(),
  billable: z.boolean().default(true),
  sequence: sequenceNumber,
});

export const postPlanSchema = z
  .object({
    contractId: id,
    sandbox: z.boolean().default(false),
    currency,
    version: versionNumber,
    effectiveDate: businessDate,
    obligations: z.array(planObligationSchema).min(1).max(100),
    milestones: z.array(planMilestoneSchema).max(500),
    /** Milestone ids cancelled by amendment (out of the price and of the output-method weights). */
    cancelled: z.array(id).default([]),
  })
  .superRefine((plan, ctx) => {
    const obligations = new Set<string>();
    plan.obligations.forEach((o, i) => {
      if (obligations.has(o.id)) ctx.addIssue({ code: 'custom', path: ['obligations', i, 'id'], message: `duplicate obligation id ${o.id}` });
      obligations.add(o.id);
    });
    const milestones = new Map<string, string>();
    plan.milestones.forEach((m, i) => {
      if (milestones.has(m.id)) ctx.addIssue({ code: 'custom', path: ['milestones', i, 'id'], message: `duplicate milestone id ${m.id}` });
      milestones.set(m.id, m.obligationId);
      if (!obligations.has(m.obligationId)) {
        ctx.addIssue({ code: 'custom', path: ['milestones', i, 'obligationId'], message: `unknown obligation ${m.obligationId}` });
      }
    });
    plan.cancelled.forEach((c, i) => {
      if (!milestones.has(c)) ctx.addIssue({ code: 'custom', path: ['cancelled', i], message: `unknown milestone ${c}` });
    });
    plan.obligations.forEach((o, i) => {
      const r = o.recognition;
      if (r.method === 'point_in_time' && r.satisfiedBy !== undefined && milestones.get(r.satisfiedBy) !== o.id) {
        ctx.addIssue({ code: 'custom', path: ['obligations', i, 'recognition', 'satisfiedBy'], message: `no milestone ${r.satisfiedBy} in obligation ${o.id}` });
      }
      if (r.method === 'ratable' && r.endDate < r.startDate) {
        ctx.addIssue({ code: 'custom', path: ['obligations', i, 'recognition', 'endDate'], message: 'endDate is before startDate' });
      }
    });
    // Every money figure in the currency's minor units, 15 integer digits at most (DESIGN §11).
    refineMoney(ctx, plan.currency, termsMoneyFields(plan));
    // The price is allocated by SSP: at least one above zero.
    if (plan.obligations.every((o) => checkMoney(o.ssp) === null) && !hasPositiveSsp(plan.obligations)) {
      plan.obligations.forEach((_, i) => ctx.addIssue({ code: 'custom', path: ['obligations', i, 'ssp'], message: SSP_ABOVE_ZERO }));
    }
  });
export type PostPlanRequest = z.input<typeof postPlanSchema>;
export type RevenuePlan = z.output<typeof postPlanSchema>;

// ---------------------------------------------------------------------------------------------
// Postings (POST /postings)

const common = {
  contractId: id,
  currency,
  eventDate: businessDate,
  source,
  sandbox: z.boolean().default(false),
};

export const progressSchema = z.object({
  /** Milestone ids accepted by this event (any acceptance kind). */
  accepted: z.array(id).max(500).optional(),
  /** Cost incurred by this event (an increment) on a cost_input obligation. */
  cost: z.object({ obligationId: id, amount: moneyString }).optional(),
  /** Ratable obligations are recognized through this date (a month end, or the end date). */
  ratableThrough: businessDate.optional(),
  /** Limits `ratableThrough` to these obligations (default: every ratable obligation). */
  ratableObligations: z.array(id).optional(),
});

/**
 * The progress one posting reports (the increments of one event, not the contract's cumulative
 * facts — those are libs/accounting.ts `ProgressFacts`): what the contract workflow sends with an
 * invoice or a progress effect.
 */
export type PostingProgress = z.input<typeof progressSchema>;

/** A contract event that bills (signed: negative = credit memo) and records progress; DESIGN §6. */
export const postContractEventSchema = z.object({
  kind: z.literal('contract_event'),
  ...common,
  billed: signedMoneyString.default('0'),
  progress: progressSchema.optional(),
  /**
   * Escape hatch for contracts without a revenue plan: an explicit signed revenue amount. Refused
   * for a contract that has a plan (its revenue comes from `progress`).
   */
  recognized: signedMoneyString.optional(),
});

export const postPaymentSchema = z.object({
  kind: z.literal('payment'),
  ...common,
  amount: moneyString,
});

export const postingSchema = z
  .discriminatedUnion('kind', [postContractEventSchema, postPaymentSchema])
  .superRefine((p, ctx) => {
    if (p.kind === 'payment') refineMoney(ctx, p.currency, [[p.amount, ['amount']]]);
    else {
      const signed = { allowNegative: true };
      refineMoney(ctx, p.currency, [[p.billed, ['billed'], signed], [p.recognized, ['recognized'], signed], [p.progress?.cost?.amount, ['progress', 'cost', 'amount']]]);
      if (p.progress !== undefined && p.recognized !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['recognized'], message: 'send either progress or an explicit recognized amount, not both' });
      }
    }
  });
export type PostingRequest = z.input<typeof postingSchema>;
export type Posting = z.output<typeof postingSchema>;
export type ContractEventPosting = Extract<Posting, { kind: 'contract_event' }>;
/** A contract event as its sender writes it (defaults not yet applied): what the workflow's ledger steps send. */
export type ContractEventPostingRequest = Extract<PostingRequest, { kind: 'contract_event' }>;

// ---------------------------------------------------------------------------------------------
// Periods (POST /periods/close)

export const closePeriodSchema = z
  .object({
    period: periodString,
    sandbox: z.boolean().default(false),
    contractId: id.optional(),
    /** "Today" for the check that the month has ended (sandbox contracts run on their own clock). */
    asOf: businessDate.optional(),
  })
  .superRefine((c, ctx) => {
    if (c.sandbox && c.contractId === undefined) ctx.addIssue({ code: 'custom', path: ['contractId'], message: 'required for a sandbox ledger (one per contract)' });
  });
export type ClosePeriodRequest = z.input<typeof closePeriodSchema>;

// ---------------------------------------------------------------------------------------------
// Responses

const money = z.string().describe('decimal string');
const lineSchema = z.object({ account: z.enum(ACCOUNTS), debit: money, credit: money });
const positionSchema = z.object({ billed: money, recognized: money });
export const journalEntrySchema = z.object({
  entryId: z.string(),
  ledger: z.string(),
  contractId: z.string(),
  seq: z.number().int(),
  kind: z.enum(['contract_event', 'payment', 'amendment']),
  currency: z.string(),
  eventDate: z.string(),
  postingDate: z.string(),
  period: z.string().optional().describe('the posting month, YYYY-MM'),
  source: z.object({ type: z.string(), ref: z.string() }),
  lines: z.array(lineSchema),
  billed: money,
  revenue: money,
  recognized: z.record(z.string(), money),
  position: positionSchema,
  facts: z.object({
    planVersion: z.number().int(),
    accepted: z.array(z.string()),
    costToDate: z.record(z.string(), money),
    ratableThrough: z.record(z.string(), z.string()),
  }),
  createdAt: z.string(),
});
export const planResultSchema = z.object({
  plan: z.object({
    contractId: z.string(), ledger: z.string(), version: z.number().int(), effectiveDate: z.string(), currency: z.string(),
    transactionPrice: money, allocated: z.record(z.string(), money),
  }),
  entry: journalEntrySchema.nullable(),
  recognized: z.record(z.string(), money),
  position: positionSchema,
});
export const balancesSchema = z.object(Object.fromEntries(ACCOUNTS.map((a) => [a, money])) as Record<Account, typeof money>);
export const closeResultSchema = z.object({ ledger: z.string(), period: z.string(), outcome: z.enum(['closed', 'ignored']), closedAt: z.string() });

export type Position = z.infer<typeof positionSchema>;
/** What the contract's entries say it has accepted, spent and recognized through (a revenue plan's progress facts). */
export type ContractFacts = JournalEntry['facts'];
/** A journal entry: what POST /postings answers, and every report is made of. */
export type JournalEntry = z.infer<typeof journalEntrySchema>;
/** What POST /plans answers: the plan version, its catch-up entry (null: nothing to post), revenue to date. */
export type PlanResult = z.infer<typeof planResultSchema>;
export type Balances = Record<Account, string>;
export type CloseResult = z.infer<typeof closeResultSchema>;

// ---------------------------------------------------------------------------------------------
// Queries

const boolString = z.enum(['true', 'false']).optional();
/** The reports the revenue service answers at `/reports/<name>` (the gateway offers them per contract). */
export const REPORT_NAMES = ['revenue-by-period', 'roll-forward', 'balances', 'month-end-balances', 'contract-balances', 'trial-balance', 'journal'] as const;

const format = z.enum(['json', 'csv']).default('json');

export const entriesQuery = z.object({
  contractId: z.string().optional(),
  sandbox: boolString,
  limit: z.coerce.number().int().min(1).max(1000).default(500),
  offset: pageOffset,
});

export const balancesQuery = z.object({
  contractId: z.string().min(1),
  sandbox: boolString,
  asOf: businessDate.optional(),
});

/** Selects a ledger (books, or one contract's sandbox ledger) and optionally one contract in it. */
const ledgerQuery = {
  contractId: id.optional(),
  sandbox: boolString,
  /** Needed only when the selected entries are in more than one currency. */
  currency: currency.optional(),
  format,
};

export const reportQuery = z.object({ ...ledgerQuery, asOf: businessDate.optional() });
export const seriesQuery = z.object({ ...ledgerQuery, asOf: businessDate.optional(), from: periodString.optional(), to: periodString.optional() });
export const journalQuery = z.object({
  ...ledgerQuery,
  from: businessDate.optional(),
  to: businessDate.optional(),
  account: z.enum(ACCOUNTS).optional(),
  sourceType: z.string().optional(),
  kind: z.enum(['contract_event', 'payment', 'amendment']).optional(),
  limit: z.coerce.number().int().min(1).max(10000).default(1000),
  offset: pageOffset,
});
export const periodsQuery = z.object({ contractId: id.optional(), sandbox: boolString });
