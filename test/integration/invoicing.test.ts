/** The invoicing service alone, on the real FerretDB: numbering, idempotency, credit memos, queries, HTML, OpenAPI. */
import { createLogger } from '../../libs/logger';
import type { RunningService } from '../../libs/service-runtime';
import { startInvoicingService } from '../../services/invoicing';
import type { IssueInvoiceRequest } from '../../services/invoicing/api';
import { http, serviceHeaders, testConfig, uniqueId } from '../support/system';

let svc: RunningService;
let sharedPrefix: string;

beforeAll(async () => {
  const config = testConfig();
  sharedPrefix = config.MONGO_DB_PREFIX;
  svc = await startInvoicingService(config, createLogger('test', config.LOG_LEVEL));
});

afterAll(async () => {
  await svc?.stop();
});

function invoice(overrides: Partial<IssueInvoiceRequest> = {}): IssueInvoiceRequest {
  return {
    kind: 'milestone',
    contractId: uniqueId('c'),
    customer: { id: 'cust-acme', name: 'Acme Corp' },
    currency: 'USD',
    termsVersion: 1,
    date: '2026-02-10',
    paymentTerms: 'NET_30',
    lines: [{ milestoneId: 'go-live', description: 'Go-live of the HR system', amount: '1000.00' }],
    ...overrides,
  };
}

const post = (path: string, body: unknown, key: string) => http('POST', `${svc.url}${path}`, body, { 'idempotency-key': key });
const seqOf = (number: string) => Number(number.slice(-6));

describe('invoice numbers', () => {
  it('gives 100 concurrent creations 100 distinct consecutive numbers in the year of the invoice date', async () => {
    const contractId = uniqueId('c');
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => post('/invoices', invoice({ contractId, date: '2031-03-01', lines: [{ milestoneId: `m${i}`, description: `M ${i}`, amount: '10.00' }] }), uniqueId('k'))),
    );
    expect(results.map((r) => r.status)).toEqual(Array(100).fill(201));
    const numbers = results.map((r) => r.body.number as string);
    expect(new Set(numbers).size).toBe(100);
    expect(numbers.every((n) => /^INV-2031-\d{6}$/.test(n))).toBe(true);
    expect(numbers.map(seqOf).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('gives one invoice and draws one number when the same key is sent 10 times concurrently', async () => {
    const body = invoice({ date: '2032-05-05' });
    const key = uniqueId('k');
    const results = await Promise.all(Array.from({ length: 10 }, () => post('/invoices', body, key)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(9);
    expect(new Set(results.map((r) => r.body.number))).toEqual(new Set(['INV-2032-000001']));
    const list = await http('GET', `${svc.url}/invoices?contractId=${body.contractId}`);
    expect(list.body.data).toHaveLength(1);
    // No number was burned: the next invoice of that year is the very next one.
    const next = await post('/invoices', invoice({ date: '2032-06-01' }), uniqueId('k'));
    expect(next.body.number).toBe('INV-2032-000002');
  });

  it('keeps numbers gapless and unique when two service instances (processes) share the database', async () => {
    const config = { ...testConfig(), MONGO_DB_PREFIX: sharedPrefix };
    const [a, b] = await Promise.all([startInvoicingService(config, createLogger('test', 'silent')), startInvoicingService(config, createLogger('test', 'silent'))]);
    try {
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) =>
        http('POST', `${(i % 2 ? a : b).url}/invoices`, invoice({ date: '2035-07-01' }), { 'idempotency-key': uniqueId('k') })));
      expect(results.map((r) => r.status)).toEqual(Array(40).fill(201));
      expect(results.map((r) => seqOf(r.body.number)).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('runs sandbox invoices on their own SBX sequence, leaving the books gapless', async () => {
    const real1 = await post('/invoices', invoice({ date: '2033-01-10' }), uniqueId('k'));
    const sandbox = await post('/invoices', invoice({ date: '2033-01-11', sandbox: true }), uniqueId('k'));
    const real2 = await post('/invoices', invoice({ date: '2033-01-12' }), uniqueId('k'));
    expect([real1.body.number, sandbox.body.number, real2.body.number]).toEqual(['INV-2033-000001', 'SBX-INV-2033-000001', 'INV-2033-000002']);
    expect(sandbox.body.sandbox).toBe(true);
  });
});

describe('issuing', () => {
  it('answers 201 first, 200 with the same invoice on replay, and 409 idempotency_conflict for another body under the key', async () => {
    const body = invoice();
    const key = uniqueId('k');
    const first = await post('/invoices', body, key);
    const again = await post('/invoices', body, key);
    const other = await post('/invoices', { ...body, termsVersion: 2 }, key);
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect([other.status, other.body.code]).toEqual([409, 'idempotency_conflict']);
  });

  it('dates the invoice due after the payment-term days and totals its lines', async () => {
    const res = await post('/invoices', invoice({
      date: '2026-12-20', paymentTerms: 'NET_15',
      lines: [{ milestoneId: 'a', description: 'A', amount: '0.10' }, { milestoneId: 'b', description: 'B', amount: '0.20' }],
    }), uniqueId('k'));
    expect(res.body).toMatchObject({ date: '2026-12-20', dueDate: '2027-01-04', paymentTerms: 'NET_15', total: '0.30', status: 'issued', kind: 'milestone' });
  });

  it('refuses a bad field with 400 validation_failed naming it, and a missing key', async () => {
    const bad = await post('/invoices', { ...invoice(), date: '2026-02-30', lines: [{ milestoneId: 'x', description: 'x', amount: '1,00' }] }, uniqueId('k'));
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('validation_failed');
    expect(bad.body.details.map((d: { path: string }) => d.path).sort()).toEqual(['body.date', 'body.lines.0.amount']);
    const noKey = await http('POST', `${svc.url}/invoices`, invoice());
    expect([noKey.status, noKey.body.details[0].path]).toEqual([400, 'header.Idempotency-Key']);
  });

  it('answers 404 not_found for an unknown invoice, credit memo and original', async () => {
    expect((await http('GET', `${svc.url}/invoices/INV-1999-000001`)).body.code).toBe('not_found');
    expect((await http('GET', `${svc.url}/credit-memos/CM-1999-000001`)).status).toBe(404);
    const supp = await post('/invoices', invoice({ kind: 'supplementary', originalInvoiceNumber: 'INV-1999-000009', amendmentVersion: 2 }), uniqueId('k'));
    expect([supp.status, supp.body.code]).toEqual([404, 'not_found']);
  });

  it('issues a supplementary invoice referencing its original and the amendment', async () => {
    const original = await post('/invoices', invoice(), uniqueId('k'));
    const supp = await post('/invoices', invoice({
      kind: 'supplementary', contractId: original.body.contractId, termsVersion: 2, originalInvoiceNumber: original.body.number, amendmentVersion: 2,
      lines: [{ milestoneId: 'go-live', description: 'Go-live of the HR system', amount: '250.00' }],
    }), uniqueId('k'));
    expect(supp.status).toBe(201);
    expect(supp.body).toMatchObject({ kind: 'supplementary', originalInvoiceNumber: original.body.number, amendmentVersion: 2, total: '250.00' });
    expect(seqOf(supp.body.number)).toBe(seqOf(original.body.number) + 1);
  });
});

describe('credit memos', () => {
  it('numbers memos CM-YYYY-NNNNNN, keeps a partly credited invoice issued and marks a fully credited one credited', async () => {
    const original = (await post('/invoices', invoice({ date: '2034-04-01' }), uniqueId('k'))).body;
    const memo = (amount: string) => ({
      contractId: original.contractId, customer: original.customer, currency: 'USD', originalInvoiceNumber: original.number,
      amendmentVersion: 2, date: '2034-04-15', lines: [{ milestoneId: 'go-live', description: 'Go-live, reduced by amendment 2', amount }],
    });
    const first = await post('/credit-memos', memo('400.00'), uniqueId('cm'));
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ number: 'CM-2034-000001', kind: 'credit_memo', originalInvoiceNumber: original.number, amendmentVersion: 2, total: '400.00' });
    const partly = (await http('GET', `${svc.url}/invoices/${original.number}`)).body;
    expect(partly).toMatchObject({ status: 'issued', creditedAmount: '400.00', creditMemoNumbers: ['CM-2034-000001'] });

    const tooMuch = await post('/credit-memos', memo('600.01'), uniqueId('cm'));
    expect([tooMuch.status, tooMuch.body.code]).toEqual([409, 'not_allowed_in_state']);

    const key = uniqueId('cm');
    const rest = await post('/credit-memos', memo('600.00'), key);
    const replay = await post('/credit-memos', memo('600.00'), key);
    expect([rest.status, replay.status, replay.body.number]).toEqual([201, 200, 'CM-2034-000002']);
    const credited = (await http('GET', `${svc.url}/invoices/${original.number}`)).body;
    expect(credited).toMatchObject({ status: 'credited', creditedAmount: '1000.00', creditMemoNumbers: ['CM-2034-000001', 'CM-2034-000002'] });

    const list = await http('GET', `${svc.url}/credit-memos?contractId=${original.contractId}`);
    expect(list.body.data.map((m: { number: string }) => m.number)).toEqual(['CM-2034-000001', 'CM-2034-000002']);
    expect((await http('GET', `${svc.url}/credit-memos/CM-2034-000002`)).body.total).toBe('600.00');
  });

  it('refuses a memo for another contract than its original, naming the field', async () => {
    const original = (await post('/invoices', invoice(), uniqueId('k'))).body;
    const res = await post('/credit-memos', {
      contractId: 'other', customer: original.customer, currency: 'USD', originalInvoiceNumber: original.number, amendmentVersion: 2,
      date: '2026-03-01', lines: [{ milestoneId: 'go-live', description: 'x', amount: '1.00' }],
    }, uniqueId('cm'));
    expect([res.status, res.body.details[0].path]).toEqual([400, 'body.contractId']);
  });
});

describe('payment status from AR', () => {
  it('applies a newer revision and ignores an older one', async () => {
    const inv = (await post('/invoices', invoice(), uniqueId('k'))).body;
    const url = `${svc.url}/invoices/${inv.number}/status`;
    expect((await http('POST', url, { status: 'partially_paid', paidAmount: '100.00', openAmount: '900.00', revision: 2 })).body.status).toBe('partially_paid');
    const paid = await http('POST', url, { status: 'paid', paidAmount: '1000.00', openAmount: '0.00', revision: 3 });
    expect(paid.body).toMatchObject({ status: 'paid', paidAmount: '1000.00', openAmount: '0.00' });
    const stale = await http('POST', url, { status: 'partially_paid', paidAmount: '100.00', openAmount: '900.00', revision: 2 });
    expect(stale.body.status).toBe('paid');
    const filtered = await http('GET', `${svc.url}/invoices?contractId=${inv.contractId}&status=paid`);
    expect(filtered.body.data.map((i: { number: string }) => i.number)).toEqual([inv.number]);
  });
});

describe('queries', () => {
  it('lists by customer and date range with pagination, in issue order, with the total count', async () => {
    const customer = { id: uniqueId('cust'), name: 'Filter Co' };
    const dates = ['2026-01-05', '2026-02-05', '2026-03-05', '2026-04-05'];
    const numbers: string[] = [];
    for (const date of dates) numbers.push((await post('/invoices', invoice({ customer, date }), uniqueId('k'))).body.number);
    const page1 = await http('GET', `${svc.url}/invoices?customerId=${customer.id}&dateFrom=2026-02-01&dateTo=2026-04-30&limit=2`);
    const page2 = await http('GET', `${svc.url}/invoices?customerId=${customer.id}&dateFrom=2026-02-01&dateTo=2026-04-30&limit=2&offset=2`);
    expect(page1.body).toMatchObject({ limit: 2, offset: 0, total: 3 });
    expect(page1.body.data.map((i: { number: string }) => i.number)).toEqual(numbers.slice(1, 3));
    expect(page2.body.data.map((i: { number: string }) => i.number)).toEqual(numbers.slice(3));
    const bad = await http('GET', `${svc.url}/invoices?status=lost`);
    expect([bad.status, bad.body.details[0].path]).toEqual([400, 'query.status']);
  });
});

describe('printable invoice', () => {
  it('renders HTML with the contract wording verbatim (escaped), totals, due date and payment terms', async () => {
    const inv = (await post('/invoices', invoice({
      customer: { id: 'cust-x', name: 'Smith & <Sons>' },
      lines: [{ milestoneId: 'go-live', description: 'Phase 1 "design" <b>sign-off</b> & handover', amount: '1234.50' }],
    }), uniqueId('k'))).body;
    for (const url of [`${svc.url}/invoices/${inv.number}.html`, `${svc.url}/invoices/${inv.number}?format=html`]) {
      const res = await fetch(url, { headers: serviceHeaders() });
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const page = await res.text();
      expect(page).toContain('Phase 1 &quot;design&quot; &lt;b&gt;sign-off&lt;/b&gt; &amp; handover');
      expect(page).not.toContain('<b>sign-off</b>');
      expect(page).toContain('Smith &amp; &lt;Sons&gt;');
      expect(page).toContain('<dt>Due date</dt><dd>2026-03-12</dd>');
      expect(page).toContain('<dt>Payment terms</dt><dd>Net 30 days</dd>');
      expect(page).toContain('<td class="amount" id="total">1234.50 USD</td>');
    }
  });
});

describe('OpenAPI', () => {
  it('serves an OpenAPI 3 description generated from the request schemas', async () => {
    const res = await http('GET', `${svc.url}/openapi.json`);
    expect(res.body.openapi).toBe('3.1.0');
    const issue = res.body.paths['/invoices'].post;
    expect(issue.parameters).toContainEqual(expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: true }));
    const schema = issue.requestBody.content['application/json'].schema;
    expect(schema.properties.kind.enum).toEqual(['milestone', 'advance', 'supplementary']);
    expect(schema.required).toEqual(expect.arrayContaining(['kind', 'contractId', 'lines']));
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/credit-memos', '/invoices/{number}', '/invoices/{number}/status']));
    expect(res.body.paths['/invoices'].get.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['contractId', 'customerId', 'status', 'dateFrom', 'dateTo', 'limit', 'offset']));
  });
});

describe('several processes on one database', () => {
  /** Two more instances of the service on the shared database, as two replicas would be. */
  async function replicas(): Promise<[RunningService, RunningService]> {
    const config = { ...testConfig(), MONGO_DB_PREFIX: sharedPrefix };
    return Promise.all([startInvoicingService(config, createLogger('test', 'silent')), startInvoicingService(config, createLogger('test', 'silent'))]);
  }

  it('continues the sequence from the books when a replica starts after many draws (no gap, no repeat)', async () => {
    for (let i = 0; i < 37; i += 1) await post('/invoices', invoice({ date: '2036-03-01' }), uniqueId('k'));
    const [a, b] = await replicas();
    try {
      const next = await http('POST', `${a.url}/invoices`, invoice({ date: '2036-03-02' }), { 'idempotency-key': uniqueId('k') });
      expect(next.body.number).toBe('INV-2036-000038');
      // b's hint is 0, svc's is 37: both must land on the first free numbers.
      const more = await Promise.all([b, svc, a, b, svc].map((s) => http('POST', `${s.url}/invoices`, invoice({ date: '2036-03-03' }), { 'idempotency-key': uniqueId('k') })));
      expect(more.map((r) => seqOf(r.body.number)).sort((x, y) => x - y)).toEqual([39, 40, 41, 42, 43]);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('never credits more than the invoice total when memos race on different processes', async () => {
    const original = (await post('/invoices', invoice({ date: '2037-05-01' }), uniqueId('k'))).body;
    const memo = (amount: string) => ({
      contractId: original.contractId, customer: original.customer, currency: 'USD', originalInvoiceNumber: original.number,
      amendmentVersion: 2, date: '2037-05-15', lines: [{ milestoneId: 'go-live', description: 'reduced', amount }],
    });
    const [a, b] = await replicas();
    try {
      // 12 memos of 300.00 against 1000.00: exactly three fit, whichever processes they reach.
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) =>
        http('POST', `${[a, b, svc][i % 3]!.url}/credit-memos`, memo('300.00'), { 'idempotency-key': uniqueId('cm') })));
      expect(results.filter((r) => r.status === 201)).toHaveLength(3);
      expect(results.filter((r) => r.status === 409).every((r) => r.body.code === 'not_allowed_in_state')).toBe(true);
      expect(results.filter((r) => r.status === 409)).toHaveLength(9);
      const inv = (await http('GET', `${svc.url}/invoices/${original.number}`)).body;
      expect(inv).toMatchObject({ creditedAmount: '900.00', status: 'issued' });
      expect(inv.creditMemoNumbers).toHaveLength(3);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('shows the newest payment status whatever order reports reach the processes in', async () => {
    const inv = (await post('/invoices', invoice({ date: '2037-06-01' }), uniqueId('k'))).body;
    const [a, b] = await replicas();
    try {
      const report = (revision: number) => ({
        status: revision === 5 ? 'paid' : 'partially_paid', paidAmount: `${revision * 200}.00`, openAmount: `${1000 - revision * 200}.00`, revision,
      });
      await Promise.all([5, 1, 3, 2, 4].map((rev, i) => http('POST', `${[a, b, svc][i % 3]!.url}/invoices/${inv.number}/status`, report(rev))));
      for (const s of [a, b, svc]) {
        expect((await http('GET', `${s.url}/invoices/${inv.number}`)).body).toMatchObject({ status: 'paid', paidAmount: '1000.00', openAmount: '0.00' });
      }
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
