/**
 * Records every query the services send through mongoose (find, count, aggregate, update, delete) and
 * checks afterwards, with `explain` on the real store, that each one is answered from an index:
 * on the patched FerretDB that is `filterPushdown: true` and no `SCAN` in SQLite's plan (on MongoDB,
 * no COLLSCAN). Reads that may legitimately span the books (sweeps, ledger-wide reports) are allowed
 * by name with a reason, never silently.
 */
import mongoose from 'mongoose';

export interface RecordedQuery {
  db: string;
  collection: string;
  method: string;
  filter: Record<string, unknown>;
}

const READS = new Set(['find', 'findOne', 'countDocuments', 'count', 'aggregate', 'updateOne', 'updateMany', 'deleteOne', 'deleteMany', 'findOneAndUpdate', 'findOneAndDelete', 'replaceOne']);

export function recordQueries(): { queries: RecordedQuery[]; stop(): void } {
  const queries: RecordedQuery[] = [];
  mongoose.set('debug', function (this: { conn?: { name?: string } }, collection: string, method: string, ...args: unknown[]) {
    if (!READS.has(method)) return;
    let filter: unknown = args[0];
    if (method === 'aggregate') {
      const first = (args[0] as Array<Record<string, unknown>>)[0];
      filter = first && '$match' in first ? first.$match : {};
    }
    queries.push({ db: this.conn?.name ?? '', collection, method, filter: (filter ?? {}) as Record<string, unknown> });
  });
  return { queries, stop: () => mongoose.set('debug', false) };
}

/** A query shape: the filter with every value replaced by its type, so repeats are explained once. */
export function shapeOf(q: RecordedQuery): string {
  const shape = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(shape);
    if (v && typeof v === 'object' && v.constructor === Object) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, shape(x)]));
    }
    return typeof v;
  };
  return `${q.collection}.${q.method} ${JSON.stringify(shape(q.filter))}`;
}

export interface Unindexed { shape: string; plan: string }

/** Explains one recorded query of each shape; returns those not answered from an index. */
export async function unindexedQueries(mongoUrl: string, queries: RecordedQuery[], allowed: (shape: string) => boolean): Promise<{ checked: string[]; unindexed: Unindexed[] }> {
  const client = await mongoose.mongo.MongoClient.connect(mongoUrl);
  try {
    const seen = new Map<string, RecordedQuery>();
    for (const q of queries) if (!seen.has(shapeOf(q))) seen.set(shapeOf(q), q);
    const unindexed: Unindexed[] = [];
    for (const [shape, q] of seen) {
      if (allowed(shape)) continue;
      const explained = (await client.db(q.db).collection(q.collection).find(q.filter).explain()) as Record<string, unknown>;
      const plan = JSON.stringify(explained.queryPlanner ?? explained);
      const ferret = 'filterPushdown' in explained;
      const indexed = ferret ? explained.filterPushdown === true && !/detail=SCAN /.test(plan) : !/COLLSCAN/.test(plan);
      if (!indexed) unindexed.push({ shape, plan });
    }
    return { checked: [...seen.keys()], unindexed };
  } finally {
    await client.close();
  }
}
