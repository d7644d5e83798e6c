/**
 * Money and dates at every boundary (DESIGN §11, issue "Faults and bad input"), through the real HTTP
 * API of the gateway and of each service: a figure that does not fit the currency (minor units, 15
 * integer digits) is refused 400 `validation_failed` naming the field — never rounded —, at least
 * one SSP is above zero, a payment dated after today is `future_date`, payment terms are NET_0…NET_90.
 */
import { signWebhook } from '../../libs/auth';
import { milestone, sandboxTerms, TestContract } from '../support/contracts';
import { http, startTestSystem, uniqueId, type TestSystem } from '../support/system';

const WEBHOOK_SECRET = 'whsec-money-0123456789abcdef';
const HUGE = '9'.repeat(5000);

let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem({ TOLLGATE_WEBHOOK_SECRETS: JSON.stringify({ psa: WEBHOOK_SECRET }) });
});
afterAll(async () => { await sys?.stop(); });

const refusal = (res: { status: number; body: any }) => [res.status, res.body?.code, (res.body?.details ?? []).map((d: { path: string }) => d.path).sort()];
const post = (url: string, body: unknown, key = uniqueId('k')) => http('POST', url, body, { 'idempotency-key': key });

/** A JPY sandbox contract whose milestone m1 (¥1,000,000) is invoiced. */
async function invoicedJpyContract(): Promise<TestContract> {
  const c = await TestContract.create(sys.gatewayUrl, sandboxTerms([milestone('m1', { amount: '1000000' })], {
    currency: 'JPY',
    obligations: [{ id: 'impl', name: 'Implementation', ssp: '1000000', recognition: { method: 'milestones' } }],
  }));
  expect((await c.op('complete', 'm1')).body.outcome).toBe('applied');
  const s = await c.settled();
  expect(s.invoices[0]).toMatchObject({ amount: '1000000', number: expect.any(String) });
  return c;
}

/** A USD sandbox contract with a cost-input obligation `ops` and a milestones obligation `impl`. */
function costContract(): Promise<TestContract> {
  return TestContract.create(sys.gatewayUrl, sandboxTerms([milestone('m1'), milestone('m2', { obligationId: 'ops', sequence: 2 })], {
    obligations: [
      { id: 'impl', name: 'Implementation', ssp: '60000.00', recognition: { method: 'milestones' } },
      { id: 'ops', name: 'Operations', ssp: '40000.00', recognition: { method: 'cost_input', estimatedTotalCost: '5000.00' } },
    ],
  }));
}

const paymentsOf = async (contractId: string) => (await http('GET', `${sys.arUrl}/payments?contractId=${contractId}`)).body.data;

describe('payments', () => {
  it('refuses a JPY payment of 1000000.5 with 400 naming body.amount (it was recorded as 1000001)', async () => {
    const c = await invoicedJpyContract();
    const res = await c.post('/payments', { invoiceFor: 'm1', amount: '1000000.5' });
    expect(refusal(res)).toEqual([400, 'validation_failed', ['body.amount']]);
    expect(res.body.details[0].message).toBe('JPY amounts have no decimals');
    expect(await paymentsOf(c.id)).toEqual([]);
    // The AR service refuses it too, sent straight to it.
    const direct = await post(`${sys.arUrl}/payments`, { customerId: 'cust-test', currency: 'JPY', date: '2025-01-01', amount: '1000000.5', contractId: c.id, sandbox: true });
    expect(refusal(direct)).toEqual([400, 'validation_failed', ['body.amount']]);
    // The whole yen is fine.
    const paid = await c.post('/payments', { invoiceFor: 'm1', amount: '1000000' });
    expect([paid.status, paid.body.amount]).toEqual([201, '1000000']);
  });

  it('refuses a USD payment of 0.001 with 400 naming body.amount', async () => {
    const c = await TestContract.create(sys.gatewayUrl, sandboxTerms([milestone('m1')]));
    const res = await c.post('/payments', { invoiceFor: 'm1', amount: '0.001' });
    expect(refusal(res)).toEqual([400, 'validation_failed', ['body.amount']]);
    expect(res.body.details[0].message).toBe('USD amounts have at most 2 decimals');
    expect(await paymentsOf(c.id)).toEqual([]);
  });

  it('refuses a payment dated 9999-12-31 with 422 future_date, at the gateway and at AR', async () => {
    const c = await invoicedJpyContract();
    const res = await c.post('/payments', { invoiceFor: 'm1', amount: '1000000', date: '9999-12-31' });
    expect([res.status, res.body.code]).toEqual([422, 'future_date']);
    // The sandbox's today is its clock (2025-01-01): the day after is already the future.
    const tomorrow = await c.post('/payments', { invoiceFor: 'm1', amount: '1000000', date: '2025-01-02' });
    expect([tomorrow.status, tomorrow.body.code]).toEqual([422, 'future_date']);
    expect(await paymentsOf(c.id)).toEqual([]);
    // Books payments sent straight to AR: today is the wall clock's.
    const direct = await post(`${sys.arUrl}/payments`, { customerId: uniqueId('cust'), currency: 'USD', date: '9999-12-31', amount: '10.00', contractId: uniqueId('c') });
    expect([direct.status, direct.body.code]).toEqual([422, 'future_date']);
  });

  it('refuses a payment dated before the allowed range (1900-01-01) with 400 naming body.date', async () => {
    const c = await invoicedJpyContract();
    const res = await c.post('/payments', { invoiceFor: 'm1', amount: '1000000', date: '1899-12-31' });
    expect(refusal(res)).toEqual([400, 'validation_failed', ['body.date']]);
    const direct = await post(`${sys.arUrl}/payments`, { customerId: 'x', currency: 'USD', date: '0001-01-01', amount: '10.00', contractId: 'c' });
    expect(refusal(direct)).toEqual([400, 'validation_failed', ['body.date']]);
  });
});

describe('cost reports', () => {
  it('refuses a USD cost report of 1.001 with 400 naming body.amount (it was applied), by API and by webhook', async () => {
    const c = await costContract();
    const res = await c.post('/costs', { obligationId: 'ops', amount: '1.001' });
    expect(refusal(res)).toEqual([400, 'validation_failed', ['body.amount']]);
    const raw = JSON.stringify({ eventId: uniqueId('evt'), type: 'cost', contractId: c.id, obligationId: 'ops', amount: '1.001' });
    const ts = Math.floor(Date.now() / 1000);
    const hook = await http('POST', `${sys.gatewayUrl}/webhooks/delivery/psa`, raw, {
      'content-type': 'application/json', 'x-tollgate-timestamp': String(ts), 'x-tollgate-signature': `sha256=${signWebhook(WEBHOOK_SECRET, ts, raw)}`,
    });
    expect(refusal(hook)).toEqual([400, 'validation_failed', ['body.amount']]);
    const s = await c.state();
    expect(s.log.filter((e: { kind: string }) => e.kind === 'cost')).toEqual([]);
    expect((await c.post('/costs', { obligationId: 'ops', amount: '1.00' })).body.outcome).toBe('applied');
  });
});

describe('amendments', () => {
  it.each([
    ['a milestone amount', { milestones: [{ id: 'm1', amount: '1.001' }] }, 'body.changes.milestones.0.amount'],
    ['an SSP', { obligations: [{ id: 'impl', ssp: '1.001' }] }, 'body.changes.obligations.0.ssp'],
    ['an estimate', { obligations: [{ id: 'ops', recognition: { estimatedTotalCost: '1.001' } }] }, 'body.changes.obligations.0.recognition.estimatedTotalCost'],
  ])('refuses 1.001 USD as %s with 400 naming it; the version does not change', async (_label, changes, path) => {
    const c = await costContract();
    const res = await c.post('/amendments', { baseVersion: 1, changes });
    expect(refusal(res)).toEqual([400, 'validation_failed', [path]]);
    expect((await c.state()).version).toBe(1);
  });

  it('refuses an amendment that makes every SSP 0 (400 naming the SSPs); stale_version still comes first', async () => {
    const c = await costContract();
    const zero = { obligations: [{ id: 'impl', ssp: '0.00' }, { id: 'ops', ssp: '0' }] };
    const res = await c.post('/amendments', { baseVersion: 1, changes: zero });
    expect(refusal(res)).toEqual([400, 'validation_failed', ['body.changes.obligations.0.ssp', 'body.changes.obligations.1.ssp']]);
    expect((await c.state()).version).toBe(1);
    const stale = await c.post('/amendments', { baseVersion: 7, changes: zero });
    expect([stale.status, stale.body.code]).toEqual([409, 'stale_version']);
    // One SSP left above zero is a valid amendment.
    const ok = await c.post('/amendments', { baseVersion: 1, changes: { obligations: [{ id: 'impl', ssp: '0.00' }] } });
    expect([ok.status, ok.body.outcome, ok.body.version]).toEqual([200, 'applied', 2]);
  });
});

describe('contracts', () => {
  it('refuses a contract whose SSPs are all 0 with 400 naming the ssp fields', async () => {
    const terms = sandboxTerms([milestone('m1')], { obligations: [{ id: 'impl', name: 'Implementation', ssp: '0.00', recognition: { method: 'milestones' } }] });
    const res = await http('POST', `${sys.gatewayUrl}/contracts`, terms);
    expect(refusal(res)).toEqual([400, 'validation_failed', ['body.obligations.0.ssp']]);
    expect((await http('GET', `${sys.gatewayUrl}/contracts/${terms.contractId}`)).status).toBe(404);
  });
});

describe('5,000-digit amounts', () => {
  it('are refused 400 at the gateway and at every service', async () => {
    const terms = sandboxTerms([milestone('m1', { amount: HUGE })]);
    expect(refusal(await http('POST', `${sys.gatewayUrl}/contracts`, terms))).toEqual([400, 'validation_failed', ['body.milestones.0.amount']]);

    const c = await TestContract.create(sys.gatewayUrl, sandboxTerms([milestone('m1')]));
    expect(refusal(await c.post('/payments', { invoiceFor: 'm1', amount: HUGE }))).toEqual([400, 'validation_failed', ['body.amount']]);
    expect(refusal(await c.post('/costs', { obligationId: 'impl', amount: HUGE }))).toEqual([400, 'validation_failed', ['body.amount']]);
    expect(refusal(await c.post('/amendments', { baseVersion: 1, changes: { milestones: [{ id: 'm1', amount: HUGE }] } })))
      .toEqual([400, 'validation_failed', ['body.changes.milestones.0.amount']]);

    const invoice = {
      kind: 'milestone', contractId: uniqueId('c'), customer: { id: 'x', name: 'X' }, currency: 'USD', termsVersion: 1, date: '2026-02-10', paymentTerms: 'NET_30',
      lines: [{ milestoneId: 'm1', description: 'M1', amount: HUGE }],
    };
    expect(refusal(await post(`${sys.invoicingUrl}/invoices`, invoice))).toEqual([400, 'validation_failed', ['body.lines.0.amount']]);
    expect(refusal(await post(`${sys.arUrl}/payments`, { customerId: 'x', currency: 'USD', date: '2026-01-10', amount: HUGE, contractId: 'c' })))
      .toEqual([400, 'validation_failed', ['body.amount']]);
    expect(refusal(await post(`${sys.arUrl}/receivables`, {
      invoiceNumber: uniqueId('INV'), contractId: 'c', customerId: 'x', currency: 'USD', amount: HUGE, issueDate: '2026-01-10', dueDate: '2026-02-09',
    }))).toEqual([400, 'validation_failed', ['body.amount']]);
    expect(refusal(await post(`${sys.revenueUrl}/postings`, {
      kind: 'payment', contractId: uniqueId('c'), currency: 'USD', eventDate: '2026-01-10', source: { type: 'payment', ref: 'p' }, amount: HUGE,
    }))).toEqual([400, 'validation_failed', ['body.amount']]);
  });
});

describe('the invoicing service\'s own schemas', () => {
  it('refuses paymentTerms NET_999999999 with 400 naming body.paymentTerms (it crashed with a 500)', async () => {
    const invoice = {
      kind: 'milestone', contractId: uniqueId('c'), customer: { id: 'x', name: 'X' }, currency: 'USD', termsVersion: 1, date: '2026-02-10',
      paymentTerms: 'NET_999999999', lines: [{ milestoneId: 'm1', description: 'M1', amount: '10.00' }],
    };
    expect(refusal(await post(`${sys.invoicingUrl}/invoices`, invoice))).toEqual([400, 'validation_failed', ['body.paymentTerms']]);
    expect(refusal(await post(`${sys.invoicingUrl}/invoices`, { ...invoice, paymentTerms: 'NET_90', lines: [{ milestoneId: 'm1', description: 'M1', amount: '0.001' }] })))
      .toEqual([400, 'validation_failed', ['body.lines.0.amount']]);
    const ok = await post(`${sys.invoicingUrl}/invoices`, { ...invoice, paymentTerms: 'NET_90' });
    expect([ok.status, ok.body.dueDate]).toEqual([201, '2026-05-11']);
  });
});
