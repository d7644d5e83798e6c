/**
 * Invoicing use cases: invoices and credit memos issued exactly once per idempotency key, with
 * gapless per-year numbers; the payment status AR reports; credit memos reducing their original.
 */
import type { z } from 'zod';
import { dueDate } from '../../libs/accounting';
import { AppError } from '../../libs/domain/errors';
import { createOnce, requestHash } from '../../libs/idempotency';
import { checkMoney, dec, formatMoney, sumMoney } from '../../libs/money';
import type { CreditMemo, Invoice, InvoiceStatus, issueCreditMemoSchema, issueInvoiceSchema, paymentStatusSchema } from './api';
import { createKeyedMutex } from '../../libs/keyed-mutex';
import type { CreditMemoDoc, DocumentFilter, InvoiceDoc, InvoiceRepository, PagePosition } from './data/invoices';

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
  /**
   * Orders, in this process, the read-compute-writes of one invoice (credit refresh, payment
   * status) so this process's own writes do not overwrite each other. Correctness across processes
   * never rests on it: numbers and credits are decided by unique-index inserts.
   */
  const mutex = createKeyedMutex();
  /** Per sequence, a number this process knows is drawn (a hint that saves probes; the slots decide). */
  const drawn = new Map<string, number>();

  /**
   * Gives a claimed (placeholder-numbered) document its real number. A number is drawn by inserting
   * a slot {_id: sequence:n, owner}: unique per number and per owner, so the insert itself binds the
   * number to the document. Hence no gaps and no duplicates, across processes and crashes: a replay
   * (or a concurrent duplicate) finds the owner's slot and reuses it; a number taken meanwhile makes
   * the drawer look for the next free one. No lock: concurrent draws race on the insert and the
   * losers move on, each step one key lookup or one insert.
   */
  async function assignNumber<D extends Numbered>(store: NumberStore<D>, prefix: 'INV' | 'CM', doc: D, fresh = false): Promise<D> {
    if (!doc.number.startsWith(PENDING)) return doc;
    const sequence = invoiceSequenceName(prefix, doc.date.slice(0, 4), doc.sandbox);
    const owner = `${prefix}:${doc.idempotencyKey}`;
    // The per-sequence mutex only spares this process's concurrent draws from racing each other
    // for the same number; other processes race on the insert, which decides.
    const number = await mutex.run(`seq:${sequence}`, () => drawNumber(sequence, owner, fresh));
    // The slot binds the number to this owner, so whoever replaces the placeholder writes this same
    // number: when this write did it, the stored document is `doc` with its number (no read back).
    if (await store.setNumber(doc.idempotencyKey, doc.number, number)) return { ...doc, number };
    return (await store.findByKey(doc.idempotencyKey))!;
  }

  /**
   * The number bound to `owner`, drawing one if it has none. `fresh`: the document was just
   * inserted by this request, so its owner has no slot yet unless a concurrent duplicate drew one
   * meanwhile, which the claim (unique owner) detects; the owner's slot is looked up first only
   * for a document claimed earlier (a replay, or finishing one left by a crash).
   */
  async function drawNumber(sequence: string, owner: string, fresh: boolean): Promise<string> {
    if (!fresh) {
      const mine = await repo.numbers.slotOf(owner);
      if (mine) return formatInvoiceNumber(sequence, mine.n);
    }
    // This process has seen `known` drawn, so known + 1 may be claimed without a lookup (numbers
    // are claimed in order: one is tried only once the one before it was seen drawn). A new
    // process knows nothing and searches from 0.
    const known = drawn.get(sequence) ?? 0;
    let n = known > 0 ? known + 1 : await repo.numbers.firstFree(sequence, 0);
    for (;;) {
      if (await repo.numbers.claim({ sequence, n, owner })) {
        drawn.set(sequence, Math.max(drawn.get(sequence) ?? 0, n));
        return formatInvoiceNumber(sequence, n);
      }
      // Taken: by another drawer (look further), or by this owner on a concurrent duplicate.
      const again = await repo.numbers.slotOf(owner);
      if (again) return formatInvoiceNumber(sequence, again.n);
      drawn.set(sequence, Math.max(drawn.get(sequence) ?? 0, n));
      n = await repo.numbers.firstFree(sequence, n);
    }
  }

  /**
   * The derived fields of an invoice (credited amount, memo numbers, payment status and status)
   * from the facts: its credit memos and the payment status reports AR sent (the newest revision).
   */
  async function derived(inv: InvoiceDoc): Promise<Partial<InvoiceDoc>> {
    const [memos, report] = await Promise.all([repo.creditMemos.forOriginal(inv.number), repo.paymentReports.latest(inv.number)]);
    const creditedAmount = formatMoney(sumMoney(memos.map((m) => m.total)), inv.currency);
    const payment: Partial<InvoiceDoc> = report
      ? { paymentRevision: report.revision, paymentStatus: report.status, paidAmount: report.paidAmount, openAmount: report.openAmount }
      : { paymentRevision: inv.paymentRevision ?? 0, paymentStatus: inv.paymentStatus ?? 'issued' };
    return {
      ...payment,
      creditedAmount,
      creditMemoNumbers: memos.filter((m) => !m.number.startsWith(PENDING)).map((m) => m.number),
      status: invoiceStatus(inv.total, creditedAmount, payment.paymentStatus!),
    };
  }

  /**
   * Writes an invoice's derived fields, then reads the facts again and writes once more if they
   * changed meanwhile. Facts are inserted before their refresh, and the last writer always checks
   * after its write, so the stored invoice converges on its facts across any number of processes
   * (FerretDB updates are not isolated; no lock is relied on).
   */
  async function refresh(number: string): Promise<InvoiceDoc | null> {
    for (let round = 0; ; round += 1) {
      const inv = await repo.invoices.findByNumber(number);
      if (!inv) return null;
      const set = await derived(inv);
      if (sameDerived(inv, set)) return inv;
      if (round >= 10) throw new Error(`invoice ${number}: derived fields keep changing under concurrent writers`);
      await repo.invoices.update(number, set);
    }
  }

  /**
   * The credit reserved against an invoice: one credit slot per memo (claimed before the memo is
   * written), plus memos issued before credit slots existed. The next slot's position k is a
   * compare-and-set token: two memos racing for the same k cannot both pass the same check.
   */
  async function reserveCredit(original: InvoiceDoc, key: string, amount: string): Promise<void> {
    for (;;) {
      if (await repo.creditSlots.ofMemo(key)) return;
      const [slots, memos] = await Promise.all([repo.creditSlots.forInvoice(original.number), repo.creditMemos.forOriginal(original.number)]);
      const byKey = new Map<string, string>(memos.map((m) => [m.idempotencyKey, m.total]));
      for (const slot of slots) byKey.set(slot.memoKey, slot.amount);
      if (byKey.has(key)) return; // the memo exists (issued before credit slots existed)
      const left = dec(original.total).minus(sumMoney([...byKey.values()]));
      if (dec(amount).greaterThan(left)) {
        throw new AppError('not_allowed_in_state', `credit memo of ${amount} exceeds what is left to credit on ${original.number} (${formatMoney(left, original.currency)})`);
      }
      const k = Math.max(0, ...slots.map((x) => x.k)) + 1;
      if (await repo.creditSlots.claim({ invoiceNumber: original.number, k, memoKey: key, amount })) return;
    }
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
      if (input.progress !== undefined) checkProgress(input.progress, input.currency);
      const total = formatMoney(sumMoney(input.lines.map((l) => l.amount)), input.currency);
      const { doc, created } = await createOnce(repo.invoices, key, hash, (): InvoiceDoc => ({
        number: `${PENDING}${key}`,
        idempotencyKey: key,
        requestHash: hash,
        kind: input.kind,
        contractId: input.contractId,
        customer: input.customer,
        customerId: input.customer.id,
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
        ...(input.progress !== undefined ? { progress: progressOf(input.progress, input.currency) } : {}),
        creditedAmount: formatMoney('0', input.currency),
        creditMemoNumbers: [],
        paidAmount: formatMoney('0', input.currency),
        openAmount: total,
        paymentRevision: 0,
        paymentStatus: 'issued',
      }));
      return { invoice: toInvoice(await assignNumber(repo.invoices, 'INV', doc, created)), created };
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
      // The credit is reserved first (a unique insert), then the memo is claimed by key: two memos
      // can never credit more than the invoice total, whichever processes issue them.
      const existing = await repo.creditMemos.findByKey(key);
      if (!existing) await reserveCredit(original, key, amount);
      const at = now().toISOString();
      const { doc, created } = await createOnce(repo.creditMemos, key, hash, (): CreditMemoDoc => ({
        number: `${PENDING}${key}`,
        idempotencyKey: key,
        requestHash: hash,
        kind: 'credit_memo',
        contractId: input.contractId,
        customer: input.customer,
        customerId: input.customer.id,
        currency: input.currency,
        originalInvoiceNumber: input.originalInvoiceNumber,
        amendmentVersion: input.amendmentVersion,
        date: input.date,
        ...(input.paymentTerms !== undefined ? { paymentTerms: input.paymentTerms } : {}),
        lines: input.lines.map((l) => ({ ...l, amount: formatMoney(l.amount, input.currency) })),
        total: amount,
        sandbox: input.sandbox,
        createdAt: at,
      }), existing);
      const numbered = await assignNumber(repo.creditMemos, 'CM', doc, created);
      await mutex.run(`inv:${original.number}`, () => refresh(original.number));
      return { creditMemo: toCreditMemo(numbered), created };
    },

    /**
     * AR reports the payment status of an invoice. The report is kept as a fact (one per revision,
     * a unique insert) and the invoice shows the newest revision's: a report older than the
     * newest changes nothing, in whatever order reports from several processes arrive.
     */
    async setPaymentStatus(number: string, input: ParsedPaymentStatus): Promise<Invoice> {
      const inv = await repo.invoices.findByNumber(number);
      if (!inv) throw new AppError('not_found', `no invoice ${number}`);
      // Nothing is rounded on the way in: the amounts must already be in the invoice's currency.
      const problems = (['paidAmount', 'openAmount'] as const)
        .map((f) => ({ path: `body.${f}`, message: checkMoney(input[f], inv.currency, { allowNegative: f === 'openAmount' }) }))
        .filter((p): p is { path: string; message: string } => p.message !== null);
      if (problems.length) throw new AppError('validation_failed', `invalid payment status for ${number}: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, problems);
      await repo.paymentReports.record({
        invoiceNumber: number,
        revision: input.revision,
        status: input.status,
        paidAmount: formatMoney(input.paidAmount, inv.currency),
        openAmount: formatMoney(input.openAmount, inv.currency),
      });
      return toInvoice((await mutex.run(`inv:${number}`, () => refresh(number)))!);
    },

    async get(number: string): Promise<Invoice> {
      const doc = await repo.invoices.findByNumber(number);
      if (!doc) throw new AppError('not_found', `no invoice ${number}`);
      return toInvoice(doc);
    },

    async list(filter: DocumentFilter, limit: number, offset: number, cursor?: string): Promise<{ data: Invoice[]; total: number; nextCursor?: string }> {
      const { docs, total, next } = await repo.invoices.list(filter, limit, offset, decodeCursor(cursor));
      const data = await Promise.all(docs.map(async (d) => toInvoice(await assignNumber(repo.invoices, 'INV', d))));
      return { data, total, ...(next ? { nextCursor: encodeCursor(next) } : {}) };
    },

    async getCreditMemo(number: string): Promise<CreditMemo> {
      const doc = await repo.creditMemos.findByNumber(number);
      if (!doc) throw new AppError('not_found', `no credit memo ${number}`);
      return toCreditMemo(doc);
    },

    async listCreditMemos(filter: DocumentFilter, limit: number, offset: number, cursor?: string): Promise<{ data: CreditMemo[]; total: number; nextCursor?: string }> {
      const { docs, total, next } = await repo.creditMemos.list(filter, limit, offset, decodeCursor(cursor));
      const data = await Promise.all(docs.map(async (d) => toCreditMemo(await assignNumber(repo.creditMemos, 'CM', d))));
      return { data, total, ...(next ? { nextCursor: encodeCursor(next) } : {}) };
    },

    /** Documents stored before the top-level `customerId` get it (run once at start, in the background). */
    async backfillCustomerIds(): Promise<number> {
      return (await repo.invoices.backfillCustomerIds()) + (await repo.creditMemos.backfillCustomerIds());
    },
  };
}

export type InvoiceUseCases = ReturnType<typeof createInvoiceUseCases>;

/**
 * A progress invoice's figures are printed as they came: in the currency's minor units (nothing is
 * rounded here, as for the lines), and never less billed to date than before it.
 */
function checkProgress(p: NonNullable<ParsedIssue['progress']>, currency: string): void {
  const problems = (['cumulative', 'previouslyBilled'] as const)
    .map((f) => ({ path: `body.progress.${f}`, message: checkMoney(p[f], currency) }))
    .filter((x): x is { path: string; message: string } => x.message !== null);
  if (problems.length === 0 && dec(p.cumulative).lessThan(p.previouslyBilled)) {
    problems.push({ path: 'body.progress.cumulative', message: 'must be at least previouslyBilled' });
  }
  if (problems.length) throw new AppError('validation_failed', `invalid progress: ${problems.map((x) => `${x.path} ${x.message}`).join('; ')}`, problems);
}

/** The progress as issued: its amounts in the currency's minor units, as the lines' are. */
function progressOf(p: NonNullable<ParsedIssue['progress']>, currency: string): NonNullable<InvoiceDoc['progress']> {
  return { percent: p.percent, cumulative: formatMoney(p.cumulative, currency), previouslyBilled: formatMoney(p.previouslyBilled, currency) };
}

const DERIVED = ['paymentRevision', 'paymentStatus', 'paidAmount', 'openAmount', 'creditedAmount', 'creditMemoNumbers', 'status'] as const;

function sameDerived(inv: InvoiceDoc, set: Partial<InvoiceDoc>): boolean {
  return DERIVED.every((f) => set[f] === undefined || JSON.stringify(inv[f]) === JSON.stringify(set[f]));
}

function toInvoice(doc: InvoiceDoc): Invoice {
  const { idempotencyKey, requestHash: h, paymentRevision, paymentStatus, customerId, _id, ...rest } = doc as InvoiceDoc & { _id?: unknown };
  void [idempotencyKey, h, paymentRevision, paymentStatus, customerId, _id];
  return rest;
}

function toCreditMemo(doc: CreditMemoDoc): CreditMemo {
  const { idempotencyKey, requestHash: h, customerId, _id, ...rest } = doc as CreditMemoDoc & { _id?: unknown };
  void [idempotencyKey, h, customerId, _id];
  return rest;
}

/** A page cursor: the position of the previous page's last document, opaque to callers (base64url JSON). */
export function encodeCursor(p: PagePosition): string {
  return Buffer.from(JSON.stringify([p.createdAt, p.id]), 'utf8').toString('base64url');
}

/** The position a cursor names; a cursor this service did not make is refused `validation_failed`. */
export function decodeCursor(cursor: string | undefined): PagePosition | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' && /^[0-9a-f]{24}$/.test(v[1])) {
      return { createdAt: v[0], id: v[1] };
    }
  } catch {
    // refused below
  }
  throw new AppError('validation_failed', 'invalid query: query.cursor is not a cursor of this list', [{ path: 'query.cursor', message: 'not a cursor of this list (pass nextCursor as it came)' }]);
}
