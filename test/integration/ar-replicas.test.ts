/**
 * Two AR processes on one database: two sets of use cases on two separate connections (so two
 * in-process locks, nothing shared but the store), driven at once against the same customers'
 * invoices with duplicated payments, duplicated credit memos, new invoices that use customer credit
 * and both sweeps. Whatever the interleaving, money is never over-applied or doubled: each invoice
 * gets at most its amount, each payment is applied plus kept as credit exactly once, each credit
 * lot is used at most once, a duplicate returns the original, invoicing never receives two
 * different reports under one revision, and the sweeps leave no work behind. Every query AR sends
 * meanwhile is explained on the real store: each is answered from an index (query guard).
 */
import type { Client } from '@temporalio/client';
import type { Connection } from 'mongoose';
import { createLogger } from '../../libs/logger';
import { dec, sumMoney } from '../../libs/money';
import { connectDatabase, databaseName, ensureIndexes } from '../../libs/mongo';
import type { ServiceClient } from '../../libs/service-client';
import type { OpenReceivableRequest } from '../../services/ar/api';
import { receivableRepository, type ReceivableRepository } from '../../services/ar/data/receivables';
import { createReceivableUseCases, type ReceivableUseCases } from '../../services/ar/receivables';
import { recordQueries, unindexedQueries } from '../support/query-guard';
import { testConfig, uniqueId } from '../support/system';

const logger = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');

/** The revenue service as AR sees it: one entry per idempotency key, whoever asks. */
function fakeRevenue() {
  const entries = new Map<string, { entryId: string }>();
  const client: ServiceClient = {
    name: 'revenue', baseUrl: 'http://revenue.test',
    async get<T>(): Promise<T> { throw new Error('not used'); },
    async getRaw() { throw new Error('not used'); },
    async post<T>(_path: string, _body: unknown, opts?: { idempotencyKey?: string }): Promise<T> {
      const key = opts!.idempotencyKey!;
      if (!entries.has(key)) entries.set(key, { entryId: `entry-${entries.size + 1}` });
      return entries.get(key) as T;
    },
  };
  return { client, entries };
}

/** Invoicing as AR sees it: a payment-status report is kept once per (invoice, revision), like the real one. */
function fakeInvoicing() {
  const reports = new Map<string, string>();
  const conflicts: string[] = [];
  const client: ServiceClient = {
    name: 'invoicing', baseUrl: 'http://invoicing.test',
    async get<T>(): Promise<T> { throw new Error('not used'); },
    async getRaw() { throw new Error('not used'); },
    async post<T>(path: string, body: unknown): Promise<T> {
      const { revision, ...content } = body as { revision: number };
      const key = `${path}#${revision}`;
      const text = JSON.stringify(content);
      if (!reports.has(key)) reports.set(key, text);
      else if (reports.get(key) !== text) conflicts.push(`${key}: ${reports.get(key)} then ${text}`);
      return {} as T;
    },
  };
  return { client, conflicts };
}

/** The contract workflows as AR sees them: every `invoicePaid` signal received. */
function fakeTemporal() {
  const signals: string[] = [];
  const client = { workflow: { getHandle: () => ({ signal: async (_s: unknown, i: { invoiceNumber: string }) => void signals.push(i.invoiceNumber) }) } };
  return { client: client as unknown as Client, signals };
}

let mongoUrl: string;
let connections: Connection[] = [];
let replicas: ReceivableUseCases[];
let store: ReceivableRepository;
const revenue = fakeRevenue();
const invoicing = fakeInvoicing();
const temporal = fakeTemporal();

beforeAll(async () => {
  const config = testConfig();
  mongoUrl = config.MONGO_URL;
  const dbName = databaseName(config.MONGO_DB_PREFIX, 'ar');
  connections = await Promise.all([0, 1, 2].map(() => connectDatabase({ url: config.MONGO_URL, dbName, logger })));
  const repos = connections.map((c) => receivableRepository(c));
  await ensureIndexes(connections[0]!);
  replicas = repos.slice(0, 2).map((repo) => createReceivableUseCases(repo, { revenue: revenue.client, invoicing: invoicing.client, temporal: temporal.client, logger }));
  store = repos[2]!;
});

afterAll(async () => {
  await Promise.all(connections.map((c) => c.close()));
});

/** Both replicas at once with the same request; both answers. */
const both = <T>(call: (ar: ReceivableUseCases) => Promise<T>) => Promise.all(replicas.map(call));

function receivable(customerId: string, n: number, amount: string): OpenReceivableRequest & { sandbox: boolean; milestoneIds: string[] } {
  const month = String(n).padStart(2, '0');
  return {
    invoiceNumber: uniqueId(`INV${n}`), contractId: uniqueId('c'), customerId, currency: 'USD', amount,
    issueDate: `2026-${month}-01`, dueDate: `2026-${month}-28`, milestoneIds: [], sandbox: false,
  };
}

/** One customer's day: invoices, then duplicated payments and credit memos through both replicas at once, then new invoices using the credit. */
async function customerDay(customerId: string) {
  const invoices = [receivable(customerId, 1, '100.00'), receivable(customerId, 2, '200.00'), receivable(customerId, 3, '150.00'), receivable(customerId, 4, '50.00')];
  await Promise.all(invoices.map((r, i) => replicas[i % 2]!.open(r, `open-${r.invoiceNumber}`)));

  const payments = [
    { amount: '120.00', invoiceNumbers: [invoices[2]!.invoiceNumber] },
    { amount: '90.00' },
    { amount: '300.00' },
    { amount: '45.00', invoiceNumbers: [invoices[3]!.invoiceNumber] },
  ].map((p, i) => ({ key: `${customerId}-pay-${i}`, body: { customerId, currency: 'USD', date: `2026-05-0${i + 1}`, sandbox: false, ...p } }));
  const memos = [
    { key: `${customerId}-cm-0`, body: { creditMemoNumber: uniqueId('CM'), invoiceNumber: invoices[2]!.invoiceNumber, amount: '60.00', date: '2026-05-02' } },
    { key: `${customerId}-cm-1`, body: { creditMemoNumber: uniqueId('CM'), invoiceNumber: invoices[0]!.invoiceNumber, amount: '30.00', date: '2026-05-03' } },
  ];
  // Both sweeps run meanwhile, as their timers would.
  const [paid, credited] = await Promise.all([
    Promise.all(payments.map((p) => both((ar) => ar.recordPayment(p.body, p.key)))),
    Promise.all(memos.map((m) => both((ar) => ar.creditMemo(m.body, m.key)))),
    both((ar) => ar.resumePending()),
  ]);

  // Two new invoices at once, one per replica, both wanting the same customer credit; and both apply credit.
  const later = [receivable(customerId, 6, '80.00'), receivable(customerId, 7, '70.00')];
  await Promise.all([
    ...later.map((r, i) => replicas[i]!.open(r, `open-${r.invoiceNumber}`)),
    ...replicas.map((ar) => ar.applyCredit({ customerId, currency: 'USD', sandbox: false })),
  ]);
  return { invoices: [...invoices, ...later], payments, paid, memos, credited };
}

describe('two AR processes on one database', () => {
  it('never over-applies or doubles money under concurrent, duplicated payments, credit memos and credit use', async () => {
    const customers = Array.from({ length: 3 }, () => uniqueId('rep-cust'));
    const days = await Promise.all(customers.map(customerDay));
    // Both sweeps at once, twice.
    await Promise.all([...replicas, ...replicas].map((ar) => ar.resumePending()));

    for (const [c, day] of days.entries()) {
      const customerId = customers[c]!;
      // A duplicate returns the original: one payment per key, the same allocations from both replicas.
      for (const [a, b] of day.paid) {
        expect(b.payment.paymentId).toBe(a.payment.paymentId);
        expect([a.created, b.created].sort()).toEqual([false, true]);
        expect(sumMoney(b.payment.allocations.map((x) => x.amount)).toFixed(2)).toBe(sumMoney(a.payment.allocations.map((x) => x.amount)).toFixed(2));
      }
      for (const [a, b] of day.credited) {
        expect(b.creditMemo).toEqual(a.creditMemo);
        expect(dec(a.creditMemo.applied).plus(a.creditMemo.toCredit).toFixed(2)).toBe(a.creditMemo.amount);
      }

      // No invoice gets more than its amount; its cached totals agree with its applications.
      let applied = dec('0');
      for (const r of day.invoices) {
        const apps = await store.applications.forInvoice(r.invoiceNumber);
        const sum = sumMoney(apps.map((x) => x.amount));
        expect({ invoice: r.invoiceNumber, over: sum.greaterThan(r.amount) }).toEqual({ invoice: r.invoiceNumber, over: false });
        expect(new Set(apps.map((x) => x.ref)).size).toBe(apps.length);
        const doc = (await store.receivables.findByInvoice(r.invoiceNumber))!;
        expect({ invoice: r.invoiceNumber, open: doc.openAmount }).toEqual({ invoice: r.invoiceNumber, open: dec(r.amount).minus(sum).toFixed(2) });
        // Reported and signalled: nothing left for the sweep.
        expect({ invoice: r.invoiceNumber, pending: apps.filter((x) => x.todo).length }).toEqual({ invoice: r.invoiceNumber, pending: 0 });
        if (doc.status === 'paid') expect(temporal.signals).toContain(r.invoiceNumber);
        applied = applied.plus(sum);
      }

      // Each payment: applied to invoices plus kept as credit is exactly its amount; one ledger entry.
      const lots = await store.lots.list({ scope: 'books', customerId, currency: 'USD' });
      for (const [i, p] of day.payments.entries()) {
        const paymentId = day.paid[i]![0].payment.paymentId;
        const toInvoices = sumMoney((await store.applications.forPayment(paymentId)).map((x) => x.amount));
        const lot = lots.find((l) => l.lotId === `payment:${paymentId}`);
        expect({ paymentId, total: toInvoices.plus(lot?.amount ?? '0').toFixed(2) }).toEqual({ paymentId, total: p.body.amount });
        const stored = (await store.payments.findById(paymentId))!;
        expect(stored).toMatchObject({ state: 'applied', postedToLedger: true, settled: true });
        expect([...revenue.entries.keys()].filter((k) => k.endsWith(`:${paymentId}`))).toHaveLength(1);
      }
      // Each credit memo: what reduced its invoice plus what became credit is its amount.
      for (const [i, m] of day.memos.entries()) {
        const memo = day.credited[i]![0].creditMemo;
        const onInvoice = (await store.applications.forInvoice(m.body.invoiceNumber)).filter((x) => x.ref === `cm:${m.body.creditMemoNumber}`);
        expect(sumMoney(onInvoice.map((x) => x.amount)).toFixed(2)).toBe(memo.applied);
        const lot = lots.find((l) => l.lotId === `credit_memo:${m.body.creditMemoNumber}`);
        expect(lot?.amount ?? '0.00').toBe(memo.toCredit);
      }
      // Each credit lot is used at most once over; and nothing is created or lost overall.
      let creditLeft = dec('0');
      for (const lot of lots) {
        const used = sumMoney((await store.applications.forLot(lot.lotId)).map((x) => x.amount));
        expect({ lot: lot.lotId, over: used.greaterThan(lot.amount) }).toEqual({ lot: lot.lotId, over: false });
        creditLeft = creditLeft.plus(dec(lot.amount).minus(used));
      }
      const received = sumMoney([...day.payments.map((p) => p.body.amount), ...day.memos.map((m) => m.body.amount)]);
      expect(applied.plus(creditLeft).toFixed(2)).toBe(received.toFixed(2));
    }
    expect(invoicing.conflicts).toEqual([]);
  });

  it('answers every query of the requests, the reads and the sweep from an index bounded by one invoice, payment, lot or customer', async () => {
    const recorder = recordQueries();
    const [a, b] = replicas as [ReceivableUseCases, ReceivableUseCases];
    const customerId = uniqueId('idx-cust');
    try {
      const day = await customerDay(customerId);
      const paymentId = day.paid[0]![0].payment.paymentId;
      const contractId = day.invoices[0]!.contractId;
      await a.get(day.invoices[0]!.invoiceNumber);
      await a.list({ contractId }, 10, 0);
      await a.list({ customerId }, 10, 0);
      await b.getPayment(paymentId);
      await b.listPayments({ customerId }, 10, 0);
      await b.listPayments({ contractId: (await b.getPayment(paymentId)).contractId }, 10, 0);
      await a.credits({ customerId, currency: 'USD', sandbox: false });
      await b.book({ customerId, currency: 'USD', sandbox: false, issuedTo: '2026-12-31' });
      await b.book({ contractId, currency: 'USD', sandbox: false, issuedTo: '2026-12-31' });
      await Promise.all([a.resumePending(), b.resumePending()]);
    } finally {
      recorder.stop();
    }
    const queries = recorder.queries.filter((q) => q.db === connections[0]!.name);
    const { checked, unindexed } = await unindexedQueries(mongoUrl, queries, () => false);
    expect(checked.length).toBeGreaterThan(10);
    expect(unindexed.map((u) => u.shape)).toEqual([]);
  });
});
