/**
 * The renewal links (docs/renewals.md), in the gateway's database: one record per successor
 * contract (`renewals`, unique on `successorId`, indexed by `predecessorId`). The successor's own
 * terms carry `renews: <predecessorId>` (the authority, kept by its workflow); this record is what
 * finds the link from the predecessor's side without touching the predecessor's workflow. Insert
 * only: the unique index makes "recorded once" atomic on FerretDB.
 *
 * `renewal_claims` (unique on `predecessorId`): a renewal claims its predecessor by insert before
 * it starts the successor, so two renewals of one contract at the same instant cannot both start
 * one (several gateways, no transactions: the unique index decides).
 */
import { Schema, type Connection } from 'mongoose';
import { insertUnique } from '../../../libs/mongo';

export interface RenewalRecord {
  successorId: string;
  predecessorId: string;
  customerId: string;
  /** The successor's signed date (YYYY-MM-DD). */
  signedDate: string;
  /** The API key that renewed it (absent when recorded while healing a lost record). */
  by?: string;
  createdAt: Date;
}

const schema = new Schema<RenewalRecord>(
  {
    successorId: { type: String, required: true },
    predecessorId: { type: String, required: true },
    customerId: { type: String, required: true },
    signedDate: { type: String, required: true },
    by: String,
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'renewals' },
);
schema.index({ successorId: 1 }, { unique: true });
schema.index({ predecessorId: 1 });

export interface RenewalClaim {
  predecessorId: string;
  successorId: string;
  createdAt: Date;
}

const claimSchema = new Schema<RenewalClaim>(
  {
    predecessorId: { type: String, required: true },
    successorId: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'renewal_claims' },
);
claimSchema.index({ predecessorId: 1 }, { unique: true });

const plain = (r: RenewalRecord & { _id?: unknown }): RenewalRecord => {
  const { _id, ...rest } = r;
  void _id;
  return rest;
};

/** At most this many successors are read for one contract (a contract is renewed once; the bound is a guard). */
const SUCCESSORS_READ = 20;

export function renewalRepository(conn: Connection) {
  const Model = conn.model<RenewalRecord>('Renewal', schema);
  const Claims = conn.model<RenewalClaim>('RenewalClaim', claimSchema);
  return {
    /** Claims `predecessorId` for the renewal that starts `successorId`; false when another claim holds it (the unique index). */
    async claim(predecessorId: string, successorId: string, at: Date): Promise<boolean> {
      return insertUnique(Claims, { predecessorId, successorId, createdAt: at });
    },
    /** Who holds the claim on a predecessor (one indexed equality). */
    async claimOf(predecessorId: string): Promise<{ successorId: string; createdAt: Date } | undefined> {
      const c = await Claims.findOne({ predecessorId }).lean<RenewalClaim>();
      return c ? { successorId: c.successorId, createdAt: new Date(c.createdAt) } : undefined;
    },
    /** Gives up the claim, only if `successorId` still holds it. */
    async release(predecessorId: string, successorId: string): Promise<void> {
      await Claims.deleteOne({ predecessorId, successorId });
    },
    /** Records the link; false when the successor already has one (the unique index). */
    async insert(doc: RenewalRecord): Promise<boolean> {
      return insertUnique(Model, doc);
    },
    /** The link of a successor: what it renews (one indexed equality). */
    async ofSuccessor(successorId: string): Promise<RenewalRecord | undefined> {
      const r = await Model.findOne({ successorId }).lean<RenewalRecord>();
      return r ? plain(r) : undefined;
    },
    /** The successors of a contract, oldest first (one indexed equality). */
    async ofPredecessor(predecessorId: string): Promise<RenewalRecord[]> {
      const found = await Model.find({ predecessorId }).limit(SUCCESSORS_READ).lean<RenewalRecord[]>();
      return found.map(plain).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.successorId.localeCompare(b.successorId));
    },
  };
}

export type RenewalRepository = ReturnType<typeof renewalRepository>;
