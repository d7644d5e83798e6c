/**
 * AR use cases: receivables opened exactly once, payments applied oldest first with the rest kept as
 * customer credit, credit memos, and the outbound effects of each change — the payment's one ledger
 * entry (revenue service), the invoice's payment status (invoicing service) and the "invoice paid"
 * signal to the contract workflow (Temporal).
 *
 * Concurrency without transactions, with any number of AR processes on one database: FerretDB
 * updates a document as an unisolated read-modify-write (concurrent updates lose writes, an
 * update's filter excludes nobody), and only an insert under a unique index is atomic. So every
 * money fact is such an insert, and every one that depends on what was read before is a
 * compare-and-set: an application takes the invoice's next `seq` and its source's next `draw`, both
 * unique, so one computed from a stale read (another process applied meanwhile) is refused and
 * recomputed (`apply`). Documents that are updated (receivable totals, payment progress) are caches
 * of those facts, rewritten until a read shows them right. The in-process lock per book (scope,
 * customer, currency) only spares one process's requests from racing each other.
 * Crash safety: each request stores its fact first, then does its effects; a replay of the same
 * request, or the periodic sweep (`resumePending`) of any process, finishes whatever is not done.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { z } from 'zod';
import { AppError } from '../../libs/domain/errors';
import { contractWorkflowId, invoicePaidSignal } from '../../libs/domain/messages';
import { createOnce, requestHash, withoutStorageFields } from '../../libs/idempotency';
import type { EventPublisher } from '../../libs/event-publisher';
import { createKeyedMutex } from '../../libs/keyed-mutex';
import type { Logger } from '../../libs/logger';
import { checkMoney, Dec, dec, formatMoney, sumMoney } from '../../libs/money';
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
import { paymentAppliedEvents, type OverdueAnnouncer } from './events';

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
  /** The gateway's event intake (docs/events.md): `payment.applied`. Optional: without it no events are published. */
  events?: EventPublisher;
  /** `invoice.overdue` of the books (the sweep) and of sandbox contracts (on their clock). */
  overdue?: OverdueAnnouncer;
  logger: Logger;
  now?: () => Date;
}

/** `books`, or one sandbox contract's own isolated books. */
export function scopeOf(sandbox: boolean, contractId: string | undefined): string {
  return sandbox ? `sandbox:${contractId}` : 'books';
}

const OPEN_STATUSES = ['open', 'partially_paid'];

/** Today's date where it is latest (UTC+14, Kiribati): no timezone's today is after it. */
export function latestToday(at: Date): string {
  return new Date(at.getTime() + 14 * 3_600_000).toISOString().slice(0, 10);
}
const zero = (currency: string) => formatMoney('0', currency);

export function receivableStatus(amount: string, paid: Dec, credited: Dec): Receivable['status'] {
  const open = dec(amount).minus(paid).minus(credited);
  if (open.greaterThan(0)) return paid.greaterThan(0) ? 'partially_paid' : 'open';
  return paid.greaterThan(0) ? 'paid' : 'credited';
}

/** What a receivable's applications make of it. Revision 1 is the invoice as opened; each application adds one. */
export function receivableState(r: Pick<ReceivableDoc, 'amount' | 'currency'>, apps: readonly ApplicationDoc[]) {
  const paid = sumMoney(apps.filter((a) => a.kind !== 'credit_memo').map((a) => a.amount));
  const credited = sumMoney(apps.filter((a) => a.kind === 'credit_memo').map((a) => a.amount));
  const status = receivableStatus(r.amount, paid, credited);
  return {
    paidAmount: formatMoney(paid, r.currency),
    creditedAmount: formatMoney(credited, r.currency),
    openAmount: formatMoney(dec(r.amount).minus(paid).minus(credited), r.currency),
    status,
    ...(status === 'paid' ? { paidOn: apps[apps.length - 1]!.date } : {}),
    revision: apps.length + 1,
  };
}

/** Something applications draw on, up to its amount: a payment, a credit memo or a credit lot. */
interface Source {
  ref: string;
  amount: string;
  kind: ApplicationDoc['kind'];
  paymentId?: string;
  lotId?: string;
}

const paymentSource = (p: PaymentDoc): Source => ({ ref: `payment:${p.paymentId}`, amount: p.amount, kind: 'payment', paymentId: p.paymentId });
const lotSource = (l: CreditLotDoc): Source => ({ ref: `credit:${l.lotId}`, amount: l.amount, kind: 'credit', lotId: l.lotId });

/** How often a cached document is rewritten before giving up until the next change (a lost update is rare). */
const CACHE_WRITES = 5;

export function createReceivableUseCases(repo: ReceivableRepository, deps: ArDeps) {
  const log = deps.logger;
  const now = deps.now ?? (() => new Date());
  const mutex = createKeyedMutex();
  const lockKey = (scope: string, customerId: string, currency: string) => `${scope}|${customerId}|${currency}`;
  const locked = <T>(r: { scope: string; customerId: string; currency: string }, fn: () => Promise<T>) => mutex.run(lockKey(r.scope, r.customerId, r.currency), fn);

  // ---- everything below marked "(locked)" runs under the book's lock (in this process only) ----

  /**
   * (locked) Brings a receivable's cached totals, status and revision up to its applications, with
   * what has been told (`told`: a reported revision, a signal). Every update of a receivable goes
   * through here: the store may lose an update to another process's concurrent update of the same
   * document, so it reads back and writes again until the document holds what is known.
   */
  async function refresh(invoiceNumber: string, told: Pick<Partial<ReceivableDoc>, 'syncedRevision' | 'signal'> = {}): Promise<ReceivableDoc> {
    for (let write = 0; ; write += 1) {
      const [r, apps] = await Promise.all([repo.receivables.findByInvoice(invoiceNumber), repo.applications.forInvoice(invoiceNumber)]);
      const next: Partial<ReceivableDoc> = receivableState(r!, apps);
      if (told.syncedRevision !== undefined && told.syncedRevision > (r!.syncedRevision ?? 0)) next.syncedRevision = told.syncedRevision;
      if (told.signal) next.signal = told.signal;
      else if (next.status === 'paid' && (r!.signal ?? 'none') === 'none') next.signal = 'pending';
      const stale = (Object.keys(next) as (keyof ReceivableDoc)[]).some((k) => next[k] !== (k === 'revision' ? (r!.revision ?? 1) : r![k]));
      if (!stale || write === CACHE_WRITES) return { ...r!, ...next };
      await repo.receivables.update(invoiceNumber, next);
    }
  }

  /**
   * (locked) Applies what is left of a source to a receivable, at most its open amount, once per
   * source and receivable. The insert is a compare-and-set on both sides: `seq` is the receivable's
   * next application and `draw` the source's next draw, both unique, so if another process applied
   * to either since they were read, it is refused and recomputed. Returns what this source has
   * applied here, whether it was applied now, and what is left of the source.
   */
  async function apply(invoiceNumber: string, source: Source, date: string): Promise<{ amount: Dec; fresh: boolean; left: Dec }> {
    for (;;) {
      const [r, apps, drawn] = await Promise.all([
        repo.receivables.findByInvoice(invoiceNumber), repo.applications.forInvoice(invoiceNumber), repo.applications.forSource(source.ref),
      ]);
      const left = dec(source.amount).minus(sumMoney(drawn.map((a) => a.amount)));
      // Looked for in both reads: made at once, either may be the older one, and missing an
      // existing application would leave this source's share here looking like nothing.
      const existing = drawn.find((a) => a.invoiceNumber === invoiceNumber) ?? apps.find((a) => a.ref === source.ref);
      if (existing) {
        await refresh(invoiceNumber); // heals a cache left stale by a crash
        return { amount: dec(existing.amount), fresh: false, left };
      }
      const amount = Dec.min(dec(r!.amount).minus(sumMoney(apps.map((a) => a.amount))), left);
      if (amount.lessThanOrEqualTo(0)) return { amount: new Dec(0), fresh: false, left };
      const inserted = await repo.applications.insert({
        invoiceNumber, seq: apps.length + 1, kind: source.kind, ref: source.ref, draw: `${source.ref}#${drawn.length + 1}`,
        ...(source.paymentId ? { paymentId: source.paymentId } : {}), ...(source.lotId ? { lotId: source.lotId } : {}),
        amount: formatMoney(amount, r!.currency), date, todo: 'settle', createdAt: now().toISOString(),
      });
      if (inserted) {
        await refresh(invoiceNumber);
        return { amount, fresh: true, left: left.minus(amount) };
      }
      // Another process applied to this receivable or from this source first: read again.
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
        const { fresh, left } = await apply(target.invoiceNumber, lotSource(lot), date);
        lot.remaining = left; // also what other processes have used meanwhile
        if (fresh) touched.push(target.invoiceNumber);
      }
    }
    return touched;
  }

  /** Tells invoicing the receivable's state at this revision (one report per revision, the same from any process); true when done. */
  async function report(r: ReceivableDoc, state: ReturnType<typeof receivableState>): Promise<boolean> {
    if ((r.syncedRevision ?? 0) >= state.revision) return true;
    if (!deps.invoicing) return false;
    const body: PaymentStatusRequest = {
      status: state.status === 'paid' || state.status === 'partially_paid' ? state.status : 'issued',
      paidAmount: state.paidAmount,
      openAmount: state.openAmount,
      revision: state.revision,
    };
    try {
      await deps.invoicing.post(`/invoices/${encodeURIComponent(r.invoiceNumber)}/status`, body);
    } catch (err) {
      if (!(err instanceof ServiceError && err.status === 404)) {
        log.warn({ invoiceNumber: r.invoiceNumber, err: (err as Error).message }, 'reporting payment status to invoicing failed; will retry');
        return false;
      }
      log.warn({ invoiceNumber: r.invoiceNumber }, 'invoicing has no such invoice; status not reported');
    }
    await refresh(r.invoiceNumber, { syncedRevision: state.revision });
    return true;
  }

  /** Signals `invoicePaid` to the contract workflow once the receivable is paid (a repeat is ignored there); true when done. */
  async function signalPaid(r: ReceivableDoc, state: ReturnType<typeof receivableState>): Promise<boolean> {
    if (state.status !== 'paid' || r.signal === 'done' || r.signal === 'no_workflow') return true;
    if (!deps.temporal) return false;
    try {
      await deps.temporal.workflow.getHandle(contractWorkflowId(r.contractId)).signal(invoicePaidSignal, { invoiceNumber: r.invoiceNumber, paidOn: state.paidOn! });
      await refresh(r.invoiceNumber, { signal: 'done' });
      log.info({ invoiceNumber: r.invoiceNumber, contractId: r.contractId }, 'invoicePaid signalled');
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) {
        log.warn({ invoiceNumber: r.invoiceNumber, err: (err as Error).message }, 'signalling invoicePaid failed; will retry');
        return false;
      }
      log.warn({ invoiceNumber: r.invoiceNumber, contractId: r.contractId }, 'no contract workflow to signal');
      await refresh(r.invoiceNumber, { signal: 'no_workflow' });
    }
    return true;
  }

  /**
   * (locked) Tells invoicing and the workflow what the receivable's applications make of it, if not
   * done yet; then those applications leave the sweep's work. An application made meanwhile keeps
   * its mark, so its revision is reported by whoever settles next.
   */
  async function settle(invoiceNumber: string): Promise<void> {
    const [r, apps] = await Promise.all([repo.receivables.findByInvoice(invoiceNumber), repo.applications.forInvoice(invoiceNumber)]);
    const state = receivableState(r!, apps);
    const reported = await report(r!, state);
    const signalled = await signalPaid(r!, state);
    const announced = await announceApplied(r!, apps);
    if (reported && signalled && announced) await repo.applications.settled(apps.filter((a) => a.todo));
  }

  /** `payment.applied` of the applications not settled yet (before their mark is cleared, so a failure is retried); true when done. */
  async function announceApplied(r: ReceivableDoc, apps: ApplicationDoc[]): Promise<boolean> {
    const events = paymentAppliedEvents(r, apps.filter((a) => a.todo), apps);
    if (!deps.events || events.length === 0) return true;
    try {
      await deps.events.publish(events);
      return true;
    } catch (err) {
      log.warn({ invoiceNumber: r.invoiceNumber, contractId: r.contractId, err: (err as Error).message }, 'publishing payment.applied failed; will retry');
      return false;
    }
  }

  /** (locked) The receivables a payment goes to: the named ones oldest first, then the book's other open ones oldest first. */
  async function paymentTargets(p: { scope: string; customerId: string; currency: string; invoiceNumbers: string[] }): Promise<ReceivableDoc[]> {
    const open = await repo.receivables.list({ scope: p.scope, customerId: p.customerId, currency: p.currency, statuses: OPEN_STATUSES });
    const named = open.filter((r) => p.invoiceNumbers.includes(r.invoiceNumber));
    return [...named, ...open.filter((r) => !p.invoiceNumbers.includes(r.invoiceNumber))];
  }

  /**
   * (locked) Applies a payment to its targets and keeps the rest as a credit lot; returns that rest.
   * The targets were fixed when the payment was recorded, so every process walks the same
   * receivables in the same order, and once any walk has ended no further application of the
   * payment is possible (each target has its share, is settled, or the payment is used up): the
   * rest each walk computes afterwards is the same, and its lot (unique per payment) is created once.
   */
  async function allocate(p: PaymentDoc): Promise<Dec> {
    const source = paymentSource(p);
    const lotId = `payment:${p.paymentId}`;
    let lot = await repo.lots.findById(lotId);
    if (!lot) {
      for (const n of p.targets ?? (await paymentTargets(p)).map((r) => r.invoiceNumber)) {
        if ((await apply(n, source, p.date)).left.lessThanOrEqualTo(0)) break;
      }
      const rest = dec(p.amount).minus(sumMoney((await repo.applications.forSource(source.ref)).map((a) => a.amount)));
      if (rest.lessThanOrEqualTo(0)) return new Dec(0);
      await repo.lots.insert({
        lotId, scope: p.scope, customerId: p.customerId, currency: p.currency, sandbox: p.sandbox,
        ...(p.sandbox ? { contractId: p.contractId } : {}),
        source: { type: 'payment', ref: p.paymentId }, date: p.date, amount: formatMoney(rest, p.currency), createdAt: now().toISOString(),
      });
      lot = (await repo.lots.findById(lotId))!; // ours, or the same one another process created first
    }
    // Receivables opened after the payment was recorded are not among its targets: like any new
    // invoice they take the customer's credit (listed after the lot exists, so none is missed).
    const open = await repo.receivables.list({ scope: p.scope, customerId: p.customerId, currency: p.currency, statuses: OPEN_STATUSES });
    for (const n of new Set(await applyCredit(p.scope, p.customerId, p.currency, open))) await settle(n);
    return dec(lot.amount);
  }

  /**
   * Records what has been done for a payment (each field only ever moves forward). Another
   * process's concurrent update may lose it, so it reads back and writes again until it holds.
   */
  async function markPayment(paymentId: string, done: Partial<PaymentDoc>): Promise<void> {
    const set = Object.fromEntries(Object.entries(done).filter(([, v]) => v !== undefined)) as Partial<PaymentDoc>;
    for (let write = 0; write <= CACHE_WRITES; write += 1) {
      const stored = (await repo.payments.findById(paymentId))!;
      if ((Object.keys(set) as (keyof PaymentDoc)[]).every((k) => stored[k] === set[k])) return;
      await repo.payments.update(paymentId, set);
    }
  }

  /** Applies, books and settles a payment; each step is skipped when already done, so it can run again, in any process, at once. */
  async function processPayment(paymentId: string): Promise<PaymentDoc> {
    const first = (await repo.payments.findById(paymentId))!;
    return locked(first, async () => {
      let p = (await repo.payments.findById(paymentId))!;
      if (p.state !== 'applied') {
        p = { ...p, state: 'applied', unapplied: formatMoney(await allocate(p), p.currency) };
        await markPayment(paymentId, { state: p.state, unapplied: p.unapplied });
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
          await markPayment(paymentId, { postedToLedger: true, ledgerEntryId: entry.entryId });
        } catch (err) {
          log.warn({ paymentId, err: (err as Error).message }, 'posting the payment to the ledger failed; will retry');
        }
      }
      const touched = [...new Set((await repo.applications.forPayment(paymentId)).map((a) => a.invoiceNumber))];
      for (const n of touched) await settle(n);
      // Each receivable's own report is the sweep's work (its applications' marks); the payment is done.
      if (p.postedToLedger) {
        p = { ...p, settled: true };
        await markPayment(paymentId, { state: p.state, unapplied: p.unapplied, postedToLedger: true, ledgerEntryId: p.ledgerEntryId, settled: true });
      }
      return p;
    });
  }

  async function toPayment(p: PaymentDoc): Promise<Payment> {
    const apps = await repo.applications.forPayment(p.paymentId);
    const { idempotencyKey, requestHash: h, scope, settled, targets, ...rest } = p;
    void [idempotencyKey, h, scope, settled, targets];
    return {
      ...rest,
      allocations: apps.map((a) => ({ invoiceNumber: a.invoiceNumber, amount: a.amount })),
      unapplied: p.unapplied ?? formatMoney(dec(p.amount).minus(sumMoney(apps.map((a) => a.amount))), p.currency),
    };
  }

  /** Runs one item of the sweep; a failure is logged and left for the next sweep, not allowed to stop the others. */
  async function orLog(context: Record<string, string>, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      log.error({ ...context, err }, 'AR sweep item failed; will retry');
    }
  }

  function toReceivable(doc: ReceivableDoc, apps?: ApplicationDoc[]): Receivable {
    const { scope, revision, syncedRevision, signal, ...rest } = withoutStorageFields(doc);
    void [scope, revision, syncedRevision, signal];
    if (!apps) return rest;
    // With its applications at hand, the receivable is shown as they make it (the cache may lag).
    const { revision: r, ...state } = receivableState(doc, apps);
    void r;
    return { ...rest, ...state, applications: apps.map((a) => ({ kind: a.kind, ref: a.ref, amount: a.amount, date: a.date })) };
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
        let unchanged = created;
        if (OPEN_STATUSES.includes(doc.status)) {
          const touched = await applyCredit(scope, doc.customerId, doc.currency, [doc]);
          for (const n of touched) await settle(n);
          unchanged &&= touched.length === 0;
        }
        // Just inserted and no credit applied: the answer is the document as inserted (no read back).
        // A replay answers the stored receivable as any healing above left it.
        return { receivable: toReceivable(unchanged ? doc : (await repo.receivables.findByInvoice(doc.invoiceNumber))!), created };
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
      // A payment dated after today is refused (DESIGN §11). Books payments: today wherever it is
      // already latest (UTC+14), so no contract's today is refused; a sandbox runs on its own
      // clock, which only the contract knows: the gateway checks those.
      const today = latestToday(now());
      if (!input.sandbox && input.date > today) {
        throw new AppError('future_date', `payment date ${input.date} is after today (${today})`, [{ path: 'body.date', message: `must not be after ${today}` }]);
      }
      const hash = requestHash(input);
      const existing = await repo.payments.findByKey(key);
      let created = false;
      let paymentId: string;
      if (existing) {
        const { doc } = await createOnce(repo.payments, key, hash, () => existing, existing);
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
            targets: targets.map((r) => r.invoiceNumber),
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
      // Nothing is rounded on the way in: the amount must already be in the receivable's currency.
      const problem = checkMoney(input.amount, r.currency, { positive: true });
      if (problem) throw new AppError('validation_failed', `invalid credit memo amount: ${problem}`, [{ path: 'body.amount', message: problem }]);
      const hash = requestHash(input);
      return locked(r, async () => {
        const existing = await repo.creditMemos.findByKey(key);
        if (existing) {
          const { doc } = await createOnce(repo.creditMemos, key, hash, () => existing, existing);
          await settle(r.invoiceNumber);
          return { creditMemo: withoutStorageFields(doc), created: false };
        }
        const amount = formatMoney(input.amount, r.currency);
        // Its one target is its invoice: once applied (by this or another process) the split is final,
        // so every process computes the same credit and the lot (unique per memo) is created once.
        const { amount: applied } = await apply(r.invoiceNumber, { kind: 'credit_memo', ref: `cm:${input.creditMemoNumber}`, amount }, input.date);
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

    /**
     * Finishes what a crash or an unreachable service left undone (application, ledger posting,
     * invoicing status, workflow signal), found by index: payments not settled, applications still
     * marked. Safe in several processes at once: every step is a unique insert or an idempotent call.
     */
    async resumePending(): Promise<{ payments: number; receivables: number; overdue: number }> {
      const payments = await repo.payments.unsettled();
      for (const p of payments) await orLog({ paymentId: p.paymentId }, () => processPayment(p.paymentId));
      const invoiceNumbers = [...new Set((await repo.applications.pending()).map((a) => a.invoiceNumber))];
      for (const n of invoiceNumbers) {
        await orLog({ invoiceNumber: n }, async () => {
          const r = await repo.receivables.findByInvoice(n);
          if (r) await locked(r, () => settle(n));
        });
      }
      let overdue = 0;
      await orLog({ sweep: 'overdue' }, async () => { overdue = (await deps.overdue?.sweepBooks()) ?? 0; });
      return { payments: payments.length, receivables: invoiceNumbers.length, overdue };
    },

    /** Announces `invoice.overdue` for a sandbox contract's open invoices due before `asOf` (its clock); returns their numbers. */
    async announceOverdue(contractId: string, asOf: string): Promise<string[]> {
      return (await deps.overdue?.sandbox(contractId, asOf)) ?? [];
    },

    /** For reports: receivables, their applications and the credit lots of a book. */
    async book(q: { currency: string; customerId?: string; contractId?: string; sandbox: boolean; issuedTo?: string }) {
      const scope = scopeOf(q.sandbox, q.contractId);
      // One real contract's report reads that contract's receivables (by its index), not the whole book's.
      const oneContract = q.contractId && !q.sandbox ? { contractId: q.contractId } : { scope };
      const receivables = (await repo.receivables.list({ ...oneContract, currency: q.currency, customerId: q.customerId, issuedTo: q.issuedTo }))
        .filter((r) => r.scope === scope);
      const applications = await repo.applications.forInvoices(receivables.map((r) => r.invoiceNumber));
      // Customer credit belongs to the customer, not to one contract: a report on one real contract shows none.
      const lots = q.contractId && !q.sandbox ? [] : await repo.lots.list({ scope, currency: q.currency, customerId: q.customerId });
      const lotApplications = await repo.applications.forLots(lots.map((l) => l.lotId));
      return { receivables, applications, lots, lotApplications };
    },
  };

}

export type ReceivableUseCases = ReturnType<typeof createReceivableUseCases>;
