import { buildHostileCases, deepJson, fillPath, hugeJson, judgeHostile, routesOf, signWebhook, type Route } from '../../deploy/chaos/hostile';
import { signWebhook as productSignWebhook } from '../../libs/auth';
import { recordPaymentSchema } from '../../services/ar/api';
import { issueInvoiceSchema } from '../../services/invoicing/api';

const gatewayDoc = {
  paths: {
    '/contracts': { post: { 'x-roles': ['finance', 'admin'] }, get: { 'x-roles': ['delivery', 'approver', 'finance', 'support', 'admin'] } },
    '/contracts/{id}': { get: { 'x-roles': ['delivery', 'approver', 'finance', 'support', 'admin'] } },
    '/contracts/{id}/milestones/{mid}/accept': { post: { 'x-roles': ['approver', 'admin'] } },
    '/contracts/{id}/hold': { post: { 'x-roles': ['finance', 'admin'] } },
    '/webhooks/delivery/{source}': { post: { security: [], parameters: [{ name: 'X-Tollgate-Signature', in: 'header' }] } },
    '/openapi.json': { get: { security: [] } },
  },
};
const routes: Route[] = [
  ...routesOf('gateway', gatewayDoc),
  ...routesOf('invoicing', { paths: { '/invoices': { post: {}, get: {} }, '/invoices/{number}': { get: {} } } }),
  ...routesOf('ar', { paths: { '/payments': { post: {} } } }),
];
const ctx = {
  routes,
  token: 't'.repeat(64),
  keys: { admin: 'admin-key', support: 'support-key', scoped: 'scoped-key', delivery: 'delivery-key' },
  webhook: { source: 'psa', secret: 's'.repeat(32) },
  contract: { id: 'c-1', customerId: 'cust-1', milestones: ['m1'] },
  bodyLimitBytes: 1024,
  nowSeconds: () => 1_800_000_000,
};

describe('routes from OpenAPI documents', () => {
  it('tells API-key routes, public pages and webhooks apart on the gateway', () => {
    const access = Object.fromEntries(routes.filter((r) => r.target === 'gateway').map((r) => [`${r.method} ${r.path}`, r.access]));
    expect(access).toMatchObject({ 'post /contracts': 'key', 'get /openapi.json': 'public', 'post /webhooks/delivery/{source}': 'webhook' });
    expect(routes.filter((r) => r.target !== 'gateway').every((r) => r.access === 'service')).toBe(true);
  });
});

describe('hostile cases', () => {
  const cases = buildHostileCases(ctx);

  it('cover every route', () => {
    for (const r of routes) expect(cases.some((c) => c.target === r.target && c.route === `${r.method.toUpperCase()} ${r.path}`)).toBe(true);
  });

  it('have unique ids', () => {
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
  });

  it('send no credential, or a wrong one, to every service route and expect 401', () => {
    const serviceAuth = cases.filter((c) => c.target !== 'gateway' && (c.category === 'no-credential' || c.category === 'wrong-credential'));
    expect(serviceAuth.length).toBeGreaterThanOrEqual(5 * routes.filter((r) => r.target !== 'gateway').length);
    for (const c of serviceAuth) {
      expect(c.expect).toEqual([401]);
      expect(c.make().headers.authorization).not.toBe(`Bearer ${ctx.token}`);
    }
  });

  it('never send a body the service would accept to a service with the valid credential (its own schema refuses it)', () => {
    const withCredential = (x: (typeof cases)[number]) => x.make().headers.authorization === `Bearer ${ctx.token}`;
    const checked: string[] = [];
    for (const [target, route, schema] of [['invoicing', 'POST /invoices', issueInvoiceSchema], ['ar', 'POST /payments', recordPaymentSchema]] as const) {
      for (const c of cases.filter((x) => x.target === target && x.route === route && withCredential(x))) {
        const body = c.make().body;
        let parsed: unknown;
        try { parsed = JSON.parse(body ?? ''); } catch { continue; }
        // A future payment date is well formed: the service refuses it (future_date, 422). Without an
        // Idempotency-Key the service refuses before it reads the body.
        if (c.expect?.includes(422) || c.make().headers['idempotency-key'] === undefined) continue;
        if (schema.safeParse(parsed).success) throw new Error(`${c.id} has a valid body: ${String(body).slice(0, 200)}`);
        checked.push(c.id);
      }
    }
    expect(checked.length).toBeGreaterThan(20);
  });

  it('sign webhooks exactly as the gateway checks them', () => {
    expect(signWebhook('secret-secret-secret', '1800000000', '{"a":1}')).toBe(productSignWebhook('secret-secret-secret', '1800000000', '{"a":1}'));
  });

  it('make a stale signature outside the 300 s window', () => {
    const c = cases.find((x) => x.id.includes('timestamp 10 minutes old'))!;
    expect(Number(c.make().headers['x-tollgate-timestamp'])).toBe(1_800_000_000 - 600);
  });

  it('use URL-encoded injected ids in paths', () => {
    expect(fillPath('/contracts/{id}/log', { id: '{"$gt":""}' })).toBe('/contracts/%7B%22%24gt%22%3A%22%22%7D/log');
  });

  it('build bodies over the limit and deeply nested JSON that JSON.parse still reads', () => {
    expect(hugeJson(1024).length).toBeGreaterThan(1024 + 65_536);
    expect(() => JSON.parse(deepJson(50_000))).not.toThrow();
  });
});

describe('judging the answer to a hostile request', () => {
  const c = { category: 'money-edge' as const, expect: [400] };

  it('accepts a 4xx with a JSON code', () => {
    expect(judgeHostile(c, 400, { code: 'validation_failed' })).toEqual({ ok: true });
  });

  it('notes (without failing) another 4xx than the one expected', () => {
    expect(judgeHostile(c, 404, { code: 'not_found' })).toMatchObject({ ok: true, note: expect.stringContaining('404') });
  });

  it('fails a 5xx, a 2xx and a 4xx without a code', () => {
    expect(judgeHostile(c, 500, { code: 'internal' }).ok).toBe(false);
    expect(judgeHostile(c, 201, {}).ok).toBe(false);
    expect(judgeHostile(c, 400, 'Bad Request').ok).toBe(false);
  });

  it('fails a credential check answered with anything but 401/403 (the request got past it)', () => {
    expect(judgeHostile({ category: 'no-credential', expect: [401] }, 404, { code: 'not_found' }).ok).toBe(false);
    expect(judgeHostile({ category: 'no-credential', expect: [401] }, 401, { code: 'unauthorized' }).ok).toBe(true);
  });

  it('wants a replayed webhook answered from the record, with Idempotent-Replayed', () => {
    expect(judgeHostile({ category: 'webhook-replay' }, 200, { outcome: 'ignored' }, { replayed: true }).ok).toBe(true);
    expect(judgeHostile({ category: 'webhook-replay' }, 200, { outcome: 'applied' }, { replayed: false }).ok).toBe(false);
  });
});
