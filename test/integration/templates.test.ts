/**
 * Schedule templates and contractValue through the gateway (docs/templates.md): versions, the
 * percent allocation of a fee (JPY 1,000,001 by 30/40/30 → 300000 / 400001 / 300000, worked by
 * hand), a contract created from a template invoicing the template's share, and the contract value
 * refused on creation and on an amendment with the difference named.
 */
import { milestone, sandboxTerms } from '../support/contracts';
import { gatewayCalls, startTestSystem, testApiKeys, uniqueId, waitFor, type TestSystem } from '../support/system';

const SCOPED_CUSTOMER = uniqueId('cust-scoped');
const auth = testApiKeys({ 'scoped-finance': { role: 'finance', customerId: SCOPED_CUSTOMER } });
let sys: TestSystem;

beforeAll(async () => {
  sys = await startTestSystem({ ...auth.env });
});

afterAll(async () => {
  await sys?.stop();
});

const { get, post } = gatewayCalls(() => sys.gatewayUrl, auth, { get: 'finance', post: 'finance' });

const NAME = uniqueId('impl-30-40-30');

/** Implementation in three milestones, 30/40/30 of the fee. */
const template = {
  name: NAME,
  description: 'Fixed-fee implementation: kick-off, UAT sign-off, go-live',
  paymentTerms: 'NET_30',
  obligations: [{ id: 'impl', name: 'Implementation', recognition: { method: 'milestones' } }],
  milestones: [
    { id: 'kickoff', name: 'Kick-off', description: 'Project kick-off', obligationId: 'impl', percent: '30', trigger: { type: 'event', completion: 'external_event' }, plannedFinishDays: 14 },
    { id: 'uat', name: 'UAT', description: 'User acceptance testing signed off', obligationId: 'impl', percent: '40', trigger: { type: 'event', completion: 'external_event' }, plannedFinishDays: 60 },
    { id: 'golive', name: 'Go-live', description: 'Production go-live', obligationId: 'impl', percent: '30', trigger: { type: 'event', completion: 'customer_signoff', deemedAcceptanceDays: 10 } },
  ],
};

const build = (contractId: string, extra: object = {}) => ({
  contractId,
  customer: { id: 'cust-kanto', name: 'Kanto Corp' },
  currency: 'JPY',
  signedDate: '2025-04-01',
  fee: '1000001',
  sandbox: { clockStart: '2025-04-01' },
  ...extra,
});

async function settled(id: string): Promise<any> {
  return (await waitFor(() => get(`/contracts/${id}`), (r) => r.status === 200 && r.body.pendingEffects === 0)).body;
}

describe('schedule templates', () => {
  it('saves a template as version 1, refuses percents that do not sum to 100 naming the sum, and lets finance only save', async () => {
    const saved = await post('/templates', template);
    expect(saved.status).toBe(201);
    expect(saved.body).toMatchObject({ name: NAME, version: 1, createdBy: 'finance', createdAt: expect.any(String) });
    expect(saved.body.milestones.map((m: { percent: string }) => m.percent)).toEqual(['30', '40', '30']);

    const bad = await post('/templates', { ...template, name: uniqueId('bad'), milestones: template.milestones.map((m, i) => (i === 2 ? { ...m, percent: '29.99' } : m)) });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'validation_failed', details: [{ path: 'body.milestones', message: 'the milestones\' percents sum to 99.99; they must sum to exactly 100' }] });
    expect(bad.body.message).toContain('99.99');

    expect((await post('/templates', { ...template, name: uniqueId('nope') }, 'support')).body.code).toBe('forbidden');
    expect((await post('/templates', { ...template, name: uniqueId('nope') }, 'support')).status).toBe(403);
    expect((await post('/templates', { ...template, name: uniqueId('nope') }, 'scoped-finance')).status).toBe(403);
    // Every role reads them.
    expect((await get(`/templates/${NAME}`, 'support')).status).toBe(200);
  });

  it('saves a new version under the same name; the old one stays as it was', async () => {
    const v2 = await post('/templates', { ...template, milestones: template.milestones.map((m, i) => ({ ...m, percent: ['20', '50', '30'][i] })) });
    expect(v2.status).toBe(201);
    expect(v2.body.version).toBe(2);
    const latest = await get(`/templates/${NAME}`);
    expect(latest.body).toMatchObject({ name: NAME, version: 2, versions: [1, 2] });
    expect(latest.body.milestones.map((m: { percent: string }) => m.percent)).toEqual(['20', '50', '30']);
    const v1 = await get(`/templates/${NAME}/versions/1`);
    expect(v1.body.milestones.map((m: { percent: string }) => m.percent)).toEqual(['30', '40', '30']);
    expect((await get(`/templates/${NAME}/versions/3`)).status).toBe(404);
    expect((await get(`/templates/${uniqueId('missing')}`)).body.code).toBe('not_found');
  });

  it('lists templates by name, a page at a time, each at its latest version', async () => {
    const other = `${NAME}-z`;
    expect((await post('/templates', { ...template, name: other })).status).toBe(201);
    const first = await get('/templates?limit=1');
    expect(first.status).toBe(200);
    expect(first.body.data.map((t: { name: string; version: number }) => [t.name, t.version])).toEqual([[NAME, 2]]);
    const second = await get(`/templates?limit=1&cursor=${first.body.nextCursor}`);
    expect(second.body.data.map((t: { name: string }) => t.name)).toEqual([other]);
    expect(second.body.nextCursor).toBeUndefined();
  });

  it('builds terms for a JPY fee of 1,000,001 by 30/40/30 that sum exactly: 300000, 400001, 300000 — without creating anything', async () => {
    const id = uniqueId('tpl-terms');
    const res = await post(`/templates/${NAME}/contracts`, build(id, { templateVersion: 1 }));
    expect(res.status).toBe(200);
    expect(res.body.template).toEqual({ name: NAME, version: 1 });
    expect(res.body.terms.milestones.map((m: any) => [m.id, m.amount, m.sequence, m.plannedFinishDate])).toEqual([
      ['kickoff', '300000', 1, '2025-04-15'], ['uat', '400001', 2, '2025-05-31'], ['golive', '300000', 3, undefined],
    ]);
    expect(res.body.terms).toMatchObject({ contractValue: '1000001', currency: 'JPY', paymentTerms: 'NET_30', obligations: [{ id: 'impl', ssp: '1000001' }] });
    expect(res.body.contract).toBeUndefined();
    expect((await get(`/contracts/${id}`)).status).toBe(404);
    // The latest version unless one is named: 20/50/30 of 1,000,001 = 200000.2, 500000.5, 300000.3 → 200000, 500001, 300000.
    const latest = await post(`/templates/${NAME}/contracts`, build(uniqueId('tpl-terms')));
    expect(latest.body.terms.milestones.map((m: any) => m.amount)).toEqual(['200000', '500001', '300000']);
    // The fee in the currency's minor units.
    const yenCents = await post(`/templates/${NAME}/contracts`, build(uniqueId('tpl'), { fee: '1000.50' }));
    expect(yenCents.status).toBe(400);
    expect(yenCents.body.details).toEqual([{ path: 'body.fee', message: 'JPY amounts have no decimals' }]);
  });

  it('creates the contract with create: true; completing a milestone invoices the template\'s share', async () => {
    const id = uniqueId('tpl-contract');
    const res = await post(`/templates/${NAME}/contracts`, build(id, { templateVersion: 1, create: true }));
    expect(res.status).toBe(201);
    expect(res.body.contract).toMatchObject({ contractId: id, version: 1 });
    const done = await post(`/contracts/${id}/milestones/uat/complete`, { date: '2025-04-01' }, 'delivery');
    expect(done.status).toBe(200);
    expect(done.body.caused.invoices).toEqual([expect.objectContaining({ milestoneIds: ['uat'], amount: '400001', kind: 'milestone' })]);
    const state = await settled(id);
    expect(state.invoices.map((i: any) => i.amount)).toEqual(['400001']);
    // The same contract id again: refused as POST /contracts refuses it.
    expect((await post(`/templates/${NAME}/contracts`, build(id, { create: true }))).body.code).toBe('duplicate_contract');
    // A customer-scoped key builds only for its own customer.
    expect((await post(`/templates/${NAME}/contracts`, build(uniqueId('tpl'), { create: true }), 'scoped-finance')).status).toBe(403);
  });

  it('saves concurrent saves of one name as consecutive versions, none lost (unique inserts, no update)', async () => {
    const name = uniqueId('race');
    const results = await Promise.all([1, 2, 3, 4].map(() => post('/templates', { ...template, name })));
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    expect(results.map((r) => r.body.version).sort()).toEqual([1, 2, 3, 4]);
    expect((await get(`/templates/${name}`)).body.versions).toEqual([1, 2, 3, 4]);
  });
});

describe('contractValue', () => {
  it('is refused on creation when the billable milestones do not sum to it, naming the difference; accepted when equal', async () => {
    const terms = sandboxTerms([milestone('m1', { amount: '49999.00' }), milestone('m2', { amount: '50000.00', sequence: 2 })], { contractValue: '100000.00' });
    const refused = await post('/contracts', terms);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      code: 'validation_failed',
      details: [{ path: 'body.contractValue', message: 'milestones sum to 99,999.00; contractValue is 100,000.00 (difference -1.00)' }],
    });
    expect((await get(`/contracts/${terms.contractId}`)).status).toBe(404);
    const equal = { ...terms, milestones: [milestone('m1', { amount: '50000.00' }), milestone('m2', { amount: '50000.00', sequence: 2 })] };
    expect((await post('/contracts', equal)).status).toBe(201);
    expect((await get(`/contracts/${terms.contractId}/versions`)).body.versions[0].terms.contractValue).toBe('100000.00');
  });

  it('is checked after an amendment: refused naming the difference, accepted when the amendment keeps it or changes it to the new sum', async () => {
    const id = uniqueId('tpl-amend');
    expect((await post(`/templates/${NAME}/contracts`, build(id, { templateVersion: 1, create: true }))).status).toBe(201);

    const raise = await post(`/contracts/${id}/amendments`, { baseVersion: 1, changes: { milestones: [{ id: 'golive', amount: '350000' }] } });
    expect(raise.status).toBe(400);
    expect(raise.body).toMatchObject({ code: 'validation_failed', details: [{ path: 'body.changes', message: 'milestones sum to 1,050,001; contractValue is 1,000,001 (difference +50,000)' }] });
    const cancel = await post(`/contracts/${id}/amendments`, { baseVersion: 1, changes: { cancel: ['golive'] } });
    expect(cancel.body.details).toEqual([{ path: 'body.changes', message: 'milestones sum to 700,001; contractValue is 1,000,001 (difference -300,000)' }]);
    const wrongValue = await post(`/contracts/${id}/amendments`, { baseVersion: 1, changes: { milestones: [{ id: 'golive', amount: '350000' }], contractValue: '1050000' } });
    expect(wrongValue.body.details).toEqual([{ path: 'body.changes.contractValue', message: 'milestones sum to 1,050,001; contractValue is 1,050,000 (difference +1)' }]);
    expect((await get(`/contracts/${id}`)).body.version).toBe(1);

    // Moving money between milestones keeps the value; a change order raises it with the amounts.
    const move = await post(`/contracts/${id}/amendments`, { baseVersion: 1, changes: { milestones: [{ id: 'kickoff', amount: '250000' }, { id: 'golive', amount: '350000' }] } });
    expect(move.body).toMatchObject({ outcome: 'applied', version: 2 });
    const changeOrder = await post(`/contracts/${id}/amendments`, { baseVersion: 2, changes: { milestones: [{ id: 'golive', amount: '450000' }], contractValue: '1100001' } });
    expect(changeOrder.body).toMatchObject({ outcome: 'applied', version: 3 });
    const versions = (await get(`/contracts/${id}/versions`)).body.versions;
    expect(versions.map((v: any) => v.terms.contractValue)).toEqual(['1000001', '1000001', '1100001']);
  });
});
