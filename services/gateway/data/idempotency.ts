/**
 * The gateway's own small database (`<prefix>_gateway`): saved responses of requests sent with an
 * `Idempotency-Key`, and of webhook events (keyed by event id). A request claims its key by
 * inserting a record under the unique index (identity, key) — the only write FerretDB makes atomic
 * under concurrency — then saves its response into the record it owns. FerretDB has no TTL
 * indexes: each record carries `expiresAt`; expired records are ignored and purged here, by the
 * hour they expired in (`expiresHour`, an indexed string), so a purge is a few indexed deletes
 * however many records there are.
 */
import { Schema, type Connection, type Types } from 'mongoose';
import { isDuplicateKeyError } from '../../../libs/mongo';

export interface IdempotencyRecord {
  _id: Types.ObjectId;
  /** Whose key it is: the API key's name, or `webhook:<source>`. */
  identity: string;
  key: string;
  method: string;
  path: string;
  requestHash: string;
  state: 'in_progress' | 'done';
  status?: number;
  /** The saved response body, as JSON text (any shape, stored as a string). */
  body?: string;
  createdAt: Date;
  expiresAt: Date;
  /** The UTC hour `expiresAt` falls in, `2026-12-01T09`: purged a bucket at a time. */
  expiresHour?: string;
  /** An in-progress claim older than this is abandoned (its gateway died): it may be taken over. */
  staleAt: Date;
}

const schema = new Schema<IdempotencyRecord>(
  {
    identity: { type: String, required: true },
    key: { type: String, required: true },
    method: { type: String, required: true },
    path: { type: String, required: true },
    requestHash: { type: String, required: true },
    state: { type: String, required: true },
    status: Number,
    body: String,
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    expiresHour: { type: String, index: true },
    staleAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'idempotency_records' },
);
schema.index({ identity: 1, key: 1 }, { unique: true });
schema.index({ expiresAt: 1 });

const HOUR_MS = 3_600_000;
/** How far back each purge looks for expiry hours (a gateway down longer is caught by purgeAll). */
const PURGE_LOOKBACK_HOURS = 72;

export function expiryHour(at: Date): string {
  return at.toISOString().slice(0, 13);
}

export type ClaimResult =
  | { kind: 'claimed'; id: Types.ObjectId }
  | { kind: 'existing'; record: IdempotencyRecord };

export function idempotencyRepository(conn: Connection, opts: { ttlMs: number; staleMs?: number }) {
  const Model = conn.model<IdempotencyRecord>('IdempotencyRecord', schema);
  const staleMs = opts.staleMs ?? 5 * 60_000;
  const live = (r: IdempotencyRecord | null, now: Date) => (r && r.expiresAt > now ? r : null);

  return {
    /**
     * Claims (identity, key) for a request, or returns the record already there. Expired records
     * and abandoned in-progress claims are deleted (by their own _id, so a fresh claim made by a
     * concurrent request is never touched) and the claim is retried.
     */
    async claim(req: { identity: string; key: string; method: string; path: string; requestHash: string }, now = new Date()): Promise<ClaimResult> {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const found = await Model.findOne({ identity: req.identity, key: req.key }).lean<IdempotencyRecord>();
        if (found) {
          const abandoned = found.state === 'in_progress' && found.staleAt <= now;
          if (live(found, now) && !abandoned) return { kind: 'existing', record: found };
          await Model.deleteOne({ _id: found._id });
        }
        try {
          const created = await Model.create({
            ...req,
            state: 'in_progress',
            createdAt: now,
            expiresAt: new Date(now.getTime() + opts.ttlMs),
            expiresHour: expiryHour(new Date(now.getTime() + opts.ttlMs)),
            staleAt: new Date(now.getTime() + staleMs),
          });
          return { kind: 'claimed', id: created._id };
        } catch (err) {
          if (!isDuplicateKeyError(err)) throw err;
        }
      }
      const winner = await Model.findOne({ identity: req.identity, key: req.key }).lean<IdempotencyRecord>();
      if (!winner) throw new Error(`could not claim idempotency key ${req.key}`);
      return { kind: 'existing', record: winner };
    },

    /** Saves the response of the request that owns the claim. */
    async complete(id: Types.ObjectId, status: number, body: unknown): Promise<void> {
      await Model.updateOne({ _id: id }, { $set: { state: 'done', status, body: JSON.stringify(body ?? null) } });
    },

    /** Gives the key back (the request failed in a way a retry may fix). */
    async release(id: Types.ObjectId): Promise<void> {
      await Model.deleteOne({ _id: id });
    },

    /**
     * Deletes the records that expired in the hours before the current one (one indexed delete per
     * hour); returns how many. Safe when several gateways run it at once.
     */
    async purgeExpired(now = new Date()): Promise<number> {
      let deleted = 0;
      for (let h = 1; h <= PURGE_LOOKBACK_HOURS; h += 1) {
        deleted += (await Model.deleteMany({ expiresHour: expiryHour(new Date(now.getTime() - h * HOUR_MS)) })).deletedCount ?? 0;
      }
      return deleted;
    },

    /** Deletes every expired record by a scan (once at start: records older than the look-back). */
    async purgeAll(now = new Date()): Promise<number> {
      return (await Model.deleteMany({ expiresAt: { $lte: now } })).deletedCount ?? 0;
    },

    model: Model,
  };
}

export type IdempotencyRepository = ReturnType<typeof idempotencyRepository>;
