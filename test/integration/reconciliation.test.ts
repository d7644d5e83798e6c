/**
 * The reconciliation report (DESIGN §10) across the workflow, invoicing, AR and the ledger: zero
 * variance after a contract's whole life, and a stray invoice shows up as a variance.
 */
import { milestone, sandboxTerms, TestContract } from '../support/contracts';
import { http, startTestSystem, type TestSystem } from '../support/system';

let sys: TestSystem;
beforeAll(async () => { sys = await startTestSystem(); });
afterAll(async () => { await sys?.stop(); });

describe('reconciliation report', () => {
  it('shows zero variance across workflow, invoicing, AR and ledger after invoices, a credit memo, an over-payment and revenue', async () => {
    const c = await TestContract.create(sys.gatewayUrl, sandboxTerms(
      [milestone('m1', { amount: '300.00' }), milestone('m2', { sequence: 2, amount: '700.00', invoiceTiming: { type: 'days_after_acceptance', days: 10 } })],
      { advanceBilling: { amount: '100.00', date: '2025-01-02' } },
    ));
    await c.on('2025-01-10', 'complete', 'm1');
    await c.on('2025-01-12', 'complete', 'm2');
    await c.post('/amendments', { baseVersion: 1, changes: { milestones: [{ id: 'm1', amount: '250.00' }] } });
    expect((await c.post('/payments', { invoiceFor: 'm1', amount: '500.00' })).status).toBe(201);
    const report = await http('GET', `${sys.gatewayUrl}/contracts/${c.id}/reconciliation`);
    expect(report.status).toBe(200);
    expect(report.body.checks.filter((x: { ok: boolean }) => !x.ok)).toEqual([]);
    expect(report.body.ok).toBe(true);
    expect(report.body.checks.length).toBeGreaterThanOrEqual(8);
  });

  it('reports the variance when invoicing holds an invoice the contract never issued', async () => {
    const c = await TestContract.create(sys.gatewayUrl, sandboxTerms([milestone('m1', { amount: '300.00' })]));
    await c.on('2025-01-10', 'complete', 'm1');
    const stray = await http('POST', `${sys.invoicingUrl}/invoices`, {
      kind: 'milestone', contractId: c.id, customer: { id: 'cust-test', name: 'Test Corp' }, currency: 'USD', termsVersion: 1,
      date: '2025-01-10', paymentTerms: 'NET_30', lines: [{ milestoneId: 'm1', description: 'stray', amount: '42.00' }], sandbox: true,
    }, { 'idempotency-key': `stray-${c.id}` });
    expect(stray.status).toBe(201);
    const report = await http('GET', `${sys.gatewayUrl}/contracts/${c.id}/reconciliation`);
    expect(report.body.ok).toBe(false);
    expect(report.body.checks.find((x: { name: string }) => x.name.startsWith('billed: invoicing'))).toMatchObject({ ok: false, expected: '300.00', actual: '342.00', variance: '42.00' });
  });
});
