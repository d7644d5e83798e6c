/**
 * The inputs of the contract workflow's messages, defined once as zod schemas: the gateway
 * validates request bodies with them (services/gateway/schemas.ts) and the workflow's message
 * types are inferred from them (libs/domain/contract.ts, `import type` only in workflow code).
 * A body names what the path does not (the milestone, the failed step).
 */
import { z } from 'zod';
import {
  businessDate, dayCount, factDate, invoiceTimingSchema, money, recognitionSchemaFor, sequenceNumber, triggerSchema, versionNumber, weightString,
} from './terms';

const idField = z.string().min(1).max(100);

/** Dates of facts: not after today on the contract's clock (`future_date`, checked by who knows today). */
export const datedBody = z.object({ date: factDate.optional() }).strict();
export const rejectBody = z.object({ date: factDate.optional(), reason: z.string().min(1).max(2000) }).strict();
/** A cost report; `currency` also checks the amount's minor units (the gateway passes the contract's). */
export const costBodyOf = (currency?: string) => z.object({ obligationId: idField, amount: money({ currency }), date: factDate.optional() }).strict();
export const clockBody = z.object({ to: businessDate }).strict();
/**
 * A progress report of a milestone billed by progress (docs/progressive-billing.md): percent
 * complete, a decimal string above 0 and at most 100 with at most 2 decimals ("37.5", "100").
 */
export const percentString = z.string().superRefine((v, ctx) => {
  if (!/^\d{1,3}(\.\d{1,2})?$/.test(v)) ctx.addIssue({ code: 'custom', message: 'must be a decimal string such as "37.5" (at most 2 decimals)' });
  else if (Number(v) <= 0 || Number(v) > 100) ctx.addIssue({ code: 'custom', message: 'must be above 0 and at most 100' });
}).describe('percent complete, a decimal string above 0 and at most 100 with at most 2 decimals ("62.5"); 100 completes the milestone');
export const progressBody = z.object({ percent: percentString, date: factDate.optional() }).strict();
/** A failed-step action: why finance resolved it by hand (resolve only). */
export const stepBody = z.object({ reason: z.string().min(1).max(2000).optional() }).strict();

/**
 * An amendment: the changes by id (a known id changes the given fields — a trigger or recognition
 * may name only the fields it changes —, an unknown id is a new milestone or obligation), the
 * milestones to cancel, a new contract value. `currency` also checks the amounts' minor units.
 */
export const amendBodyOf = (currency?: string) => z.object({
  baseVersion: versionNumber,
  effectiveDate: factDate.optional(),
  changes: z.object({
    milestones: z.array(z.object({
      id: idField,
      name: z.string().min(1).max(200).optional(),
      description: z.string().min(1).max(2000).optional(),
      obligationId: idField.optional(),
      amount: money({ currency, allowNegative: true }).optional(),
      weight: weightString.optional(),
      billable: z.boolean().optional(),
      sequence: sequenceNumber.optional(),
      trigger: z.union([triggerSchema, z.object({ date: businessDate }).strict(), z.object({ deemedAcceptanceDays: dayCount }).strict()]).optional(),
      plannedFinishDate: businessDate.optional(),
      allowDateChange: z.boolean().optional(),
      invoiceTiming: invoiceTimingSchema.optional(),
      progressBilling: z.boolean().optional(),
    }).strict()).max(500).optional(),
    cancel: z.array(idField).max(500).optional(),
    obligations: z.array(z.object({
      id: idField,
      name: z.string().min(1).max(200).optional(),
      ssp: money({ currency, allowNegative: true }).optional(),
      recognition: z.union([
        recognitionSchemaFor(currency),
        z.object({ estimatedTotalCost: money({ currency }) }).strict(),
        z.object({ startDate: businessDate.optional(), endDate: businessDate.optional() }).strict(),
        z.object({ satisfiedBy: idField }).strict(),
      ]).optional(),
    }).strict()).max(100).optional(),
    /** A new contract value (docs/templates.md): the merged milestones must sum to it (checked by the gateway). */
    contractValue: money({ currency }).optional(),
  }).strict(),
}).strict();

export type AmendInput = z.infer<ReturnType<typeof amendBodyOf>>;
export type AmendmentChanges = AmendInput['changes'];

export type DatedInput = z.infer<typeof datedBody>;
/** A milestone event: the body plus the milestone the path names. */
export type MilestoneEventInput = DatedInput & { milestoneId: string };
export type RejectInput = z.infer<typeof rejectBody> & { milestoneId: string };
/** A progress report: the body plus the milestone the path names. */
export type ProgressInput = z.infer<typeof progressBody> & { milestoneId: string };
/** Cost incurred (an increment) on a cost-input obligation, a decimal string. */
export type CostReportInput = z.infer<ReturnType<typeof costBodyOf>>;
export type AdvanceClockInput = z.infer<typeof clockBody>;
export type StepInput = z.infer<typeof stepBody> & { stepId: string };
