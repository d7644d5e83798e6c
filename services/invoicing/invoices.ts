/** Invoicing use cases: issue an invoice exactly once per idempotency key, with a gapless number. */
import { dueDate } from '../../libs/accounting';
import { AppError } from '../../libs/domain/errors';
import { createOnce, requestHash, withoutStorageFields } from '../../libs/idempotency';
import { formatMoney, sumMoney } from '../../libs/money';
import type { Invoice, IssueInvoiceRequest } from './api';
import type { InvoiceDoc, InvoiceRepository } from './data/invoices';

type ParsedIssue = Required<Pick<IssueInvoiceRequest, 'sandbox'>> & IssueInvoiceRequest;

const PENDING = 'PENDING:';

/** "INV-2026-000123"; sandbox invoices run their own sequence ("SBX-INV-…") so the books stay gapless. */
export function invoiceSequenceName(prefix: 'INV' | 'CM', year: string, sandbox: boolean): string {
  return `${sandbox ? 'SBX-' : ''}${prefix}-${year}`;
}

export function formatInvoiceNumber(sequence: string, n: number): string {
  return `${sequence}-${String(n).padStart(6, '0')}`;
}

export function createInvoiceUseCases(repo: InvoiceRepository, now: () => Date = () => new Date()) {
  /** Gives a claimed (placeholder-numbered) invoice its real number. */
  async function number(doc: InvoiceDoc): Promise<InvoiceDoc> {
    if (!doc.number.startsWith(PENDING)) return doc;
    const sequence = invoiceSequenceName('INV', doc.date.slice(0, 4), doc.sandbox);
    const n = await repo.nextInSequence(sequence);
    await repo.setNumber(doc.idempotencyKey, doc.number, formatInvoiceNumber(sequence, n));
    return (await repo.findByKey(doc.idempotencyKey))!;
  }

  return {
    /**
     * Issues an invoice. The idempotency key is claimed first (unique index) with a placeholder
     * number, and only the winner draws a number, so concurrent duplicates never burn one.
     */
    async issue(input: ParsedIssue, key: string): Promise<{ invoice: Invoice; created: boolean }> {
      const hash = requestHash(input);
      const total = formatMoney(sumMoney(input.lines.map((l) => l.amount)), input.currency);
      const { doc, created } = await createOnce(repo, key, hash, (): InvoiceDoc => ({
        number: `${PENDING}${key}`,
        idempotencyKey: key,
        requestHash: hash,
        kind: input.kind,
        contractId: input.contractId,
        customer: input.customer,
        currency: input.currency,
        termsVersion: input.termsVersion,
        date: input.date,
        dueDate: dueDate(input.date, input.paymentTerms),
        paymentTerms: input.paymentTerms,
        lines: input.lines.map((l) => ({ ...l, amount: formatMoney(l.amount, input.currency) })),
        total,
        status: 'issued',
        sandbox: input.sandbox,
        createdAt: now().toISOString(),
      }));
      return { invoice: toInvoice(await number(doc)), created };
    },

    async get(numberOrKey: string): Promise<Invoice> {
      const doc = await repo.findByNumber(numberOrKey);
      if (!doc) throw new AppError('not_found', `no invoice ${numberOrKey}`);
      return toInvoice(doc);
    },

    async list(filter: { contractId?: string; customerId?: string; status?: string }, limit: number, offset: number): Promise<Invoice[]> {
      const docs = await repo.list(filter, limit, offset);
      return Promise.all(docs.map(async (d) => toInvoice(await number(d))));
    },
  };
}

export type InvoiceUseCases = ReturnType<typeof createInvoiceUseCases>;

function toInvoice(doc: InvoiceDoc): Invoice {
  return withoutStorageFields(doc);
}
