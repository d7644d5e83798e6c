/**
 * Progressive billing (docs/progressive-billing.md) through the public HTTP API on the real stack:
 * `POST /contracts/:id/milestones/:mid/progress` and the signed delivery webhook's `progress` event,
 * with the roles, the refusals and the invoices (JSON) they give.
 */
import { signWebhook } from '../../libs/auth';
import { milestone, sandboxTerms } from '../support/contracts';
import { gatewayCalls, http, startTestSystem, testApiKeys, uniqueId, type TestSystem } from '../support/system';

const WEBHOOK_SECRET = 'whsec-progress-0123456789abcdef';
const auth = testApiKeys();

let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem({ ...auth.env, TOLLGATE_WEBHOOK_SECRETS: JSON.stringify({ psa: WEBHOOK_SECRET }) });
});
afterAll(async () => { await sys?.stop(); });

const url = (path: string) => `${sys.gatewayUrl}${path}`;
const { get, post } = gatewayCalls(() => sys.gatewayUrl, auth, { get: 'support', post: 'admin' });

/**
 * A sandbox contract (clock 2025-01-01, USD, NET_30): `build` 1000.00 billed by progress, waiting
 * for the customer's sign-off; `ship` 500.00 an ordinary external-event milestone.
 */
async function createContract() {
  const terms = sandboxTerms([
    milestone('build', { amount: '1000.00', trigger: { type: 'event', completion: 'customer_signoff' }, progressBilling: true, description: 'Build-out, billed as it progresses' }),
    milestone('ship', { amount: '500.00', sequence: 2 }),
  ], { customer: { id: uniqueId('cust'), name: 'Progress Corp' } });
  const res = await post('/contracts', terms, 'finance');
  expect(res.status).toBe(201);
  const id = terms.contractId;
  return {
    id,
    clock: async (to: string) => expect((await post(`/contracts/${id}/clock`, { to }, 'finance')).status).toBe(200),
    progress: (mid: string, body: unknown, key = 'delivery', headers: Record<string, string> = {}) => post(`/contracts/${id}/milestones/${mid}/progress`, body, key, headers),
    op: (mid: string, op: 'complete' | 'accept', key: string) => post(`/contracts/${id}/milestones/${mid}/${op}`, {}, key),
    state: async () => (await get(`/contracts/${id}`)).body,
    /** The state once no effect is pending (invoices numbered, books posted). */
    settled: async () => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const s = (await get(`/contracts/${id}`)).body;
        if (s.pendingEffects === 0) return s;
        if (Date.now() > deadline) throw new Error(`contract ${id}: ${s.pendingEffects} effect(s) still pending`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

const refusal = (res: { status: number; body: any }) => [res.status, res.body?.code, (res.body?.details ?? []).map((d: { path: string }) => d.path)];

describe('POST /contracts/:id/milestones/:mid/progress', () => {
  it('a report of 30 invoices 30 % of the amount as part 1, with its progress; the milestone stays planned', async () => {
    const c = await createContract();
    await c.clock('2025-03-02');
    const res = await c.progress('build', { percent: '30' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ outcome: 'applied', milestone: { id: 'build', status: 'planned', progress: { percent: '30', billed: '300.00', parts: 1 } } });
    expect(res.body.caused.invoices).toEqual([expect.objectContaining({
      kind: 'milestone', milestoneIds: ['build'], amount: '300.00', date: '2025-03-02', dueDate: '2025-04-01', part: 1,
      progress: { percent: '30', cumulative: '300.00', previouslyBilled: '0.00' },
    })]);
    const s = await c.settled();
    expect(s.invoices).toHaveLength(1);
    expect(s.billed).toBe('300.00');
  });

  it('the same percent again is ignored; a lower one, one dated after today and one for a milestone not billed by progress are refused, changing nothing', async () => {
    const c = await createContract();
    await c.clock('2025-03-02');
    expect((await c.progress('build', { percent: '30' })).body.outcome).toBe('applied');
    await c.clock('2025-03-09');
    const before = await c.settled();

    const again = await c.progress('build', { percent: '30' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ outcome: 'ignored', caused: { invoices: [] } });
    expect(again.body.reason).toMatch(/duplicate/);
    expect(refusal(await c.progress('build', { percent: '20' }))).toEqual([409, 'not_allowed_in_state', []]);
    expect(refusal(await c.progress('ship', { percent: '10' }))).toEqual([409, 'not_allowed_in_state', []]);
    expect(refusal(await c.progress('nope', { percent: '10' }))).toEqual([404, 'not_found', []]);
    expect(refusal(await c.progress('build', { percent: '40', date: '2025-03-10' }))).toEqual([422, 'future_date', []]);

    const after = await c.settled();
    expect(after.invoices).toEqual(before.invoices);
    expect(after.milestones).toEqual(before.milestones);
    expect(after.milestones.build.progress).toMatchObject({ percent: '30', billed: '300.00', parts: 1 });
    expect(after.milestones.ship.status).toBe('planned');
  });

  it('100 completes the milestone (waiting for the sign-off); the accept invoices the rest with progress 100, and each invoice\'s JSON carries its progress', async () => {
    const c = await createContract();
    await c.clock('2025-03-02');
    await c.progress('build', { percent: '30' });
    await c.clock('2025-03-16');
    const part2 = await c.progress('build', { percent: '62.5' });
    expect(part2.body.caused.invoices).toEqual([expect.objectContaining({ amount: '325.00', date: '2025-03-16', part: 2, progress: { percent: '62.5', cumulative: '625.00', previouslyBilled: '300.00' } })]);

    await c.clock('2025-03-25');
    const done = await c.progress('build', { percent: '100', date: '2025-03-24' });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ outcome: 'applied', milestone: { status: 'completed', completedOn: '2025-03-24', progress: { percent: '100', billed: '625.00', parts: 2 } } });
    expect(done.body.caused.invoices).toEqual([]);
    expect((await c.progress('build', { percent: '100' })).body.outcome).toBe('ignored');

    await c.clock('2025-03-27');
    const accepted = await c.op('build', 'accept', 'approver');
    expect(accepted.status).toBe(200);
    expect(accepted.body.milestone).toMatchObject({ status: 'invoiced', acceptedOn: '2025-03-27', acceptance: 'signoff' });
    expect(accepted.body.caused.invoices).toEqual([expect.objectContaining({
      kind: 'milestone', milestoneIds: ['build'], amount: '375.00', date: '2025-03-27', dueDate: '2025-04-26',
      progress: { percent: '100', cumulative: '1000.00', previouslyBilled: '625.00' },
    })]);
    expect(accepted.body.caused.invoices[0].part).toBeUndefined();

    const s = await c.settled();
    expect(s.invoices.map((i: { amount: string }) => i.amount)).toEqual(['300.00', '325.00', '375.00']);
    expect(s.billed).toBe('1000.00');
    const list = await get(`/contracts/${c.id}/invoices`);
    expect(list.status).toBe(200);
    expect(list.body.data.map((i: { total: string; progress?: unknown }) => [i.total, i.progress])).toEqual([
      ['300.00', { percent: '30', cumulative: '300.00', previouslyBilled: '0.00' }],
      ['325.00', { percent: '62.5', cumulative: '625.00', previouslyBilled: '300.00' }],
      ['375.00', { percent: '100', cumulative: '1000.00', previouslyBilled: '625.00' }],
    ]);
    const one = await get(`/invoices/${s.invoices[0].number}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ number: s.invoices[0].number, kind: 'milestone', progress: { percent: '30', cumulative: '300.00', previouslyBilled: '0.00' } });
    expect(one.body.lines).toEqual([expect.objectContaining({ milestoneId: 'build', description: 'Build-out, billed as it progresses', amount: '300.00' })]);
  });

  it('refuses a percent that is not above 0 and at most 100 with 2 decimals at most, with 400 naming body.percent, before the workflow sees it', async () => {
    const c = await createContract();
    await c.clock('2025-03-02');
    for (const percent of ['0', '100.01', '12.345', '-5', 'thirty', 30]) {
      expect([percent, ...refusal(await c.progress('build', { percent }))]).toEqual([percent, 400, 'validation_failed', ['body.percent']]);
    }
    expect(refusal(await c.progress('build', {}))).toEqual([400, 'validation_failed', ['body.percent']]);
    expect(refusal(await c.progress('build', { percent: '10', extra: true }))[0]).toBe(400);
    const s = await c.state();
    expect(s.log.filter((l: { milestoneId?: string }) => l.milestoneId === 'build')).toEqual([]);
    expect(s.invoices).toEqual([]);
  });

  it('is a delivery fact: an approver or support key is refused 403 and nothing is recorded', async () => {
    const c = await createContract();
    await c.clock('2025-03-02');
    for (const key of ['approver', 'support']) {
      const res = await c.progress('build', { percent: '30' }, key);
      expect([key, res.status, res.body.code]).toEqual([key, 403, 'forbidden']);
    }
    expect((await c.state()).milestones.build.progress).toBeUndefined();
  });

  it('an Idempotency-Key makes a retried report answer the saved response, with one part', async () => {
    const c = await createContract();
    await c.clock('2025-03-02');
    const key = { 'idempotency-key': uniqueId('psa-retry') };
    const first = await c.progress('build', { percent: '45' }, 'delivery', key);
    const again = await c.progress('build', { percent: '45' }, 'delivery', key);
    expect(first.body.outcome).toBe('applied');
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect((await c.settled()).invoices.map((i: { amount: string }) => i.amount)).toEqual(['450.00']);
  });
});

describe('the delivery webhook\'s progress event', () => {
  const send = (event: Record<string, unknown>) => {
    const raw = JSON.stringify(event);
    const ts = Math.floor(Date.now() / 1000);
    return http('POST', url('/webhooks/delivery/psa'), raw, {
      'content-type': 'application/json',
      'x-tollgate-timestamp': String(ts),
      'x-tollgate-signature': `sha256=${signWebhook(WEBHOOK_SECRET, ts, raw)}`,
    });
  };

  it('applies a signed progress event as the API\'s progress update, once: a replayed eventId answers the original, with no second part', async () => {
    const c = await createContract();
    await c.clock('2025-03-10');
    const event = { eventId: uniqueId('evt'), type: 'progress', contractId: c.id, milestoneId: 'build', percent: '40', date: '2025-03-09' };
    const first = await send(event);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ eventId: event.eventId, outcome: 'applied', milestone: { id: 'build', status: 'planned', progress: { percent: '40', billed: '400.00', parts: 1 } } });
    // Reported late (dated the 9th, arriving the 10th): the part falls due on the 9th, and is dated the
    // day it is issued (DESIGN §3a: an invoice is never dated before the day it is actually issued).
    expect(first.body.caused.invoices).toEqual([expect.objectContaining({ amount: '400.00', date: '2025-03-10', part: 1, progress: { percent: '40', cumulative: '400.00', previouslyBilled: '0.00' } })]);

    const replay = await send(event);
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);

    const s = await c.settled();
    expect(s.invoices.map((i: { amount: string }) => i.amount)).toEqual(['400.00']);
    const log = (await get(`/contracts/${c.id}/log`)).body.data;
    expect(log.filter((l: { milestoneId?: string; via: string }) => l.milestoneId === 'build' && l.via === 'update')).toEqual([
      expect.objectContaining({ actor: expect.objectContaining({ type: 'webhook', name: 'psa' }), outcome: 'applied' }),
    ]);

    // A new event with the same percent is a duplicate report (ignored), a lower one is refused.
    expect((await send({ ...event, eventId: uniqueId('evt') })).body.outcome).toBe('ignored');
    expect(refusal(await send({ ...event, eventId: uniqueId('evt'), percent: '35' }))).toEqual([409, 'not_allowed_in_state', []]);
  });

  it('refuses a progress event without a valid percent with 400 naming body.percent, changing nothing', async () => {
    const c = await createContract();
    for (const percent of [undefined, '0', '101']) {
      const res = await send({ eventId: uniqueId('evt'), type: 'progress', contractId: c.id, milestoneId: 'build', ...(percent === undefined ? {} : { percent }) });
      expect([percent, ...refusal(res)]).toEqual([percent, 400, 'validation_failed', ['body.percent']]);
    }
    expect((await c.state()).invoices).toEqual([]);
  });
});

describe('the API document', () => {
  it('serves the progress operation (reportMilestoneProgress, delivery) and the webhook\'s progress event', async () => {
    const doc = (await http('GET', url('/openapi.json'))).body;
    const op = doc.paths['/contracts/{id}/milestones/{mid}/progress'].post;
    expect(op.operationId).toBe('reportMilestoneProgress');
    expect(op['x-roles']).toEqual(['delivery', 'admin']);
    expect(op.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ProgressRequest' });
    expect(Object.keys(op.responses)).toEqual(['200', '400', '401', '403', '404', '409', '413', '422', '503']);
    const events = doc.components.schemas.DeliveryWebhookEvent.anyOf.map((e: { properties: { type: { const: string } } }) => e.properties.type.const);
    expect(events).toEqual(expect.arrayContaining(['complete', 'declare', 'progress', 'cost']));
  });
});
