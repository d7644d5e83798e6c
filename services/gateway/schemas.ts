/** Request bodies of the public API (zod): the one definition validation and docs come from. */
import { z } from 'zod';
import {
  businessDate, invoiceTimingSchema, moneyString, recognitionSchema, signedMoneyString, triggerSchema,
} from '../../libs/domain/terms';

export const datedBody = z.object({ date: businessDate.optional() }).strict();
export const rejectBody = z.object({ date: businessDate.optional(), reason: z.string().min(1).max(2000) }).strict();
export const costBody = z.object({ obligationId: z.string().min(1), amount: moneyString, date: businessDate.optional() }).strict();
export const clockBody = z.object({ to: businessDate }).strict();

const idField = z.string().min(1).max(100);

/** Amendment changes: shapes are checked here; the business rules (invalid_amendment) in the workflow. */
export const amendBody = z.object({
  baseVersion: z.number().int().min(1),
  effectiveDate: businessDate.optional(),
  changes: z.object({
    milestones: z.array(z.object({
      id: idField,
      name: z.string().min(1).max(200).optional(),
      description: z.string().min(1).max(2000).optional(),
      obligationId: idField.optional(),
      amount: signedMoneyString.optional(),
      weight: moneyString.optional(),
      billable: z.boolean().optional(),
      sequence: z.number().int().min(0).optional(),
      trigger: z.union([triggerSchema, z.object({ date: businessDate }).strict(), z.object({ deemedAcceptanceDays: z.number().int().min(0) }).strict()]).optional(),
      plannedFinishDate: businessDate.optional(),
      allowDateChange: z.boolean().optional(),
      invoiceTiming: invoiceTimingSchema.optional(),
    }).strict()).optional(),
    cancel: z.array(idField).optional(),
    obligations: z.array(z.object({
      id: idField,
      name: z.string().min(1).max(200).optional(),
      ssp: signedMoneyString.optional(),
      recognition: z.union([
        recognitionSchema,
        z.object({ estimatedTotalCost: moneyString }).strict(),
        z.object({ startDate: businessDate.optional(), endDate: businessDate.optional() }).strict(),
        z.object({ satisfiedBy: idField }).strict(),
      ]).optional(),
    }).strict()).optional(),
  }).strict(),
}).strict();

export const paymentBody = z.object({
  amount: moneyString,
  date: businessDate.optional(),
  /** A milestone id (or `advance`): pays that milestone's invoices, oldest first. */
  invoiceFor: z.string().min(1).optional(),
  invoiceNumbers: z.array(z.string().min(1)).min(1).optional(),
}).strict();

export const closePeriodBody = z.object({ period: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM') }).strict();

const customerIdParam = z.string().min(1).max(100).regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only');

/** `GET /contracts`: search by the contracts' search attributes, a page at a time. */
export const listContractsQuery = z.object({
  customer: customerIdParam.optional(),
  status: z.enum(['active', 'completed']).optional(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD').optional(),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
  nextPageToken: z.string().regex(/^[A-Za-z0-9_-]{1,4096}$/, 'must be a nextPageToken from a previous page').optional(),
}).strict();

/** A delivery system's signed webhook event: the same updates as the API's complete/declare/cost. */
export const deliveryWebhookBody = z.discriminatedUnion('type', [
  z.object({ eventId: idField, type: z.literal('complete'), contractId: idField, milestoneId: idField, date: businessDate.optional() }).strict(),
  z.object({ eventId: idField, type: z.literal('declare'), contractId: idField, milestoneId: idField, date: businessDate.optional() }).strict(),
  z.object({ eventId: idField, type: z.literal('cost'), contractId: idField, obligationId: idField, amount: moneyString, date: businessDate.optional() }).strict(),
]);

/** Body of a failed-step action: why finance resolved it by hand (resolve only). */
export const stepBody = z.object({ reason: z.string().min(1).max(2000).optional() }).strict();
