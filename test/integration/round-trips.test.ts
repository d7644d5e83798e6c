/**
 * Store round trips of the calls a completed milestone makes (issue the invoice, open its
 * receivable, post the journal entry) and of a contract's revenue plan: each is counted, operation
 * by operation, so a read or write that creeps back onto the hot path fails here. With them, the
 * guarantees the lean paths must keep: a replay answers exactly what the first call answered (also
 * when the request would be refused now), concurrent duplicates make one document, and numbers
 * stay gapless when processes draw with stale hints.
 */
import mongoose, { Schema } from 'mongoose';
import { createLogger } from '../../libs/logger';
import { insertPlain, insertUnique } from '../../libs/mongo';
import type { RunningService } from '../../libs/service-runtime';
import { startArService, type RunningArService } from '../../services/ar';
import { startInvoicingService } from '../../services/invoicing';
import { startRevenueService } from '../../services/revenue';
import { http, testConfig, uniqueId } from '../support/system';

let ar: RunningArService;
let revenue: RunningService;
let invoicing: RunningService;
let config: ReturnType<typeof testConfig>;
const logger = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');

beforeAll(async () => {
  config = testConfig();
  [revenue, invoicing] = await Promise.all([startRevenueService(config, logger), startInvoicingService(config, logger)]);
  ar = await startArService({ ...config, REVENUE_URL: revenue.url, INVOICING_URL: invoicing.url }, logger, { sweepIntervalMs: 0 });
});

afterAll(async () => {
  await ar?.stop();
  await Promise.all([revenue?.stop(), invoicing?.stop()]);
});

/** Every operation mongoose sends while `fn` runs, as `service.collection.method`. */
async function operations<T>(fn: () => Promise<T>): Promise<{ result: T; ops: string[] }> {
  const ops: string[] = [];
  mongoose.set('debug', function (this: { conn?: { name?: string } }, collection: string, method: string) {
    const db = this.conn?.name ?? '';
    if (db.startsWith(config.MONGO_DB_PREFIX)) ops.push(`${db.slice(config.MONGO_DB_PREFIX.length + 1)}.${collection}.${method}`);
  });
  try {
    return { result: await fn(), ops };
  } finally {
    mongoose.set('debug', false);
  }
}

const post = (url: string, body: unknown, key: string) => http('POST', url, body, { 'idempotency-key': key });

const today = '2031-04-10';
const obligations = [{ id: 'impl', name: 'Implementation', ssp: '3000.00', recognition: { method: 'milestones' } }];
const milestones = [1, 2, 3].map((m) => ({ id: `m${m}`, obligationId: 'impl', amount: '1000.00', billable: true, sequence: m }));
const planBody = (contractId: string, version = 1, ms = milestones) => ({
  contractId, sandbox: false, currency: 'USD', version, effectiveDate: today, obligations, milestones: ms, cancelled: [],
});
const invoiceBody = (contractId: string, m: number) => ({
  kind: 'milestone', contractId, customer: { id: `cust-${contractId}`, name: 'Round Trips Ltd' }, currency: 'USD', termsVersion: 1,
  date: today, paymentTerms: 'NET_30', lines: [{ milestoneId: `m${m}`, description: `Milestone ${m} fee`, amount: '1000.00' }], sandbox: false,
});
const receivableBody = (contractId: string, m: number, inv: { number: string; dueDate: string }) => ({
  invoiceNumber: inv.number, contractId, customerId: `cust-${contractId}`, currency: 'USD', amount: '1000.00', issueDate: today,
  dueDate: inv.dueDate, milestoneIds: [`m${m}`], sandbox: false,
});
const postingBody = (contractId: string, m: number) => ({
  kind: 'contract_event', contractId, sandbox: false, currency: 'USD', eventDate: today, source: { type: 'milestone', ref: `m${m}` },
  billed: '1000.00', progress: { accepted: [`m${m}`] },
});

describe('store round trips of a milestone', () => {
  it('makes a handful of operations per call: inserts decide, nothing is read back', async () => {
    const id = uniqueId('rt');
    const plan = await operations(() => post(`${revenue.url}/plans`, planBody(id), `${id}:plan`));
    expect(plan.result.status).toBe(201);
    // The latest plan and entry (read at once), the plan's insert; a first plan has no catch-up to post.
    expect(plan.ops.sort()).toEqual(['revenue.journal_entries.findOne', 'revenue.revenue_plans.findOne', 'revenue.revenue_plans.insertOne']);

    // Warm this process's number hint, as any running service has it.
    expect((await post(`${invoicing.url}/invoices`, invoiceBody(id, 9), `${id}:warm`)).status).toBe(201);
    for (const m of [1, 2]) {
      const inv = await operations(() => post(`${invoicing.url}/invoices`, invoiceBody(id, m), `${id}:m${m}:invoice`));
      expect(inv.result.status).toBe(201);
      // Claim the key with a placeholder, claim the next number's slot, write the number in.
      expect(inv.ops).toEqual(['invoicing.invoices.insertOne', 'invoicing.numbers.insertOne', 'invoicing.invoices.updateOne']);

      const rec = await operations(() => post(`${ar.url}/receivables`, receivableBody(id, m, inv.result.body), `${id}:m${m}:receivable`));
      expect(rec.result.status).toBe(201);
      // The insert, then the book's customer credit (none here).
      expect(rec.ops).toEqual(['ar.receivables.insertOne', 'ar.credit_lots.find']);

      const entry = await operations(() => post(`${revenue.url}/postings`, postingBody(id, m), `${id}:m${m}:post`));
      expect(entry.result.status).toBe(201);
      // Plan, latest entry and closed months at once, then the entry's insert (its key and seq decide).
      expect(entry.ops.sort()).toEqual([
        'revenue.closed_periods.find', 'revenue.journal_entries.findOne', 'revenue.journal_entries.insertOne', 'revenue.revenue_plans.findOne',
      ]);
    }
  });

  it('answers a replay exactly what the first call answered, for each call', async () => {
    const id = uniqueId('rt');
    const calls: Array<[string, unknown, string]> = [[`${revenue.url}/plans`, planBody(id), `${id}:plan`]];
    const first = await post(...calls[0]!);
    const inv = await post(`${invoicing.url}/invoices`, invoiceBody(id, 1), `${id}:inv`);
    calls.push([`${invoicing.url}/invoices`, invoiceBody(id, 1), `${id}:inv`]);
    const rec = await post(`${ar.url}/receivables`, receivableBody(id, 1, inv.body), `${id}:rec`);
    calls.push([`${ar.url}/receivables`, receivableBody(id, 1, inv.body), `${id}:rec`]);
    const entry = await post(`${revenue.url}/postings`, postingBody(id, 1), `${id}:post`);
    calls.push([`${revenue.url}/postings`, postingBody(id, 1), `${id}:post`]);
    const firsts = [first, inv, rec, entry];
    expect(firsts.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    for (const [i, call] of calls.entries()) {
      const again = await post(...call);
      expect({ url: call[0], status: again.status }).toEqual({ url: call[0], status: 200 });
      expect(again.body).toEqual(firsts[i]!.body);
      // Another body under a known key is a conflict, never a second document (also where that
      // body alone would be refused: the posting's plan is in USD).
      const other = await post(call[0], { ...(call[1] as object), currency: 'EUR' }, call[2]);
      expect({ url: call[0], status: other.status, code: other.body.code }).toEqual({ url: call[0], status: 409, code: 'idempotency_conflict' });
    }
    const conflict = await post(`${revenue.url}/postings`, { ...postingBody(id, 1), billed: '999.00' }, `${id}:post`);
    expect([conflict.status, conflict.body.code]).toEqual([409, 'idempotency_conflict']);
    const conflictPlan = await post(`${revenue.url}/plans`, { ...planBody(id), effectiveDate: '2031-04-11' }, `${id}:plan`);
    expect([conflictPlan.status, conflictPlan.body.code]).toEqual([409, 'idempotency_conflict']);
  });

  it('answers a posting replay the original entry even when the request would now be refused', async () => {
    const id = uniqueId('rt');
    expect((await post(`${revenue.url}/plans`, planBody(id), `${id}:plan`)).status).toBe(201);
    const entry = await post(`${revenue.url}/postings`, postingBody(id, 3), `${id}:post`);
    expect(entry.status).toBe(201);
    // Version 2 drops milestone m3: a new posting accepting m3 is refused, its replay is not.
    const v2 = await post(`${revenue.url}/plans`, planBody(id, 2, milestones.slice(0, 2)), `${id}:plan:v2`);
    expect(v2.status).toBe(201);
    const fresh = await post(`${revenue.url}/postings`, postingBody(id, 3), `${id}:post:again`);
    expect([fresh.status, fresh.body.details?.[0]?.path]).toEqual([400, 'body.progress.accepted.0']);
    const replay = await post(`${revenue.url}/postings`, postingBody(id, 3), `${id}:post`);
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(entry.body);
    // A plan replay of version 1, now below the latest version, answers version 1 (not stale_version).
    const planReplay = await post(`${revenue.url}/plans`, planBody(id), `${id}:plan`);
    expect([planReplay.status, planReplay.body.plan?.version]).toEqual([200, 1]);
    const stale = await post(`${revenue.url}/plans`, planBody(id), `${id}:plan:other`);
    expect([stale.status, stale.body.code]).toEqual([409, 'stale_version']);
  });

  it('makes one document of concurrent duplicates of each call', async () => {
    const id = uniqueId('rt');
    const all = async (url: string, body: unknown, key: string) => {
      const rs = await Promise.all(Array.from({ length: 6 }, () => post(url, body, key)));
      expect(rs.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
      for (const r of rs) expect(r.body).toEqual(rs.find((x) => x.status === 201)!.body);
      return rs[0]!.body;
    };
    await all(`${revenue.url}/plans`, planBody(id), `${id}:plan`);
    const inv = await all(`${invoicing.url}/invoices`, invoiceBody(id, 1), `${id}:inv`);
    await all(`${ar.url}/receivables`, receivableBody(id, 1, inv), `${id}:rec`);
    await all(`${revenue.url}/postings`, postingBody(id, 1), `${id}:post`);
    const entries = await http('GET', `${revenue.url}/entries?contractId=${id}&sandbox=false`);
    expect(entries.body.data).toHaveLength(1);
    const invoices = await http('GET', `${invoicing.url}/invoices?contractId=${id}`);
    expect(invoices.body.data.map((i: { number: string }) => i.number)).toEqual([inv.number]);
  });
});

describe('invoice numbers drawn from stale hints', () => {
  it('stays gapless when processes take turns, each trying the number after the last it saw', async () => {
    const year = '2039';
    const [a, b] = await Promise.all([startInvoicingService(config, logger), startInvoicingService(config, logger)]);
    try {
      const numbers: string[] = [];
      // a, b, invoicing, a, b, …: every draw but the first of each process starts from a stale hint.
      for (let i = 0; i < 12; i += 1) {
        const s = [a, b, invoicing][i % 3]!;
        const r = await post(`${s.url}/invoices`, { ...invoiceBody('rt-hints', 1), date: `${year}-01-02` }, uniqueId('k'));
        expect(r.status).toBe(201);
        numbers.push(r.body.number);
      }
      expect(numbers).toEqual(Array.from({ length: 12 }, (_, i) => `INV-${year}-${String(i + 1).padStart(6, '0')}`));
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});

describe('plain inserts (no mongoose document built)', () => {
  it('store the document as given, leaving out undefined fields, without changing the input', async () => {
    const conn = await mongoose.createConnection(config.MONGO_URL, { dbName: `${config.MONGO_DB_PREFIX}_plain`, autoIndex: false }).asPromise();
    try {
      interface Plain { key: string; n: number; nested?: unknown }
      const M = conn.model<Plain>('Plain', new Schema<Plain>({ key: { type: String, unique: true }, n: Number, nested: Schema.Types.Mixed }, { versionKey: false }), 'plain');
      await M.createIndexes();
      const doc = { key: 'a', n: 1, gone: undefined, nested: { kept: 'x', gone: undefined, list: [{ v: '1', gone: undefined }] } };
      await insertPlain(M, doc as Plain);
      expect(Object.keys(doc)).toEqual(['key', 'n', 'gone', 'nested']); // no _id added to the caller's object
      const stored = await M.collection.findOne({ key: 'a' }, { projection: { _id: 0 } });
      expect(stored).toEqual({ key: 'a', n: 1, nested: { kept: 'x', list: [{ v: '1' }] } });
      expect(JSON.stringify(stored)).not.toContain('null');
      // The unique index still decides: a second insert of the key is refused, not stored.
      expect(await insertUnique(M, { key: 'a', n: 2 })).toBe(false);
      expect(await M.collection.countDocuments({ key: 'a' })).toBe(1);
    } finally {
      await conn.dropDatabase();
      await conn.close();
    }
  });
});
