/** Journal entries in the revenue database. Returns plain objects. */
import { Schema, type Connection } from 'mongoose';
import type { JournalEntry } from '../api';

export interface EntryDoc extends JournalEntry {
  idempotencyKey: string;
  requestHash: string;
}

const entrySchema = new Schema<EntryDoc>(
  {
    entryId: { type: String, required: true, unique: true },
    idempotencyKey: { type: String, required: true, unique: true },
    requestHash: { type: String, required: true },
    ledger: { type: String, required: true },
    contractId: { type: String, required: true },
    currency: { type: String, required: true },
    eventDate: { type: String, required: true },
    postingDate: { type: String, required: true },
    source: { type: { type: String, required: true }, ref: { type: String, required: true } },
    lines: [{ _id: false, account: String, debit: String, credit: String }],
    createdAt: { type: String, required: true },
  },
  { versionKey: false },
);
entrySchema.index({ ledger: 1, contractId: 1, postingDate: 1 });

export function entryRepository(conn: Connection) {
  const Entries = conn.model<EntryDoc>('JournalEntry', entrySchema, 'journal_entries');
  return {
    async findByKey(idempotencyKey: string) {
      return Entries.findOne({ idempotencyKey }).lean<EntryDoc>();
    },
    async insert(doc: EntryDoc) {
      await Entries.create(doc);
    },
    async list(filter: { ledger?: string; contractId?: string; postingDateTo?: string }, limit = 100_000, offset = 0) {
      const q: Record<string, unknown> = {};
      if (filter.ledger) q.ledger = filter.ledger;
      if (filter.contractId) q.contractId = filter.contractId;
      if (filter.postingDateTo) q.postingDate = { $lte: filter.postingDateTo };
      return Entries.find(q).sort({ postingDate: 1, createdAt: 1 }).skip(offset).limit(limit).lean<EntryDoc[]>();
    },
  };
}

export type EntryRepository = ReturnType<typeof entryRepository>;
