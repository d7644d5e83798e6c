/**
 * The AR database: receivables, the applications against them (payments, credit memos, customer
 * credit), payments, AR's record of credit memos and customer-credit lots. Returns plain objects.
 *
 * Money facts are append-only documents with unique keys, so a replayed step can never apply twice
 * and two processes can never both apply against one stale read: an application is unique per
 * (invoiceNumber, ref), per (invoiceNumber, seq) (the invoice's n-th application) and per `draw`
 * (the n-th draw on its source, `<ref>#<n>`); a credit lot per lotId; a payment and a credit memo
 * per idempotency key. Receivable totals and status are a cache recomputed from the applications.
 *
 * Every read of a request, a one-customer or one-contract report and the sweep is an equality on
 * an indexed field that selects one receivable's, one payment's, one source's, one lot's, one
 * contract's or one customer's documents (the store answers nothing else from an index, see
 * docs/local-stack.md); lists of keys are read key by key. The sweep finds its work by index too:
 * payments not `settled`, and applications still marked `todo`.
 */
import { Schema, type Connection } from 'mongoose';
import { insertPlain, insertUnique, isDuplicateKeyError } from '../../../libs/mongo';
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
  /** The invoice's n-th application (1, 2, …). */
  seq: number;
  kind: 'payment' | 'credit_memo' | 'credit';
  /** The source drawn on: `payment:<paymentId>`, `cm:<creditMemoNumber>` or `credit:<lotId>`. */
  ref: string;
  /** `<ref>#<n>`: the source's n-th draw (absent on applications written before draws). */
  draw?: string;
  amount: string;
  date: string;
  paymentId?: string;
  lotId?: string;
  /** `settle` until invoicing and the workflow have been told about this application (the sweep's index). */
  todo?: 'settle';
  createdAt: string;
}

export interface PaymentDoc extends Omit<Payment, 'allocations' | 'unapplied'> {
  idempotencyKey: string;
  requestHash: string;
  scope: string;
  unapplied?: string;
  /**
   * The receivables the payment goes to, in order, fixed when it was recorded so that every
   * process applying it walks the same invoices (absent on payments recorded before).
   */
  targets?: string[];
  /** Applied and posted to the ledger (each receivable's report is its applications' `todo`): false is the sweep's index. */
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
// The overdue sweep reads the receivables falling due on one day (services/ar/events.ts).
receivableSchema.index({ dueDate: 1 });

const applicationSchema = new Schema<ApplicationDoc>(
  {
    invoiceNumber: { type: String, required: true },
    seq: { type: Number, required: true },
    kind: { type: String, required: true },
    ref: { type: String, required: true, index: true },
    // Sparse: applications written before draws have none (several missing values must not collide).
    draw: { type: String, unique: true, sparse: true },
    amount: { type: String, required: true },
    date: { type: String, required: true },
    paymentId: { type: String, index: true },
    lotId: { type: String, index: true },
    todo: { type: String, index: true },
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
    contractId: { type: String, required: true, index: true },
    sandbox: { type: Boolean, required: true },
    scope: { type: String, required: true },
    unapplied: String,
    targets: { type: [String], default: undefined },
    state: { type: String, required: true },
    postedToLedger: { type: Boolean, required: true },
    ledgerEntryId: String,
    settled: { type: Boolean, required: true, index: true },
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

/** Reads key by key (each an index lookup), a few at a time so one report cannot flood the pool; results in key order. */
async function eachKey<T>(keys: readonly string[], read: (key: string) => Promise<T[]>, width = 16): Promise<T[]> {
  const out: T[][] = [];
  for (let i = 0; i < keys.length; i += width) out.push(...(await Promise.all(keys.slice(i, i + width).map(read))));
  return out.flat();
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
  const applicationsOfInvoice = async (invoiceNumber: string) =>
    stripAll(await Applications.find({ invoiceNumber }).sort({ seq: 1 }).lean<ApplicationDoc[]>());
  const applicationsOfLot = async (lotId: string) => stripAll(await Applications.find({ lotId }).lean<ApplicationDoc[]>());

  return {
    receivables: {
      async findByKey(idempotencyKey: string) {
        return strip(await Receivables.findOne({ idempotencyKey }).lean<ReceivableDoc>());
      },
      async findByInvoice(invoiceNumber: string) {
        return strip(await Receivables.findOne({ invoiceNumber }).lean<ReceivableDoc>());
      },
      async insert(doc: ReceivableDoc) {
        await insertPlain(Receivables, doc);
      },
      async update(invoiceNumber: string, set: Partial<ReceivableDoc>) {
        await Receivables.updateOne({ invoiceNumber }, { $set: set });
      },
      /**
       * Answered from an index when narrowed by `contractId`, `customerId` or `scope` (+ `customerId`
       * for one customer's book); the other conditions are checked on what that selects.
       */
      /** The receivables due on one day (an indexed equality): the overdue sweep's work for that day. */
      async dueOn(dueDate: string) {
        return stripAll(await Receivables.find({ dueDate }).lean<ReceivableDoc[]>());
      },
      async list(filter: ReceivableFilter, limit = 100_000, offset = 0) {
        return stripAll(await Receivables.find(receivableQuery(filter)).sort({ issueDate: 1, invoiceNumber: 1 }).skip(offset).limit(limit).lean<ReceivableDoc[]>());
      },
    },
    applications: {
      forInvoice: applicationsOfInvoice,
      async forInvoices(invoiceNumbers: readonly string[]) {
        return eachKey(invoiceNumbers, applicationsOfInvoice);
      },
      async forPayment(paymentId: string) {
        return stripAll(await Applications.find({ paymentId }).sort({ createdAt: 1 }).lean<ApplicationDoc[]>());
      },
      forLot: applicationsOfLot,
      async forLots(lotIds: readonly string[]) {
        return eachKey(lotIds, applicationsOfLot);
      },
      /** Every draw on one source (a payment, a credit memo, a credit lot), on whichever invoices. */
      async forSource(ref: string) {
        return stripAll(await Applications.find({ ref }).lean<ApplicationDoc[]>());
      },
      /** Applications whose receivable has not been reported yet: the sweep's work. */
      async pending() {
        return stripAll(await Applications.find({ todo: 'settle' }).lean<ApplicationDoc[]>());
      },
      /** Clears the `todo` mark of these applications (only ever cleared, so a lost update only means one more report). */
      async settled(apps: readonly Pick<ApplicationDoc, 'invoiceNumber' | 'seq'>[]) {
        await Promise.all(apps.map((a) => Applications.updateOne({ invoiceNumber: a.invoiceNumber, seq: a.seq }, { $unset: { todo: 1 } })));
      },
      /** Appends an application; false when this ref, this seq or this draw is already there. */
      async insert(doc: ApplicationDoc): Promise<boolean> {
        return insertUnique(Applications, doc);
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
      /** Narrowed by `customerId` or `contractId` (both indexed). */
      async list(filter: { customerId?: string; contractId?: string }, limit: number, offset: number) {
        const q: Record<string, unknown> = {};
        if (filter.customerId) q.customerId = filter.customerId;
        if (filter.contractId) q.contractId = filter.contractId;
        return stripAll(await Payments.find(q).sort({ createdAt: 1, paymentId: 1 }).skip(offset).limit(limit).lean<PaymentDoc[]>());
      },
      /** Payments not yet applied, posted and reported: the sweep's work (an index on `settled`). */
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
      async findById(lotId: string) {
        return strip(await Lots.findOne({ lotId }).lean<CreditLotDoc>());
      },
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
          if (!isDuplicateKeyError(err)) throw err;
        }
      },
    },
  };
}

export type ReceivableRepository = ReturnType<typeof receivableRepository>;
