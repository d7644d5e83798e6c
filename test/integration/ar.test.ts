/**
 * The AR service on the real FerretDB, with the real revenue and invoicing services beside it and a
 * real Temporal client: payments oldest first with over-payment kept as credit, credit memos, one
 * ledger entry per payment even when replayed or resumed, the `invoicePaid` signal, aging at the
 * bucket boundaries, DSO, overdue, sandbox isolation.
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createLogger } from '../../libs/logger';
import { addDays } from '../../libs/dates';
import type { RunningService } from '../../libs/service-runtime';
import { createServiceClient } from '../../libs/service-client';
import { startArService, type RunningArService } from '../../services/ar';
import type { OpenReceivableRequest } from '../../services/ar/api';
import { startInvoicingService } from '../../services/invoicing';
import { startRevenueService } from '../../services/revenue';
import { installSdkLogging } from '../../worker';
import { http, testConfig, uniqueId, waitFor } from '../support/system';
import { paidSignalsQuery } from './ar.probe-workflow';

let ar: RunningArService;
let revenue: RunningService;
let invoicing: RunningService;
let connection: Connection;
let client: Client;
let workerConnection: NativeConnection;
let worker: Worker;
let workerRun: Promise<void>;
let config: ReturnType<typeof testConfig>;
const logger = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');

beforeAll(async () => {
  config = testConfig();
  [revenue, invoicing] = await Promise.all([startRevenueService(config, logger), startInvoicingService(config, logger)]);
  connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  ar = await startArService({ ...config, REVENUE_URL: revenue.url, INVOICING_URL: invoicing.url }, logger, { temporal: client, sweepIntervalMs: 0 });
  installSdkLogging(logger);
  workerConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  worker = await Worker.create({
    connection: workerConnection,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowsPath: path.join(__dirname, 'ar.probe-workflow.ts'),
  });
  workerRun = worker.run();
});

afterAll(async () => {
  await ar?.stop();
  await Promise.all([revenue?.stop(), invoicing?.stop()]);
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await workerRun;
  await workerConnection?.close();
  await connection?.close();
});

const post = (url: string, body: unknown, key = uniqueId('k')) => http('POST', url, body, { 'idempotency-key': key });

function receivable(overrides: Partial<OpenReceivableRequest> = {}): OpenReceivableRequest {
  return {
    invoiceNumber: uniqueId('INV'),
    contractId: uniqueId('c'),
    customerId: 'cust-acme',
    currency: 'USD',
    amount: '100.00',
    issueDate: '2026-01-10',
    dueDate: '2026-02-09',
    milestoneIds: ['m1'],
    ...overrides,
  };
}

async function open(overrides: Partial<OpenReceivableRequest> = {}) {
  const res = await post(`${ar.url}/receivables`, receivable(overrides));
  expect(res.status).toBe(201);
  return res.body;
}

const get = async (invoiceNumber: string) => (await http('GET', `${ar.url}/receivables/${invoiceNumber}`)).body;


describe('receivables', () => {
  it('opens a receivable once per key: 201, then 200 with the same body, 409 for another body', async () => {
    const body = receivable();
    const key = uniqueId('k');
    const first = await post(`${ar.url}/receivables`, body, key);
    const again = await post(`${ar.url}/receivables`, body, key);
    const other = await post(`${ar.url}/receivables`, { ...body, amount: '1.00' }, key);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ invoiceNumber: body.invoiceNumber, amount: '100.00', openAmount: '100.00', status: 'open' });
    expect([again.status, again.body.invoiceNumber]).toEqual([200, body.invoiceNumber]);
    expect([other.status, other.body.code]).toEqual([409, 'idempotency_conflict']);
  });

  it('answers 400 naming a bad field and 404 for an unknown invoice', async () => {
    const bad = await post(`${ar.url}/payments`, { customerId: 'x', currency: 'USD', date: '2026-01-01', amount: '-5' });
    expect([bad.status, bad.body.details.map((d: { path: string }) => d.path)]).toEqual([400, ['body.amount']]);
    expect((await http('GET', `${ar.url}/receivables/NOPE`)).body.code).toBe('not_found');
    const unknown = await post(`${ar.url}/payments`, { customerId: 'x', currency: 'USD', date: '2026-01-01', amount: '5.00', invoiceNumbers: ['NOPE'] });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'not_found']);
  });
});

describe('payments', () => {
  it('applies a payment oldest first and keeps the over-payment as customer credit, used by the next invoice', async () => {
    const customerId = uniqueId('cust');
    const contractId = uniqueId('c');
    const march = await open({ customerId, contractId, issueDate: '2026-03-01', dueDate: '2026-03-31', amount: '300.00' });
    const jan = await open({ customerId, contractId, issueDate: '2026-01-01', dueDate: '2026-01-31', amount: '100.00' });
    const feb = await open({ customerId, contractId, issueDate: '2026-02-01', dueDate: '2026-03-03', amount: '200.00' });

    const partial = await post(`${ar.url}/payments`, { customerId, currency: 'USD', date: '2026-03-05', amount: '250.00' });
    expect(partial.status).toBe(201);
    expect(partial.body.allocations).toEqual([{ invoiceNumber: jan.invoiceNumber, amount: '100.00' }, { invoiceNumber: feb.invoiceNumber, amount: '150.00' }]);
    expect(partial.body).toMatchObject({ unapplied: '0.00', contractId, state: 'applied', postedToLedger: true });
    expect((await get(feb.invoiceNumber))).toMatchObject({ status: 'partially_paid', openAmount: '50.00', paidAmount: '150.00' });

    const over = await post(`${ar.url}/payments`, { customerId, currency: 'USD', date: '2026-03-20', amount: '400.00' });
    expect(over.body.allocations).toEqual([{ invoiceNumber: feb.invoiceNumber, amount: '50.00' }, { invoiceNumber: march.invoiceNumber, amount: '300.00' }]);
    expect(over.body.unapplied).toBe('50.00');
    for (const n of [jan, feb, march].map((r) => r.invoiceNumber)) expect((await get(n)).status).toBe('paid');
    const credits = await http('GET', `${ar.url}/credits?customerId=${customerId}&currency=USD`);
    expect(credits.body.total).toBe('50.00');
    expect(credits.body.data).toEqual([expect.objectContaining({ lotId: `payment:${over.body.paymentId}`, amount: '50.00', remaining: '50.00' })]);

    const april = await open({ customerId, contractId, issueDate: '2026-04-01', dueDate: '2026-05-01', amount: '80.00' });
    expect(april).toMatchObject({ openAmount: '30.00', paidAmount: '50.00', status: 'partially_paid' });
    expect((await http('GET', `${ar.url}/credits?customerId=${customerId}&currency=USD`)).body.total).toBe('0.00');
  });

  it('pays the named invoices first, then the oldest others', async () => {
    const customerId = uniqueId('cust');
    const old = await open({ customerId, issueDate: '2026-01-01', amount: '100.00' });
    const named = await open({ customerId, issueDate: '2026-02-01', amount: '100.00' });
    const res = await post(`${ar.url}/payments`, { customerId, currency: 'USD', date: '2026-03-01', amount: '150.00', invoiceNumbers: [named.invoiceNumber] });
    expect(res.body.allocations).toEqual([{ invoiceNumber: named.invoiceNumber, amount: '100.00' }, { invoiceNumber: old.invoiceNumber, amount: '50.00' }]);
    expect(res.body.contractId).toBe(named.contractId);
  });

  it('posts exactly one ledger entry (Dr cash / Cr ar, the whole receipt) however often the payment is replayed', async () => {
    const customerId = uniqueId('cust');
    const r = await open({ customerId, amount: '100.00' });
    const body = { customerId, currency: 'USD', date: '2026-02-15', amount: '120.00' };
    const key = uniqueId('pay');
    const results = await Promise.all(Array.from({ length: 5 }, () => post(`${ar.url}/payments`, body, key)));
    expect(results.map((x) => x.status).sort()).toEqual([200, 200, 200, 200, 201]);
    expect(new Set(results.map((x) => x.body.paymentId)).size).toBe(1);
    const again = await post(`${ar.url}/payments`, body, key);
    expect(again.status).toBe(200);
    const entries = (await http('GET', `${revenue.url}/entries?contractId=${r.contractId}`)).body.data;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      ledger: 'books', eventDate: '2026-02-15', source: { type: 'payment', ref: again.body.paymentId },
      lines: [{ account: 'cash', debit: '120.00', credit: '0.00' }, { account: 'ar', debit: '0.00', credit: '120.00' }],
    });
    expect(again.body.ledgerEntryId).toBe(entries[0].entryId);
    const conflict = await post(`${ar.url}/payments`, { ...body, amount: '1.00' }, key);
    expect([conflict.status, conflict.body.code]).toEqual([409, 'idempotency_conflict']);
  });

  it('keeps a payment whose ledger posting failed and posts it once when resumed', async () => {
    const customerId = uniqueId('cust');
    const r = await open({ customerId, amount: '70.00' });
    // A second AR process on the same database whose revenue service is unreachable.
    const broken = await startArService({ ...config, REVENUE_URL: 'http://127.0.0.1:1', INVOICING_URL: invoicing.url }, logger, {
      revenue: createServiceClient('revenue', 'http://127.0.0.1:1', 500), sweepIntervalMs: 0,
    });
    let paymentId: string;
    try {
      const res = await post(`${broken.url}/payments`, { customerId, currency: 'USD', date: '2026-02-01', amount: '70.00' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ postedToLedger: false, state: 'applied', allocations: [{ invoiceNumber: r.invoiceNumber, amount: '70.00' }] });
      paymentId = res.body.paymentId;
    } finally {
      await broken.stop();
    }
    expect((await http('GET', `${revenue.url}/entries?contractId=${r.contractId}`)).body.data).toHaveLength(0);
    const swept = await ar.resumePending();
    expect(swept.payments).toBeGreaterThanOrEqual(1);
    await ar.resumePending();
    const entries = (await http('GET', `${revenue.url}/entries?contractId=${r.contractId}`)).body.data;
    expect(entries.map((e: { source: { ref: string } }) => e.source.ref)).toEqual([paymentId]);
    expect((await http('GET', `${ar.url}/payments/${paymentId}`)).body).toMatchObject({ postedToLedger: true, allocations: [{ amount: '70.00' }] });
  });

  it('refuses a payment that has no open invoice and no contract to book it to, naming contractId', async () => {
    const res = await post(`${ar.url}/payments`, { customerId: uniqueId('nobody'), currency: 'USD', date: '2026-02-01', amount: '10.00' });
    expect([res.status, res.body.details[0].path]).toEqual([400, 'body.contractId']);
  });
});

describe('sandbox isolation', () => {
  it('lets a real payment touch only the real books, and a sandbox payment only its own sandbox contract', async () => {
    const customerId = uniqueId('cust');
    const sandboxA = uniqueId('sbxA');
    const real = await open({ customerId, issueDate: '2026-03-01', amount: '100.00' });
    const sbxA = await open({ customerId, contractId: sandboxA, sandbox: true, issueDate: '2026-01-01', amount: '100.00' });
    const sbxB = await open({ customerId, contractId: uniqueId('sbxB'), sandbox: true, issueDate: '2026-01-01', amount: '100.00' });

    const realPay = await post(`${ar.url}/payments`, { customerId, currency: 'USD', date: '2026-03-02', amount: '150.00' });
    expect(realPay.body.allocations).toEqual([{ invoiceNumber: real.invoiceNumber, amount: '100.00' }]);
    expect(realPay.body.unapplied).toBe('50.00');
    const sbxPay = await post(`${ar.url}/payments`, { customerId, currency: 'USD', date: '2026-01-05', amount: '100.00', sandbox: true, contractId: sandboxA });
    expect(sbxPay.body.allocations).toEqual([{ invoiceNumber: sbxA.invoiceNumber, amount: '100.00' }]);
    expect((await get(sbxB.invoiceNumber)).openAmount).toBe('100.00');
    const sbxEntries = (await http('GET', `${revenue.url}/entries?contractId=${sandboxA}`)).body.data;
    expect(sbxEntries.map((e: { ledger: string }) => e.ledger)).toEqual([`sandbox:${sandboxA}`]);
    // The real customer credit is not used by a new sandbox invoice.
    const sbxNew = await open({ customerId, contractId: sandboxA, sandbox: true, issueDate: '2026-02-01', amount: '10.00' });
    expect(sbxNew.openAmount).toBe('10.00');
  });
});

describe('credit memos', () => {
  it('reduces the receivable; what exceeds the open amount becomes customer credit', async () => {
    const customerId = uniqueId('cust');
    const r = await open({ customerId, amount: '100.00' });
    const memo = { creditMemoNumber: uniqueId('CM'), invoiceNumber: r.invoiceNumber, amount: '30.00', date: '2026-01-20' };
    const key = uniqueId('cm');
    const first = await post(`${ar.url}/credit-memos`, memo, key);
    const replay = await post(`${ar.url}/credit-memos`, memo, key);
    expect([first.status, replay.status]).toEqual([201, 200]);
    expect(first.body).toMatchObject({ applied: '30.00', toCredit: '0.00' });
    expect(await get(r.invoiceNumber)).toMatchObject({ openAmount: '70.00', creditedAmount: '30.00', status: 'open' });

    await post(`${ar.url}/payments`, { customerId, currency: 'USD', date: '2026-01-25', amount: '60.00' });
    const late = await post(`${ar.url}/credit-memos`, { creditMemoNumber: uniqueId('CM'), invoiceNumber: r.invoiceNumber, amount: '25.00', date: '2026-01-28' });
    expect(late.body).toMatchObject({ applied: '10.00', toCredit: '15.00' });
    expect(await get(r.invoiceNumber)).toMatchObject({ openAmount: '0.00', paidAmount: '60.00', creditedAmount: '40.00', status: 'paid' });
    expect((await http('GET', `${ar.url}/credits?customerId=${customerId}&currency=USD`)).body.total).toBe('15.00');
  });

  it('marks a receivable credited in full as credited (not paid)', async () => {
    const r = await open({ amount: '40.00' });
    await post(`${ar.url}/credit-memos`, { creditMemoNumber: uniqueId('CM'), invoiceNumber: r.invoiceNumber, amount: '40.00', date: '2026-01-20' });
    expect((await get(r.invoiceNumber)).status).toBe('credited');
  });
});

describe('telling invoicing and the contract workflow', () => {
  it('reports the payment status to invoicing and signals invoicePaid once the invoice is fully paid', async () => {
    const contractId = uniqueId('c');
    const customer = { id: uniqueId('cust'), name: 'Signal Co' };
    const handle = await client.workflow.start('invoicePaidProbe', { workflowId: `contract-${contractId}`, taskQueue: config.TEMPORAL_TASK_QUEUE });
    try {
      const invoice = (await post(`${invoicing.url}/invoices`, {
        kind: 'milestone', contractId, customer, currency: 'USD', termsVersion: 1, date: '2026-02-10', paymentTerms: 'NET_30',
        lines: [{ milestoneId: 'go-live', description: 'Go-live', amount: '500.00' }],
      })).body;
      await open({ invoiceNumber: invoice.number, contractId, customerId: customer.id, amount: invoice.total, issueDate: invoice.date, dueDate: invoice.dueDate });

      await post(`${ar.url}/payments`, { customerId: customer.id, currency: 'USD', date: '2026-02-20', amount: '200.00' });
      expect((await http('GET', `${invoicing.url}/invoices/${invoice.number}`)).body).toMatchObject({ status: 'partially_paid', paidAmount: '200.00', openAmount: '300.00' });
      expect(await handle.query(paidSignalsQuery)).toEqual([]);

      await post(`${ar.url}/payments`, { customerId: customer.id, currency: 'USD', date: '2026-03-01', amount: '300.00', invoiceNumbers: [invoice.number] });
      expect((await http('GET', `${invoicing.url}/invoices/${invoice.number}`)).body).toMatchObject({ status: 'paid', openAmount: '0.00' });
      const signals = await waitFor(() => handle.query(paidSignalsQuery), (s) => s.length > 0);
      expect(signals).toEqual([{ invoiceNumber: invoice.number, paidOn: '2026-03-01' }]);
    } finally {
      await handle.terminate('test done');
    }
  });
});

describe('aging, overdue and DSO', () => {
  const asOf = '2026-06-30';
  // Days past due on `asOf` and a distinct amount each, so every bucket's sum names its members.
  const cases: [number, string][] = [[0, '1.00'], [30, '2.00'], [31, '4.00'], [60, '8.00'], [61, '16.00'], [90, '32.00'], [91, '64.00']];

  it('puts open amounts in the right bucket at each boundary (day 0, 30, 31, 60, 61, 90, 91), per customer and total', async () => {
    const customerId = uniqueId('aging');
    for (const [days, amount] of cases) {
      const due = addDays(asOf, -days);
      await open({ customerId, amount, dueDate: due, issueDate: addDays(due, -30) });
    }
    await open({ customerId, amount: '1000.00', issueDate: '2026-07-01', dueDate: '2026-07-31' }); // issued after asOf
    const other = uniqueId('aging-other');
    const otherR = await open({ customerId: other, amount: '5.00', issueDate: '2026-01-01', dueDate: '2026-01-31' });
    await post(`${ar.url}/payments`, { customerId: other, currency: 'USD', date: '2026-07-15', amount: '5.00', invoiceNumbers: [otherR.invoiceNumber] }); // paid after asOf

    const res = await http('GET', `${ar.url}/aging?asOf=${asOf}&currency=USD&customerId=${customerId}`);
    expect(res.status).toBe(200);
    expect(res.body.customers).toEqual([{
      customerId, current: '1.00', days_1_30: '2.00', days_31_60: '12.00', days_61_90: '48.00', days_over_90: '64.00', total: '127.00', credit: '0.00',
    }]);
    const all = (await http('GET', `${ar.url}/aging?asOf=${asOf}&currency=USD`)).body;
    expect(all.customers.find((c: { customerId: string }) => c.customerId === other)).toMatchObject({ days_over_90: '5.00', total: '5.00' });
    const afterPayment = (await http('GET', `${ar.url}/aging?asOf=2026-07-15&currency=USD&customerId=${other}`)).body;
    expect(afterPayment.total.total).toBe('0.00');

    const overdue = (await http('GET', `${ar.url}/overdue?asOf=${asOf}&currency=USD&customerId=${customerId}`)).body.data;
    expect(overdue.map((o: { daysPastDue: number }) => o.daysPastDue)).toEqual([91, 90, 61, 60, 31, 30]);
    expect(overdue[0]).toMatchObject({ bucket: 'days_over_90', openAmount: '64.00' });
  });

  it('computes DSO as receivables at the end over sales in the period times its days', async () => {
    const customerId = uniqueId('dso');
    const a = await open({ customerId, amount: '600.00', issueDate: '2026-04-05', dueDate: '2026-05-05' });
    await open({ customerId, amount: '300.00', issueDate: '2026-04-20', dueDate: '2026-05-20' });
    await post(`${ar.url}/payments`, { customerId, currency: 'USD', date: '2026-04-25', amount: '600.00', invoiceNumbers: [a.invoiceNumber] });
    const res = await http('GET', `${ar.url}/dso?from=2026-04-01&to=2026-04-30&currency=USD&customerId=${customerId}`);
    expect(res.body).toEqual({ from: '2026-04-01', to: '2026-04-30', currency: 'USD', days: 30, receivablesAtEnd: '300.00', sales: '900.00', dso: '10.0' });
    const bad = await http('GET', `${ar.url}/aging?currency=USD`);
    expect([bad.status, bad.body.details[0].path]).toEqual([400, 'query.asOf']);
  });
});

describe('OpenAPI', () => {
  it('serves an OpenAPI 3 description generated from the schemas', async () => {
    const doc = (await http('GET', `${ar.url}/openapi.json`)).body;
    expect(doc.openapi).toBe('3.1.0');
    const pay = doc.paths['/payments'].post;
    expect(pay.requestBody.content['application/json'].schema.required).toEqual(expect.arrayContaining(['customerId', 'currency', 'date', 'amount']));
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/receivables', '/credit-memos', '/aging', '/dso', '/overdue', '/credits', '/receivables/{invoiceNumber}']));
  });
});
