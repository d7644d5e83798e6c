/**
 * Invoicing use cases: invoices and credit memos issued exactly once per idempotency key, with
 * gapless per-year numbers; the payment status AR reports; credit memos reducing their original.
 */
import type { z } from 'zod';
import { dueDate } from '../../libs/accounting';
import { AppError } from '../../libs/domain/errors';
import { createOnce, requestHash } from '../../libs/idempotency';
import { dec, formatMoney, sumMoney } from '../../libs/money';
import type { CreditMemo, Invoice, InvoiceStatus, issueCreditMemoSchema, issueInvoiceSchema, paymentStatusSchema } from './api';
import { createKeyedMutex } from '../../libs/keyed-mutex';
import type { CreditMemoDoc, DocumentFilter, InvoiceDoc, InvoiceRepository } from './data/invoices';

type ParsedIssue = z.output<typeof issueInvoiceSchema>;
type ParsedCreditMemo = z.output<typeof issueCreditMemoSchema>;
type ParsedPaymentStatus = z.output<typeof paymentStatusSchema>;

const PENDING = 'PENDING:';

/** "INV-2026"; sandbox documents run their own sequence ("SBX-INV-2026") so the books stay gapless. */
export function invoiceSequenceName(prefix: 'INV' | 'CM', year: string, sandbox: boolean): string {
  return `${sandbox ? 'SBX-' : ''}${prefix}-${year}`;
}

export function formatInvoiceNumber(sequence: string, n: number): string {
  return `${sequence}-${String(n).padStart(6, '0')}`;
}

/** `credited` once credit memos cover the whole total; otherwise the payment status AR reported. */
export function invoiceStatus(total: string, creditedAmount: string, paymentStatus: InvoiceDoc['paymentStatus']): InvoiceStatus {
  return dec(total).greaterThan(0) && dec(creditedAmount).greaterThanOrEqualTo(total) ? 'credited' : paymentStatus;
}

type Numbered = { idempotencyKey: string; number: string; date: string; sandbox: boolean };
interface NumberStore<D extends Numbered> {
  findByKey(key: string): Promise<D | null>;
  setNumber(key: string, placeholder: string, number: string): Promise<boolean>;
}

export function createInvoiceUseCases(repo: InvoiceRepository, now: () => Date = () => new Date()) {
  /** Serializes, in this process, the draws of one sequence and the read-compute-writes of one invoice. */
  const mutex = createKeyedMutex();
  /** The highest number this process knows is taken, per sequence (a hint; the slots decide). */
  const highest = new Map<string, number>();

  /**
   * Gives a claimed (placeholder-numbered) document its real number. A number is drawn by inserting
   * a slot {sequence, n, owner}: unique per (sequence, n) and per owner, so the insert itself binds
   * the number to the document. Hence no gaps and no duplicates, across processes and crashes: a
   * replay (or a concurrent duplicate) finds the owner's slot and reuses it; a taken number makes the
   * drawer try the next. Within a process draws are serialized per sequence, so they never collide.
   */
  async function assignNumber<D extends Numbered>(store: NumberStore<D>, prefix: 'INV' | 'CM', doc: D): Promise<D> {
    if (!doc.number.startsWith(PENDING)) return doc;
    const sequence = invoiceSequenceName(prefix, doc.date.slice(0, 4), doc.sandbox);
    const owner = `${prefix}:${doc.idempotencyKey}`;
    const number = await mutex.run(`seq:${sequence}`, async () => {
      for (;;) {
        const mine = await repo.numbers.slotOf(owner);
        if (mine) return formatInvoiceNumber(sequence, mine.n);
        const n = (highest.get(sequence) ?? (await repo.numbers.highest(sequence))) + 1;
        const won = await repo.numbers.claim({ sequence, n, owner });
        highest.set(sequence, won ? n : await repo.numbers.highest(sequence));
        if (won) return formatInvoiceNumber(sequence, n);
      }
    });
    await store.setNumber(doc.idempotencyKey, doc.number, number);
    return (await store.findByKey(doc.idempotencyKey))!;
  }

  /** Recomputes an invoice's credited amount and status from its credit memos (the facts). */
  async function refreshCredits(number: string): Promise<void> {
    const inv = await repo.invoices.findByNumber(number);
    if (!inv) return;
    const memos = await repo.creditMemos.forOriginal(number);
    const creditedAmount = formatMoney(sumMoney(memos.map((m) => m.total)), inv.currency);
    await repo.invoices.update(number, {
      creditedAmount,
      creditMemoNumbers: memos.filter((m) => !m.number.startsWith(PENDING)).map((m) => m.number),
      status: invoiceStatus(inv.total, creditedAmount, inv.paymentStatus ?? 'issued'),
    });
  }

  return {
    /**
     * Issues an invoice. The idempotency key is claimed first (unique index) with a placeholder
     * number, and only the winner draws a number, so concurrent duplicates never burn one.
     */
    async issue(input: ParsedIssue, key: string): Promise<{ invoice: Invoice; created: boolean }> {
      const hash = requestHash(input);
      if (input.originalInvoiceNumber !== undefined) {
        const original = await repo.invoices.findByNumber(input.originalInvoiceNumber);
        if (!original) throw new AppError('not_found', `no invoice ${input.originalInvoiceNumber}`);
        if (original.contractId !== input.contractId || original.currency !== input.currency) {
          throw new AppError('validation_failed', `invoice ${input.originalInvoiceNumber} belongs to another contract or currency`, [
            { path: 'body.originalInvoiceNumber', message: 'must be an invoice of the same contract and currency' },
          ]);
        }
      }
      const total = formatMoney(sumMoney(input.lines.map((l) => l.amount)), input.currency);
      const { doc, created } = await createOnce(repo.invoices, key, hash, (): InvoiceDoc => ({
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
        ...(input.originalInvoiceNumber !== undefined ? { originalInvoiceNumber: input.originalInvoiceNumber } : {}),
        ...(input.amendmentVersion !== undefined ? { amendmentVersion: input.amendmentVersion } : {}),
        creditedAmount: formatMoney('0', input.currency),
        creditMemoNumbers: [],
        paidAmount: formatMoney('0', input.currency),
        openAmount: total,
        paymentRevision: 0,
        paymentStatus: 'issued',
      }));
      return { invoice: toInvoice(await assignNumber(repo.invoices, 'INV', doc)), created };
    },

    /**
     * Issues a credit memo against an original invoice. Order (each step idempotent, so a replay
     * after a crash finishes the work): reserve the credit on the original (compare-and-set, refused
     * when it would credit more than is left), claim the memo by key, number it, record the number
     * on the original.
     */
    async issueCreditMemo(input: ParsedCreditMemo, key: string): Promise<{ creditMemo: CreditMemo; created: boolean }> {
      const hash = requestHash(input);
      const amount = formatMoney(sumMoney(input.lines.map((l) => l.amount)), input.currency);
      const original = await repo.invoices.findByNumber(input.originalInvoiceNumber);
      if (!original) throw new AppError('not_found', `no invoice ${input.originalInvoiceNumber}`);
      const problems = (['contractId', 'currency', 'sandbox'] as const)
        .filter((f) => original[f] !== input[f])
        .map((f) => ({ path: `body.${f}`, message: `must match invoice ${original.number} (${String(original[f])})` }));
      if (original.customer.id !== input.customer.id) problems.push({ path: 'body.customer.id', message: `must match invoice ${original.number}` });
      if (problems.length) throw new AppError('validation_failed', `credit memo does not match invoice ${original.number}`, problems);
      // The memo document is the credit: checked against the memos already issued and claimed by
      // key under the original's lock, so two memos can never credit more than the invoice total.
      const { doc, created } = await mutex.run(`inv:${original.number}`, async () => {
        const existing = await repo.creditMemos.findByKey(key);
        if (!existing) {
          const credited = sumMoney((await repo.creditMemos.forOriginal(original.number)).map((m) => m.total));
          const left = dec(original.total).minus(credited);
          if (dec(amount).greaterThan(left)) {
            throw new AppError('not_allowed_in_state', `credit memo of ${amount} exceeds what is left to credit on ${original.number} (${formatMoney(left, original.currency)})`);
          }
        }
        const at = now().toISOString();
        return createOnce(repo.creditMemos, key, hash, (): CreditMemoDoc => ({
          number: `${PENDING}${key}`,
          idempotencyKey: key,
          requestHash: hash,
          kind: 'credit_memo',
          contractId: input.contractId,
          customer: input.customer,
          currency: input.currency,
          originalInvoiceNumber: input.originalInvoiceNumber,
          amendmentVersion: input.amendmentVersion,
          date: input.date,
          ...(input.paymentTerms !== undefined ? { paymentTerms: input.paymentTerms } : {}),
          lines: input.lines.map((l) => ({ ...l, amount: formatMoney(l.amount, input.currency) })),
          total: amount,
          sandbox: input.sandbox,
          createdAt: at,
        }));
      });
      const numbered = await assignNumber(repo.creditMemos, 'CM', doc);
      await mutex.run(`inv:${original.number}`, () => refreshCredits(original.number));
      return { creditMemo: toCreditMemo(numbered), created };
    },

    /** AR reports the payment status of an invoice; a report older than the stored one changes nothing. */
    async setPaymentStatus(number: string, input: ParsedPaymentStatus): Promise<Invoice> {
      return mutex.run(`inv:${number}`, async () => {
        const inv = await repo.invoices.findByNumber(number);
        if (!inv) throw new AppError('not_found', `no invoice ${number}`);
        if ((inv.paymentRevision ?? 0) >= input.revision) return toInvoice(inv);
        const set: Partial<InvoiceDoc> = {
          paymentRevision: input.revision,
          paymentStatus: input.status,
          paidAmount: formatMoney(input.paidAmount, inv.currency),
          openAmount: formatMoney(input.openAmount, inv.currency),
          status: invoiceStatus(inv.total, inv.creditedAmount ?? '0', input.status),
        };
        await repo.invoices.update(number, set);
        return toInvoice({ ...inv, ...set });
      });
    },

    async get(number: string): Promise<Invoice> {
      const doc = await repo.invoices.findByNumber(number);
      if (!doc) throw new AppError('not_found', `no invoice ${number}`);
      return toInvoice(doc);
    },

    async list(filter: DocumentFilter, limit: number, offset: number): Promise<{ data: Invoice[]; total: number }> {
      const { docs, total } = await repo.invoices.list(filter, limit, offset);
      const data = await Promise.all(docs.map(async (d) => toInvoice(await assignNumber(repo.invoices, 'INV', d))));
      return { data, total };
    },

    async getCreditMemo(number: string): Promise<CreditMemo> {
      const doc = await repo.creditMemos.findByNumber(number);
      if (!doc) throw new AppError('not_found', `no credit memo ${number}`);
      return toCreditMemo(doc);
    },

    async listCreditMemos(filter: DocumentFilter, limit: number, offset: number): Promise<{ data: CreditMemo[]; total: number }> {
      const { docs, total } = await repo.creditMemos.list(filter, limit, offset);
      const data = await Promise.all(docs.map(async (d) => toCreditMemo(await assignNumber(repo.creditMemos, 'CM', d))));
      return { data, total };
    },
  };
}

export type InvoiceUseCases = ReturnType<typeof createInvoiceUseCases>;

function toInvoice(doc: InvoiceDoc): Invoice {
  const { idempotencyKey, requestHash: h, paymentRevision, paymentStatus, _id, ...rest } = doc as InvoiceDoc & { _id?: unknown };
  void [idempotencyKey, h, paymentRevision, paymentStatus, _id];
  return rest;
}

function toCreditMemo(doc: CreditMemoDoc): CreditMemo {
  const { idempotencyKey, requestHash: h, _id, ...rest } = doc as CreditMemoDoc & { _id?: unknown };
  void [idempotencyKey, h, _id];
  return rest;
}
