/**
 * The public API's access control, idempotency, webhooks, hardening, OpenAPI and listing, on the
 * real stack with API keys and a webhook source configured.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import mongoose from 'mongoose';
import { signWebhook } from '../../libs/auth';
import { requestHash } from '../../libs/idempotency';
import { databaseName } from '../../libs/mongo';
import { idempotencyRepository } from '../../services/gateway/data/idempotency';
import { milestone, sandboxTerms } from '../support/contracts';
import { http, startTestSystem, testApiKeys, uniqueId, type TestSystem } from '../support/system';

const CUSTOMER_A = uniqueId('cust-a');
const CUSTOMER_B = uniqueId('cust-b');
const WEBHOOK_SECRET = 'whsec-test-0123456789abcdef';
const auth = testApiKeys({
  'a-approver': { role: 'approver', customerId: CUSTOMER_A },
  'a-finance': { role: 'finance', customerId: CUSTOMER_A },
});
const as = auth.headers;

let sys: TestSystem;
let conn: mongoose.Connection;

beforeAll(async () => {
  sys = await startTestSystem({
    ...auth.env,
    BODY_LIMIT: '16kb',
    TOLLGATE_WEBHOOK_SECRETS: JSON.stringify({ jira: WEBHOOK_SECRET, 'a-psa': { secret: WEBHOOK_SECRET, customerId: CUSTOMER_A } }),
  });
  conn = await mongoose.createConnection(sys.config.MONGO_URL, { dbName: databaseName(sys.prefix, 'gateway') }).asPromise();
});

afterAll(async () => {
  await conn?.close();
  await sys?.stop();
});

const url = (path: string) => `${sys.gatewayUrl}${path}`;
const get = (path: string, key = 'admin') => http('GET', url(path), undefined, as(key));
const post = (path: string, body: unknown, key = 'admin', headers: Record<string, string> = {}) => http('POST', url(path), body, { ...as(key), ...headers });

/** A sandbox contract of a customer with two milestones: `sign` (customer sign-off) and `ship` (external event). */
async function createContract(customerId: string, currency = 'USD') {
  const terms = sandboxTerms([
    milestone('sign', { trigger: { type: 'event', completion: 'customer_signoff' } }),
    milestone('ship', { sequence: 2 }),
  ], { customer: { id: customerId, name: `Customer ${customerId}` }, currency });
  const res = await post('/contracts', terms, 'finance');
  expect(res.status).toBe(201);
  return terms;
}

/** Waits for a condition (visibility is eventually consistent), failing with the last value seen. */
async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (!ok(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}

async function snapshot(contractId: string) {
  const s = (await get(`/contracts/${contractId}`)).body;
  return { milestones: s.milestones, log: s.log, version: s.version, invoices: s.invoices, hold: s.hold };
}

describe('access control', () => {
  it('answers 401 unauthorized without a key or with an unknown key, on reads and writes', async () => {
    const terms = sandboxTerms([milestone('m1')]);
    for (const res of [
      await http('GET', url('/contracts')),
      await http('POST', url('/contracts'), terms),
      await http('GET', url('/contracts/whatever'), undefined, { authorization: 'Bearer not-a-key' }),
      await http('GET', url('/contracts/whatever'), undefined, { 'x-api-key': 'not-a-key' }),
    ]) {
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 'unauthorized', requestId: expect.any(String) });
    }
    expect((await get(`/contracts/${terms.contractId}`)).status).toBe(404);
  });

  it('accepts the key as a bearer token or in X-Api-Key', async () => {
    expect((await http('GET', url('/contracts?limit=1'), undefined, { 'x-api-key': auth.keys.support! })).status).toBe(200);
    expect((await http('GET', url('/contracts?limit=1'), undefined, { authorization: `Bearer ${auth.keys.support}` })).status).toBe(200);
  });

  it('refuses a role without the permission with 403 forbidden, and the refusal changes nothing', async () => {
    const terms = await createContract(uniqueId('cust'));
    expect((await post(`/contracts/${terms.contractId}/milestones/sign/complete`, {}, 'delivery')).status).toBe(200);
    const before = await snapshot(terms.contractId);

    const refused = [
      await post(`/contracts/${terms.contractId}/milestones/sign/accept`, {}, 'delivery'),
      await post(`/contracts/${terms.contractId}/milestones/ship/complete`, {}, 'approver'),
      await post(`/contracts/${terms.contractId}/hold`, {}, 'support'),
      await post(`/contracts/${terms.contractId}/clock`, { to: '2025-03-01' }, 'approver'),
      await post(`/contracts/${terms.contractId}/amendments`, { baseVersion: 1, changes: { cancel: ['ship'] } }, 'delivery'),
    ];
    for (const res of refused) {
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('forbidden');
    }
    expect(await snapshot(terms.contractId)).toEqual(before);

    const other = sandboxTerms([milestone('m1')]);
    expect((await post('/contracts', other, 'support')).status).toBe(403);
    expect((await get(`/contracts/${other.contractId}`)).status).toBe(404);

    expect((await post(`/contracts/${terms.contractId}/milestones/sign/accept`, {}, 'approver')).body.outcome).toBe('applied');
  });

  it('lets every role read a contract, and admin do everything', async () => {
    const terms = await createContract(uniqueId('cust'));
    for (const key of ['admin', 'finance', 'delivery', 'approver', 'support']) {
      expect((await get(`/contracts/${terms.contractId}`, key)).status).toBe(200);
    }
    expect((await post(`/contracts/${terms.contractId}/milestones/ship/complete`, {}, 'admin')).body.outcome).toBe('applied');
    expect((await post(`/contracts/${terms.contractId}/hold`, {}, 'admin')).body.outcome).toBe('applied');
  });

  it('answers 404 for another customer\'s contract to a customer-scoped key, exactly as for a missing one, and changes nothing', async () => {
    const mine = await createContract(CUSTOMER_A);
    const theirs = await createContract(CUSTOMER_B);
    await post(`/contracts/${theirs.contractId}/milestones/sign/complete`, {}, 'delivery');
    const before = await snapshot(theirs.contractId);

    const hidden = await get(`/contracts/${theirs.contractId}`, 'a-approver');
    const missing = await get('/contracts/no-such-contract', 'a-approver');
    expect([hidden.status, missing.status]).toEqual([404, 404]);
    expect(hidden.body.code).toBe('not_found');
    expect(hidden.body.message).toBe(`no contract ${theirs.contractId}`);
    expect(missing.body.message).toBe('no contract no-such-contract');
    expect((await post(`/contracts/${theirs.contractId}/milestones/sign/accept`, {}, 'a-approver')).status).toBe(404);
    expect((await get(`/contracts/${theirs.contractId}/invoices`, 'a-approver')).status).toBe(404);
    expect(await snapshot(theirs.contractId)).toEqual(before);

    expect((await get(`/contracts/${mine.contractId}`, 'a-approver')).status).toBe(200);
    await post(`/contracts/${mine.contractId}/milestones/sign/complete`, {}, 'delivery');
    expect((await post(`/contracts/${mine.contractId}/milestones/sign/accept`, {}, 'a-approver')).body.outcome).toBe('applied');

    const creatingForOthers = await post('/contracts', sandboxTerms([milestone('m1')], { customer: { id: CUSTOMER_B, name: 'B' } }), 'a-finance');
    expect(creatingForOthers.status).toBe(403);
  });

  it('hides other customers\' contracts from a scoped key\'s listing', async () => {
    const mine = await createContract(CUSTOMER_A);
    const theirs = await createContract(CUSTOMER_B);
    const all = await eventually(
      async () => (await get(`/contracts?customer=${CUSTOMER_B}`)).body.data.map((c: { contractId: string }) => c.contractId),
      (ids: string[]) => ids.includes(theirs.contractId),
    );
    expect(all).toContain(theirs.contractId);
    const scoped = await eventually(
      async () => (await get('/contracts?limit=200', 'a-approver')).body.data as Array<{ contractId: string; customerId: string }>,
      (d) => d.some((c) => c.contractId === mine.contractId),
    );
    expect(scoped.map((c) => c.contractId)).toContain(mine.contractId);
    expect(scoped.every((c) => c.customerId === CUSTOMER_A)).toBe(true);
    expect((await get(`/contracts?customer=${CUSTOMER_B}`, 'a-approver')).body.data).toEqual([]);
  });
});

describe('validation and conflicts', () => {
  it('answers 400 validation_failed naming every bad field', async () => {
    const bad = { ...sandboxTerms([milestone('m1')]), currency: 'usd', paymentTerms: 'NET_91' };
    const res = await post('/contracts', bad, 'finance');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(['body.currency', 'body.paymentTerms']));
    const list = await get('/contracts?status=open&limit=0');
    expect(list.status).toBe(400);
    expect(list.body.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(['query.status', 'query.limit']));
  });

  it('refuses a second contract with the same id with 409 duplicate_contract', async () => {
    const terms = await createContract(uniqueId('cust'));
    const again = await post('/contracts', terms, 'finance');
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('duplicate_contract');
  });
});

describe('Idempotency-Key', () => {
  it('replays the saved response with Idempotent-Replayed: true and creates nothing new', async () => {
    const customer = uniqueId('cust');
    const terms = sandboxTerms([milestone('m1')], { customer: { id: customer, name: 'Idem' } });
    const key = uniqueId('idem');
    const first = await post('/contracts', terms, 'finance', { 'idempotency-key': key });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const replay = await post('/contracts', terms, 'finance', { 'idempotency-key': key });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);

    const done = { 'idempotency-key': uniqueId('idem') };
    const a = await post(`/contracts/${terms.contractId}/milestones/m1/complete`, {}, 'delivery', done);
    const b = await post(`/contracts/${terms.contractId}/milestones/m1/complete`, {}, 'delivery', done);
    expect(a.body.outcome).toBe('applied');
    expect(b.body).toEqual(a.body);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    const log = (await get(`/contracts/${terms.contractId}/log`)).body.data;
    expect(log.filter((l: { kind: string }) => /complete/i.test(l.kind))).toHaveLength(1);
    const listed = await eventually(async () => (await get(`/contracts?customer=${customer}`)).body.data, (d: unknown[]) => d.length > 0);
    expect(listed).toHaveLength(1);
  });

  it('refuses the same key with a different body: 409 idempotency_conflict', async () => {
    const key = uniqueId('idem');
    const terms = sandboxTerms([milestone('m1')]);
    expect((await post('/contracts', terms, 'finance', { 'idempotency-key': key })).status).toBe(201);
    const other = sandboxTerms([milestone('m1')]);
    const res = await post('/contracts', other, 'finance', { 'idempotency-key': key });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('idempotency_conflict');
    expect((await get(`/contracts/${other.contractId}`)).status).toBe(404);
  });

  it('keeps keys per API key: another caller\'s same key is its own request', async () => {
    const key = uniqueId('idem');
    const terms = await createContract(uniqueId('cust'));
    const a = await post(`/contracts/${terms.contractId}/hold`, {}, 'finance', { 'idempotency-key': key });
    const b = await post(`/contracts/${terms.contractId}/hold`, {}, 'admin', { 'idempotency-key': key });
    expect(a.body.outcome).toBe('applied');
    expect(b.body.outcome).toBe('ignored');
    expect(b.headers.get('idempotent-replayed')).toBeNull();
  });

  it('answers 409 request_in_progress while the first request under the key is still running', async () => {
    const repo = idempotencyRepository(conn, { ttlMs: 86_400_000 });
    const terms = sandboxTerms([milestone('m1')]);
    const key = uniqueId('idem');
    const claim = await repo.claim({ identity: 'key:finance', key, method: 'POST', path: '/contracts', requestHash: requestHash({ method: 'POST', path: '/contracts', body: terms }) });
    expect(claim.kind).toBe('claimed');
    const res = await post('/contracts', terms, 'finance', { 'idempotency-key': key });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('request_in_progress');
    expect((await get(`/contracts/${terms.contractId}`)).status).toBe(404);
  });

  it('runs concurrent duplicates once: one response, the others replays or request_in_progress', async () => {
    const terms = sandboxTerms([milestone('m1')]);
    const key = uniqueId('idem');
    const results = await Promise.all([1, 2, 3, 4].map(() => post('/contracts', terms, 'finance', { 'idempotency-key': key })));
    const fresh = results.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') === null);
    expect(fresh).toHaveLength(1);
    for (const r of results.filter((x) => x !== fresh[0])) {
      expect(r.status === 409 ? r.body.code : r.headers.get('idempotent-replayed')).toBe(r.status === 409 ? 'request_in_progress' : 'true');
    }
  });

  it('ignores an expired saved response (older than the TTL): the request runs anew', async () => {
    const repo = idempotencyRepository(conn, { ttlMs: 86_400_000 });
    const terms = sandboxTerms([milestone('m1')]);
    const key = uniqueId('idem');
    const hash = requestHash({ method: 'POST', path: '/contracts', body: terms });
    const old = await repo.claim({ identity: 'key:finance', key, method: 'POST', path: '/contracts', requestHash: hash }, new Date(Date.now() - 25 * 3_600_000));
    if (old.kind !== 'claimed') throw new Error('expected a claim');
    await repo.complete(old.id, 201, { stale: true });
    const res = await post('/contracts', terms, 'finance', { 'idempotency-key': key });
    expect(res.status).toBe(201);
    expect(res.headers.get('idempotent-replayed')).toBeNull();
    expect(res.body.contractId).toBe(terms.contractId);
    expect(await repo.purgeExpired(new Date(Date.now() + 23 * 3_600_000))).toBe(0);
  });

  it('purges records by the hour they expired in, and keeps those not yet expired', async () => {
    const repo = idempotencyRepository(conn, { ttlMs: 3_600_000 });
    const at = new Date(Date.UTC(2031, 0, 1, 10, 30));
    const claim = (key: string, when: Date) => repo.claim({ identity: 'key:purge', key, method: 'POST', path: '/x', requestHash: 'h' }, when);
    await claim(uniqueId('p'), at); // expires 11:30
    await claim(uniqueId('p'), new Date(at.getTime() + 3_600_000)); // expires 12:30
    expect(await repo.purgeExpired(new Date(Date.UTC(2031, 0, 1, 12, 45)))).toBe(1);
    expect(await repo.model.countDocuments({ identity: 'key:purge' })).toBe(1);
    expect(await repo.purgeExpired(new Date(Date.UTC(2031, 0, 1, 13, 5)))).toBe(1);
    expect(await repo.model.countDocuments({ identity: 'key:purge' })).toBe(0);
  });
});

describe('webhooks', () => {
  const send = (source: string, event: Record<string, unknown>, opts: { secret?: string; timestamp?: number } = {}) => {
    const raw = JSON.stringify(event);
    const ts = opts.timestamp ?? Math.floor(Date.now() / 1000);
    return http('POST', url(`/webhooks/delivery/${source}`), raw, {
      'content-type': 'application/json',
      'x-tollgate-timestamp': String(ts),
      'x-tollgate-signature': `sha256=${signWebhook(opts.secret ?? WEBHOOK_SECRET, ts, raw)}`,
    });
  };

  it('applies a signed event as the same workflow update as the API', async () => {
    const terms = await createContract(uniqueId('cust'));
    const res = await send('jira', { eventId: uniqueId('evt'), type: 'complete', contractId: terms.contractId, milestoneId: 'ship' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ outcome: 'applied', milestone: { id: 'ship', status: expect.stringMatching(/accepted|invoiced/) } });
    const cost = await send('jira', { eventId: uniqueId('evt'), type: 'declare', contractId: terms.contractId, milestoneId: 'sign' });
    expect(cost.body.outcome).toBe('applied');
  });

  it('refuses a bad signature or a stale timestamp with 401, changing nothing', async () => {
    const terms = await createContract(uniqueId('cust'));
    const before = await snapshot(terms.contractId);
    const event = { eventId: uniqueId('evt'), type: 'complete', contractId: terms.contractId, milestoneId: 'ship' };
    const bad = await send('jira', event, { secret: 'another-secret-0123456789' });
    const stale = await send('jira', event, { timestamp: Math.floor(Date.now() / 1000) - 301 });
    const unknown = await send('nobody', event);
    for (const res of [bad, stale, unknown]) {
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('unauthorized');
    }
    expect(stale.body.message).toMatch(/300 s window/);
    expect(await snapshot(terms.contractId)).toEqual(before);
    expect((await send('jira', event)).body.outcome).toBe('applied');
  });

  it('deduplicates by event id: a replayed event answers the original result, with no second effect', async () => {
    const terms = await createContract(uniqueId('cust'));
    const event = { eventId: uniqueId('evt'), type: 'complete', contractId: terms.contractId, milestoneId: 'ship' };
    const first = await send('jira', event);
    const again = await send('jira', event);
    expect(again.status).toBe(first.status);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const log = (await get(`/contracts/${terms.contractId}/log`)).body.data;
    expect(log.filter((l: { milestoneId?: string; via: string }) => l.milestoneId === 'ship' && l.via === 'update')).toHaveLength(1);
  });

  it('keeps a customer-scoped source to its customer\'s contracts (404 otherwise)', async () => {
    const theirs = await createContract(CUSTOMER_B);
    const res = await send('a-psa', { eventId: uniqueId('evt'), type: 'complete', contractId: theirs.contractId, milestoneId: 'ship' });
    expect(res.status).toBe(404);
    expect((await get(`/contracts/${theirs.contractId}`)).body.milestones.ship.status).toBe('planned');
  });
});

describe('revenue reports through the gateway', () => {
  it('answers a report as CSV with ?format=csv, as the revenue service does, and as JSON by default', async () => {
    const terms = await createContract(uniqueId('rep-cust'));
    expect((await post(`/contracts/${terms.contractId}/milestones/ship/complete`, {})).status).toBe(200);
    const csv = await get(`/contracts/${terms.contractId}/reports/trial-balance?format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toContain('trial-balance.csv');
    expect(csv.text.split('\n')[0]).toMatch(/account/);
    expect(csv.text).toContain('unbilled_ar');
    const json = await get(`/contracts/${terms.contractId}/reports/trial-balance`);
    expect(json.status).toBe(200);
    expect(json.body.balanced).toBe(true);
  });

  it('knows the reports by their DESIGN names (waterfall = revenue by period) and refuses an unknown one with 404 naming the known ones', async () => {
    const terms = await createContract(uniqueId('rep-cust'));
    const waterfall = await get(`/contracts/${terms.contractId}/reports/waterfall`);
    expect(waterfall.status).toBe(200);
    expect(waterfall.body).toEqual((await get(`/contracts/${terms.contractId}/reports/revenue-by-period`)).body);
    const unknown = await get(`/contracts/${terms.contractId}/reports/profit`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('not_found');
    expect(unknown.body.message).toContain('waterfall');
  });
});

describe('hardening', () => {
  it('sends helmet security headers on answers and errors, with the request id', async () => {
    for (const res of [await get('/contracts?limit=1'), await http('GET', url('/contracts'))]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(res.headers.get('strict-transport-security')).toContain('max-age=');
      expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(res.headers.get('x-powered-by')).toBeNull();
      expect(res.headers.get('x-request-id')).toEqual(expect.any(String));
    }
    const err = await http('GET', url('/contracts'), undefined, { 'x-request-id': 'req-123' });
    expect(err.body.requestId).toBe('req-123');
  });

  it('refuses an oversized body with 413 payload_too_large', async () => {
    const res = await post('/contracts', { ...sandboxTerms([milestone('m1')]), padding: 'x'.repeat(20_000) }, 'finance');
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ code: 'payload_too_large', requestId: expect.any(String) });
  });
});

describe('OpenAPI', () => {
  it('serves a valid OpenAPI 3 document generated from the schemas, listing every route', async () => {
    const res = await http('GET', url('/openapi.json'));
    expect(res.status).toBe(200);
    await expect(SwaggerParser.validate(structuredClone(res.body))).resolves.toBeDefined();
    const routes = Object.entries(res.body.paths as Record<string, Record<string, unknown>>).flatMap(([p, ms]) => Object.keys(ms).map((m) => `${m.toUpperCase()} ${p}`));
    expect(routes.sort()).toEqual([
      'GET /contracts', 'POST /contracts', 'GET /contracts/{id}', 'GET /contracts/{id}/versions', 'GET /contracts/{id}/log',
      'POST /contracts/{id}/milestones/{mid}/complete', 'POST /contracts/{id}/milestones/{mid}/declare',
      'POST /contracts/{id}/milestones/{mid}/accept', 'POST /contracts/{id}/milestones/{mid}/reject', 'POST /contracts/{id}/milestones/{mid}/progress',
      'POST /contracts/{id}/costs', 'POST /contracts/{id}/hold', 'POST /contracts/{id}/release', 'POST /contracts/{id}/amendments',
      'POST /contracts/{id}/clock', 'POST /contracts/{id}/steps/{stepId}/retry', 'POST /contracts/{id}/steps/{stepId}/resolve', 'GET /contracts/{id}/invoices', 'POST /contracts/{id}/payments', 'POST /contracts/{id}/periods/close',
      'GET /contracts/{id}/reports/{report}', 'GET /contracts/{id}/entries', 'GET /contracts/{id}/reconciliation', 'POST /webhooks/delivery/{source}',
      'GET /openapi.json', 'GET /docs',
      // Documents and receivables (documents.ts).
      'GET /invoices/{number}', 'GET /invoices/{number}.html', 'GET /invoices/{number}.pdf',
      'GET /credit-memos/{number}', 'GET /credit-memos/{number}.html', 'GET /credit-memos/{number}.pdf', 'GET /contracts/{id}/credit-memos',
      'GET /customers/{customerId}/invoices', 'GET /customers/{customerId}/credit-memos', 'GET /customers/{customerId}/credit',
      'GET /aging', 'GET /overdue', 'GET /dso', 'GET /gl/export',
      // Outbound events (events.ts).
      'POST /subscriptions', 'GET /subscriptions', 'GET /subscriptions/{subscriptionId}', 'POST /subscriptions/{subscriptionId}/disable',
      'POST /subscriptions/{subscriptionId}/enable', 'GET /subscriptions/{subscriptionId}/deliveries', 'GET /deliveries/{deliveryId}',
      'POST /deliveries/{deliveryId}/redeliver', 'GET /events',
      // The console's API (console-api.ts).
      'GET /me', 'GET /kpis', 'GET /reports/{report}',
      // Renewals and the visual schedule (renewals.ts).
      'POST /contracts/{id}/renewals', 'GET /contracts/{id}/renewals', 'GET /contracts/{id}/schedule.svg', 'GET /contracts/{id}/schedule.png',
      // Schedule templates (templates.ts).
      'GET /templates', 'POST /templates', 'GET /templates/{name}', 'GET /templates/{name}/versions/{version}', 'POST /templates/{name}/contracts',
    ].sort());
    const create = res.body.paths['/contracts'].post;
    expect(create['x-roles']).toEqual(['finance', 'admin']);
    expect(create.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ContractTermsInput' });
    expect(res.body.components.schemas.ContractTermsInput.required).toEqual(expect.arrayContaining(['contractId', 'customer', 'currency', 'milestones']));
    expect(create.parameters).toContainEqual(expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false }));
    expect(res.body.paths['/contracts'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['limit', 'cursor', 'customer', 'status', 'currency']);
  });

  it('serves a docs page (Swagger UI from the gateway\'s own assets, no CDN) naming every operation', async () => {
    const res = await http('GET', url('/docs'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.text).toContain('<script src="/docs/assets/swagger-ui-bundle.js"></script>');
    expect(res.text).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
    for (const path of ['/contracts/{id}/milestones/{mid}/accept', '/webhooks/delivery/{source}', '/contracts/{id}/payments']) expect(res.text).toContain(path);
  });
});

describe('listing and search', () => {
  it('lists contracts by customer, status and currency, a page at a time', async () => {
    const customer = uniqueId('cust-list');
    const usd = await createContract(customer, 'USD');
    const eur = await createContract(customer, 'EUR');
    const gbp = await createContract(customer, 'GBP');
    const ids = (d: Array<{ contractId: string }>) => d.map((c) => c.contractId).sort();
    const all = await eventually(async () => (await get(`/contracts?customer=${customer}`)).body.data, (d: Array<{ contractId: string }>) => d.length === 3);
    expect(ids(all)).toEqual([usd, eur, gbp].map((t) => t.contractId).sort());
    expect(all[0]).toMatchObject({ customerId: customer, status: 'active', workflowStatus: 'RUNNING' });
    expect(ids((await get(`/contracts?customer=${customer}&currency=EUR`)).body.data)).toEqual([eur.contractId]);
    expect((await get(`/contracts?customer=${customer}&status=completed`)).body.data).toEqual([]);
    expect((await get(`/contracts?customer=${customer}&status=active`)).body.data).toHaveLength(3);

    const page1 = (await get(`/contracts?customer=${customer}&limit=2`)).body;
    expect(page1.data).toHaveLength(2);
    expect(page1.nextCursor).toEqual(expect.any(String));
    const page2 = (await get(`/contracts?customer=${customer}&limit=2&cursor=${page1.nextCursor}`)).body;
    expect(ids([...page1.data, ...page2.data])).toEqual(ids(all));
  });

  it('escapes search values: a quote cannot change the query', async () => {
    const res = await get(`/contracts?customer=${encodeURIComponent("x' OR TollgateCustomer != 'y")}`);
    expect(res.status).toBe(400);
    expect(res.body.details[0].path).toBe('query.customer');
  });
});
