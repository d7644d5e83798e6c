/**
 * Contract terms (DESIGN §3) as zod schemas: the one definition the gateway validates with and the
 * workflow types come from. A bad field gets a 400 that names it.
 */
import { z } from 'zod';
import { isBusinessDate, isValidTimezone } from '../dates';
import { checkMoney, Dec, decimalProblem, formatMoney, sumMoney, type MoneyRules } from '../money';
import { progressBillingProblem } from './progress';

export { progressBillingProblem };

/** The advance invoice is listed "for": ["advance"]: no milestone may take that id. */
export const RESERVED_MILESTONE_ID = 'advance';

// ───────────────────────── dates, money and counts at every boundary (DESIGN §11) ─────────────────────────

/** The range of any business date the system accepts: terms, clocks, reports, invoices. */
export const MIN_DATE = '1900-01-01';
export const MAX_DATE = '2999-12-31';

/** A calendar date YYYY-MM-DD, not before `min` and (given) not after `max` (`format: date` in the OpenAPI document). */
export function calendarDate(min: string = MIN_DATE, max?: string) {
  return z.string().superRefine((v, ctx) => {
    if (!isBusinessDate(v)) ctx.addIssue({ code: 'custom', message: 'must be a calendar date YYYY-MM-DD' });
    else if (v < min || (max !== undefined && v > max)) {
      ctx.addIssue({ code: 'custom', message: max !== undefined ? `must be between ${min} and ${max}` : `must not be before ${min}` });
    }
  }).meta({ format: 'date' });
}

export const businessDate = calendarDate(MIN_DATE, MAX_DATE);
/**
 * The date of a fact (an event, a payment, an amendment's effect): never after today, which only
 * the one who knows today (the contract's clock) checks, refusing `future_date`; so no upper bound
 * here, and 9999-12-31 is a future date, not a malformed one.
 */
export const factDate = calendarDate(MIN_DATE);
/** A calendar month YYYY-MM within the years of MIN_DATE … MAX_DATE. */
export const calendarMonth = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a calendar month YYYY-MM')
  .refine((v) => v >= MIN_DATE.slice(0, 7) && v <= MAX_DATE.slice(0, 7), `must be between ${MIN_DATE.slice(0, 7)} and ${MAX_DATE.slice(0, 7)}`);

export interface MoneyOptions extends MoneyRules {
  /** The currency, when the schema is made for one (the gateway knows the contract's). */
  currency?: string;
}

/**
 * The one money schema (DESIGN §11): a decimal string with at most 15 integer digits and at most
 * the currency's minor units (without a currency, at most 4: `refineMoney` narrows it to the
 * currency of the same body). Never rounded: a figure that does not fit is refused, naming it.
 */
export function money(options: MoneyOptions = {}) {
  const { currency, ...rules } = options;
  return z.string().superRefine((v, ctx) => {
    const problem = checkMoney(v, currency, rules);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  });
}

export const moneyString = money();
export const signedMoneyString = money({ allowNegative: true });
export const positiveMoneyString = money({ positive: true });

/** A relative weight (output method): a non-negative decimal, not money (up to 10 decimals). */
export const weightString = z.string().superRefine((v, ctx) => {
  const problem = decimalProblem(v, { maxDecimals: 10 });
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});

/** A money field of a body, with its path in the body, for the body-level currency check. */
export type MoneyField = readonly [value: string | undefined, path: ReadonlyArray<string | number>, rules?: MoneyRules];

const CURRENCY_CODE = /^[A-Z]{3}$/;

/**
 * Money fields that do not fit `currency`: one problem per field, with its path. A field its own
 * schema already refuses (`money()`) is left to that schema, so nothing is reported twice; a
 * malformed currency code is the currency field's problem, not these fields'.
 */
export function moneyProblems(currency: string, fields: Iterable<MoneyField>): Array<{ path: Array<string | number>; message: string }> {
  if (!CURRENCY_CODE.test(currency)) return [];
  const problems: Array<{ path: Array<string | number>; message: string }> = [];
  for (const [value, path, rules] of fields) {
    if (value === undefined || checkMoney(value, undefined, rules) !== null) continue;
    const problem = checkMoney(value, currency, rules);
    if (problem !== null) problems.push({ path: [...path], message: problem });
  }
  return problems;
}

/** The body-level money check of a zod schema whose body names its currency (use in superRefine). */
export function refineMoney(ctx: z.RefinementCtx, currency: string, fields: Iterable<MoneyField>): void {
  for (const p of moneyProblems(currency, fields)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
}

/** True for a well-formed money string above zero ("0.00", "-5" and "abc" are not). */
export function isAboveZero(value: string | undefined): boolean {
  return value !== undefined && checkMoney(value) === null && /[1-9]/.test(value);
}

/** At least one SSP above zero (DESIGN §11): otherwise the price cannot be allocated. */
export function hasPositiveSsp(obligations: ReadonlyArray<{ ssp?: string }>): boolean {
  return obligations.some((o) => isAboveZero(o.ssp));
}

export const SSP_ABOVE_ZERO = 'at least one obligation needs an SSP above zero';

/** Milestone order: 0 … 1,000,000. */
export const sequenceNumber = z.number().int().min(0).max(1_000_000);
/** A terms version, amendment version or revision: 1 … 1,000,000,000. */
export const versionNumber = z.number().int().min(1).max(1_000_000_000);
/** A number of days (deemed acceptance, invoice delay): 0 … 3650. */
export const dayCount = z.number().int().min(0).max(3650);
/** Paging: how many to skip, 0 … 1,000,000 (query strings). */
export const pageOffset = z.coerce.number().int().min(0).max(1_000_000).default(0);

// ───────────────────────── terms ─────────────────────────

const id = z.string().min(1).max(100).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits and . _ - only');

/** How an obligation's revenue is recognized; the estimate is money of `currency` when given. */
export function recognitionSchemaFor(currency?: string) {
  return z.discriminatedUnion('method', [
    z.object({ method: z.literal('point_in_time'), satisfiedBy: id.optional() }),
    z.object({ method: z.literal('milestones') }),
    z.object({ method: z.literal('cost_input'), estimatedTotalCost: money({ currency }) }),
    z.object({ method: z.literal('ratable'), startDate: businessDate, endDate: businessDate }),
  ]);
}

export const recognitionSchema = recognitionSchemaFor();

export const obligationSchema = z.object({
  id,
  name: z.string().min(1).max(200),
  ssp: moneyString,
  recognition: recognitionSchema,
});

export const triggerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('date'), date: businessDate }),
  z.object({
    type: z.literal('event'),
    completion: z.enum(['customer_signoff', 'external_event', 'vendor_declaration']),
    deemedAcceptanceDays: dayCount.optional(),
  }),
]);

export const invoiceTimingSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('immediate') }),
  z.object({ type: z.literal('days_after_acceptance'), days: dayCount }),
  z.object({ type: z.literal('next_billing_cycle') }),
]);

export const milestoneSchema = z.object({
  id,
  name: z.string().min(1).max(200),
  description: z.string().min(1).max(2000),
  obligationId: id,
  amount: moneyString,
  weight: weightString.optional(),
  billable: z.boolean().default(true),
  sequence: sequenceNumber,
  trigger: triggerSchema,
  plannedFinishDate: businessDate.optional(),
  allowDateChange: z.boolean().default(true),
  invoiceTiming: invoiceTimingSchema.default({ type: 'immediate' }),
  /**
   * Billed in parts as progress is reported (docs/progressive-billing.md): each report invoices the
   * newly reached share; the rest is billed on acceptance by `invoiceTiming`. Absent: false.
   */
  progressBilling: z.boolean().optional(),
});

export const paymentTermsSchema = z.string().regex(/^NET_(\d|[1-8]\d|90)$/, 'must be NET_0 … NET_90');

export const contractTermsSchema = z
  .object({
    contractId: id,
    customer: z.object({ id, name: z.string().min(1).max(200) }),
    currency: z.string().refine((c) => /^[A-Z]{3}$/.test(c) && supportedCurrency(c), 'must be an ISO 4217 currency code'),
    signedDate: businessDate,
    paymentTerms: paymentTermsSchema,
    billingDay: z.number().int().min(1).max(31).default(1),
    timezone: z.string().refine(isValidTimezone, 'must be an IANA timezone such as Europe/Paris').default('UTC'),
    enforceSequence: z.boolean().default(false),
    obligations: z.array(obligationSchema).min(1).max(100),
    milestones: z.array(milestoneSchema).min(1).max(500),
    advanceBilling: z.object({ amount: moneyString, date: businessDate }).optional(),
    sandbox: z.object({ clockStart: businessDate }).optional(),
    /**
     * What the contract is worth (docs/templates.md): the billable, non-cancelled milestone amounts
     * must sum to it, at creation and after every amendment (`validation_failed` naming the difference).
     */
    contractValue: moneyString.optional(),
    /** The contract this one renews (docs/renewals.md): set by `POST /contracts/:id/renewals`; data to the workflow. */
    renews: id.optional(),
  })
  .superRefine((terms, ctx) => {
    if (terms.renews !== undefined && terms.renews === terms.contractId) ctx.addIssue({ code: 'custom', path: ['renews'], message: 'a contract cannot renew itself' });
    const obligationIds = new Set<string>();
    terms.obligations.forEach((o, i) => {
      if (obligationIds.has(o.id)) ctx.addIssue({ code: 'custom', path: ['obligations', i, 'id'], message: `duplicate obligation id ${o.id}` });
      obligationIds.add(o.id);
    });
    const milestoneIds = new Set<string>();
    terms.milestones.forEach((m, i) => {
      if (m.id === RESERVED_MILESTONE_ID) ctx.addIssue({ code: 'custom', path: ['milestones', i, 'id'], message: `"${RESERVED_MILESTONE_ID}" is reserved for the advance invoice` });
      if (milestoneIds.has(m.id)) ctx.addIssue({ code: 'custom', path: ['milestones', i, 'id'], message: `duplicate milestone id ${m.id}` });
      milestoneIds.add(m.id);
      if (!obligationIds.has(m.obligationId)) {
        ctx.addIssue({ code: 'custom', path: ['milestones', i, 'obligationId'], message: `unknown obligation ${m.obligationId}` });
      }
      const progressProblem = progressBillingProblem(m);
      if (progressProblem !== null) ctx.addIssue({ code: 'custom', path: ['milestones', i, 'progressBilling'], message: progressProblem });
    });
    if (supportedCurrency(terms.currency)) {
      refineMoney(ctx, terms.currency, termsMoneyFields(terms));
      const problem = contractValueProblem(terms);
      if (problem !== null) ctx.addIssue({ code: 'custom', path: ['contractValue'], message: problem });
    }
    if (terms.obligations.every((o) => checkMoney(o.ssp) === null) && !hasPositiveSsp(terms.obligations)) {
      terms.obligations.forEach((_, i) => ctx.addIssue({ code: 'custom', path: ['obligations', i, 'ssp'], message: SSP_ABOVE_ZERO }));
    }
    terms.obligations.forEach((o, i) => {
      const r = o.recognition;
      if (r.method === 'point_in_time' && r.satisfiedBy !== undefined) {
        const m = terms.milestones.find((x) => x.id === r.satisfiedBy);
        if (!m || m.obligationId !== o.id) {
          ctx.addIssue({ code: 'custom', path: ['obligations', i, 'recognition', 'satisfiedBy'], message: `no milestone ${r.satisfiedBy} in obligation ${o.id}` });
        }
      }
      if (r.method === 'ratable' && r.endDate < r.startDate) {
        ctx.addIssue({ code: 'custom', path: ['obligations', i, 'recognition', 'endDate'], message: 'endDate is before startDate' });
      }
    });
  });

/** Every money figure of a set of terms, with its path. */
export function termsMoneyFields(terms: {
  obligations: ReadonlyArray<{ ssp: string; recognition: object }>;
  milestones: ReadonlyArray<{ amount: string }>;
  advanceBilling?: { amount: string };
  contractValue?: string;
}): MoneyField[] {
  return [
    ...terms.milestones.map((m, i): MoneyField => [m.amount, ['milestones', i, 'amount']]),
    ...terms.obligations.map((o, i): MoneyField => [o.ssp, ['obligations', i, 'ssp']]),
    ...terms.obligations.map((o, i): MoneyField => [estimatedTotalCostOf(o.recognition), ['obligations', i, 'recognition', 'estimatedTotalCost']]),
    [terms.advanceBilling?.amount, ['advanceBilling', 'amount']],
    [terms.contractValue, ['contractValue']],
  ];
}

/** A money figure with thousands separators, in the currency's minor units: "100,000.00", "-1.00". */
export function groupedMoney(value: Dec, currency: string): string {
  const [int, frac] = formatMoney(value, currency).split('.');
  const sign = int!.startsWith('-') ? '-' : '';
  const digits = sign ? int!.slice(1) : int!;
  return `${sign}${digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${frac !== undefined ? `.${frac}` : ''}`;
}

/**
 * Why the milestones do not add up to `contractValue` (docs/templates.md), or null (none given, or
 * a figure malformed: its own field's problem). Sums the billable milestones not in `cancelled`:
 * "milestones sum to 99,999.00; contractValue is 100,000.00 (difference -1.00)", the difference
 * being the sum minus the contract value.
 */
export function contractValueProblem(
  terms: { currency: string; contractValue?: string; milestones: ReadonlyArray<{ id: string; amount?: string; billable?: boolean }> },
  cancelled: Iterable<string> = [],
): string | null {
  if (terms.contractValue === undefined || !CURRENCY_CODE.test(terms.currency) || checkMoney(terms.contractValue, terms.currency) !== null) return null;
  const gone = new Set(cancelled);
  const counted = terms.milestones.filter((m) => m.billable !== false && !gone.has(m.id));
  if (counted.some((m) => m.amount === undefined || checkMoney(m.amount, terms.currency) !== null)) return null;
  const sum = sumMoney(counted.map((m) => m.amount!));
  const value = new Dec(terms.contractValue);
  if (sum.equals(value)) return null;
  const diff = sum.minus(value);
  return `milestones sum to ${groupedMoney(sum, terms.currency)}; contractValue is ${groupedMoney(value, terms.currency)} `
    + `(difference ${diff.isPositive() ? '+' : ''}${groupedMoney(diff, terms.currency)})`;
}

/** The estimated total cost of a (cost-input) recognition, or of a change to one. */
export function estimatedTotalCostOf(recognition: object | undefined): string | undefined {
  const v = (recognition as { estimatedTotalCost?: unknown } | undefined)?.estimatedTotalCost;
  return typeof v === 'string' ? v : undefined;
}

export type ContractTermsInput = z.input<typeof contractTermsSchema>;
export type ContractTerms = z.output<typeof contractTermsSchema>;
export type Obligation = ContractTerms['obligations'][number];
export type Milestone = ContractTerms['milestones'][number];


function supportedCurrency(code: string): boolean {
  try {
    return Intl.supportedValuesOf('currency').includes(code);
  } catch {
    return /^[A-Z]{3}$/.test(code);
  }
}
