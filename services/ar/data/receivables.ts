/** Receivables in the AR database. Returns plain objects. */
import { Schema, type Connection } from 'mongoose';
import type { Receivable } from '../api';

export interface ReceivableDoc extends Receivable {
  idempotencyKey: string;
  requestHash: string;
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
    issueDate: { type: String, required: true },
    dueDate: { type: String, required: true },
    milestoneIds: [String],
    status: { type: String, required: true },
    sandbox: { type: Boolean, required: true },
  },
  { versionKey: false },
);

export function receivableRepository(conn: Connection) {
  const Receivables = conn.model<ReceivableDoc>('Receivable', receivableSchema, 'receivables');
  return {
    async findByKey(idempotencyKey: string) {
      return Receivables.findOne({ idempotencyKey }).lean<ReceivableDoc>();
    },
    async findByInvoice(invoiceNumber: string) {
      return Receivables.findOne({ invoiceNumber }).lean<ReceivableDoc>();
    },
    async insert(doc: ReceivableDoc) {
      await Receivables.create(doc);
    },
    async list(filter: { contractId?: string; customerId?: string; status?: string }, limit: number, offset: number) {
      const q: Record<string, unknown> = {};
      if (filter.contractId) q.contractId = filter.contractId;
      if (filter.customerId) q.customerId = filter.customerId;
      if (filter.status) q.status = filter.status;
      return Receivables.find(q).sort({ issueDate: 1, invoiceNumber: 1 }).skip(offset).limit(limit).lean<ReceivableDoc[]>();
    },
  };
}

export type ReceivableRepository = ReturnType<typeof receivableRepository>;
