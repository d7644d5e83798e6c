/** Invoices and the per-year number counters, in the invoicing database. Returns plain objects. */
import { Schema, type Connection } from 'mongoose';
import type { Invoice } from '../api';

export interface InvoiceDoc extends Omit<Invoice, 'number'> {
  number: string;
  idempotencyKey: string;
  requestHash: string;
}

const invoiceSchema = new Schema<InvoiceDoc>(
  {
    number: { type: String, required: true, unique: true },
    idempotencyKey: { type: String, required: true, unique: true },
    requestHash: { type: String, required: true },
    kind: { type: String, required: true },
    contractId: { type: String, required: true, index: true },
    customer: { id: { type: String, required: true }, name: { type: String, required: true } },
    currency: { type: String, required: true },
    termsVersion: { type: Number, required: true },
    date: { type: String, required: true },
    dueDate: { type: String, required: true },
    paymentTerms: { type: String, required: true },
    lines: [{ _id: false, milestoneId: String, description: String, amount: String }],
    total: { type: String, required: true },
    status: { type: String, required: true },
    sandbox: { type: Boolean, required: true },
    createdAt: { type: String, required: true },
  },
  { versionKey: false },
);

const counterSchema = new Schema<{ _id: string; seq: number }>({ _id: String, seq: Number }, { versionKey: false });

export function invoiceRepository(conn: Connection) {
  const Invoices = conn.model<InvoiceDoc>('Invoice', invoiceSchema, 'invoices');
  const Counters = conn.model('Counter', counterSchema, 'counters');
  const plain = (doc: InvoiceDoc | null): InvoiceDoc | null => {
    if (!doc) return null;
    const { _id, ...rest } = doc as InvoiceDoc & { _id?: unknown };
    void _id;
    return rest as InvoiceDoc;
  };
  return {
    async findByKey(idempotencyKey: string) {
      return plain(await Invoices.findOne({ idempotencyKey }).lean<InvoiceDoc>());
    },
    async findByNumber(number: string) {
      return plain(await Invoices.findOne({ number }).lean<InvoiceDoc>());
    },
    async insert(doc: InvoiceDoc) {
      await Invoices.create(doc);
    },
    async setNumber(idempotencyKey: string, placeholder: string, number: string) {
      await Invoices.updateOne({ idempotencyKey, number: placeholder }, { $set: { number } });
    },
    /** The next number in a named sequence, atomically ($inc on one counter document). */
    async nextInSequence(name: string): Promise<number> {
      const doc = await Counters.findOneAndUpdate({ _id: name }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'after' }).lean<{ seq: number }>();
      return doc!.seq;
    },
    async list(filter: { contractId?: string; customerId?: string; status?: string }, limit: number, offset: number) {
      const q: Record<string, unknown> = {};
      if (filter.contractId) q.contractId = filter.contractId;
      if (filter.customerId) q['customer.id'] = filter.customerId;
      if (filter.status) q.status = filter.status;
      const docs = await Invoices.find(q).sort({ createdAt: 1, number: 1 }).skip(offset).limit(limit).lean<InvoiceDoc[]>();
      return docs.map((d) => plain(d)!);
    },
  };
}

export type InvoiceRepository = ReturnType<typeof invoiceRepository>;
