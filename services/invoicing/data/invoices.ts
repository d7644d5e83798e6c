/**
 * Invoices, credit memos and the number slots, in the invoicing database. Returns plain objects.
 * No transactions, and FerretDB updates are not isolated (concurrent `$inc` loses increments): what
 * must hold under concurrency, across any number of processes, rests on unique-index inserts
 * (idempotency keys, invoice numbers, number slots, credit slots). Every read is an equality on an
 * indexed string (docs/local-stack.md, "Indexed access"), so its cost does not grow with the books.
 */
import { Schema, Types, type Connection, type Model } from 'mongoose';
import { insertPlain, insertUnique } from '../../../libs/mongo';
import type { CreditMemo, Invoice } from '../api';

export interface InvoiceDoc extends Invoice {
  /** `customer.id` at the top level, so a customer's documents are an indexed equality (absent on documents stored before it; backfilled at start). */
  customerId?: string;
  idempotencyKey: string;
  requestHash: string;
  /** AR's receivable revision last applied (payment status: newer wins). */
  paymentRevision: number;
  /** The payment status last reported by AR; `status` is `credited` when fully credited, else this. */
  paymentStatus: 'issued' | 'partially_paid' | 'paid';
}

export interface CreditMemoDoc extends CreditMemo {
  /** As on InvoiceDoc. */
  customerId?: string;
  idempotencyKey: string;
  requestHash: string;
}

/**
 * One drawn number: its `_id` is `${sequence}:${n}` (a string key, so looking a number up is an `_id`
 * lookup on any store) and its owner is unique, so a number is bound to one document the moment it
 * is drawn. The unique (sequence, n) index stays as a second guard.
 */
export interface NumberSlot { sequence: string; n: number; owner: string }

export function slotId(sequence: string, n: number): string {
  return `${sequence}:${n}`;
}

const lineSchema = { _id: false, milestoneId: String, description: String, amount: String };

/** Progress billing (docs/progressive-billing.md): the progress an invoice bills, as issued. */
const progressSchema = new Schema(
  { percent: { type: String, required: true }, cumulative: { type: String, required: true }, previouslyBilled: { type: String, required: true } },
  { _id: false, versionKey: false },
);

/** Fields every numbered document (invoice, credit memo) has. */
const documentFields = {
  number: { type: String, required: true, unique: true },
  idempotencyKey: { type: String, required: true, unique: true },
  requestHash: { type: String, required: true },
  kind: { type: String, required: true },
  contractId: { type: String, required: true, index: true },
  customer: { id: { type: String, required: true }, name: { type: String, required: true } },
  /** = customer.id; a dotted path is not index-served on the embedded store, a top-level field is. */
  customerId: String,
  currency: { type: String, required: true },
};

const invoiceSchema = new Schema<InvoiceDoc>(
  {
    ...documentFields,
    termsVersion: { type: Number, required: true },
    date: { type: String, required: true },
    dueDate: { type: String, required: true },
    paymentTerms: { type: String, required: true },
    lines: [lineSchema],
    total: { type: String, required: true },
    status: { type: String, required: true },
    sandbox: { type: Boolean, required: true },
    createdAt: { type: String, required: true },
    originalInvoiceNumber: String,
    amendmentVersion: Number,
    /** Absent on every invoice but a progress-billed milestone's parts and final invoice. */
    progress: { type: progressSchema, required: false },
    creditedAmount: String,
    creditMemoNumbers: [String],
    paidAmount: String,
    openAmount: String,
    paymentRevision: { type: Number, default: 0 },
    paymentStatus: { type: String, default: 'issued' },
  },
  { versionKey: false },
);
invoiceSchema.index({ customerId: 1, sandbox: 1 });

const creditMemoSchema = new Schema<CreditMemoDoc>(
  {
    ...documentFields,
    originalInvoiceNumber: { type: String, required: true, index: true },
    amendmentVersion: { type: Number, required: true },
    date: { type: String, required: true },
    paymentTerms: String,
    lines: [lineSchema],
    total: { type: String, required: true },
    sandbox: { type: Boolean, required: true },
    createdAt: { type: String, required: true },
  },
  { versionKey: false },
);
creditMemoSchema.index({ customerId: 1, sandbox: 1 });

const slotSchema = new Schema<NumberSlot & { _id: string }>(
  {
    _id: { type: String, required: true },
    sequence: { type: String, required: true },
    n: { type: Number, required: true },
    owner: { type: String, required: true, unique: true },
  },
  { versionKey: false },
);
slotSchema.index({ sequence: 1, n: 1 }, { unique: true });

/** The k-th credit reserved against an invoice, for one memo (k is the compare-and-set token). */
export interface CreditSlot { invoiceNumber: string; k: number; memoKey: string; amount: string }

const creditSlotSchema = new Schema<CreditSlot & { _id: string }>(
  {
    _id: { type: String, required: true },
    invoiceNumber: { type: String, required: true, index: true },
    k: { type: Number, required: true },
    memoKey: { type: String, required: true, unique: true },
    amount: { type: String, required: true },
  },
  { versionKey: false },
);

/** A payment status AR reported for an invoice, one per revision (the newest wins). */
export interface PaymentReport {
  invoiceNumber: string;
  revision: number;
  status: 'issued' | 'partially_paid' | 'paid';
  paidAmount: string;
  openAmount: string;
}

const paymentReportSchema = new Schema<PaymentReport & { _id: string }>(
  {
    _id: { type: String, required: true },
    invoiceNumber: { type: String, required: true, index: true },
    revision: { type: Number, required: true },
    status: { type: String, required: true },
    paidAmount: { type: String, required: true },
    openAmount: { type: String, required: true },
  },
  { versionKey: false },
);

/** Where a page ended: the last document's createdAt and store `_id` (what a cursor encodes). */
export interface PagePosition { createdAt: string; id: string }

export interface DocumentFilter {
  contractId?: string;
  customerId?: string;
  status?: string;
  kind?: string;
  originalInvoiceNumber?: string;
  dateFrom?: string;
  dateTo?: string;
  sandbox?: boolean;
}

function query(filter: DocumentFilter): Record<string, unknown> {
  const q: Record<string, unknown> = {};
  if (filter.contractId) q.contractId = filter.contractId;
  if (filter.customerId) q.customerId = filter.customerId;
  if (filter.status) q.status = filter.status;
  if (filter.kind) q.kind = filter.kind;
  if (filter.originalInvoiceNumber) q.originalInvoiceNumber = filter.originalInvoiceNumber;
  if (filter.sandbox !== undefined) q.sandbox = filter.sandbox;
  if (filter.dateFrom || filter.dateTo) {
    q.date = { ...(filter.dateFrom ? { $gte: filter.dateFrom } : {}), ...(filter.dateTo ? { $lte: filter.dateTo } : {}) };
  }
  return q;
}

function strip<T>(doc: T | null): T | null {
  if (!doc) return null;
  const { _id, ...rest } = doc as T & { _id?: unknown };
  void _id;
  return rest as T;
}

/** The store operations both documents share: claim by key, give a number, read, list. */
function documentStore<D extends { idempotencyKey: string; number: string }>(M: Model<D>) {
  return {
    async findByKey(idempotencyKey: string): Promise<D | null> {
      return strip(await M.findOne({ idempotencyKey }).lean<D>());
    },
    async findByNumber(number: string): Promise<D | null> {
      return strip(await M.findOne({ number }).lean<D>());
    },
    async insert(doc: D): Promise<void> {
      await insertPlain(M, doc);
    },
    /** Replaces a placeholder number; false when the document already had a real one. */
    async setNumber(idempotencyKey: string, placeholder: string, number: string): Promise<boolean> {
      const r = await M.updateOne({ idempotencyKey, number: placeholder }, { $set: { number } });
      return r.modifiedCount === 1;
    },
    /**
     * A page in issue order (createdAt, then the store's `_id`: both fixed at insert, so a page
     * boundary never moves). `after`: the position of the last document of the previous page (a
     * cursor); `next` is set when more documents follow. The filter's equalities (contract,
     * customer, sandbox) select by index; the position and the sort are applied to that set.
     */
    async list(filter: DocumentFilter, limit: number, offset: number, after?: PagePosition): Promise<{ docs: D[]; total: number; next?: PagePosition }> {
      const q = query(filter);
      const page = after
        ? { ...q, $or: [{ createdAt: { $gt: after.createdAt } }, { createdAt: after.createdAt, _id: { $gt: new Types.ObjectId(after.id) } }] }
        : q;
      const [docs, total] = await Promise.all([
        M.find(page).sort({ createdAt: 1, _id: 1 }).skip(after ? 0 : offset).limit(limit + 1).lean<Array<D & { _id: Types.ObjectId; createdAt: string }>>(),
        M.countDocuments(q),
      ]);
      const more = docs.length > limit;
      const shown = docs.slice(0, limit);
      const last = shown[shown.length - 1];
      return { docs: shown.map((d) => strip(d)!), total, ...(more && last ? { next: { createdAt: last.createdAt, id: String(last._id) } } : {}) };
    },
    /**
     * Gives documents stored before `customerId` existed their top-level customer id (one scan,
     * at start, in the background; each write is by `_id` and sets a field derived from a field
     * that never changes). Returns how many it changed.
     */
    async backfillCustomerIds(): Promise<number> {
      const old = await M.find({ customerId: { $exists: false } }).lean<Array<{ _id: Types.ObjectId; customer?: { id?: string } }>>();
      let n = 0;
      for (const d of old) {
        if (!d.customer?.id) continue;
        await M.updateOne({ _id: d._id }, { $set: { customerId: d.customer.id } });
        n += 1;
      }
      return n;
    },
  };
}

export function invoiceRepository(conn: Connection) {
  const Invoices = conn.model<InvoiceDoc>('Invoice', invoiceSchema, 'invoices');
  const CreditMemos = conn.model<CreditMemoDoc>('CreditMemo', creditMemoSchema, 'credit_memos');
  const Slots = conn.model<NumberSlot & { _id: string }>('NumberSlot', slotSchema, 'numbers');
  const CreditSlots = conn.model<CreditSlot & { _id: string }>('CreditSlot', creditSlotSchema, 'credit_slots');
  const taken = async (sequence: string, n: number): Promise<boolean> => (await Slots.exists({ _id: slotId(sequence, n) })) !== null;
  const PaymentReports = conn.model<PaymentReport & { _id: string }>('PaymentReport', paymentReportSchema, 'payment_reports');
  return {
    invoices: {
      ...documentStore(Invoices),
      async update(number: string, set: Partial<InvoiceDoc>): Promise<void> {
        await Invoices.updateOne({ number }, { $set: set });
      },
    },
    creditMemos: {
      ...documentStore(CreditMemos),
      async forOriginal(originalInvoiceNumber: string): Promise<CreditMemoDoc[]> {
        return (await CreditMemos.find({ originalInvoiceNumber }).sort({ createdAt: 1 }).lean<CreditMemoDoc[]>()).map((d) => strip(d)!);
      },
    },
    numbers: {
      async slotOf(owner: string): Promise<NumberSlot | null> {
        return Slots.findOne({ owner }).lean<NumberSlot>();
      },
      /** Whether number n of the sequence is drawn (an `_id` lookup). */
      taken,
      /**
       * The lowest number of the sequence not yet drawn, knowing `known` is drawn (0: nothing known).
       * Numbers are drawn in order (one is claimed only after the one before it was seen drawn), so
       * the drawn numbers are always 1..M: gallop forward from `known` by `_id` lookups, then bisect.
       * O(log distance) key lookups, whatever the size of the books.
       */
      async firstFree(sequence: string, known = 0): Promise<number> {
        let low = known; // drawn (or 0)
        let step = 1;
        let high = known + 1;
        while (await taken(sequence, high)) {
          low = high;
          step *= 2;
          high = low + step;
        }
        while (high - low > 1) {
          const mid = Math.floor((low + high) / 2);
          if (await taken(sequence, mid)) low = mid;
          else high = mid;
        }
        return high;
      },
      /** Inserts the slot; false when the number (or a slot for this owner) is already taken. */
      async claim(slot: NumberSlot): Promise<boolean> {
        return insertUnique(Slots, { _id: slotId(slot.sequence, slot.n), ...slot });
      },
      /** Inserts many slots at once (bulk loads such as the growth benchmark's). */
      async claimMany(slots: NumberSlot[]): Promise<void> {
        await Slots.insertMany(slots.map((slot) => ({ _id: slotId(slot.sequence, slot.n), ...slot })), { ordered: false, lean: true });
      },
    },
    creditSlots: {
      /** Inserts the slot; false when position k (or a slot for this memo) is already taken. */
      async claim(slot: CreditSlot): Promise<boolean> {
        return insertUnique(CreditSlots, { _id: `${slot.invoiceNumber}:${slot.k}`, ...slot });
      },
      async ofMemo(memoKey: string): Promise<CreditSlot | null> {
        return CreditSlots.findOne({ memoKey }).lean<CreditSlot>();
      },
      async forInvoice(invoiceNumber: string): Promise<CreditSlot[]> {
        return CreditSlots.find({ invoiceNumber }).lean<CreditSlot[]>();
      },
    },
    paymentReports: {
      /** Records a report; a repeated revision is a no-op (the first one stays). */
      async record(report: PaymentReport): Promise<void> {
        await insertUnique(PaymentReports, { _id: `${report.invoiceNumber}:${report.revision}`, ...report });
      },
      async latest(invoiceNumber: string): Promise<PaymentReport | null> {
        const all = await PaymentReports.find({ invoiceNumber }).lean<PaymentReport[]>();
        return all.reduce<PaymentReport | null>((best, r) => (!best || r.revision > best.revision ? r : best), null);
      },
    },
  };
}


export type InvoiceRepository = ReturnType<typeof invoiceRepository>;
