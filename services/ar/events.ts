/**
 * The outbound events AR knows of (docs/events.md): `payment.applied` (each application of a
 * payment, or of customer credit, to an invoice) and `invoice.overdue` (an invoice still open after
 * its due date). Both are published to the gateway before AR records them as done, so a failed
 * publish is retried by the next settle or sweep; their ids are unique per fact, so a retry
 * publishes nothing twice.
 */
import { z } from 'zod';
import { addDays } from '../../libs/dates';
import { eventIds, type EventInput } from '../../libs/domain/events';
import type { EventPublisher } from '../../libs/event-publisher';
import type { Logger } from '../../libs/logger';
import type { ApplicationDoc, ReceivableDoc, ReceivableRepository } from './data/receivables';
import type { OverdueScanRepository } from './data/overdue';
import { receivableState } from './receivables';

const OPEN = new Set(['open', 'partially_paid']);

/** How far back the first sweep looks for due dates never scanned (a store older than events). */
export const OVERDUE_FIRST_LOOKBACK_DAYS = 120;

/** `payment.applied` of each payment or customer-credit application (credit memos have their own event). */
export function paymentAppliedEvents(r: ReceivableDoc, apps: readonly ApplicationDoc[], all: readonly ApplicationDoc[]): EventInput[] {
  return apps.filter((a) => a.kind !== 'credit_memo').map((a) => {
    // The invoice as this application left it (the same from any process, whenever it is published).
    const after = receivableState(r, all.filter((x) => x.seq <= a.seq));
    const source = a.kind === 'payment' ? a.paymentId ?? a.ref.replace(/^payment:/, '') : `credit:${a.lotId ?? a.ref.replace(/^credit:/, '')}`;
    return {
      id: eventIds.paymentApplied(source, a.invoiceNumber),
      type: 'payment.applied' as const,
      contractId: r.contractId,
      customerId: r.customerId,
      sandbox: r.sandbox,
      occurredOn: a.date,
      data: {
        invoiceNumber: a.invoiceNumber, amount: a.amount, currency: r.currency, date: a.date,
        source: a.kind === 'payment' ? 'payment' : 'customer_credit',
        ...(a.paymentId ? { paymentId: a.paymentId } : {}), ...(a.lotId ? { creditLotId: a.lotId } : {}),
        invoice: { status: after.status, paidAmount: after.paidAmount, openAmount: after.openAmount, ...(after.paidOn ? { paidOn: after.paidOn } : {}) },
      },
    };
  });
}

/** `invoice.overdue`: still open the day after its due date. */
export function invoiceOverdueEvent(r: ReceivableDoc): EventInput {
  return {
    id: eventIds.invoiceOverdue(r.invoiceNumber),
    type: 'invoice.overdue',
    contractId: r.contractId,
    customerId: r.customerId,
    sandbox: r.sandbox,
    occurredOn: addDays(r.dueDate, 1),
    data: {
      invoiceNumber: r.invoiceNumber, currency: r.currency, amount: r.amount, openAmount: r.openAmount, paidAmount: r.paidAmount,
      issueDate: r.issueDate, dueDate: r.dueDate, overdueSince: addDays(r.dueDate, 1),
    },
  };
}

/** Today's date where it is earliest (UTC−12): a due date before it has passed in every timezone. */
export function earliestToday(at: Date): string {
  return new Date(at.getTime() - 12 * 3_600_000).toISOString().slice(0, 10);
}

export function createOverdueAnnouncer(deps: {
  receivables: Pick<ReceivableRepository['receivables'], 'dueOn' | 'list'>;
  scans: OverdueScanRepository;
  events?: EventPublisher;
  logger: Logger;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  const log = deps.logger;
  return {
    /**
     * The real books: every day from the last one finished to yesterday (in the earliest timezone),
     * its open receivables are announced overdue, then the day is marked finished. An invoice is
     * never dated before the day it is issued, so no receivable can fall due on a finished day later.
     */
    async sweepBooks(): Promise<number> {
      if (!deps.events) return 0;
      const yesterday = addDays(earliestToday(now()), -1);
      const days: string[] = [];
      for (let d = yesterday, n = 0; n < OVERDUE_FIRST_LOOKBACK_DAYS && !(await deps.scans.done(d)); d = addDays(d, -1), n += 1) days.push(d);
      let announced = 0;
      for (const day of days.reverse()) {
        const due = (await deps.receivables.dueOn(day)).filter((r) => r.scope === 'books' && OPEN.has(r.status));
        if (due.length > 0) {
          await deps.events.publish(due.map(invoiceOverdueEvent));
          log.info({ dueDate: day, invoices: due.map((r) => r.invoiceNumber) }, 'invoices overdue announced');
        }
        await deps.scans.finish({ dueDate: day, announced: due.length, at: now().toISOString() });
        announced += due.length;
      }
      return announced;
    },

    /** A sandbox contract's books on its own clock (`asOf`): its open receivables due before that day. */
    async sandbox(contractId: string, asOf: string): Promise<string[]> {
      if (!deps.events) return [];
      const due = (await deps.receivables.list({ contractId })).filter((r) => r.scope === `sandbox:${contractId}` && OPEN.has(r.status) && r.dueDate < asOf);
      if (due.length > 0) await deps.events.publish(due.map(invoiceOverdueEvent));
      return due.map((r) => r.invoiceNumber);
    },
  };
}

export type OverdueAnnouncer = ReturnType<typeof createOverdueAnnouncer>;

/** `POST /overdue/announce`: a sandbox contract's clock moved (the gateway asks after an advance). */
export const announceOverdueSchema = z.object({
  contractId: z.string().min(1).max(200),
  asOf: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD').describe('the sandbox contract\'s clock'),
}).strict();
