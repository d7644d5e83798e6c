/**
 * The AR database: receivables, the applications against them (payments, credit memos, customer
 * credit), payments, AR's record of credit memos and customer-credit lots. Returns plain objects.
 *
 * Money facts are append-only documents with unique keys, so a replayed step can never apply twice:
 * an application is unique per (invoiceNumber, ref) and per (invoiceNumber, seq); a credit lot per
 * lotId; a payment and a credit memo per idempotency key. Receivable totals and status are a cache
 * recomputed from the applications.
 */
import { Schema, type Connection } from 'mongoose';
import type { ArCreditMemo, Payment, Receivable } from '../api';

export interface ReceivableDoc extends Receivable {
  idempotencyKey: string;
  requestHash: string;
  /** `books`, or `sandbox:<contractId>`: payments and credit only move money within one scope. */
  scope: string;
  /** Bumped on every change; invoicing has seen `syncedRevision`. */
  revision: number;
  syncedRevision: number;
  /** Has the contract workflow been told the invoice is paid? */
  signal: 'none' | 'pending' | 'done' | 'no_workflow';
}

export interface ApplicationDoc {
  invoiceNumber: string;
  seq: number;
  kind: 'payment' | 'credit_memo' | 'credit';
  ref: string;
  amount: string;
  date: string;
  paymentId?: string;
  lotId?: string;
  createdAt: string;
}

export interface PaymentDoc extends Omit<Payment, 'allocations' | 'unapplied'> {
  idempotencyKey: string;
  requestHash: string;
  scope: string;
  unapplied?: string;
  settled: boolean;
}

export interface ArCreditMemoDoc extends ArCreditMemo {
  idempotencyKey: string;
  requestHash: string;
  createdAt: string;
}

export interface CreditLotDoc {
  lotId: string;
  scope: string;
  customerId: string;
  currency: string;
  sandbox: boolean;
  contractId?: string;
  source: { type: 'payment' | 'credit_memo'; ref: string };
  date: string;
  amount: string;
  createdAt: string;
}

const receivableSchema = new Schema<ReceivableDoc>(
  {
    invoiceNumber: { type: String, required: true, unique: true },
    idempotencyKey: { type: String, required: true, unique: true },
    requestHash: { type: String, required: true },
    contractId: { type: String, required: true, index: true },
    customerId: { type: String, required: true, index: true },
    currency: { type: String, required: true },
    amount: { type: String, required: true },
    openAmount: { type: String, required: true },
    paidAmount: String,
    creditedAmount: String,
    issueDate: { type: String, required: true },
    dueDate: { type: String, required: true },
    milestoneIds: [String],
    status: { type: String, required: true },
    paidOn: String,
    sandbox: { type: Boolean, required: true },
    scope: { type: String, required: true },
    revision: { type: Number, default: 1 },
    syncedRevision: { type: Number, default: 0 },
    signal: { type: String, default: 'none' },
  },
  { versionKey: false },
);
receivableSchema.index({ scope: 1, customerId: 1, issueDate: 1 });

const applicationSchema = new Schema<ApplicationDoc>(
  {
    invoiceNumber: { type: String, required: true },
    seq: { type: Number, required: true },
    kind: { type: String, required: true },
    ref: { type: String, required: true },
    amount: { type: String, required: true },
    date: { type: String, required: true },
    paymentId: { type: String, index: true },
    lotId: { type: String, index: true },
    createdAt: { type: String, required: true },
  },
  { versionKey: false },
);
applicationSchema.index({ invoiceNumber: 1, seq: 1 }, { unique: true });
applicationSchema.index({ invoiceNumber: 1, ref: 1 }, { unique: true });

const paymentSchema = new Schema<PaymentDoc>(
  {
    paymentId: { type: String, required: true, unique: true },
    idempotencyKey: { type: String, required: true, unique: true },
    requestHash: { type: String, required: true },
    customerId: { type: String, required: true, index: true },
    currency: { type: String, required: true },
    date: { type: String, required: true },
    amount: { type: String, required: true },
    invoiceNumbers: [String],
    contractId: { type: String, required: true },
    sandbox: { type: Boolean, required: true },
    scope: { type: String, required: true },
    unapplied: String,
    state: { type: String, required: true },
    postedToLedger: { type: Boolean, required: true },
    ledgerEntryId: String,
    settled: { type: Boolean, required: true },
    createdAt: { type: String, required: true },
  },
  { versionKey: false },
);

const creditMemoSchema = new Schema<ArCreditMemoDoc>(
  {
    creditMemoNumber: { type: String, required: true, unique: true },
    idempotencyKey: { type: String, required: true, unique: true },
    requestHash: { type: String, required: true },
    invoiceNumber: { type: String, required: true },
    amount: { type: String, required: true },
    date: { type: String, required: true },
    applied: { type: String, required: true },
    toCredit: { type: String, required: true },
    createdAt: { type: String, required: true },
  },
  { versionKey: false },
);

const creditLotSchema = new Schema<CreditLotDoc>(
  {
    lotId: { type: String, required: true, unique: true },
    scope: { type: String, required: true },
    customerId: { type: String, required: true },
    currency: { type: String, required: true },
    sandbox: { type: Boolean, required: true },
    contractId: String,
    source: { type: { type: String, required: true }, ref: { type: String, required: true } },
    date: { type: String, required: true },
    amount: { type: String, required: true },
    createdAt: { type: String, required: true },
  },
  { versionKey: false },
);
creditLotSchema.index({ scope: 1, customerId: 1, currency: 1 });

function strip<T>(doc: T | null): T | null {
  if (!doc) return null;
  const { _id, ...rest } = doc as T & { _id?: unknown };
  void _id;
  return rest as T;
}
const stripAll = <T>(docs: T[]): T[] => docs.map((d) => strip(d)!);

function isDuplicate(err: unknown): boolean {
  return (err as { code?: number })?.code === 11000 || /UNIQUE constraint/.test((err as Error)?.message ?? '');
}

export interface ReceivableFilter {
  contractId?: string;
  customerId?: string;
  status?: string;
  scope?: string;
  currency?: string;
  statuses?: string[];
  issuedTo?: string;
}

export function receivableRepository(conn: Connection) {
  const Receivables = conn.model<ReceivableDoc>('Receivable', receivableSchema, 'receivables');
  const Applications = conn.model<ApplicationDoc>('Application', applicationSchema, 'applications');
  const Payments = conn.model<PaymentDoc>('Payment', paymentSchema, 'payments');
  const CreditMemos = conn.model<ArCreditMemoDoc>('ArCreditMemo', creditMemoSchema, 'credit_memos');
  const Lots = conn.model<CreditLotDoc>('CreditLot', creditLotSchema, 'credit_lots');

  const receivableQuery = (f: ReceivableFilter) => {
    const q: Record<string, unknown> = {};
    if (f.contractId) q.contractId = f.contractId;
    if (f.customerId) q.customerId = f.customerId;
    if (f.status) q.status = f.status;
    if (f.statuses) q.status = { $in: f.statuses };
    if (f.scope) q.scope = f.scope;
    if (f.currency) q.currency = f.currency;
    if (f.issuedTo) q.issueDate = { $lte: f.issuedTo };
    return q;
  };

  return {
    receivables: {
      async findByKey(idempotencyKey: string) {
        return strip(await Receivables.findOne({ idempotencyKey }).lean<ReceivableDoc>());
      },
      async findByInvoice(invoiceNumber: string) {
        return strip(await Receivables.findOne({ invoiceNumber }).lean<ReceivableDoc>());
      },
      async insert(doc: ReceivableDoc) {
        await Receivables.create(doc);
      },
      async update(invoiceNumber: string, set: Partial<ReceivableDoc>) {
        await Receivables.updateOne({ invoiceNumber }, { $set: set });
      },
      async list(filter: ReceivableFilter, limit = 100_000, offset = 0) {
        return stripAll(await Receivables.find(receivableQuery(filter)).sort({ issueDate: 1, invoiceNumber: 1 }).skip(offset).limit(limit).lean<ReceivableDoc[]>());
      },
      /** Receivables whose last change has not reached invoicing or the workflow yet. */
      async unsettled() {
        const all = await Receivables.find({ $or: [{ signal: 'pending' }, { status: { $in: ['partially_paid', 'paid', 'credited'] } }] }).lean<ReceivableDoc[]>();
        return stripAll(all).filter((r) => r.signal === 'pending' || r.syncedRevision < r.revision);
      },
    },
    applications: {
      async forInvoice(invoiceNumber: string) {
        return stripAll(await Applications.find({ invoiceNumber }).sort({ seq: 1 }).lean<ApplicationDoc[]>());
      },
      async forInvoices(invoiceNumbers: string[]) {
        return stripAll(await Applications.find({ invoiceNumber: { $in: invoiceNumbers } }).sort({ invoiceNumber: 1, seq: 1 }).lean<ApplicationDoc[]>());
      },
      async forPayment(paymentId: string) {
        return stripAll(await Applications.find({ paymentId }).sort({ createdAt: 1 }).lean<ApplicationDoc[]>());
      },
      async forLots(lotIds: string[]) {
        return stripAll(await Applications.find({ lotId: { $in: lotIds } }).lean<ApplicationDoc[]>());
      },
      /** Appends an application; false when this ref (or this seq) is already there. */
      async insert(doc: ApplicationDoc): Promise<boolean> {
        try {
          await Applications.create(doc);
          return true;
        } catch (err) {
          if (isDuplicate(err)) return false;
          throw err;
        }
      },
    },
    payments: {
      async findByKey(idempotencyKey: string) {
        return strip(await Payments.findOne({ idempotencyKey }).lean<PaymentDoc>());
      },
      async findById(paymentId: string) {
        return strip(await Payments.findOne({ paymentId }).lean<PaymentDoc>());
      },
      async insert(doc: PaymentDoc) {
        await Payments.create(doc);
      },
      async update(paymentId: string, set: Partial<PaymentDoc>) {
        await Payments.updateOne({ paymentId }, { $set: set });
      },
      async list(filter: { customerId?: string; contractId?: string }, limit: number, offset: number) {
        const q: Record<string, unknown> = {};
        if (filter.customerId) q.customerId = filter.customerId;
        if (filter.contractId) q.contractId = filter.contractId;
        return stripAll(await Payments.find(q).sort({ createdAt: 1, paymentId: 1 }).skip(offset).limit(limit).lean<PaymentDoc[]>());
      },
      async unsettled() {
        return stripAll(await Payments.find({ settled: false }).sort({ createdAt: 1 }).lean<PaymentDoc[]>());
      },
    },
    creditMemos: {
      async findByKey(idempotencyKey: string) {
        return strip(await CreditMemos.findOne({ idempotencyKey }).lean<ArCreditMemoDoc>());
      },
      async insert(doc: ArCreditMemoDoc) {
        await CreditMemos.create(doc);
      },
    },
    lots: {
      async list(filter: { scope: string; customerId?: string; currency?: string }) {
        const q: Record<string, unknown> = { scope: filter.scope };
        if (filter.customerId) q.customerId = filter.customerId;
        if (filter.currency) q.currency = filter.currency;
        return stripAll(await Lots.find(q).sort({ date: 1, createdAt: 1 }).lean<CreditLotDoc[]>());
      },
      /** Creates the lot once (unique lotId). */
      async insert(doc: CreditLotDoc): Promise<void> {
        try {
          await Lots.create(doc);
        } catch (err) {
          if (!isDuplicate(err)) throw err;
        }
      },
    },
  };
}

export type ReceivableRepository = ReturnType<typeof receivableRepository>;
