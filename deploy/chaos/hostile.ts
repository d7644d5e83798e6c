/**
 * Hostile requests for `npm run chaos`: for every route of the gateway and of each internal service
 * (listed from their `/openapi.json`), requests that must be refused 4xx with a JSON `code` —
 * missing or wrong credentials, wrong roles and scopes, wrong types, missing and extra fields, bodies
 * over BODY_LIMIT, deeply nested JSON, operator injection in ids, bodies and queries, money and date
 * edge cases, unknown ids, bad and replayed webhook signatures, reused idempotency keys.
 *
 * Every case is built so that it can never succeed by accident: a body is always invalid in at least
 * one way, or names an id that does not exist, or is stale; nothing here may change the books of
 * the contracts the load drives. The one exception is the `webhook-replay` category: an exact
 * replay of a delivery webhook the load sent, which must answer the original result with
 * `Idempotent-Replayed: true` and change nothing.
 *
 * Pure apart from the clock (webhook timestamps) and randomness (keys); no I/O.
 */
import { createHmac, randomBytes } from 'node:crypto';

export type Target = 'gateway' | 'invoicing' | 'revenue' | 'ar';
export type Method = 'get' | 'post';

/** One operation of a service as its OpenAPI document lists it. */
export interface Route {
  target: Target;
  method: Method;
  /** The OpenAPI path template, e.g. `/contracts/{id}/milestones/{mid}/complete`. */
  path: string;
  /** Gateway: who may call it (`x-roles`); public pages and webhooks have none. */
  roles?: string[];
  access: 'key' | 'public' | 'webhook' | 'service';
}

export interface HostileRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export type HostileCategory =
  | 'no-credential' | 'wrong-credential' | 'wrong-role' | 'other-customer' | 'wrong-type' | 'missing-field' | 'extra-field'
  | 'huge-body' | 'deep-json' | 'malformed-json' | 'injection' | 'money-edge' | 'date-edge' | 'unknown-id'
  | 'bad-signature' | 'stale-signature' | 'webhook-replay' | 'idempotency';

export interface HostileCase {
  /** Short, unique: `<target> <METHOD> <path template> — <what>`. */
  id: string;
  target: Target;
  /** `METHOD /template` of the route it exercises. */
  route: string;
  category: HostileCategory;
  /** When set, the statuses that are right (others are noted; see `judgeHostile`). */
  expect?: number[];
  make(): HostileRequest;
}

export interface HostileContext {
  routes: Route[];
  /** The service credential (the services' valid caller). */
  token: string;
  keys: { admin: string; support: string; scoped: string; delivery: string };
  webhook: { source: string; secret: string };
  /** A contract the load drives (real books), of a customer other than the scoped key's, with its milestone ids. */
  contract: { id: string; customerId: string; milestones: string[] };
  /** BODY_LIMIT in bytes. */
  bodyLimitBytes: number;
  /** An exact copy of a delivery webhook the load sent recently (for the replay case), if any. */
  lastWebhook?: () => HostileRequest | undefined;
  /** Wall-clock seconds (webhook timestamps); default Date.now. */
  nowSeconds?: () => number;
}

// ---------------------------------------------------------------------------------------------
// Building blocks

const J = (v: unknown) => JSON.stringify(v);
const key = () => `hostile-${randomBytes(8).toString('hex')}`;
const rnd = () => randomBytes(4).toString('hex');

/** `{"$gt": ""}`-style operator objects, as an id in a path (URL-encoded) they are just odd strings. */
export const INJECTED_IDS = ['{"$gt":""}', '{"$ne":null}', '$where', '../../admin', 'x\' || \'1\'==\'1', 'a'.repeat(3000)];

/** A JSON body whose value nests `depth` arrays deep (JSON.parse copes; recursive code does not). */
export function deepJson(depth: number, wrapInObject = true): string {
  const inner = '['.repeat(depth) + ']'.repeat(depth);
  return wrapInObject ? `{"date":${inner}}` : inner;
}

/** A body just over the limit: valid JSON, `limit + 64 KiB` long. */
export function hugeJson(limitBytes: number): string {
  return `{"pad":"${'x'.repeat(limitBytes + 65_536)}"}`;
}

/** Replaces `{name}` in a template with the URL-encoded values given (missing ones: an unknown id). */
export function fillPath(template: string, params: Record<string, string>): string {
  return template.replace(/\{([A-Za-z]+)\}/g, (_m, name: string) => encodeURIComponent(params[name] ?? `nope-${rnd()}`));
}

/** Signs a webhook as the gateway checks it: hex HMAC-SHA256 of `<timestamp>.<raw body>`. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** Money figures that no currency accepts (DESIGN §11), and ones only wrong for USD. */
export const BAD_MONEY = ['1.001', '9'.repeat(5000), '-1', '1e3', '0x10', ' 10.00', '10,00', 'NaN', 'Infinity', '1000000000000000.00'];
/** Dates: impossible, malformed, and past MAX_DATE (2999-12-31). */
export const BAD_DATES = ['2026-02-30', '2026-13-01', '2026-2-3', '0000-00-00', '9999-12-31T00:00:00Z', '20260101', '10000-01-01'];

function termsWith(patch: (t: Record<string, any>) => void): Record<string, unknown> {
  const t: Record<string, any> = {
    contractId: `hostile-${rnd()}`,
    customer: { id: 'hostile-customer', name: 'Hostile' },
    currency: 'USD',
    signedDate: '2026-01-01',
    paymentTerms: 'NET_30',
    obligations: [{ id: 'impl', name: 'Impl', ssp: '100.00', recognition: { method: 'milestones' } }],
    milestones: [{ id: 'm1', name: 'M1', description: 'M1', obligationId: 'impl', amount: '100.00', sequence: 1, trigger: { type: 'event', completion: 'external_event' } }],
  };
  patch(t);
  return t;
}

/** Contract terms each invalid in one named way (never creatable). */
export function invalidTerms(): Array<[HostileCategory, string, Record<string, unknown>]> {
  return [
    ['money-edge', 'amount 1.001 USD', termsWith((t) => { t.milestones[0].amount = '1.001'; })],
    ['money-edge', 'amount 5,000 digits', termsWith((t) => { t.milestones[0].amount = '9'.repeat(5000); })],
    ['money-edge', 'amount -1', termsWith((t) => { t.milestones[0].amount = '-1'; })],
    ['money-edge', 'JPY 0.5', termsWith((t) => { t.currency = 'JPY'; t.milestones[0].amount = '0.5'; t.obligations[0].ssp = '100'; })],
    ['money-edge', 'KWD 1.0001', termsWith((t) => { t.currency = 'KWD'; t.milestones[0].amount = '1.0001'; })],
    ['money-edge', 'amount as a number', termsWith((t) => { t.milestones[0].amount = 100; })],
    ['money-edge', 'every SSP zero', termsWith((t) => { t.obligations[0].ssp = '0.00'; })],
    ['date-edge', 'signedDate 9999-12-31', termsWith((t) => { t.signedDate = '9999-12-31'; })],
    ['date-edge', 'signedDate 2026-02-30', termsWith((t) => { t.signedDate = '2026-02-30'; })],
    ['date-edge', 'date trigger 2026-13-01', termsWith((t) => { t.milestones[0].trigger = { type: 'date', date: '2026-13-01' }; })],
    ['wrong-type', 'currency XXX', termsWith((t) => { t.currency = 'XXX'; })],
    ['wrong-type', 'milestones an object', termsWith((t) => { t.milestones = { m1: t.milestones[0] }; })],
    ['wrong-type', 'sequence a string', termsWith((t) => { t.milestones[0].sequence = '1'; })],
    ['missing-field', 'no customer', termsWith((t) => { delete t.customer; })],
    ['missing-field', 'no milestones', termsWith((t) => { delete t.milestones; })],
    ['extra-field', 'extra field and a bad amount', termsWith((t) => { t.isAdmin = true; t.milestones[0].amount = 'x'; })],
    ['injection', 'contractId {$gt: ""}', termsWith((t) => { t.contractId = { $gt: '' }; })],
    ['injection', 'customer.id {$ne: null}', termsWith((t) => { t.customer.id = { $ne: null }; })],
    ['injection', 'milestone id $where', termsWith((t) => { t.milestones[0].id = '$where'; })],
    ['wrong-type', 'reserved milestone id "advance"', termsWith((t) => { t.milestones[0].id = 'advance'; })],
  ];
}

// ---------------------------------------------------------------------------------------------
// The cases

const routeName = (r: Route) => `${r.method.toUpperCase()} ${r.path}`;

export function buildHostileCases(ctx: HostileContext): HostileCase[] {
  const cases: HostileCase[] = [];
  const now = ctx.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  const admin = { authorization: `Bearer ${ctx.keys.admin}` };
  const service = { authorization: `Bearer ${ctx.token}` };
  const json = { 'content-type': 'application/json' };
  const real = { id: ctx.contract.id, mid: ctx.contract.milestones[0]!, stepId: `nope-step-${rnd()}`, report: 'balances', source: ctx.webhook.source };
  const unknown = () => ({ id: `nope-contract-${rnd()}`, mid: 'm1', stepId: 'nope', report: 'balances', source: ctx.webhook.source, number: `INV-2026-${rnd()}`, invoiceNumber: `INV-2026-${rnd()}`, paymentId: `pay-${rnd()}` });

  const add = (r: Route, what: string, category: HostileCategory, make: () => HostileRequest, expect?: number[]) => {
    cases.push({ id: `${r.target} ${routeName(r)} — ${what}`, target: r.target, route: routeName(r), category, make, expect });
  };
  /** A request to route `r`: path from `params`, headers, optional body (a string is sent as is). */
  const req = (r: Route, params: Record<string, string>, headers: Record<string, string>, body?: unknown, query = ''): HostileRequest => ({
    method: r.method.toUpperCase(),
    path: fillPath(r.path, params) + query,
    headers: body === undefined ? headers : { ...json, ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : J(body),
  });
  const auth = (r: Route) => (r.target === 'gateway' ? admin : service);
  const paramsFor = (r: Route) => (r.target === 'gateway' && r.path.includes('{id}') ? { ...unknown(), ...real } : unknown());

  for (const r of ctx.routes) {
    const isPost = r.method === 'post';
    const validish = isPost ? {} : undefined;

    // ── credentials ──
    if (r.access === 'key') {
      add(r, 'no API key', 'no-credential', () => req(r, paramsFor(r), {}, validish), [401]);
      add(r, 'unknown API key', 'wrong-credential', () => req(r, paramsFor(r), { authorization: `Bearer ${rnd()}${rnd()}` }, validish), [401]);
      add(r, 'unknown X-Api-Key', 'wrong-credential', () => req(r, paramsFor(r), { 'x-api-key': `k-${rnd()}` }, validish), [401]);
      add(r, 'malformed Authorization', 'wrong-credential', () => req(r, paramsFor(r), { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` }, validish), [401]);
      if (isPost) {
        add(r, 'support key on a write', 'wrong-role', () => req(r, paramsFor(r), { authorization: `Bearer ${ctx.keys.support}` }, {}), [403]);
      }
      if (r.path.includes('{id}')) {
        const approverMay = (r.roles ?? []).includes('approver');
        add(r, 'customer-scoped key on another customer\'s contract', 'other-customer',
          () => req(r, { ...unknown(), ...real }, { authorization: `Bearer ${ctx.keys.scoped}` }, isPost ? { date: '2026-02-30' } : undefined), approverMay ? [404] : [403]);
      }
    } else if (r.access === 'service') {
      add(r, 'no service credential', 'no-credential', () => req(r, unknown(), {}, validish), [401]);
      add(r, 'wrong service credential', 'wrong-credential', () => req(r, unknown(), { authorization: `Bearer ${ctx.token.slice(0, -1)}${ctx.token.endsWith('0') ? '1' : '0'}` }, validish), [401]);
      add(r, 'credential in X-Api-Key', 'wrong-credential', () => req(r, unknown(), { 'x-api-key': ctx.token }, validish), [401]);
      add(r, 'an API key instead of the service credential', 'wrong-credential', () => req(r, unknown(), { authorization: `Bearer ${ctx.keys.admin}` }, validish), [401]);
      add(r, 'Basic credential', 'wrong-credential', () => req(r, unknown(), { authorization: `Basic ${Buffer.from(`tollgate:${ctx.token}`).toString('base64')}` }, validish), [401]);
    }

    // ── bodies every route must survive (the parser runs before any route) ──
    const withAuth = r.access === 'webhook' ? {} : auth(r);
    add(r, 'body over BODY_LIMIT', 'huge-body', () => req(r, paramsFor(r), withAuth, hugeJson(ctx.bodyLimitBytes)), [413]);
    add(r, 'malformed JSON', 'malformed-json', () => req(r, paramsFor(r), withAuth, '{"date": "2026-01-01",'), [400]);
    if (r.access !== 'public' && !(r.target !== 'gateway' && r.path === '/openapi.json')) {
      if (isPost) {
        add(r, 'JSON nested 50,000 deep in a field', 'deep-json', () => req(r, paramsFor(r), { ...withAuth, 'idempotency-key': key() }, deepJson(50_000)));
        add(r, 'JSON nested 50,000 deep (top-level array)', 'deep-json', () => req(r, paramsFor(r), { ...withAuth, 'idempotency-key': key() }, deepJson(50_000, false)));
        if (r.target === 'gateway') add(r, 'JSON nested 50,000 deep, no Idempotency-Key', 'deep-json', () => req(r, paramsFor(r), withAuth, deepJson(50_000)));
        add(r, 'body a JSON array', 'wrong-type', () => req(r, paramsFor(r), { ...withAuth, 'idempotency-key': key() }, [1, 2, 3]));
      }
    }
  }

  // ── route-specific cases ──
  const route = (target: Target, method: Method, path: string) => ctx.routes.find((r) => r.target === target && r.method === method && r.path === path);
  const on = (target: Target, method: Method, path: string, f: (r: Route) => void) => {
    const r = route(target, method, path);
    if (r) f(r);
  };
  const withKey = (h: Record<string, string>) => ({ ...h, 'idempotency-key': key() });

  // Gateway
  on('gateway', 'post', '/contracts', (r) => {
    for (const [category, what, terms] of invalidTerms()) add(r, what, category, () => req(r, {}, withKey(admin), terms), [400]);
    add(r, 'the same contract id again (no key)', 'idempotency', () => req(r, {}, admin, termsWith((t) => { t.contractId = ctx.contract.id; t.customer.id = ctx.contract.customerId; })), [409]);
    add(r, 'Idempotency-Key of 300 characters', 'wrong-type', () => req(r, {}, { ...admin, 'idempotency-key': 'k'.repeat(300) }, termsWith(() => undefined)), [400]);
    add(r, 'Idempotency-Key with a control character', 'wrong-type', () => req(r, {}, { ...admin, 'idempotency-key': 'a b' }, termsWith(() => undefined)), [400]);
  });
  on('gateway', 'get', '/contracts', (r) => {
    for (const q of ['?contractId[$ne]=x', '?customer[$ne]=x', '?customer[$gt]=', '?status=deleted', '?limit=0', '?limit=1e9', '?limit=abc',
      `?customer=x'%20OR%20TollgateStatus='active`, '?cursor=%27%20OR%201%3D1', '?currency=usd', '?currency[$regex]=.*']) {
      add(r, `query ${decodeURIComponent(q)}`, 'injection', () => req(r, {}, admin, undefined, q), [400]);
    }
  });
  for (const p of ['/contracts/{id}', '/contracts/{id}/versions', '/contracts/{id}/log', '/contracts/{id}/invoices', '/contracts/{id}/reconciliation', '/contracts/{id}/entries']) {
    on('gateway', 'get', p, (r) => {
      for (const id of INJECTED_IDS) add(r, `id ${id.slice(0, 20)}`, 'injection', () => req(r, { id }, admin), [404, 400]);
      add(r, 'unknown contract', 'unknown-id', () => req(r, unknown(), admin), [404]);
      add(r, 'unknown contract, contractId[$ne] in the query', 'injection', () => req(r, unknown(), admin, undefined, '?contractId[$ne]=x'), [404]);
    });
  }
  on('gateway', 'get', '/contracts/{id}/reports/{report}', (r) => {
    add(r, 'unknown report', 'unknown-id', () => req(r, { ...real, report: `nope-${rnd()}` }, admin), [404]);
    add(r, 'report {"$gt":""}', 'injection', () => req(r, { ...real, report: '{"$gt":""}' }, admin), [404, 400]);
    add(r, 'asOf 2026-02-30', 'date-edge', () => req(r, real, admin, undefined, '?asOf=2026-02-30'), [400]);
    add(r, 'asOf 9999-12-31', 'date-edge', () => req(r, real, admin, undefined, '?asOf=9999-12-31'), [400]);
    add(r, 'format xml', 'wrong-type', () => req(r, real, admin, undefined, '?format=xml'), [400]);
    add(r, 'asOf[$gt]=', 'injection', () => req(r, real, admin, undefined, '?asOf[$gt]='), [400]);
    add(r, 'unknown contract', 'unknown-id', () => req(r, unknown(), admin), [404]);
  });
  for (const op of ['complete', 'declare', 'accept', 'reject']) {
    on('gateway', 'post', `/contracts/{id}/milestones/{mid}/${op}`, (r) => {
      const body = (b: Record<string, unknown>) => (op === 'reject' && !('reason' in b) ? { ...b, reason: 'hostile' } : b);
      add(r, 'unknown milestone', 'unknown-id', () => req(r, { ...real, mid: `nope-${rnd()}` }, withKey(admin), body({})), [404]);
      add(r, 'milestone {"$gt":""}', 'injection', () => req(r, { ...real, mid: '{"$gt":""}' }, withKey(admin), body({})), [404, 400]);
      add(r, 'unknown contract', 'unknown-id', () => req(r, unknown(), withKey(admin), body({})), [404]);
      add(r, 'contract {"$ne":null}', 'injection', () => req(r, { ...real, id: '{"$ne":null}' }, withKey(admin), body({})), [404, 400]);
      for (const d of BAD_DATES) add(r, `date ${d}`, 'date-edge', () => req(r, real, withKey(admin), body({ date: d })), [400]);
      add(r, 'date 9999-12-31 (future)', 'date-edge', () => req(r, real, withKey(admin), body({ date: '9999-12-31' })), [422]);
      add(r, 'date a number', 'wrong-type', () => req(r, real, withKey(admin), body({ date: 20260101 })), [400]);
      add(r, 'date {"$gt":""}', 'injection', () => req(r, real, withKey(admin), body({ date: { $gt: '' } })), [400]);
      add(r, 'extra field', 'extra-field', () => req(r, real, withKey(admin), body({ milestoneId: 'm2', admin: true })), [400]);
      if (op === 'reject') add(r, 'no reason', 'missing-field', () => req(r, real, withKey(admin), {}), [400]);
      if (op === 'accept' || op === 'reject') add(r, 'delivery key (needs approver)', 'wrong-role', () => req(r, real, withKey({ authorization: `Bearer ${ctx.keys.delivery}` }), body({})), [403]);
    });
  }
  on('gateway', 'post', '/contracts/{id}/costs', (r) => {
    for (const m of BAD_MONEY) add(r, `amount ${m.slice(0, 12)}`, 'money-edge', () => req(r, real, withKey(admin), { obligationId: 'impl', amount: m }), [400]);
    add(r, 'obligation not measured by cost', 'unknown-id', () => req(r, real, withKey(admin), { obligationId: 'impl', amount: '1.00', date: '9999-12-31' }));
    add(r, 'unknown obligation', 'unknown-id', () => req(r, real, withKey(admin), { obligationId: `nope-${rnd()}`, amount: '1.00' }));
    add(r, 'no amount', 'missing-field', () => req(r, real, withKey(admin), { obligationId: 'impl' }), [400]);
    add(r, 'obligationId {"$gt":""}', 'injection', () => req(r, real, withKey(admin), { obligationId: { $gt: '' }, amount: '1.00' }), [400]);
  });
  for (const p of ['/contracts/{id}/hold', '/contracts/{id}/release']) {
    on('gateway', 'post', p, (r) => {
      for (const d of BAD_DATES.slice(0, 4)) add(r, `date ${d}`, 'date-edge', () => req(r, real, withKey(admin), { date: d }), [400]);
      add(r, 'date 9999-12-31 (future)', 'date-edge', () => req(r, real, withKey(admin), { date: '9999-12-31' }), [422]);
      add(r, 'extra field', 'extra-field', () => req(r, real, withKey(admin), { reason: 'x' }), [400]);
      add(r, 'unknown contract', 'unknown-id', () => req(r, unknown(), withKey(admin), {}), [404]);
    });
  }
  on('gateway', 'post', '/contracts/{id}/amendments', (r) => {
    add(r, 'stale baseVersion', 'idempotency', () => req(r, real, withKey(admin), { baseVersion: 999_999, changes: { milestones: [{ id: real.mid, amount: '1.00' }] } }), [409]);
    add(r, 'baseVersion 0', 'wrong-type', () => req(r, real, withKey(admin), { baseVersion: 0, changes: {} }), [400]);
    add(r, 'baseVersion "1"', 'wrong-type', () => req(r, real, withKey(admin), { baseVersion: '1', changes: {} }), [400]);
    add(r, 'no changes', 'missing-field', () => req(r, real, withKey(admin), { baseVersion: 1 }), [400]);
    for (const m of BAD_MONEY.slice(0, 5)) add(r, `amount ${m.slice(0, 12)}`, 'money-edge', () => req(r, real, withKey(admin), { baseVersion: 999_999, changes: { milestones: [{ id: real.mid, amount: m }] } }));
    add(r, 'effectiveDate 2026-02-30', 'date-edge', () => req(r, real, withKey(admin), { baseVersion: 999_999, effectiveDate: '2026-02-30', changes: {} }), [400]);
    add(r, 'cancel [{"$gt":""}]', 'injection', () => req(r, real, withKey(admin), { baseVersion: 999_999, changes: { cancel: [{ $gt: '' }] } }), [400]);
    add(r, 'unknown field in changes', 'extra-field', () => req(r, real, withKey(admin), { baseVersion: 999_999, changes: { price: '0' } }), [400]);
  });
  for (const verb of ['retry', 'resolve']) {
    on('gateway', 'post', `/contracts/{id}/steps/{stepId}/${verb}`, (r) => {
      add(r, 'unknown step', 'unknown-id', () => req(r, real, withKey(admin), verb === 'resolve' ? { reason: 'hostile' } : {}), [404]);
      add(r, 'step {"$gt":""}', 'injection', () => req(r, { ...real, stepId: '{"$gt":""}' }, withKey(admin), {}), [404, 400]);
      add(r, 'reason a number', 'wrong-type', () => req(r, real, withKey(admin), { reason: 5 }), [400]);
    });
  }
  on('gateway', 'post', '/contracts/{id}/clock', (r) => {
    add(r, 'advance a wall-clock contract', 'wrong-type', () => req(r, real, withKey(admin), { to: '2999-01-01' }), [409]);
    for (const d of BAD_DATES.slice(0, 4)) add(r, `to ${d}`, 'date-edge', () => req(r, real, withKey(admin), { to: d }), [400]);
    add(r, 'no to', 'missing-field', () => req(r, real, withKey(admin), {}), [400]);
  });
  on('gateway', 'post', '/contracts/{id}/payments', (r) => {
    for (const m of BAD_MONEY) add(r, `amount ${m.slice(0, 12)}`, 'money-edge', () => req(r, real, withKey(admin), { amount: m, invoiceFor: real.mid }), [400]);
    add(r, 'amount 0', 'money-edge', () => req(r, real, withKey(admin), { amount: '0.00', invoiceFor: real.mid }), [400]);
    add(r, 'amount a number', 'money-edge', () => req(r, real, withKey(admin), { amount: 100, invoiceFor: real.mid }), [400]);
    add(r, 'date 9999-12-31 (future)', 'date-edge', () => req(r, real, withKey(admin), { amount: '1.00', date: '9999-12-31', invoiceFor: real.mid }), [422]);
    add(r, 'date 2026-02-30', 'date-edge', () => req(r, real, withKey(admin), { amount: '1.00', date: '2026-02-30', invoiceFor: real.mid }), [400]);
    add(r, 'invoiceFor an unknown milestone', 'unknown-id', () => req(r, real, withKey(admin), { amount: '1.00', invoiceFor: `nope-${rnd()}` }), [404]);
    add(r, 'invoiceNumbers [{"$gt":""}]', 'injection', () => req(r, real, withKey(admin), { amount: '1.00', invoiceNumbers: [{ $gt: '' }] }), [400]);
    add(r, 'invoiceFor {"$ne":null}', 'injection', () => req(r, real, withKey(admin), { amount: '1.00', invoiceFor: { $ne: null } }), [400]);
    add(r, 'no amount', 'missing-field', () => req(r, real, withKey(admin), { invoiceFor: real.mid }), [400]);
    add(r, 'extra field', 'extra-field', () => req(r, real, withKey(admin), { amount: '-5', currency: 'USD' }), [400]);
    add(r, 'unknown contract', 'unknown-id', () => req(r, unknown(), withKey(admin), { amount: '1.00' }), [404]);
    add(r, 'same Idempotency-Key, another body', 'idempotency', () => {
      // The first claims the key with a refusal that is saved (404); this one reuses it.
      const k = `hostile-reuse-${ctx.contract.id}`;
      return req(r, unknown(), { ...admin, 'idempotency-key': k }, { amount: `${1 + Math.floor(Math.random() * 1000)}.00` });
    }, [404, 409]);
  });
  on('gateway', 'post', '/contracts/{id}/periods/close', (r) => {
    for (const p of ['2026-13', '2026-1', '26-01', '0000-00', '9999-12']) add(r, `period ${p}`, 'date-edge', () => req(r, real, withKey(admin), { period: p }), [400]);
    add(r, 'a month not ended (2999-12)', 'date-edge', () => req(r, real, withKey(admin), { period: '2999-12' }));
    add(r, 'period {"$gt":""}', 'injection', () => req(r, real, withKey(admin), { period: { $gt: '' } }), [400]);
    add(r, 'no period', 'missing-field', () => req(r, real, withKey(admin), {}), [400]);
  });
  on('gateway', 'post', '/webhooks/delivery/{source}', (r) => {
    const event = (over: Record<string, unknown> = {}) => J({ eventId: `hostile-${rnd()}`, type: 'complete', contractId: ctx.contract.id, milestoneId: real.mid, ...over });
    const signed = (body: string, ts = String(now()), source = ctx.webhook.source, secret = ctx.webhook.secret): HostileRequest => ({
      method: 'POST', path: `/webhooks/delivery/${encodeURIComponent(source)}`,
      headers: { ...json, 'x-tollgate-timestamp': ts, 'x-tollgate-signature': signWebhook(secret, ts, body) }, body,
    });
    add(r, 'unknown source', 'bad-signature', () => signed(event(), undefined, `nope-${rnd()}`), [401]);
    add(r, 'no signature headers', 'bad-signature', () => ({ method: 'POST', path: `/webhooks/delivery/${ctx.webhook.source}`, headers: json, body: event() }), [401]);
    add(r, 'signed with a wrong secret', 'bad-signature', () => signed(event(), undefined, undefined, `wrong-${ctx.webhook.secret}`), [401]);
    add(r, 'signature of another body', 'bad-signature', () => { const s = signed(event()); return { ...s, body: event({ milestoneId: `nope-${rnd()}` }) }; }, [401]);
    add(r, 'signature not hex', 'bad-signature', () => ({ ...signed(event()), headers: { ...json, 'x-tollgate-timestamp': String(now()), 'x-tollgate-signature': 'zz'.repeat(32) } }), [401]);
    add(r, 'timestamp 10 minutes old (a replayed capture)', 'stale-signature', () => signed(event(), String(now() - 600)), [401]);
    add(r, 'timestamp 10 minutes ahead', 'stale-signature', () => signed(event(), String(now() + 600)), [401]);
    add(r, 'timestamp not a number', 'stale-signature', () => signed(event(), 'yesterday'), [401]);
    add(r, 'an old capture of a real event replayed out of the window', 'stale-signature', () => {
      const last = ctx.lastWebhook?.();
      const body = last?.body ?? event();
      return signed(body, String(now() - 3600));
    }, [401]);
    add(r, 'signed, malformed event (no type)', 'missing-field', () => signed(J({ eventId: `hostile-${rnd()}`, contractId: ctx.contract.id })), [400]);
    add(r, 'signed, contractId {"$gt":""}', 'injection', () => signed(event({ contractId: { $gt: '' } })), [400]);
    add(r, 'signed, eventId {"$ne":null}', 'injection', () => signed(event({ eventId: { $ne: null } })), [400]);
    add(r, 'signed, unknown contract', 'unknown-id', () => signed(event({ contractId: `nope-${rnd()}` })), [404]);
    add(r, 'signed, unknown milestone', 'unknown-id', () => signed(event({ milestoneId: `nope-${rnd()}` })), [404]);
    add(r, 'signed, date 2026-02-30', 'date-edge', () => signed(event({ date: '2026-02-30' })), [400]);
    add(r, 'signed, date 9999-12-31', 'date-edge', () => signed(event({ date: '9999-12-31' })), [422]);
    add(r, 'signed, cost 1.001 USD', 'money-edge', () => signed(event({ type: 'cost', milestoneId: undefined, obligationId: 'impl', amount: '1.001' })), [400]);
    add(r, 'signed, cost 5,000 digits', 'money-edge', () => signed(event({ type: 'cost', milestoneId: undefined, obligationId: 'impl', amount: '9'.repeat(5000) })), [400]);
    add(r, 'signed, extra field', 'extra-field', () => signed(event({ amount: '1.00' })), [400]);
    add(r, 'signed, nested 50,000 deep', 'deep-json', () => signed(deepJson(50_000)));
    for (const n of [1, 2, 3]) {
      add(r, `exact replay of a load event (deduplicated) #${n}`, 'webhook-replay', () => {
        const last = ctx.lastWebhook?.();
        if (!last) return signed(event({ contractId: `nope-${rnd()}` }));
        // Same body, same event id, signed afresh (inside the window): the dedupe must answer the original.
        const ts = String(now());
        return { ...last, headers: { ...last.headers, 'x-tollgate-timestamp': ts, 'x-tollgate-signature': signWebhook(ctx.webhook.secret, ts, last.body!) } };
      });
    }
  });

  // Services (with the valid credential: everything below is refused by validation or is unknown)
  /** A case on a service port with the valid credential; `expect` null: any 4xx. */
  const svc = (target: Target, method: Method, path: string, what: string, category: HostileCategory, body: unknown, query = '', expect: number[] | null = [400], idem = true, params: Record<string, string> = {}) =>
    on(target, method, path, (r) => add(r, what, category, () => req(r, { ...unknown(), ...params }, idem ? withKey(service) : service, body, query), expect ?? undefined));
  const invoice = (over: Record<string, unknown> = {}, line: Record<string, unknown> = {}) => ({
    kind: 'milestone', contractId: `hostile-${rnd()}`, customer: { id: 'hostile-customer', name: 'Hostile' }, currency: 'USD', termsVersion: 1,
    date: '2026-01-01', paymentTerms: 'NET_30', lines: [{ milestoneId: 'm1', description: 'x', amount: '1.001', ...line }], ...over,
  });
  svc('invoicing', 'post', '/invoices', 'no Idempotency-Key', 'missing-field', invoice({}, { amount: '1.00' }), '', [400], false);
  for (const m of BAD_MONEY) svc('invoicing', 'post', '/invoices', `line amount ${m.slice(0, 12)}`, 'money-edge', invoice({}, { amount: m }));
  svc('invoicing', 'post', '/invoices', 'JPY 0.5', 'money-edge', invoice({ currency: 'JPY' }, { amount: '0.5' }));
  for (const d of BAD_DATES) svc('invoicing', 'post', '/invoices', `date ${d}`, 'date-edge', invoice({ date: d }, { amount: '1.00' }));
  svc('invoicing', 'post', '/invoices', 'date 9999-12-31', 'date-edge', invoice({ date: '9999-12-31' }, { amount: '1.00' }));
  svc('invoicing', 'post', '/invoices', 'contractId {"$gt":""}', 'injection', invoice({ contractId: { $gt: '' } }, { amount: '1.00' }));
  svc('invoicing', 'post', '/invoices', 'customer {"$ne":null}', 'injection', invoice({ customer: { $ne: null } }, { amount: '1.00' }));
  svc('invoicing', 'post', '/invoices', 'termsVersion "1"', 'wrong-type', invoice({ termsVersion: '1' }, { amount: '1.00' }));
  svc('invoicing', 'post', '/invoices', 'no lines', 'missing-field', invoice({ lines: [] }));
  svc('invoicing', 'post', '/invoices', 'extra field, bad amount', 'extra-field', invoice({ number: 'INV-2026-000001' }));
  for (const q of ['?contractId[$ne]=x', '?customerId[$gt]=', '?status=void', '?limit=100000', '?dateFrom=2026-02-30', '?kind[$in][]=milestone', '?sandbox=yes']) {
    svc('invoicing', 'get', '/invoices', `query ${q}`, 'injection', undefined, q);
    svc('invoicing', 'get', '/credit-memos', `query ${q}`, 'injection', undefined, q.replace('status=void', 'dateTo=2026-13-01').replace('kind[$in][]=milestone', 'originalInvoiceNumber[$ne]=x').replace('sandbox=yes', 'offset=-1'));
  }
  for (const [p, param] of [['/invoices/{number}', 'number'], ['/invoices/{number}.html', 'number'], ['/credit-memos/{number}', 'number'], ['/credit-memos/{number}.html', 'number']] as const) {
    for (const id of INJECTED_IDS.slice(0, 4)) svc('invoicing', 'get', p, `number ${id}`, 'injection', undefined, '', [404, 400], false, { [param]: id });
    svc('invoicing', 'get', p, 'unknown number', 'unknown-id', undefined, '', [404], false);
  }
  svc('invoicing', 'get', '/invoices/{number}', 'format pdf', 'wrong-type', undefined, '?format=pdf', [400], false);
  svc('invoicing', 'post', '/invoices/{number}/status', 'unknown invoice', 'unknown-id', { status: 'paid', paidAmount: '1.00', openAmount: '0.00', revision: 1 }, '', [404]);
  svc('invoicing', 'post', '/invoices/{number}/status', 'status void', 'wrong-type', { status: 'void', paidAmount: '1.00', openAmount: '0.00', revision: 1 });
  svc('invoicing', 'post', '/invoices/{number}/status', 'paidAmount 1.00001', 'money-edge', { status: 'paid', paidAmount: '1.00001', openAmount: '0', revision: 1 });
  svc('invoicing', 'post', '/invoices/{number}/status', 'revision {"$gt":0}', 'injection', { status: 'paid', paidAmount: '1.00', openAmount: '0', revision: { $gt: 0 } });
  const memo = (over: Record<string, unknown> = {}) => ({
    contractId: `hostile-${rnd()}`, customer: { id: 'hostile-customer', name: 'Hostile' }, currency: 'USD', originalInvoiceNumber: `INV-2026-${rnd()}`, amendmentVersion: 2,
    date: '2026-01-01', lines: [{ milestoneId: 'm1', description: 'x', amount: '1.001' }], ...over,
  });
  svc('invoicing', 'post', '/credit-memos', 'no Idempotency-Key', 'missing-field', memo(), '', [400], false);
  svc('invoicing', 'post', '/credit-memos', 'amount 1.001', 'money-edge', memo());
  svc('invoicing', 'post', '/credit-memos', 'originalInvoiceNumber {"$gt":""}', 'injection', memo({ originalInvoiceNumber: { $gt: '' } }));
  svc('invoicing', 'post', '/credit-memos', 'unknown original invoice', 'unknown-id', memo({ lines: [{ milestoneId: 'm1', description: 'x', amount: '1.00' }] }), '', null);
  svc('invoicing', 'post', '/credit-memos', 'date 2026-02-30', 'date-edge', memo({ date: '2026-02-30' }));

  const posting = (over: Record<string, unknown> = {}) => ({ kind: 'contract_event', contractId: `hostile-${rnd()}`, currency: 'USD', eventDate: '2026-01-01', source: { type: 'milestone', ref: 'm1' }, billed: '1.001', ...over });
  svc('revenue', 'post', '/postings', 'no Idempotency-Key', 'missing-field', posting({ billed: '1.00' }), '', [400], false);
  // Billed is signed (a credit memo posts a negative): -1 is well formed, refused for the unknown contract instead.
  for (const m of BAD_MONEY) svc('revenue', 'post', '/postings', `billed ${m.slice(0, 12)}`, 'money-edge', posting({ billed: m }), '', m === '-1' ? null : [400]);
  svc('revenue', 'post', '/postings', 'JPY 0.5', 'money-edge', posting({ currency: 'JPY', billed: '0.5' }));
  for (const d of BAD_DATES) svc('revenue', 'post', '/postings', `eventDate ${d}`, 'date-edge', posting({ eventDate: d }));
  svc('revenue', 'post', '/postings', 'kind unknown', 'wrong-type', posting({ kind: 'adjustment' }));
  svc('revenue', 'post', '/postings', 'source.type {"$gt":""}', 'injection', posting({ source: { type: { $gt: '' }, ref: 'x' }, billed: '1.00' }));
  svc('revenue', 'post', '/postings', 'payment of -1', 'money-edge', { kind: 'payment', contractId: `hostile-${rnd()}`, currency: 'USD', eventDate: '2026-01-01', source: { type: 'payment', ref: 'x' }, amount: '-1' });
  svc('revenue', 'post', '/postings', 'progress and recognized both', 'extra-field', posting({ billed: '0', recognized: '1.00', progress: { accepted: ['m1'] } }));
  const plan = (over: Record<string, unknown> = {}) => ({ contractId: `hostile-${rnd()}`, currency: 'USD', version: 1, effectiveDate: '2026-01-01', obligations: [{ id: 'impl', ssp: '1.001', recognition: { method: 'milestones' } }], milestones: [], ...over });
  svc('revenue', 'post', '/plans', 'no Idempotency-Key', 'missing-field', plan(), '', [400], false);
  svc('revenue', 'post', '/plans', 'ssp 1.001', 'money-edge', plan());
  svc('revenue', 'post', '/plans', 'every SSP zero', 'money-edge', plan({ obligations: [{ id: 'impl', ssp: '0.00', recognition: { method: 'milestones' } }] }));
  svc('revenue', 'post', '/plans', 'version 0', 'wrong-type', plan({ version: 0 }));
  svc('revenue', 'post', '/plans', 'contractId {"$gt":""}', 'injection', plan({ contractId: { $gt: '' } }));
  svc('revenue', 'post', '/plans', 'effectiveDate 9999-12-31', 'date-edge', plan({ effectiveDate: '9999-12-31', obligations: [{ id: 'impl', ssp: '1.00', recognition: { method: 'milestones' } }] }));
  for (const p of ['2026-13', '9999-12', '2026-1', '']) svc('revenue', 'post', '/periods/close', `period "${p}"`, 'date-edge', { period: p }, '', [400], false);
  svc('revenue', 'post', '/periods/close', 'period {"$gt":""}', 'injection', { period: { $gt: '' } }, '', [400], false);
  svc('revenue', 'post', '/periods/close', 'sandbox without a contract', 'missing-field', { period: '2026-13', sandbox: true }, '', [400], false);
  svc('revenue', 'post', '/periods/close', 'a month not ended (2999-12)', 'date-edge', { period: '2999-12' }, '', null, false);
  for (const [p, qs] of [
    ['/plans', ['?contractId[$ne]=x', '', '?contractId=%24where%20x']],
    ['/periods', ['?contractId[$ne]=x', '?sandbox=yes']],
    ['/entries', ['?contractId[$ne]=x', '?limit=0', '?limit=1e9', '?offset=-1', '?sandbox[$gt]=']],
    ['/balances', ['', '?contractId[$ne]=x', '?contractId=x&asOf=2026-02-30', '?contractId=x&asOf=9999-12-31']],
    ['/reports/revenue-by-period', ['?asOf=2026-02-30', '?format=xml', '?contractId[$ne]=x', '?currency=usd']],
    ['/reports/balances', ['?asOf=9999-12-31', '?format=pdf', '?contractId[$gt]=']],
    ['/reports/month-end-balances', ['?from=2026-13', '?to=26-01', '?contractId[$ne]=x']],
    ['/reports/roll-forward', ['?from=2026-00', '?asOf=2026-02-30', '?currency[$regex]=.*']],
    ['/reports/contract-balances', ['?asOf=2026-02-31', '?sandbox=maybe']],
    ['/reports/trial-balance', ['?asOf=0000-00-00', '?contractId[$ne]=x']],
    ['/reports/journal', ['?account=bitcoin', '?limit=100000', '?kind=refund', '?from=2026-02-30', '?sourceType[$ne]=x']],
  ] as const) {
    for (const q of qs) svc('revenue', 'get', p, `query ${q || '(none)'}`, 'injection', undefined, q, [400], false);
  }

  const payment = (over: Record<string, unknown> = {}) => ({ customerId: 'hostile-customer', currency: 'USD', date: '2026-01-01', amount: '1.001', invoiceNumbers: [`INV-2026-${rnd()}`], contractId: `hostile-${rnd()}`, ...over });
  svc('ar', 'post', '/payments', 'no Idempotency-Key', 'missing-field', payment({ amount: '1.00' }), '', [400], false);
  for (const m of [...BAD_MONEY, '0.00']) svc('ar', 'post', '/payments', `amount ${m.slice(0, 12)}`, 'money-edge', payment({ amount: m }));
  svc('ar', 'post', '/payments', 'JPY 0.5', 'money-edge', payment({ currency: 'JPY', amount: '0.5' }));
  for (const d of BAD_DATES) svc('ar', 'post', '/payments', `date ${d}`, 'date-edge', payment({ date: d, amount: '1.00' }));
  svc('ar', 'post', '/payments', 'date 9999-12-31 (future)', 'date-edge', payment({ date: '9999-12-31', amount: '1.00' }), '', [422]);
  svc('ar', 'post', '/payments', 'customerId {"$gt":""}', 'injection', payment({ customerId: { $gt: '' }, amount: '1.00' }));
  svc('ar', 'post', '/payments', 'invoiceNumbers [{"$ne":null}]', 'injection', payment({ invoiceNumbers: [{ $ne: null }], amount: '1.00' }));
  svc('ar', 'post', '/payments', 'sandbox without a contract', 'missing-field', payment({ sandbox: true, contractId: undefined }));
  const receivable = (over: Record<string, unknown> = {}) => ({ invoiceNumber: `INV-2026-${rnd()}`, contractId: `hostile-${rnd()}`, customerId: 'hostile-customer', currency: 'USD', amount: '1.001', issueDate: '2026-01-01', dueDate: '2026-01-31', ...over });
  svc('ar', 'post', '/receivables', 'no Idempotency-Key', 'missing-field', receivable({ amount: '1.00' }), '', [400], false);
  for (const m of BAD_MONEY.slice(0, 6)) svc('ar', 'post', '/receivables', `amount ${m.slice(0, 12)}`, 'money-edge', receivable({ amount: m }));
  svc('ar', 'post', '/receivables', 'JPY 0.5', 'money-edge', receivable({ currency: 'JPY', amount: '0.5' }));
  svc('ar', 'post', '/receivables', 'issueDate 2026-02-30', 'date-edge', receivable({ issueDate: '2026-02-30', amount: '1.00' }));
  svc('ar', 'post', '/receivables', 'dueDate 9999-12-31', 'date-edge', receivable({ dueDate: '9999-12-31', amount: '1.00' }));
  svc('ar', 'post', '/receivables', 'invoiceNumber {"$gt":""}', 'injection', receivable({ invoiceNumber: { $gt: '' }, amount: '1.00' }));
  svc('ar', 'post', '/receivables', 'milestoneIds a string', 'wrong-type', receivable({ milestoneIds: 'm1' }));
  const arMemo = (over: Record<string, unknown> = {}) => ({ creditMemoNumber: `CM-2026-${rnd()}`, invoiceNumber: `INV-2026-${rnd()}`, amount: '1.00001', date: '2026-01-01', ...over });
  svc('ar', 'post', '/credit-memos', 'no Idempotency-Key', 'missing-field', arMemo({ amount: '1.00' }), '', [400], false);
  svc('ar', 'post', '/credit-memos', 'amount 1.00001', 'money-edge', arMemo());
  svc('ar', 'post', '/credit-memos', 'unknown invoice', 'unknown-id', arMemo({ amount: '1.00' }), '', null);
  svc('ar', 'post', '/credit-memos', 'date 2026-02-30', 'date-edge', arMemo({ date: '2026-02-30', amount: '1.00' }));
  svc('ar', 'post', '/credit-memos', 'invoiceNumber {"$gt":""}', 'injection', arMemo({ invoiceNumber: { $gt: '' }, amount: '1.00' }));
  svc('ar', 'post', '/credits/apply', 'currency usd', 'wrong-type', { customerId: 'hostile-customer', currency: 'usd' }, '', [400], false);
  svc('ar', 'post', '/credits/apply', 'customerId {"$gt":""}', 'injection', { customerId: { $gt: '' }, currency: 'USD' }, '', [400], false);
  svc('ar', 'post', '/credits/apply', 'no customerId', 'missing-field', { currency: 'USD' }, '', [400], false);
  for (const [p, qs] of [
    ['/receivables', ['?contractId[$ne]=x', '?status=void', '?limit=0', '?customerId[$gt]=']],
    ['/payments', ['?contractId[$ne]=x', '?limit=100000', '?customerId[$regex]=.*']],
    ['/credits', ['', '?currency=usd', '?currency=USD&sandbox=true', '?currency=USD&customerId[$ne]=x']],
    ['/aging', ['?currency=USD', '?currency=USD&asOf=2026-02-30', '?currency=USD&asOf=9999-12-31', '?currency[$ne]=x&asOf=2026-01-01']],
    ['/overdue', ['?asOf=2026-01-01', '?currency=USD&asOf=2026-13-01', '?currency=USD&asOf=2026-01-01&contractId[$ne]=x']],
    ['/dso', ['?currency=USD&from=2026-02-01&to=2026-01-01', '?currency=USD&from=2026-02-30&to=2026-03-01', '?currency=USD']],
  ] as const) {
    for (const q of qs) svc('ar', 'get', p, `query ${q || '(none)'}`, 'injection', undefined, q, [400], false);
  }
  for (const [p, param] of [['/receivables/{invoiceNumber}', 'invoiceNumber'], ['/payments/{paymentId}', 'paymentId']] as const) {
    for (const id of INJECTED_IDS.slice(0, 4)) svc('ar', 'get', p, `id ${id}`, 'injection', undefined, '', [404, 400], false, { [param]: id });
    svc('ar', 'get', p, 'unknown id', 'unknown-id', undefined, '', [404], false);
  }
  return cases;
}

/** Routes of an OpenAPI document (`paths` → method → operation); `x-roles` and `security: []` tell the gateway's access. */
export function routesOf(target: Target, doc: { paths?: Record<string, Record<string, { security?: unknown[]; 'x-roles'?: string[]; parameters?: Array<{ name: string; in: string }> }>> }): Route[] {
  const routes: Route[] = [];
  for (const [path, methods] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(methods)) {
      if (method !== 'get' && method !== 'post') continue;
      let access: Route['access'] = 'service';
      if (target === 'gateway') {
        const webhook = (op.parameters ?? []).some((p) => p.in === 'header' && /x-tollgate-signature/i.test(p.name));
        access = webhook ? 'webhook' : Array.isArray(op.security) && op.security.length === 0 ? 'public' : 'key';
      }
      routes.push({ target, method, path, access, ...(op['x-roles'] ? { roles: op['x-roles'] } : {}) });
    }
  }
  return routes;
}

/** Routes the OpenAPI documents do not list but that exist (the services' own `/openapi.json`). */
export function ensureRoute(routes: Route[], route: Route): Route[] {
  return routes.some((r) => r.target === route.target && r.method === route.method && r.path === route.path) ? routes : [...routes, route];
}

// ---------------------------------------------------------------------------------------------
// Judging an answer

export interface HostileVerdict {
  /** False: a failure of the product (5xx, a 2xx that should not be, an answer without a JSON code, an auth bypass). */
  ok: boolean;
  /** Why it failed, or a note (an unexpected but harmless 4xx). */
  problem?: string;
  note?: string;
}

/**
 * The final answer to a hostile request (503s and refused connections are retried before this):
 * must be 4xx with a JSON `code`; an expected 401/403 must be exactly that (anything else means the
 * request got past the check); a webhook replay must answer the original with Idempotent-Replayed.
 */
export function judgeHostile(c: Pick<HostileCase, 'category' | 'expect'>, status: number, body: unknown, headers: { replayed?: boolean } = {}): HostileVerdict {
  const code = typeof body === 'object' && body !== null && typeof (body as { code?: unknown }).code === 'string' ? (body as { code: string }).code : undefined;
  if (c.category === 'webhook-replay') {
    if (status >= 200 && status < 300) return headers.replayed ? { ok: true } : { ok: false, problem: `a replayed event was answered ${status} without Idempotent-Replayed: true (a second effect?)` };
    if (status >= 400 && status < 500 && code) return { ok: true, note: `replay answered ${status} ${code}` };
  }
  if (status >= 500) return { ok: false, problem: `answered ${status}${code ? ` ${code}` : ''}` };
  if (status < 400) return { ok: false, problem: `answered ${status}: accepted a request that should have been refused` };
  if (!code) return { ok: false, problem: `answered ${status} without a JSON code` };
  if (c.expect && !c.expect.includes(status)) {
    const authExpected = c.expect.every((s) => s === 401 || s === 403);
    if (authExpected) return { ok: false, problem: `expected ${c.expect.join('/')} (credential check) but answered ${status} ${code}` };
    return { ok: true, note: `expected ${c.expect.join('/')}, answered ${status} ${code}` };
  }
  return { ok: true };
}
