/**
 * Outbound events (DESIGN §9): what Tollgate tells other systems. Types and the event ids only —
 * no Node and no zod — so the workflow, the worker, AR and the gateway share them.
 *
 * An event's id is derived from the fact it reports, never random: a producer that retries (an
 * activity run again, AR's sweep, a workflow task replayed elsewhere) sends the same id, and the
 * gateway's event store keeps the first (an insert under a unique index). So one fact is one event.
 */

export const EVENT_TYPES = ['invoice.issued', 'credit_memo.issued', 'milestone.accepted', 'payment.applied', 'invoice.overdue'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** An event as a producer hands it to the gateway (`POST /internal/events`). */
export interface EventInput {
  /** Unique per fact: see the builders below. */
  id: string;
  type: EventType;
  contractId: string;
  customerId: string;
  sandbox: boolean;
  /** The business date of the fact (the contract's clock for a sandbox contract). */
  occurredOn: string;
  /** The fact: money as decimal strings, dates as YYYY-MM-DD (docs/events.md lists each type's fields). */
  data: Record<string, unknown>;
}

export const eventIds = {
  invoiceIssued: (invoiceNumber: string) => `invoice.issued:${invoiceNumber}`,
  creditMemoIssued: (creditMemoNumber: string) => `credit_memo.issued:${creditMemoNumber}`,
  /** A milestone is accepted once (acceptance is final; a duplicate accept is ignored). */
  milestoneAccepted: (contractId: string, milestoneId: string) => `milestone.accepted:${contractId}:${milestoneId}`,
  /** One application of a payment (or of customer credit) to one invoice; `source` is AR's `payment:<id>` or `credit:<lotId>`. */
  paymentApplied: (source: string, invoiceNumber: string) => `payment.applied:${source}:${invoiceNumber}`,
  invoiceOverdue: (invoiceNumber: string) => `invoice.overdue:${invoiceNumber}`,
};
