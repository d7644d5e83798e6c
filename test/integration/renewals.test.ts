/**
 * Renewals and the visual schedule on the real stack (docs/renewals.md, docs/api.md): a contract
 * renewed into its successor — the link both ways in the state and the chain, the successor running
 * (a completed milestone invoiced), the predecessor going on as before — the same renewal twice
 * (replayed with its Idempotency-Key, refused without), roles and customer scope, and the schedule
 * SVG (well-formed, every milestone and invoice, text escaped).
 */
import mongoose from 'mongoose';
import { milestone, sandboxTerms } from '../support/contracts';
import { gatewayCalls, startTestSystem, testApiKeys, uniqueId, waitFor, type TestSystem } from '../support/system';
import { allElements, parseXml, textOf } from '../support/xml';

const custA = uniqueId('cust-renew-a');
const custB = uniqueId('cust-renew-b');
const keys = testApiKeys({
  'portal-a': { role: 'support', customerId: custA },
  'portal-b': { role: 'support', customerId: custB },
  'finance-b': { role: 'finance', customerId: custB },
});

let sys: TestSystem;
let gw: string;
const { get, post } = gatewayCalls(() => gw, keys, { get: 'support', post: 'finance' });

beforeAll(async () => {
  sys = await startTestSystem(keys.env);
  gw = sys.gatewayUrl;
});

afterAll(async () => {
  await sys?.stop();
});

const predecessorId = uniqueId('renew-2025');
const successorId = uniqueId('renew-2026');

describe('renewing a contract', () => {
  let first: Awaited<ReturnType<typeof post>>;

  beforeAll(async () => {
    const terms = sandboxTerms([
      milestone('design', { name: 'Design <&> build', amount: '30000.00', plannedFinishDate: '2025-01-20' }),
      milestone('golive', { name: 'Go-live', amount: '20000.00', sequence: 2, trigger: { type: 'date', date: '2025-03-01' } }),
    ], {
      contractId: predecessorId,
      customer: { id: custA, name: 'Alpha & <Co>' },
      obligations: [{ id: 'impl', name: 'Implementation', ssp: '50000.00', recognition: { method: 'milestones' } }],
      contractValue: '50000.00',
    });
    expect((await post('/contracts', terms)).status).toBe(201);
    expect((await post(`/contracts/${predecessorId}/clock`, { to: '2025-01-25' })).status).toBe(200);
    expect((await post(`/contracts/${predecessorId}/milestones/design/complete`, {}, 'delivery')).body.outcome).toBe('applied');
    first = await post(`/contracts/${predecessorId}/renewals`, { contractId: successorId, signedDate: '2026-01-01', shift: { months: 12 } }, 'finance', { 'idempotency-key': 'renew-once' });
  });

  it('creates the successor: same customer, currency and obligations, dates shifted, linked to the predecessor', async () => {
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ contractId: successorId, workflowId: `contract-${successorId}`, version: 1, renews: predecessorId });
    const s = (await get(`/contracts/${successorId}`)).body;
    expect(s).toMatchObject({ contractId: successorId, customerId: custA, currency: 'USD', sandbox: true, clock: '2026-01-01', status: 'active', renews: predecessorId });
    expect(s).not.toHaveProperty('renewedBy');
    const terms = s.versions[0].terms;
    expect(terms).toMatchObject({ signedDate: '2026-01-01', renews: predecessorId, customer: { id: custA, name: 'Alpha & <Co>' }, contractValue: '50000.00', sandbox: { clockStart: '2026-01-01' } });
    expect(terms.milestones.map((m: any) => [m.id, m.amount, m.plannedFinishDate ?? m.trigger.date])).toEqual([['design', '30000.00', '2026-01-20'], ['golive', '20000.00', '2026-03-01']]);
    expect(Object.values(s.milestones).map((m: any) => m.status)).toEqual(['planned', 'planned']);
    expect(s.invoices).toEqual([]);
  });

  it('shows the link on the predecessor, whose own state is unchanged', async () => {
    const p = (await get(`/contracts/${predecessorId}`)).body;
    expect(p).toMatchObject({ contractId: predecessorId, renewedBy: successorId, version: 1, status: 'active' });
    expect(p).not.toHaveProperty('renews');
    expect(p.versions).toHaveLength(1);
    expect(p.versions[0].terms).not.toHaveProperty('renews');
  });

  it('lists the chain from either end, oldest first, a page at a time', async () => {
    for (const id of [predecessorId, successorId]) {
      const chain = await get(`/contracts/${id}/renewals`);
      expect(chain.status).toBe(200);
      expect(chain.body.data).toEqual([
        { contractId: predecessorId, renewedBy: successorId },
        { contractId: successorId, renews: predecessorId, signedDate: '2026-01-01', renewedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
      ]);
      expect(chain.body).not.toHaveProperty('nextCursor');
    }
    const page1 = await get(`/contracts/${successorId}/renewals?limit=1`);
    expect(page1.body.data.map((l: any) => l.contractId)).toEqual([predecessorId]);
    const page2 = await get(`/contracts/${successorId}/renewals?limit=1&cursor=${page1.body.nextCursor}`);
    expect(page2.body.data.map((l: any) => l.contractId)).toEqual([successorId]);
    expect(page2.body).not.toHaveProperty('nextCursor');
    expect((await get('/contracts/no-such-contract/renewals')).body).toMatchObject({ code: 'not_found', message: 'no contract no-such-contract' });
  });

  it('runs the successor: a completed milestone is invoiced', async () => {
    expect((await post(`/contracts/${successorId}/clock`, { to: '2026-01-18' })).status).toBe(200);
    const done = await post(`/contracts/${successorId}/milestones/design/complete`, {}, 'delivery');
    expect(done.body).toMatchObject({ outcome: 'applied', caused: { invoices: [{ kind: 'milestone', milestoneIds: ['design'], amount: '30000.00', date: '2026-01-18' }] } });
    const s = await waitFor(async () => (await get(`/contracts/${successorId}`)).body, (b) => b.invoices[0]?.number !== undefined && b.pendingEffects === 0);
    expect(s.invoices[0].number).toMatch(/^SBX-INV-2026-\d{6}$/);
    expect(s.milestones.design.status).toBe('invoiced');
  });

  it('lets the predecessor go on as before', async () => {
    const r = await post(`/contracts/${predecessorId}/clock`, { to: '2025-03-01' });
    expect(r.body.caused.invoices).toEqual([expect.objectContaining({ milestoneIds: ['golive'], amount: '20000.00' })]);
    const p = await waitFor(async () => (await get(`/contracts/${predecessorId}`)).body, (b) => b.invoices.length === 2 && b.invoices.every((i: any) => i.number));
    expect(p).toMatchObject({ renewedBy: successorId, billed: '50000.00' });
  });

  it('replays the same renewal with its Idempotency-Key; refuses it without, and refuses a second successor', async () => {
    const replay = await post(`/contracts/${predecessorId}/renewals`, { contractId: successorId, signedDate: '2026-01-01', shift: { months: 12 } }, 'finance', { 'idempotency-key': 'renew-once' });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);
    const again = await post(`/contracts/${predecessorId}/renewals`, { contractId: successorId, signedDate: '2026-01-01', shift: { months: 12 } });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'duplicate_contract', message: `contract ${successorId} already exists` });
    const second = await post(`/contracts/${predecessorId}/renewals`, { contractId: uniqueId('renew-other'), signedDate: '2026-01-01' });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ code: 'not_allowed_in_state', message: `contract ${predecessorId} is already renewed by ${successorId}` });
  });

  it('of two renewals of one contract at the same instant under different ids, one starts a successor, the other is refused', async () => {
    const racedId = uniqueId('renew-race');
    const terms = sandboxTerms([milestone('design', { amount: '100.00' })], { contractId: racedId, customer: { id: custA, name: 'Alpha' } });
    expect((await post('/contracts', terms)).status).toBe(201);
    const ids = [uniqueId('race-a'), uniqueId('race-b'), uniqueId('race-c')];
    const answers = await Promise.all(ids.map((contractId) => post(`/contracts/${racedId}/renewals`, { contractId, signedDate: '2026-01-01' })));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409]);
    const winner = ids[answers.findIndex((a) => a.status === 201)]!;
    for (const a of answers.filter((x) => x.status === 409)) expect(a.body.code).toBe('not_allowed_in_state');
    expect((await get(`/contracts/${racedId}/renewals`)).body.data.map((l: any) => l.contractId)).toEqual([racedId, winner]);
    for (const loser of ids.filter((x) => x !== winner)) expect((await get(`/contracts/${loser}`)).status).toBe(404);
  });

  it('validates the successor like a new contract, naming the field', async () => {
    const bad = await post(`/contracts/${successorId}/renewals`, { contractId: uniqueId('renew-2027'), signedDate: '2027-01-01', contractValue: '49999.99' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'validation_failed', details: [{ path: 'successor.contractValue', message: expect.stringContaining('difference +0.01') }] });
    const body = await post(`/contracts/${successorId}/renewals`, { contractId: uniqueId('renew-2027'), signedDate: '2027-02-30' });
    expect(body.body).toMatchObject({ code: 'validation_failed', details: [{ path: 'body.signedDate' }] });
  });

  it('keeps renewals to finance and a customer\'s contracts to its own keys', async () => {
    expect((await post(`/contracts/${successorId}/renewals`, { contractId: uniqueId('x'), signedDate: '2027-01-01' }, 'support')).status).toBe(403);
    const outside = await post(`/contracts/${successorId}/renewals`, { contractId: uniqueId('x'), signedDate: '2027-01-01' }, 'finance-b');
    expect(outside.status).toBe(404);
    expect(outside.body).toMatchObject({ code: 'not_found', message: `no contract ${successorId}` });
    for (const path of [`/contracts/${successorId}/renewals`, `/contracts/${successorId}/schedule.svg`, `/contracts/${predecessorId}`]) {
      const r = await get(path, 'portal-b');
      expect([path, r.status, r.body?.message]).toEqual([path, 404, `no contract ${path.split('/')[2]}`]);
      expect([path, (await get(path, 'portal-a')).status]).toEqual([path, 200]);
    }
  });

  it('records the link in the gateway\'s renewals collection, unique on the successor, and the claim, unique on the predecessor', async () => {
    const conn = await mongoose.createConnection(sys.config.MONGO_URL).asPromise();
    try {
      const db = conn.useDb(`${sys.prefix}_gateway`).db!;
      const coll = db.collection('renewals');
      const docs = await coll.find({ predecessorId }, { projection: { _id: 0 } }).toArray();
      expect(docs).toEqual([expect.objectContaining({ successorId, predecessorId, customerId: custA, signedDate: '2026-01-01', by: 'finance' })]);
      const indexes = await coll.indexes();
      expect(indexes).toEqual(expect.arrayContaining([
        expect.objectContaining({ key: { successorId: 1 }, unique: true }),
        expect.objectContaining({ key: { predecessorId: 1 } }),
      ]));
      const claims = db.collection('renewal_claims');
      expect(await claims.find({ predecessorId }, { projection: { _id: 0, createdAt: 0 } }).toArray()).toEqual([{ predecessorId, successorId }]);
      expect(await claims.indexes()).toEqual(expect.arrayContaining([expect.objectContaining({ key: { predecessorId: 1 }, unique: true })]));
    } finally {
      await conn.close();
    }
  });
});

describe('the visual schedule', () => {
  it('is a well-formed SVG with every milestone and invoice, the currency, and every text escaped', async () => {
    const p = await waitFor(async () => (await get(`/contracts/${predecessorId}`)).body, (b) => b.invoices.length === 2 && b.invoices.every((i: any) => i.number));
    const res = await get(`/contracts/${predecessorId}/schedule.svg`, 'portal-a');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
    const root = parseXml(res.text);
    expect(root).toMatchObject({ name: 'svg', attrs: { 'data-contract-id': predecessorId, 'data-currency': 'USD' } });
    const els = allElements(root);
    expect(els.filter((e) => e.attrs.class === 'milestone').map((e) => [e.attrs['data-id'], e.attrs['data-status']])).toEqual([['design', 'invoiced'], ['golive', 'invoiced']]);
    const numbers = p.invoices.map((i: any) => i.number);
    expect(els.filter((e) => e.attrs.class === 'invoice').map((e) => e.attrs['data-number'])).toEqual(numbers);
    for (const n of numbers) expect(res.text).toContain(n);
    expect(res.text).toContain('Design &lt;&amp;&gt; build');
    expect(res.text).toContain('Alpha &amp; &lt;Co&gt;');
    expect(textOf(root)).toContain('currency USD');
    // Deterministic: the same state, the same bytes.
    expect((await get(`/contracts/${predecessorId}/schedule.svg`)).text).toBe(res.text);
  });

  it('schedule.svg is SVG only: another format is refused naming the query field', async () => {
    expect((await get(`/contracts/${predecessorId}/schedule.svg?format=svg`)).status).toBe(200);
    const png = await get(`/contracts/${predecessorId}/schedule.svg?format=png`);
    expect(png.status).toBe(400);
    expect(png.body).toMatchObject({ code: 'validation_failed', details: [{ path: 'query.format' }] });
  });

  it('schedule.png is the same drawing as PNG, at the scale asked (1 … 4), the same bytes for the same state; scope holds', async () => {
    const svg = parseXml((await get(`/contracts/${predecessorId}/schedule.svg`)).text);
    const res = await get(`/contracts/${predecessorId}/schedule.png`, 'portal-a');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('content-disposition')).toBe(`inline; filename="schedule-${predecessorId}.png"`);
    const png = res.bytes!;
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    // IHDR: width and height, big-endian, at bytes 16 and 20: the SVG's size times 2.
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([Number(svg.attrs.width) * 2, Number(svg.attrs.height) * 2]);
    expect((await get(`/contracts/${predecessorId}/schedule.png`)).bytes!.equals(png)).toBe(true);
    const one = (await get(`/contracts/${predecessorId}/schedule.png?scale=1`)).bytes!;
    expect(one.readUInt32BE(16)).toBe(Number(svg.attrs.width));
    const bad = await get(`/contracts/${predecessorId}/schedule.png?scale=9`);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'validation_failed', details: [{ path: 'query.scale' }] });
    expect((await get(`/contracts/${predecessorId}/schedule.png`, 'portal-b')).status).toBe(404);
  });
});
