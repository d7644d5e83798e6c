/**
 * Journal entries in the revenue database. Returns plain objects.
 *
 * Each entry also carries the contract's facts after it (progress, cumulative recognized per
 * obligation, billed and recognized totals), so inserting an entry is the only write a posting
 * makes: the contract's current facts are those of its latest entry, found by the per-ledger,
 * per-contract sequence number that a unique index keeps gap-free and single-writer.
 *
 * A posting that changes no balance is no journal entry (DESIGN §11): it is still stored, with no
 * lines and `journal: false`, only because its progress facts (an accepted milestone, a cost
 * increment) are part of the contract's sequence; every journal read leaves it out.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import { insertPlain } from '../../../libs/mongo';
import type { JournalEntry } from '../api';

export interface EntryDoc extends JournalEntry {
  idempotencyKey: string;
  requestHash: string;
  /** false: facts only, no journal entry (it changed no balance). */
  journal?: false;
}

const entrySchema = new Schema<EntryDoc>(
  {
    entryId: { type: String, required: true, unique: true },
    idempotencyKey: { type: String, required: true, unique: true },
    requestHash: { type: String, required: true },
    ledger: { type: String, required: true },
    contractId: { type: String, required: true },
    seq: { type: Number, required: true },
    kind: { type: String, required: true },
    currency: { type: String, required: true },
    eventDate: { type: String, required: true },
    postingDate: { type: String, required: true },
    /** The posting month (YYYY-MM of postingDate): the GL export reads a month by (ledger, period). */
    period: String,
    source: { type: { type: String, required: true }, ref: { type: String, required: true } },
    lines: [{ _id: false, account: String, debit: String, credit: String }],
    billed: { type: String, required: true },
    revenue: { type: String, required: true },
    recognized: { type: Schema.Types.Mixed, default: {} },
    position: { _id: false, billed: String, recognized: String },
    facts: { type: Schema.Types.Mixed, required: true },
    journal: Boolean,
    createdAt: { type: String, required: true },
  },
  { versionKey: false, minimize: false },
);
entrySchema.index({ ledger: 1, contractId: 1, seq: 1 }, { unique: true });
entrySchema.index({ ledger: 1, postingDate: 1 });
entrySchema.index({ ledger: 1, period: 1 });

export interface EntryFilter {
  ledger?: string;
  contractId?: string;
  postingDateFrom?: string;
  postingDateTo?: string;
  currency?: string;
  sourceType?: string;
  kind?: string;
  account?: string;
}

function entriesModel(conn: Connection): Model<EntryDoc> {
  return (conn.models.JournalEntry as Model<EntryDoc> | undefined) ?? conn.model<EntryDoc>('JournalEntry', entrySchema, 'journal_entries');
}

/** What the GL export reads: a closed month's entries of a ledger. */
export function entryPeriodRepository(conn: Connection) {
  const Entries = entriesModel(conn);
  return {
    /** A month's journal entries of a ledger (an indexed equality on ledger and period). */
    async byPeriod(ledger: string, period: string) {
      return (await Entries.find({ ledger, period }).lean<EntryDoc[]>()).filter((e) => e.journal !== false);
    },
    /**
     * Gives entries stored before `period` existed their posting month (one scan, at start, in the
     * background; entries never change after their insert, so the write races nothing).
     */
    async backfillPeriods(): Promise<number> {
      const old = await Entries.find({ period: { $exists: false } }).lean<Array<EntryDoc & { _id: unknown }>>();
      for (const e of old) await Entries.updateOne({ _id: e._id }, { $set: { period: e.postingDate.slice(0, 7) } });
      return old.length;
    },
  };
}

export function entryRepository(conn: Connection) {
  const Entries = entriesModel(conn);
  return {
    async findByKey(idempotencyKey: string) {
      return Entries.findOne({ idempotencyKey }).lean<EntryDoc>();
    },
    /** The contract's latest entry in a ledger (its current facts), or null. */
    async latest(ledger: string, contractId: string) {
      return Entries.findOne({ ledger, contractId }).sort({ seq: -1 }).lean<EntryDoc>();
    },
    /** Fails with a duplicate-key error (11000) when the key or the (ledger, contract, seq) is taken. */
    async insert(doc: EntryDoc) {
      await insertPlain(Entries, doc);
    },
    async list(filter: EntryFilter, limit = 1_000_000, offset = 0) {
      // Facts-only records are not journal entries (re-checked after the indexed ledger/contract part).
      const q: Record<string, unknown> = { journal: { $ne: false } };
      if (filter.ledger) q.ledger = filter.ledger;
      if (filter.contractId) q.contractId = filter.contractId;
      if (filter.currency) q.currency = filter.currency;
      if (filter.sourceType) q['source.type'] = filter.sourceType;
      if (filter.kind) q.kind = filter.kind;
      if (filter.account) q['lines.account'] = filter.account;
      if (filter.postingDateFrom || filter.postingDateTo) {
        q.postingDate = {
          ...(filter.postingDateFrom ? { $gte: filter.postingDateFrom } : {}),
          ...(filter.postingDateTo ? { $lte: filter.postingDateTo } : {}),
        };
      }
      return Entries.find(q).sort({ postingDate: 1, createdAt: 1, seq: 1 }).skip(offset).limit(limit).lean<EntryDoc[]>();
    },
  };
}

export type EntryRepository = ReturnType<typeof entryRepository>;
