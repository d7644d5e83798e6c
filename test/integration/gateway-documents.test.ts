/**
 * Documents, AR and the GL export through the gateway, on the real stack: invoices and credit memos
 * by number (JSON, HTML, PDF), per contract and per customer a page at a time, customer scope, the
 * printable invoice after an advance, credit memos and a partial payment, aging / overdue / DSO /
 * customer credit, and the GL export of a closed month with the company's account codes.
 */
import { milestone, sandboxTerms } from '../support/contracts';
import { simpleContract } from '../support/fixtures';
import { recordQueries, unindexedQueries } from '../support/query-guard';
import { http, startTestSystem, testApiKeys, uniqueId, waitFor, type TestSystem } from '../support/system';

const custA = uniqueId('cust-docs-a');
const custB = uniqueId('cust-docs-b');
const custC = uniqueId('cust-docs-c');
const custD = uniqueId('cust-docs-d');
const keys = testApiKeys({ 'portal-a': { role: 'approver', customerId: custA }, 'portal-b': { role: 'support', customerId: custB }, 'portal-d': { role: 'support', customerId: custD } });
const GL_MAP = { ar: '1200', unbilled_ar: '1210', cash: '1000' }; // revenue and deferred_revenue left unmapped on purpose

let sys: TestSystem;
let gw: string;
const as = (name: string) => keys.headers(name);
const get = (path: string, key = 'admin', headers: Record<string, string> = {}) => http('GET', `${gw}${path}`, undefined, { ...as(key), ...headers });
const post = (path: string, body: unknown, key = 'admin') => http('POST', `${gw}${path}`, body, as(key));

beforeAll(async () => {
  sys = await startTestSystem({
    ...keys.env,
    TOLLGATE_GL_ACCOUNT_MAP: JSON.stringify(GL_MAP),
    TOLLGATE_SELLER_NAME: 'Vendor <Services> GmbH',
    TOLLGATE_SELLER_ADDRESS: 'Hauptstraße 1\\n10115 Berlin',
    TOLLGATE_SELLER_TAX_ID: 'DE123456789',
    TOLLGATE_SELLER_EMAIL: 'billing@vendor.example',
  });
  gw = sys.gatewayUrl;
});

afterAll(async () => {
  await sys?.stop();
});

/** The sandbox contract of customer A: an advance of 10,000; m1 30,000 (20,000 after the advance), m2 20,000, m3 10,000. */
async function contractA() {
  const terms = sandboxTerms([
    milestone('m1', { amount: '30000.00', description: 'Design & <build> phase' }),
    milestone('m2', { amount: '20000.00', sequence: 2 }),
    milestone('m3', { amount: '10000.00', sequence: 3 }),
  ], {
    customer: { id: custA, name: 'Alpha & Co' },
    obligations: [{ id: 'impl', name: 'Implementation', ssp: '60000.00', recognition: { method: 'milestones' } }],
    advanceBilling: { amount: '10000.00', date: '2025-01-01' },
  });
  const c = { id: terms.contractId, state: async () => (await get(`/contracts/${terms.contractId}`)).body };
  expect((await post('/contracts', terms, 'finance')).status).toBe(201);
  for (const [on, m] of [['2025-01-10', 'm1'], ['2025-01-20', 'm2'], ['2025-01-25', 'm3']] as const) {
    expect((await post(`/contracts/${c.id}/clock`, { to: on })).status).toBe(200);
    expect((await post(`/contracts/${c.id}/milestones/${m}/complete`, {})).body.outcome).toBe('applied');
  }
  const numbered = (s: any) => s.invoices.length === 4 && s.invoices.every((i: { number?: string }) => i.number);
  const state = await waitFor(() => c.state(), numbered);
  expect(numbered(state)).toBe(true);
  return { c, state };
}

describe('invoices and credit memos through the gateway', () => {
  let a: { c: { id: string }; state: any };
  let numberOf: (m: string) => string;
  let advanceNumber: string;

  beforeAll(async () => {
    a = await contractA();
    numberOf = (m) => a.state.milestones[m].invoiceNumbers[0];
    advanceNumber = a.state.invoices.find((i: { kind: string }) => i.kind === 'advance').number;
    // m2 lowered to 15,000 (credit memo 5,000), m3 to 0 (credit memo 10,000: fully credited), then 5,000 paid on m2.
    const amended = await post(`/contracts/${a.c.id}/amendments`, { baseVersion: 1, changes: { milestones: [{ id: 'm2', amount: '15000.00' }, { id: 'm3', amount: '0.00' }] } }, 'finance');
    expect(amended.status).toBe(200);
    const memos = await waitFor(() => get(`/contracts/${a.c.id}/credit-memos`), (r) => r.body?.data?.length === 2 && r.body.data.every((m: { number: string }) => !m.number.startsWith('PENDING')));
    expect(memos.body.data).toHaveLength(2);
    expect((await post(`/contracts/${a.c.id}/payments`, { amount: '5000.00', invoiceFor: 'm2' }, 'finance')).status).toBe(201);
  });

  it('reads an invoice by its number as JSON, HTML and PDF', async () => {
    const n = numberOf('m1');
    const json = await get(`/invoices/${n}`, 'support');
    expect(json.status).toBe(200);
    expect(json.body).toMatchObject({ number: n, contractId: a.c.id, customer: { id: custA }, total: '20000.00', kind: 'milestone' });
    expect(json.body).not.toHaveProperty('customerId');

    const html = await get(`/invoices/${n}?format=html`, 'support');
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html.text).toContain(`Invoice ${n}`);
    const byAccept = await get(`/invoices/${n}`, 'support', { accept: 'text/html' });
    expect(byAccept.text).toBe(html.text);
    expect((await get(`/invoices/${n}.html`, 'support')).text).toBe(html.text);

    for (const pdf of [await get(`/invoices/${n}.pdf`, 'support'), await get(`/invoices/${n}?format=pdf`, 'support'), await get(`/invoices/${n}`, 'support', { accept: 'application/pdf' })]) {
      expect(pdf.status).toBe(200);
      expect(pdf.headers.get('content-type')).toBe('application/pdf');
      expect(pdf.text.startsWith('%PDF-')).toBe(true);
    }
    expect((await get('/invoices/INV-2099-999999', 'support')).body).toMatchObject({ code: 'not_found', message: 'no invoice INV-2099-999999' });
    expect((await get('/invoices/not-a-number', 'support')).body).toMatchObject({ code: 'validation_failed', details: [{ path: 'params.number' }] });
  });

  it('prints the advance applied, the seller, and every text escaped', async () => {
    const html = (await get(`/invoices/${numberOf('m1')}.html`)).text;
    expect(html).toContain('Vendor &lt;Services&gt; GmbH');
    expect(html).toContain('<br>Hauptstraße 1<br>10115 Berlin<br>Tax ID: DE123456789<br>E-mail: billing@vendor.example');
    expect(html).toContain('Alpha &amp; Co');
    expect(html).toContain('Design &amp; &lt;build&gt; phase');
    expect(html).toContain(`Less advance applied (advance invoice ${advanceNumber})</td><td class="amount" id="advance">-10000.00 USD`);
    expect(html).toMatch(/Milestone amount<\/td><td class="amount">30000\.00 USD/);
    expect(html).toMatch(/id="total">20000\.00 USD/);
  });

  it('prints credit memos, paid to date, the balance and a status that reflects them', async () => {
    // AR applies the memo and the payment, then reports to invoicing: read until it has.
    const m2 = await waitFor(() => get(`/invoices/${numberOf('m2')}.html`), (r) => /data-status="partially paid"/.test(r.text));
    expect(m2.text).toMatch(/data-status="partially paid"/);
    expect(m2.text).toMatch(/data-credited="5000\.00" data-paid="5000\.00" data-balance="10000\.00"/);
    expect(m2.text).toMatch(/Credit memo (SBX-)?CM-2025-\d{6} \(2025-01-25\)<\/td><td class="amount">-5000\.00 USD/);
    expect(m2.text).toMatch(/id="paid">-5000\.00 USD/);
    expect(m2.text).toMatch(/id="balance">10000\.00 USD/);

    const m3 = await waitFor(() => get(`/invoices/${numberOf('m3')}.html`), (r) => /data-status="credited"/.test(r.text));
    expect(m3.text).toMatch(/<dt>Status<\/dt><dd>credited<\/dd>/);
    expect(m3.text).toMatch(/id="balance">0\.00 USD/);
    expect((await get(`/invoices/${numberOf('m3')}`)).body.status).toBe('credited');

    const memo = (await get(`/contracts/${a.c.id}/credit-memos?originalInvoiceNumber=${numberOf('m3')}`)).body.data[0];
    const memoHtml = await get(`/credit-memos/${memo.number}.html`, 'portal-a');
    expect(memoHtml.text).toContain(`Credit memo ${memo.number}`);
    expect(memoHtml.text).toMatch(/Total credited<\/td><td class="amount" id="total">10000\.00 USD/);
    expect(memoHtml.text).toContain(`${numberOf('m3')} of 2025-01-25`);
    expect((await get(`/credit-memos/${memo.number}.pdf`, 'portal-a')).text.startsWith('%PDF-')).toBe(true);
    expect((await get(`/credit-memos/${memo.number}`, 'portal-a')).body).toMatchObject({ number: memo.number, total: '10000.00', originalInvoiceNumber: numberOf('m3') });
  });

  it('lists a contract\'s invoices and credit memos a page at a time', async () => {
    const p1 = await get(`/contracts/${a.c.id}/invoices?limit=2`, 'support');
    expect(p1.status).toBe(200);
    expect(p1.body.data.map((i: { number: string }) => i.number)).toEqual([advanceNumber, numberOf('m1')]);
    expect(typeof p1.body.nextCursor).toBe('string');
    const p2 = await get(`/contracts/${a.c.id}/invoices?limit=2&cursor=${p1.body.nextCursor}`, 'support');
    expect(p2.body.data.map((i: { number: string }) => i.number)).toEqual([numberOf('m2'), numberOf('m3')]);
    expect(p2.body).not.toHaveProperty('nextCursor');
    expect((await get(`/contracts/${a.c.id}/invoices?status=credited`)).body.data.map((i: { number: string }) => i.number)).toEqual([numberOf('m3')]);

    const m1 = await get(`/contracts/${a.c.id}/credit-memos?limit=1`);
    const m2 = await get(`/contracts/${a.c.id}/credit-memos?limit=1&cursor=${m1.body.nextCursor}`);
    expect([...m1.body.data, ...m2.body.data].map((m: { originalInvoiceNumber: string }) => m.originalInvoiceNumber).sort()).toEqual([numberOf('m2'), numberOf('m3')].sort());
    expect(m2.body.nextCursor).toBeUndefined();

    expect((await get(`/contracts/${a.c.id}/invoices?cursor=bm9wZQ`)).body).toMatchObject({ code: 'validation_failed', details: [{ path: 'query.cursor' }] });
    expect((await get(`/contracts/${a.c.id}/invoices?limit=500`)).body).toMatchObject({ code: 'validation_failed', details: [{ path: 'query.limit' }] });
    expect((await get('/contracts/no-such-contract/invoices')).status).toBe(404);
  });

  it('lists a customer\'s invoices across contracts from the customerId index, a page at a time', async () => {
    const recorder = recordQueries();
    let p1: any;
    let p2: any;
    try {
      p1 = await get(`/customers/${custA}/invoices?sandbox=true&limit=3`, 'portal-a');
      p2 = await get(`/customers/${custA}/invoices?sandbox=true&limit=3&cursor=${p1.body.nextCursor}`, 'portal-a');
      expect((await get(`/customers/${custA}/credit-memos?sandbox=true`, 'portal-a')).body.data).toHaveLength(2);
      expect((await get(`/invoices/${numberOf('m2')}`, 'portal-a')).status).toBe(200);
    } finally {
      recorder.stop();
    }
    expect(p1.body.data).toHaveLength(3);
    expect(p2.body.data).toHaveLength(1);
    expect(p2.body.nextCursor).toBeUndefined();
    expect([...p1.body.data, ...p2.body.data].map((i: { number: string }) => i.number)).toEqual([advanceNumber, numberOf('m1'), numberOf('m2'), numberOf('m3')]);
    // Real documents by default: this customer has none.
    expect((await get(`/customers/${custA}/invoices`, 'portal-a')).body).toEqual({ data: [] });
    const docs = recorder.queries.filter((q) => q.collection === 'invoices' || q.collection === 'credit_memos');
    expect(docs.some((q) => 'customerId' in q.filter)).toBe(true);
    const { unindexed } = await unindexedQueries(sys.config.MONGO_URL, docs, () => false);
    expect(unindexed.map((u) => u.shape)).toEqual([]);
  });

  it('a customer-scoped key reads its own documents; another customer\'s answer 404 as if they did not exist', async () => {
    const b = simpleContract({ contractId: uniqueId('docs-b'), customer: { id: custB, name: 'Beta Ltd' } });
    expect((await post('/contracts', b, 'finance')).status).toBe(201);
    expect((await post(`/contracts/${b.contractId}/milestones/go-live/complete`, {})).status).toBe(200);
    const invoices = await waitFor(() => get(`/contracts/${b.contractId}/invoices`), (r) => r.body?.data?.[0]?.number?.startsWith('INV-'));
    const bNumber = invoices.body.data[0].number as string;

    expect((await get(`/invoices/${bNumber}`, 'portal-b')).status).toBe(200);
    for (const path of [`/invoices/${bNumber}`, `/invoices/${bNumber}.pdf`, `/invoices/${bNumber}?format=html`]) {
      const r = await get(path, 'portal-a');
      expect({ path, status: r.status, code: r.body?.code, message: r.body?.message }).toEqual({ path, status: 404, code: 'not_found', message: `no invoice ${bNumber}` });
    }
    expect((await get(`/invoices/${numberOf('m1')}`, 'portal-b')).status).toBe(404);
    expect((await get(`/customers/${custB}/invoices`, 'portal-a')).body).toMatchObject({ code: 'not_found' });
    expect((await get(`/contracts/${b.contractId}/invoices`, 'portal-a')).status).toBe(404);
    expect((await get(`/customers/${custB}/invoices`, 'portal-b')).body.data.map((i: { number: string }) => i.number)).toEqual([bNumber]);
    expect((await http('GET', `${gw}/customers/${custB}/invoices`)).status).toBe(401); // no key
  });
});

describe('accounts receivable and the GL export through the gateway', () => {
  let bContract: string;
  let bInvoice: string;
  let cContract: string;

  beforeAll(async () => {
    // Real books: customer D owes 30,000 of 50,000 (accepted 2026-11-20, invoiced today); customer C overpaid by 2,000.
    const b = simpleContract({ contractId: uniqueId('ar-b'), customer: { id: custD, name: 'Beta Ltd' } });
    const c = simpleContract({ contractId: uniqueId('ar-c'), customer: { id: custC, name: 'Gamma Inc' } });
    c.milestones[0]!.amount = '10000.00';
    c.obligations[0]!.ssp = '10000.00';
    bContract = b.contractId;
    cContract = c.contractId;
    for (const terms of [b, c]) {
      expect((await post('/contracts', terms, 'finance')).status).toBe(201);
      expect((await post(`/contracts/${terms.contractId}/milestones/go-live/complete`, { date: '2026-11-20' })).status).toBe(200);
    }
    const bInv = await waitFor(() => get(`/contracts/${bContract}/invoices`), (r) => r.body?.data?.[0]?.number?.startsWith('INV-'));
    bInvoice = bInv.body.data[0].number;
    await waitFor(() => get(`/contracts/${cContract}/invoices`), (r) => r.body?.data?.[0]?.number?.startsWith('INV-'));
    expect((await post(`/contracts/${bContract}/payments`, { amount: '20000.00', invoiceFor: 'go-live' }, 'finance')).status).toBe(201);
    expect((await post(`/contracts/${cContract}/payments`, { amount: '12000.00', invoiceFor: 'go-live' }, 'finance')).status).toBe(201);
  });

  it('answers aging as of a date, per customer; a scoped key sees its own customer only', async () => {
    const invoiceDate = (await get(`/invoices/${bInvoice}`)).body.date as string;
    const aging = await waitFor(() => get(`/aging?currency=USD&asOf=2027-03-15&customer=${custD}`, 'support'), (r) => r.body?.total?.total === '30000.00');
    expect(aging.status).toBe(200);
    expect(aging.body).toMatchObject({ asOf: '2027-03-15', currency: 'USD', customers: [{ customerId: custD, total: '30000.00' }] });
    const bucket = Object.entries(aging.body.customers[0]).find(([k, v]) => k.startsWith('days_') && v === '30000.00')?.[0];
    expect(bucket).toBe(invoiceDate >= '2026-12-15' ? 'days_31_60' : 'days_61_90');

    const own = await get('/aging?currency=USD&asOf=2027-03-15', 'portal-d');
    expect(own.body.customers.map((c: { customerId: string }) => c.customerId)).toEqual([custD]);
    expect((await get(`/aging?currency=USD&customer=${custC}`, 'portal-d')).body).toMatchObject({ code: 'not_found', message: `no customer ${custC}` });
    const all = await get('/aging?currency=USD&asOf=2027-03-15', 'finance');
    expect(all.body.customers.map((c: { customerId: string }) => c.customerId)).toEqual(expect.arrayContaining([custD, custC]));
    expect(all.body.customers.find((c: { customerId: string }) => c.customerId === custC)).toMatchObject({ total: '0.00', credit: '2000.00' });
    expect((await get('/aging?asOf=2027-03-15')).body).toMatchObject({ code: 'validation_failed', details: [{ path: 'query.currency' }] });
    expect((await get('/aging?currency=USD&asOf=2027-02-30')).body).toMatchObject({ code: 'validation_failed', details: [{ path: 'query.asOf' }] });
  });

  it('lists overdue invoices, and answers DSO and a customer\'s credit', async () => {
    const overdue = await get(`/overdue?currency=USD&asOf=2027-03-15&customer=${custD}&limit=1`, 'support');
    expect(overdue.body).toMatchObject({ asOf: '2027-03-15', currency: 'USD', data: [{ invoiceNumber: bInvoice, contractId: bContract, openAmount: '30000.00' }] });
    expect(overdue.body.nextCursor).toBeUndefined();
    expect((await get(`/overdue?currency=USD&customer=${custD}&asOf=2026-12-01`)).body.data).toEqual([]);

    const dso = await get(`/dso?currency=USD&from=2026-12-01&to=2026-12-31&customer=${custD}`, 'support');
    expect(dso.body).toMatchObject({ from: '2026-12-01', to: '2026-12-31', currency: 'USD', days: 31, receivablesAtEnd: '30000.00', sales: '50000.00', dso: '18.6' });

    const credit = await get(`/customers/${custC}/credit?currency=USD`, 'support');
    expect(credit.body).toMatchObject({ customerId: custC, currency: 'USD', total: '2000.00', data: [{ customerId: custC, remaining: '2000.00' }] });
    expect((await get(`/customers/${custC}/credit?currency=USD`, 'portal-d')).status).toBe(404);
    expect((await get(`/customers/${custD}/credit?currency=USD`, 'portal-d')).body).toMatchObject({ total: '0.00', data: [] });
  });

  it('exports a closed month of the books with the company\'s account codes, and refuses an open one', async () => {
    // The revenue of the two acceptances posted on 2026-11-20; November has ended: close it.
    await waitFor(() => get(`/contracts/${cContract}/entries`), (r) => r.body?.data?.length >= 2);
    const open = await get('/gl/export?period=2026-11', 'finance');
    expect(open.status).toBe(409);
    expect(open.body).toMatchObject({ code: 'not_allowed_in_state', details: [{ path: 'query.period', message: 'period 2026-11 is not closed' }] });
    expect(open.body.message).toContain('2026-11');
    expect((await post(`/contracts/${bContract}/periods/close`, { period: '2026-11' }, 'finance')).status).toBeLessThan(300);

    expect((await get('/gl/export?period=2026-11', 'support')).status).toBe(403);
    expect((await get('/gl/export?period=2026-13', 'finance')).body).toMatchObject({ code: 'validation_failed', details: [{ path: 'query.period' }] });
    const recorder = recordQueries();
    let gl: any;
    try {
      gl = await get('/gl/export?period=2026-11', 'finance');
    } finally {
      recorder.stop();
    }
    expect(gl.status).toBe(200);
    expect(gl.body).toMatchObject({ ledger: 'books', period: '2026-11', mapping: GL_MAP });
    const lines = gl.body.lines as Array<{ date: string; account: string; glAccount: string | null; debit: string; credit: string; contractId: string; memo: string; entryId: string }>;
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const l of lines) {
      expect(l.date.startsWith('2026-11')).toBe(true);
      expect(l.glAccount).toBe(GL_MAP[l.account as keyof typeof GL_MAP] ?? null);
    }
    expect(new Set(lines.map((l) => l.contractId))).toEqual(new Set([bContract, cContract]));
    expect(lines).toContainEqual(expect.objectContaining({ contractId: bContract, account: 'revenue', glAccount: null, credit: '50000.00', memo: 'milestone go-live', date: '2026-11-20' }));
    expect(gl.body.unmapped).toEqual([...new Set(lines.filter((l) => !(l.account in GL_MAP)).map((l) => l.account))].sort((x, y) => ['ar', 'unbilled_ar', 'deferred_revenue', 'revenue', 'cash'].indexOf(x) - ['ar', 'unbilled_ar', 'deferred_revenue', 'revenue', 'cash'].indexOf(y)));
    expect(gl.body.unmapped).toContain('revenue');
    expect(gl.body.totals.USD.debit).toBe(gl.body.totals.USD.credit);
    const { unindexed } = await unindexedQueries(sys.config.MONGO_URL, recorder.queries.filter((q) => q.collection === 'journal_entries' || q.collection === 'closed_periods'), () => false);
    expect(unindexed.map((u) => u.shape)).toEqual([]);

    const csv = await get('/gl/export?period=2026-11&format=csv', 'finance');
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="gl-2026-11.csv"');
    expect(csv.headers.get('x-tollgate-unmapped-accounts')).toBe(gl.body.unmapped.join(','));
    const rows = csv.text.trimEnd().split('\r\n');
    expect(rows[0]).toBe('date,account,glAccount,debit,credit,currency,contractId,memo,entryId');
    expect(rows).toHaveLength(lines.length + 1);
    expect(rows).toContain(`2026-11-20,revenue,,0.00,50000.00,USD,${bContract},milestone go-live,${lines.find((l) => l.contractId === bContract && l.account === 'revenue')!.entryId}`);
  });
});
