/**
 * Contract terms (DESIGN §3) as zod schemas: the one definition the gateway validates with and the
 * workflow types come from. A bad field gets a 400 that names it.
 */
import { z } from 'zod';
import { isBusinessDate, isValidTimezone } from '../dates';
import { isMoneyString, minorUnits } from '../money';

/** The advance invoice is listed "for": ["advance"]: no milestone may take that id. */
export const RESERVED_MILESTONE_ID = 'advance';

export const businessDate = z.string().refine(isBusinessDate, 'must be a calendar date YYYY-MM-DD');
export const moneyString = z.string().refine((v) => isMoneyString(v), 'must be a non-negative decimal string such as "1000.00"');
export const signedMoneyString = z.string().refine((v) => isMoneyString(v, undefined, { allowNegative: true }), 'must be a decimal string such as "-10.00"');
const id = z.string().min(1).max(100).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits and . _ - only');

export const recognitionSchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('point_in_time'), satisfiedBy: id.optional() }),
  z.object({ method: z.literal('milestones') }),
  z.object({ method: z.literal('cost_input'), estimatedTotalCost: moneyString }),
  z.object({ method: z.literal('ratable'), startDate: businessDate, endDate: businessDate }),
]);

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
    deemedAcceptanceDays: z.number().int().min(0).max(3650).optional(),
  }),
]);

export const invoiceTimingSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('immediate') }),
  z.object({ type: z.literal('days_after_acceptance'), days: z.number().int().min(0).max(3650) }),
  z.object({ type: z.literal('next_billing_cycle') }),
]);

export const milestoneSchema = z.object({
  id,
  name: z.string().min(1).max(200),
  description: z.string().min(1).max(2000),
  obligationId: id,
  amount: moneyString,
  weight: moneyString.optional(),
  billable: z.boolean().default(true),
  sequence: z.number().int().min(0),
  trigger: triggerSchema,
  plannedFinishDate: businessDate.optional(),
  allowDateChange: z.boolean().default(true),
  invoiceTiming: invoiceTimingSchema.default({ type: 'immediate' }),
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
  })
  .superRefine((terms, ctx) => {
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
    });
    if (!supportedCurrency(terms.currency)) return;
    const places = minorUnits(terms.currency);
    const checkPlaces = (value: string | undefined, path: (string | number)[]) => {
      if (value !== undefined && !isMoneyString(value, terms.currency)) {
        ctx.addIssue({ code: 'custom', path, message: `${terms.currency} amounts have at most ${places} decimals` });
      }
    };
    terms.milestones.forEach((m, i) => checkPlaces(m.amount, ['milestones', i, 'amount']));
    terms.obligations.forEach((o, i) => checkPlaces(o.ssp, ['obligations', i, 'ssp']));
    checkPlaces(terms.advanceBilling?.amount, ['advanceBilling', 'amount']);
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
