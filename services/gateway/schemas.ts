/** Request bodies of the public API (zod): the one definition validation and docs come from. */
import { z } from 'zod';
import { AppError } from '../../libs/domain/errors';
import { amendBodyOf, costBodyOf, percentString } from '../../libs/domain/inputs';
import { calendarMonth, factDate, money } from '../../libs/domain/terms';

/**
 * Bodies with money but no currency of their own come as `xFor(currency)`: `xFor()` checks the
 * shape (what the docs show, checked before anything is read), `xFor(contract currency)` also the
 * currency's minor units, once the gateway has read the contract. Made once per currency.
 */
function perCurrency<T>(make: (currency?: string) => T): (currency?: string) => T {
  const made = new Map<string, T>();
  return (currency) => {
    const key = currency ?? '';
    let schema = made.get(key);
    if (schema === undefined) {
      schema = make(currency);
      made.set(key, schema);
    }
    return schema;
  };
}

const idField = z.string().min(1).max(100);

/** The workflow's message inputs (libs/domain/inputs.ts) are these bodies: defined once there. */
export { clockBody, datedBody, progressBody, rejectBody, stepBody } from '../../libs/domain/inputs';
export const costBodyFor = perCurrency(costBodyOf);
export const costBody = costBodyFor();

/** Amendment changes (libs/domain/inputs.ts): shapes are checked here; the business rules (invalid_amendment) in the workflow. */
export const amendBodyFor = perCurrency(amendBodyOf);
export const amendBody = amendBodyFor();

export const paymentBodyFor = perCurrency((currency) => z.object({
  amount: money({ currency, positive: true }),
  /** Not after today on the contract's clock: `future_date`. */
  date: factDate.optional(),
  /** A milestone id (or `advance`): pays that milestone's invoices, oldest first. */
  invoiceFor: idField.optional(),
  invoiceNumbers: z.array(z.string().min(1).max(100)).min(1).max(100).optional(),
}).strict());
export const paymentBody = paymentBodyFor();

export const closePeriodBody = z.object({ period: calendarMonth }).strict();

const customerIdParam = z.string().min(1).max(100).regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only');

/**
 * The one paging style of every list: `limit` (1–200, default 50) and the opaque `cursor` of the
 * previous page's `nextCursor`; answers `{data, nextCursor?}` (no nextCursor on the last page).
 */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('items per page (1–200)'),
  cursor: z.string().regex(/^[A-Za-z0-9_-]{1,4096}$/, 'must be the nextCursor of a previous page').optional().describe('the nextCursor of the previous page'),
});

/**
 * A cursor over a list read by position (one contract's journal entries): opaque to callers,
 * `o<offset>` in base64url. A cursor that is not one answers 400 naming `query.cursor`.
 */
export function offsetCursor(offset: number): string {
  return Buffer.from(`o${offset}`).toString('base64url');
}

export function offsetOf(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const m = /^o(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw new AppError('validation_failed', 'invalid query: query.cursor must be the nextCursor of a previous page', [{ path: 'query.cursor', message: 'must be the nextCursor of a previous page' }]);
  return Number(m[1]);
}

/** `GET /contracts`: search by the contracts' search attributes, a page at a time. */
export const listContractsQuery = pageQuery.extend({
  customer: customerIdParam.optional(),
  status: z.enum(['active', 'completed']).optional(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD').optional(),
}).strict();

/** `GET /contracts/:id/log`: the contract's log, oldest first, a page at a time. */
export const logQuery = pageQuery.strict();

/** A delivery system's signed webhook event: the same updates as the API's complete/declare/progress/cost. */
export const deliveryWebhookBody = z.discriminatedUnion('type', [
  z.object({ eventId: idField, type: z.literal('complete'), contractId: idField, milestoneId: idField, date: factDate.optional() }).strict(),
  z.object({ eventId: idField, type: z.literal('declare'), contractId: idField, milestoneId: idField, date: factDate.optional() }).strict(),
  /** Progress of a milestone billed by progress (docs/progressive-billing.md): percent complete, as the API's progress body. */
  z.object({ eventId: idField, type: z.literal('progress'), contractId: idField, milestoneId: idField, percent: percentString.describe('percent complete: above 0, at most 100, at most 2 decimals ("62.5")'), date: factDate.optional() }).strict(),
  /** The amount is checked against the contract's currency once the gateway has read it (`costBodyFor`). */
  z.object({ eventId: idField, type: z.literal('cost'), contractId: idField, obligationId: idField, amount: money(), date: factDate.optional() }).strict(),
]);

