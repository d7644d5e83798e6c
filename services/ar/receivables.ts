/**
 * AR use cases: receivables opened exactly once, payments applied oldest first with the rest kept as
 * customer credit, credit memos, and the outbound effects of each change — the payment's one ledger
 * entry (revenue service), the invoice's payment status (invoicing service) and the "invoice paid"
 * signal to the contract workflow (Temporal).
 *
 * Concurrency without transactions: FerretDB updates a document as an unisolated read-modify-write,
 * so every AR write runs under an in-process lock per book (scope, customer, currency); the money
 * facts themselves are unique-keyed inserts (see data/receivables.ts), so no step can apply twice.
 * Crash safety: each request stores its fact first, then does its effects; a replay of the same
 * request, or the periodic sweep (`resumePending`), finishes whatever is not done.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { z } from 'zod';
import { AppError } from '../../libs/domain/errors';
import { contractWorkflowId, invoicePaidSignal } from '../../libs/domain/messages';
import { createOnce, requestHash, withoutStorageFields } from '../../libs/idempotency';
import { createKeyedMutex } from '../../libs/keyed-mutex';
import type { Logger } from '../../libs/logger';
import { Dec, dec, formatMoney, sumMoney } from '../../libs/money';
import { ServiceError, type ServiceClient } from '../../libs/service-client';
import type { JournalEntry, PostingRequest } from '../revenue/api';
import type { PaymentStatusRequest } from '../invoicing/api';
import type {
  ArCreditMemo,
  arCreditMemoSchema,
  applyCreditSchema,
  CreditLot,
  OpenReceivableRequest,
  Payment,
  Receivable,
  recordPaymentSchema,
} from './api';
import type { ApplicationDoc, CreditLotDoc, PaymentDoc, ReceivableDoc, ReceivableRepository } from './data/receivables';

type ParsedOpen = Required<Pick<OpenReceivableRequest, 'sandbox' | 'milestoneIds'>> & OpenReceivableRequest;
type ParsedPayment = z.output<typeof recordPaymentSchema>;
type ParsedCreditMemo = z.output<typeof arCreditMemoSchema>;
type ParsedApplyCredit = z.output<typeof applyCreditSchema>;

export interface ArDeps {
  /** The revenue service: every payment is posted there once (required for payments). */
  revenue?: ServiceClient;
  /** The invoicing service: told each invoice's payment status. Optional: without it invoices stay `issued`. */
  invoicing?: ServiceClient;
  /** Temporal: signals `invoicePaid` to the contract workflow. Optional: without it signals stay pending. */
  temporal?: Client;
  logger: Logger;
  now?: () => Date;
}

/** `books`, or one sandbox contract's own isolated books. */
export function scopeOf(sandbox: boolean, contractId: string | undefined): string {
  return sandbox ? `sandbox:${contractId}` : 'books';
}

const OPEN_STATUSES = ['open', 'partially_paid'];
const zero = (currency: string) => formatMoney('0', currency);

export function receivableStatus(amount: string, paid: Dec, credited: Dec): Receivable['status'] {
  const open = dec(amount).minus(paid).minus(credited);
  if (open.greaterThan(0)) return paid.greaterThan(0) ? 'partially_paid' : 'open';
  return paid.greaterThan(0) ? 'paid' : 'credited';
}

export function createReceivableUseCases(repo: ReceivableRepository, deps: ArDeps) {
  const log = deps.logger;
  const now = deps.now ?? (() => new Date());
  const mutex = createKeyedMutex();
  const lockKey = (scope: string, customerId: string, currency: string) => `${scope}|${customerId}|${currency}`;
  const locked = <T>(r: { scope: string; customerId: string; currency: string }, fn: () => Promise<T>) => mutex.run(lockKey(r.scope, r.customerId, r.currency), fn);

  // ---- everything below marked "(locked)" runs under the book's lock ----

  /** (locked) Recomputes a receivable's totals and status from its applications; marks what must be told. */
  async function refresh(invoiceNumber: string): Promise<ReceivableDoc> {
    const r = (await repo.receivables.findByInvoice(invoiceNumber))!;
    const apps = await repo.applications.forInvoice(invoiceNumber);
    const paid = sumMoney(apps.filter((a) => a.kind !== 'credit_memo').map((a) => a.amount));
    const credited = sumMoney(apps.filter((a) => a.kind === 'credit_memo').map((a) => a.amount));
    const status = receivableStatus(r.amount, paid, credited);
    const next: Partial<ReceivableDoc> = {
      paidAmount: formatMoney(paid, r.currency),
      creditedAmount: formatMoney(credited, r.currency),
      openAmount: formatMoney(dec(r.amount).minus(paid).minus(credited), r.currency),
      status,
    };
    if (status === 'paid') next.paidOn = apps[apps.length - 1]!.date;
    const changed = (Object.keys(next) as (keyof ReceivableDoc)[]).some((k) => next[k] !== r[k]);
    if (!changed) return r;
    next.revision = (r.revision ?? 1) + 1;
    if (status === 'paid' && (r.signal ?? 'none') === 'none') next.signal = 'pending';
    await repo.receivables.update(invoiceNumber, next);
    return { ...r, ...next };
  }

  /**
   * (locked) Applies up to `amount` to a receivable, at most its open amount, once per ref.
   * Returns what this ref has applied and whether it was applied now.
   */
  async function apply(invoiceNumber: string, app: Omit<ApplicationDoc, 'seq' | 'invoiceNumber' | 'createdAt'>): Promise<{ amount: Dec; fresh: boolean }> {
    for (;;) {
      const r = (await repo.receivables.findByInvoice(invoiceNumber))!;
      const apps = await repo.applications.forInvoice(invoiceNumber);
      const existing = apps.find((a) => a.ref === app.ref);
      if (existing) {
        await refresh(invoiceNumber);
        return { amount: dec(existing.amount), fresh: false };
      }
      const open = dec(r.amount).minus(sumMoney(apps.map((a) => a.amount)));
      const amount = Dec.min(open, app.amount);
      if (amount.lessThanOrEqualTo(0)) return { amount: new Dec(0), fresh: false };
      const inserted = await repo.applications.insert({
        ...app, invoiceNumber, seq: apps.length + 1, amount: formatMoney(amount, r.currency), createdAt: now().toISOString(),
      });
      if (inserted) {
        await refresh(invoiceNumber);
        return { amount, fresh: true };
      }
      // Another writer appended first (another process): read again.
    }
  }

  /** (locked) Credit lots of a book with what is left of each, oldest first. */
  async function lotsWithRemaining(scope: string, customerId: string | undefined, currency: string): Promise<(CreditLotDoc & { remaining: Dec })[]> {
    const lots = await repo.lots.list({ scope, customerId, currency });
    const used = await repo.applications.forLots(lots.map((l) => l.lotId));
    return lots.map((l) => ({ ...l, remaining: dec(l.amount).minus(sumMoney(used.filter((a) => a.lotId === l.lotId).map((a) => a.amount))) }));
  }

  /** (locked) Applies the book's customer credit to the given receivables, oldest credit first. */
  async function applyCredit(scope: string, customerId: string, currency: string, targets: ReceivableDoc[]): Promise<string[]> {
    const touched: string[] = [];
    const lots = (await lotsWithRemaining(scope, customerId, currency)).filter((l) => l.remaining.greaterThan(0));
    for (const target of targets) {
      for (const lot of lots) {
        if (lot.remaining.lessThanOrEqualTo(0)) continue;
        const date = lot.date > target.issueDate ? lot.date : target.issueDate;
        const { amount, fresh } = await apply(target.invoiceNumber, { kind: 'credit', ref: `credit:${lot.lotId}`, lotId: lot.lotId, amount: formatMoney(lot.remaining, currency), date });
        if (fresh) {
          lot.remaining = lot.remaining.minus(amount);
          touched.push(target.invoiceNumber);
        }
      }
    }
    return touched;
  }

  /** (locked) Tells invoicing the receivable's status and the workflow that it is paid, if not done yet. */
  async function settle(invoiceNumber: string): Promise<void> {
    const r = (await repo.receivables.findByInvoice(invoiceNumber))!;
    if ((r.syncedRevision ?? 0) < (r.revision ?? 1) && deps.invoicing) {
      const body: PaymentStatusRequest = {
        status: r.status === 'paid' || r.status === 'partially_paid' ? r.status : 'issued',
        paidAmount: r.paidAmount ?? zero(r.currency),
        openAmount: r.openAmount,
        revision: r.revision,
      };
      try {
        await deps.invoicing.post(`/invoices/${encodeURIComponent(invoiceNumber)}/status`, body);
        await repo.receivables.update(invoiceNumber, { syncedRevision: r.revision });
      } catch (err) {
        if (err instanceof ServiceError && err.status === 404) {
          log.warn({ invoiceNumber }, 'invoicing has no such invoice; status not reported');
          await repo.receivables.update(invoiceNumber, { syncedRevision: r.revision });
        } else log.warn({ invoiceNumber, err: (err as Error).message }, 'reporting payment status to invoicing failed; will retry');
      }
    }
    if (r.signal === 'pending' && deps.temporal) {
      try {
        await deps.temporal.workflow.getHandle(contractWorkflowId(r.contractId)).signal(invoicePaidSignal, { invoiceNumber, paidOn: r.paidOn! });
        await repo.receivables.update(invoiceNumber, { signal: 'done' });
        log.info({ invoiceNumber, contractId: r.contractId }, 'invoicePaid signalled');
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) {
          log.warn({ invoiceNumber, contractId: r.contractId }, 'no contract workflow to signal');
          await repo.receivables.update(invoiceNumber, { signal: 'no_workflow' });
        } else log.warn({ invoiceNumber, err: (err as Error).message }, 'signalling invoicePaid failed; will retry');
      }
    }
  }

  /** (locked) The receivables a payment goes to: the named ones oldest first, then the book's other open ones oldest first. */
  async function paymentTargets(p: { scope: string; customerId: string; currency: string; invoiceNumbers: string[] }): Promise<ReceivableDoc[]> {
    const open = await repo.receivables.list({ scope: p.scope, customerId: p.customerId, currency: p.currency, statuses: OPEN_STATUSES });
    const named = open.filter((r) => p.invoiceNumbers.includes(r.invoiceNumber));
    return [...named, ...open.filter((r) => !p.invoiceNumbers.includes(r.invoiceNumber))];
  }

  /** Applies, books and settles a payment; each step is skipped when already done, so it can run again. */
  async function processPayment(paymentId: string): Promise<PaymentDoc> {
    const first = (await repo.payments.findById(paymentId))!;
    return locked(first, async () => {
      let p = (await repo.payments.findById(paymentId))!;
      const lotId = `payment:${p.paymentId}`;
      const ref = `payment:${p.paymentId}`;
      if (p.state !== 'applied') {
        const lotExists = (await repo.lots.list({ scope: p.scope, customerId: p.customerId, currency: p.currency })).some((l) => l.lotId === lotId);
        if (!lotExists) {
          let remaining = dec(p.amount).minus(sumMoney((await repo.applications.forPayment(paymentId)).map((a) => a.amount)));
          for (const r of await paymentTargets(p)) {
            if (remaining.lessThanOrEqualTo(0)) break;
            const { amount, fresh } = await apply(r.invoiceNumber, { kind: 'payment', ref, paymentId, amount: formatMoney(remaining, p.currency), date: p.date });
            if (fresh) remaining = remaining.minus(amount);
          }
          remaining = dec(p.amount).minus(sumMoney((await repo.applications.forPayment(paymentId)).map((a) => a.amount)));
          if (remaining.greaterThan(0)) {
            await repo.lots.insert({
              lotId, scope: p.scope, customerId: p.customerId, currency: p.currency, sandbox: p.sandbox,
              ...(p.sandbox ? { contractId: p.contractId } : {}),
              source: { type: 'payment', ref: p.paymentId }, date: p.date, amount: formatMoney(remaining, p.currency), createdAt: now().toISOString(),
            });
          }
        }
        const applied = sumMoney((await repo.applications.forPayment(paymentId)).map((a) => a.amount));
        p = { ...p, state: 'applied', unapplied: formatMoney(dec(p.amount).minus(applied), p.currency) };
        await repo.payments.update(paymentId, { state: p.state, unapplied: p.unapplied });
      }
      if (!p.postedToLedger) {
        if (!deps.revenue) throw new AppError('unavailable', 'AR has no revenue service to post payments to');
        const posting: PostingRequest = {
          kind: 'payment', contractId: p.contractId, currency: p.currency, eventDate: p.date,
          source: { type: 'payment', ref: p.paymentId }, amount: p.amount, sandbox: p.sandbox,
        };
        try {
          const entry = await deps.revenue.post<JournalEntry>('/postings', posting, { idempotencyKey: `payment:${p.contractId}:${p.paymentId}` });
          p = { ...p, postedToLedger: true, ledgerEntryId: entry.entryId };
          await repo.payments.update(paymentId, { postedToLedger: true, ledgerEntryId: entry.entryId });
        } catch (err) {
          log.warn({ paymentId, err: (err as Error).message }, 'posting the payment to the ledger failed; will retry');
        }
      }
      const touched = [...new Set((await repo.applications.forPayment(paymentId)).map((a) => a.invoiceNumber))];
      for (const n of touched) await settle(n);
      const unsettled = (await Promise.all(touched.map((n) => repo.receivables.findByInvoice(n)))).some(
        (r) => r && ((r.syncedRevision < r.revision && deps.invoicing) || (r.signal === 'pending' && deps.temporal)),
      );
      if (p.postedToLedger && !unsettled && !p.settled) {
        p = { ...p, settled: true };
        await repo.payments.update(paymentId, { settled: true });
      }
      return p;
    });
  }

  async function toPayment(p: PaymentDoc): Promise<Payment> {
    const apps = await repo.applications.forPayment(p.paymentId);
    const { idempotencyKey, requestHash: h, scope, settled, ...rest } = p;
    void [idempotencyKey, h, scope, settled];
    return {
      ...rest,
      allocations: apps.map((a) => ({ invoiceNumber: a.invoiceNumber, amount: a.amount })),
      unapplied: p.unapplied ?? formatMoney(dec(p.amount).minus(sumMoney(apps.map((a) => a.amount))), p.currency),
    };
  }

  function toReceivable(doc: ReceivableDoc, apps?: ApplicationDoc[]): Receivable {
    const { scope, revision, syncedRevision, signal, ...rest } = withoutStorageFields(doc);
    void [scope, revision, syncedRevision, signal];
    return apps ? { ...rest, applications: apps.map((a) => ({ kind: a.kind, ref: a.ref, amount: a.amount, date: a.date })) } : rest;
  }

  return {
    async open(input: ParsedOpen, key: string): Promise<{ receivable: Receivable; created: boolean }> {
      const scope = scopeOf(input.sandbox, input.contractId);
      const hash = requestHash(input);
      return locked({ scope, customerId: input.customerId, currency: input.currency }, async () => {
        const { doc, created } = await createOnce(repo.receivables, key, hash, (): ReceivableDoc => ({
          ...input,
          idempotencyKey: key,
          requestHash: hash,
          amount: formatMoney(input.amount, input.currency),
          openAmount: formatMoney(input.amount, input.currency),
          paidAmount: zero(input.currency),
          creditedAmount: zero(input.currency),
          status: 'open',
          scope,
          revision: 1,
          syncedRevision: 1,
          signal: 'none',
        }));
        // Customer credit is used on each new invoice of the book (also on a replay after a crash).
        if (OPEN_STATUSES.includes(doc.status)) {
          const touched = await applyCredit(scope, doc.customerId, doc.currency, [doc]);
          for (const n of touched) await settle(n);
        }
        return { receivable: toReceivable((await repo.receivables.findByInvoice(doc.invoiceNumber))!), created };
      });
    },

    async get(invoiceNumber: string): Promise<Receivable> {
      const doc = await repo.receivables.findByInvoice(invoiceNumber);
      if (!doc) throw new AppError('not_found', `no receivable for invoice ${invoiceNumber}`);
      return toReceivable(doc, await repo.applications.forInvoice(invoiceNumber));
    },

    async list(filter: { contractId?: string; customerId?: string; status?: string }, limit: number, offset: number): Promise<Receivable[]> {
      return (await repo.receivables.list(filter, limit, offset)).map((d) => toReceivable(d));
    },

    /**
     * Records a payment once per key: validated and stored (with the contract whose ledger books it)
     * under the book's lock, then applied, posted and settled by `processPayment`.
     */
    async recordPayment(input: ParsedPayment, key: string): Promise<{ payment: Payment; created: boolean }> {
      const hash = requestHash(input);
      const existing = await repo.payments.findByKey(key);
      let created = false;
      let paymentId: string;
      if (existing) {
        const { doc } = await createOnce(repo.payments, key, hash, () => existing);
        paymentId = doc.paymentId;
      } else {
        const scope = scopeOf(input.sandbox, input.contractId);
        const invoiceNumbers = input.invoiceNumbers ?? [];
        const result = await locked({ scope, customerId: input.customerId, currency: input.currency }, async () => {
          const problems: { path: string; message: string }[] = [];
          const named: ReceivableDoc[] = [];
          for (const [i, n] of invoiceNumbers.entries()) {
            const r = await repo.receivables.findByInvoice(n);
            if (!r) throw new AppError('not_found', `no receivable for invoice ${n}`);
            if (r.scope !== scope || r.customerId !== input.customerId || r.currency !== input.currency) {
              problems.push({ path: `body.invoiceNumbers.${i}`, message: `invoice ${n} is not an invoice of this customer, currency and book` });
            }
            named.push(r);
          }
          if (problems.length) throw new AppError('validation_failed', 'payment names invoices it cannot pay', problems);
          const targets = await paymentTargets({ scope, customerId: input.customerId, currency: input.currency, invoiceNumbers });
          const contractId = targets[0]?.contractId ?? named[0]?.contractId ?? input.contractId;
          if (contractId === undefined) {
            throw new AppError('validation_failed', 'the customer has no open invoice: name the contract whose ledger books this payment', [
              { path: 'body.contractId', message: 'required when the customer has no open invoice' },
            ]);
          }
          return createOnce(repo.payments, key, hash, (): PaymentDoc => ({
            paymentId: `pay_${randomUUID()}`,
            idempotencyKey: key,
            requestHash: hash,
            customerId: input.customerId,
            currency: input.currency,
            date: input.date,
            amount: formatMoney(input.amount, input.currency),
            invoiceNumbers,
            contractId,
            sandbox: input.sandbox,
            scope,
            state: 'received',
            postedToLedger: false,
            settled: false,
            createdAt: now().toISOString(),
          }));
        });
        created = result.created;
        paymentId = result.doc.paymentId;
      }
      return { payment: await toPayment(await processPayment(paymentId)), created };
    },

    async getPayment(paymentId: string): Promise<Payment> {
      const p = await repo.payments.findById(paymentId);
      if (!p) throw new AppError('not_found', `no payment ${paymentId}`);
      return toPayment(p);
    },

    async listPayments(filter: { customerId?: string; contractId?: string }, limit: number, offset: number): Promise<Payment[]> {
      return Promise.all((await repo.payments.list(filter, limit, offset)).map(toPayment));
    },

    /** A credit memo reduces its invoice's receivable; what exceeds the open amount becomes customer credit. */
    async creditMemo(input: ParsedCreditMemo, key: string): Promise<{ creditMemo: ArCreditMemo; created: boolean }> {
      const r = await repo.receivables.findByInvoice(input.invoiceNumber);
      if (!r) throw new AppError('not_found', `no receivable for invoice ${input.invoiceNumber}`);
      const hash = requestHash(input);
      return locked(r, async () => {
        const existing = await repo.creditMemos.findByKey(key);
        if (existing) {
          const { doc } = await createOnce(repo.creditMemos, key, hash, () => existing);
          await settle(r.invoiceNumber);
          return { creditMemo: withoutStorageFields(doc), created: false };
        }
        const amount = formatMoney(input.amount, r.currency);
        const { amount: applied } = await apply(r.invoiceNumber, { kind: 'credit_memo', ref: `cm:${input.creditMemoNumber}`, amount, date: input.date });
        const toCredit = dec(amount).minus(applied);
        if (toCredit.greaterThan(0)) {
          await repo.lots.insert({
            lotId: `credit_memo:${input.creditMemoNumber}`, scope: r.scope, customerId: r.customerId, currency: r.currency, sandbox: r.sandbox,
            ...(r.sandbox ? { contractId: r.contractId } : {}),
            source: { type: 'credit_memo', ref: input.creditMemoNumber }, date: input.date, amount: formatMoney(toCredit, r.currency), createdAt: now().toISOString(),
          });
        }
        const { doc, created } = await createOnce(repo.creditMemos, key, hash, () => ({
          creditMemoNumber: input.creditMemoNumber, invoiceNumber: input.invoiceNumber, amount, date: input.date,
          applied: formatMoney(applied, r.currency), toCredit: formatMoney(toCredit, r.currency),
          idempotencyKey: key, requestHash: hash, createdAt: now().toISOString(),
        }));
        await settle(r.invoiceNumber);
        return { creditMemo: withoutStorageFields(doc), created };
      });
    },

    /** Customer credit of a book, lot by lot, with what is left. */
    async credits(q: { currency: string; customerId?: string; contractId?: string; sandbox: boolean }): Promise<{ data: CreditLot[]; total: string }> {
      const lots = await lotsWithRemaining(scopeOf(q.sandbox, q.contractId), q.customerId, q.currency);
      const data = lots.map((l) => ({
        lotId: l.lotId, customerId: l.customerId, currency: l.currency, sandbox: l.sandbox, ...(l.contractId ? { contractId: l.contractId } : {}),
        source: l.source, date: l.date, amount: l.amount, remaining: formatMoney(l.remaining, l.currency),
      }));
      return { data, total: formatMoney(sumMoney(data.map((l) => l.remaining)), q.currency) };
    },

    /** Applies a customer's credit to their open invoices, oldest first (it is also applied to each new invoice). */
    async applyCredit(input: ParsedApplyCredit): Promise<Receivable[]> {
      const scope = scopeOf(input.sandbox, input.contractId);
      return locked({ scope, customerId: input.customerId, currency: input.currency }, async () => {
        const open = await repo.receivables.list({ scope, customerId: input.customerId, currency: input.currency, statuses: OPEN_STATUSES });
        const touched = [...new Set(await applyCredit(scope, input.customerId, input.currency, open))];
        for (const n of touched) await settle(n);
        return Promise.all(touched.map(async (n) => toReceivable((await repo.receivables.findByInvoice(n))!)));
      });
    },

    /** Finishes what a crash or an unreachable service left undone (ledger posting, invoicing status, workflow signal). */
    async resumePending(): Promise<{ payments: number; receivables: number }> {
      const payments = await repo.payments.unsettled();
      for (const p of payments) await processPayment(p.paymentId);
      const receivables = await repo.receivables.unsettled();
      for (const r of receivables) await locked(r, () => settle(r.invoiceNumber));
      return { payments: payments.length, receivables: receivables.length };
    },

    /** For reports: receivables, their applications and the credit lots of a book. */
    async book(q: { currency: string; customerId?: string; contractId?: string; sandbox: boolean; issuedTo?: string }) {
      const scope = scopeOf(q.sandbox, q.contractId);
      const receivables = (await repo.receivables.list({ scope, currency: q.currency, customerId: q.customerId, issuedTo: q.issuedTo }))
        .filter((r) => q.sandbox || !q.contractId || r.contractId === q.contractId);
      const applications = await repo.applications.forInvoices(receivables.map((r) => r.invoiceNumber));
      // Customer credit belongs to the customer, not to one contract: a report on one real contract shows none.
      const lots = q.contractId && !q.sandbox ? [] : await repo.lots.list({ scope, currency: q.currency, customerId: q.customerId });
      const lotApplications = await repo.applications.forLots(lots.map((l) => l.lotId));
      return { receivables, applications, lots, lotApplications };
    },
  };

}

export type ReceivableUseCases = ReturnType<typeof createReceivableUseCases>;
