/**
 * The service credential (DESIGN §9: the internal services refuse callers that are not Tollgate
 * components): the http kit's check, the service client's header, the configuration, the local
 * token file of `npm start`, and that neither the credential nor a presented value ever reaches a
 * log line. Plus the 503 `unavailable` answers with `Retry-After`.
 */
import { mkdtempSync, rmSync, statSync, chmodSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { ensureLocalServiceToken } from '../../deploy/local/start';
import { ConfigError, loadConfig, requireServiceToken } from '../../libs/config';
import { AppError } from '../../libs/domain/errors';
import { createApp, finishApp, UnavailableError } from '../../libs/http';
import { createServiceClient, ServiceError } from '../../libs/service-client';
import { runHttpService, type RunningService } from '../../libs/service-runtime';

const TOKEN = 'svc-token-0123456789abcdef0123456789abcdef';
const WRONG = 'svc-WRONG-0123456789abcdef0123456789abcdef';

/** A service app with a few routes, its log lines kept in `lines`. */
async function startService(opts: { serviceToken?: string; retryAfterSeconds?: number } = {}) {
  const lines: string[] = [];
  const logger = pino({ level: 'trace', base: null }, { write: (s: string) => void lines.push(s) });
  let posted = 0;
  const app = createApp({ name: 'invoicing', logger, ready: async () => undefined, ...opts });
  app.get('/openapi.json', (_req, res) => void res.json({ openapi: '3.0.3' }));
  app.get('/invoices', (_req, res) => void res.json({ data: [] }));
  app.post('/invoices', (req, res) => {
    posted += 1;
    res.status(201).json({ number: 'INV-1', total: req.body.total });
  });
  app.get('/boom', () => {
    throw new Error(`database exploded (${TOKEN.length} chars)`);
  });
  app.get('/down', () => {
    throw new UnavailableError('the ledger did not answer', { reason: 'test' }, 17);
  });
  app.get('/service-down', () => {
    throw new ServiceError('revenue', 502, 'internal', 'revenue answered 502');
  });
  app.get('/service-refused-us', () => {
    throw new ServiceError('revenue', 401, 'unauthorized', 'only Tollgate components may call it');
  });
  app.get('/store-down', () => {
    throw Object.assign(new Error('Server selection timed out after 5000 ms'), { name: 'MongoServerSelectionError' });
  });
  app.get('/refused', () => {
    throw new AppError('not_found', 'no invoice INV-9');
  });
  finishApp(app);
  const svc = await runHttpService({ name: 'invoicing', app, host: '127.0.0.1', port: 0, logger, graceMs: 1_000 });
  return { svc, lines, posted: () => posted };
}

async function call(svc: RunningService, method: string, p: string, headers: Record<string, string> = {}, body?: unknown) {
  const res = await fetch(`${svc.url}${p}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

describe('the service credential on an internal service', () => {
  let s: Awaited<ReturnType<typeof startService>>;
  beforeAll(async () => { s = await startService({ serviceToken: TOKEN }); });
  afterAll(async () => { await s?.svc.stop(); });

  it('refuses a caller without it, or with a wrong one, with 401 unauthorized — before the request runs', async () => {
    const forged = { total: '99999.00' };
    const attempts: Array<Record<string, string>> = [{}, { authorization: `Bearer ${WRONG}` }, { authorization: `Bearer ${TOKEN}x` }, { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
      { authorization: TOKEN }, { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }, { 'x-api-key': TOKEN }];
    for (const headers of attempts) {
      const res = await call(s.svc, 'POST', '/invoices', headers, forged);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 'unauthorized', requestId: expect.any(String) });
      expect(res.body.message).toMatch(/Tollgate components/);
    }
    expect(s.posted()).toBe(0);
    expect((await call(s.svc, 'GET', '/invoices')).status).toBe(401);
    expect((await call(s.svc, 'GET', '/no-such-route')).status).toBe(401);
  });

  it('lets a Tollgate component in (Bearer, any case of the scheme)', async () => {
    expect(await call(s.svc, 'POST', '/invoices', { authorization: `Bearer ${TOKEN}` }, { total: '1.00' })).toMatchObject({ status: 201, body: { number: 'INV-1' } });
    expect((await call(s.svc, 'GET', '/invoices', { authorization: `bearer ${TOKEN}` })).status).toBe(200);
    expect(s.posted()).toBe(1);
  });

  it('keeps /healthz and /readyz open, and the OpenAPI document closed', async () => {
    expect(await call(s.svc, 'GET', '/healthz')).toMatchObject({ status: 200, body: { status: 'ok', service: 'invoicing' } });
    expect(await call(s.svc, 'GET', '/readyz')).toMatchObject({ status: 200, body: { status: 'ready' } });
    expect((await call(s.svc, 'GET', '/openapi.json')).status).toBe(401);
    expect((await call(s.svc, 'GET', '/openapi.json', { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
  });

  it('never writes the credential or a presented value to a log line (request lines, refusals, errors)', async () => {
    await call(s.svc, 'GET', '/invoices', { authorization: `Bearer ${TOKEN}` });
    await call(s.svc, 'GET', '/invoices', { authorization: `Bearer ${WRONG}` });
    await call(s.svc, 'GET', `/invoices?x=1`, { authorization: `Bearer ${TOKEN}` });
    const boom = await call(s.svc, 'GET', '/boom', { authorization: `Bearer ${TOKEN}` });
    expect(boom).toMatchObject({ status: 500, body: { code: 'internal' } });
    const logged = s.lines.join('');
    expect(logged).toContain('"msg":"request"');
    expect(logged).toContain('caller refused: no valid service credential');
    expect(logged).toContain('request failed');
    expect(logged).not.toContain(TOKEN);
    expect(logged).not.toContain(TOKEN.slice(10));
    expect(logged).not.toContain(WRONG.slice(10));
    expect(logged.toLowerCase()).not.toContain('bearer');
  });
});

describe('503 unavailable', () => {
  let s: Awaited<ReturnType<typeof startService>>;
  beforeAll(async () => { s = await startService({ retryAfterSeconds: 7 }); });
  afterAll(async () => { await s?.svc.stop(); });

  it('answers a dependency that did not answer 503 unavailable with Retry-After (seconds)', async () => {
    const down = await call(s.svc, 'GET', '/down');
    expect(down).toMatchObject({ status: 503, body: { code: 'unavailable', message: 'the ledger did not answer', details: [{ path: 'reason', message: 'test' }] } });
    expect(down.headers.get('retry-after')).toBe('17');
    for (const p of ['/service-down', '/store-down']) {
      const res = await call(s.svc, 'GET', p);
      expect(res).toMatchObject({ status: 503, body: { code: 'unavailable' } });
      expect(res.headers.get('retry-after')).toBe('7');
    }
  });

  it('answers a service refusing this component\'s credential 500 internal (a deployment fault, not the caller\'s 401)', async () => {
    const res = await call(s.svc, 'GET', '/service-refused-us');
    expect(res).toMatchObject({ status: 500, body: { code: 'internal' } });
    expect(res.body.message).toMatch(/refused this component's service credential/);
  });

  it('sends no Retry-After with other errors', async () => {
    const res = await call(s.svc, 'GET', '/refused');
    expect(res.status).toBe(404);
    expect(res.headers.get('retry-after')).toBeNull();
  });
});

describe('the service client', () => {
  it('sends the credential on every call and keeps it out of its errors', async () => {
    const s = await startService({ serviceToken: TOKEN });
    try {
      const client = createServiceClient('invoicing', s.svc.url, { token: TOKEN });
      await expect(client.get('/invoices')).resolves.toEqual({ data: [] });
      await expect(client.post('/invoices', { total: '2.00' }, { idempotencyKey: 'k1' })).resolves.toMatchObject({ number: 'INV-1' });
      const stranger = createServiceClient('invoicing', s.svc.url, { token: WRONG });
      const err = await stranger.get('/invoices').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ServiceError);
      expect(err).toMatchObject({ status: 401, code: 'unauthorized' });
      // A 401 is a deployment fault, retried (not a business refusal that fails the step for good).
      expect((err as ServiceError).isRefusal).toBe(false);
      expect(JSON.stringify(err) + (err as Error).message).not.toContain(WRONG);
      const down = await createServiceClient('invoicing', 'http://127.0.0.1:1', { token: TOKEN, timeoutMs: 500 }).get('/x').catch((e: unknown) => e);
      expect(down).toMatchObject({ status: 503, code: 'unavailable' });
      expect((down as Error).message).not.toContain(TOKEN);
    } finally {
      await s.svc.stop();
    }
  });
});

describe('configuration of the credential', () => {
  let tmp: string;
  beforeAll(() => { tmp = mkdtempSync(path.join(os.tmpdir(), 'tollgate-token-')); });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('reads it inline or from a file, never both, and refuses a short one without echoing it', () => {
    expect(loadConfig({ TOLLGATE_SERVICE_TOKEN: TOKEN }).TOLLGATE_SERVICE_TOKEN).toBe(TOKEN);
    const file = path.join(tmp, 'token');
    writeFileSync(file, `${TOKEN}\n`);
    expect(loadConfig({ TOLLGATE_SERVICE_TOKEN_FILE: file }).TOLLGATE_SERVICE_TOKEN).toBe(TOKEN);
    expect(() => loadConfig({ TOLLGATE_SERVICE_TOKEN: TOKEN, TOLLGATE_SERVICE_TOKEN_FILE: file })).toThrow(/not both/);
    expect(() => loadConfig({ TOLLGATE_SERVICE_TOKEN_FILE: path.join(tmp, 'missing') })).toThrow(/cannot read/);
    const short = 'short-secret-123';
    let err: unknown;
    try { loadConfig({ TOLLGATE_SERVICE_TOKEN: short }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/TOLLGATE_SERVICE_TOKEN: the service token must be 32/);
    expect((err as Error).message).not.toContain(short);
    expect(() => loadConfig({ TOLLGATE_SERVICE_TOKEN: `${TOKEN} with spaces` })).toThrow(/visible ASCII/);
  });

  it('stops a component from starting without one', () => {
    expect(() => requireServiceToken(loadConfig({}), 'invoicing')).toThrow(/invoicing: no service credential configured — set TOLLGATE_SERVICE_TOKEN/);
    expect(requireServiceToken(loadConfig({ TOLLGATE_SERVICE_TOKEN: TOKEN }), 'worker')).toBe(TOKEN);
  });

  it('npm start keeps one under DATA_DIR, mode 0600, the same after a restart', () => {
    const dataDir = path.join(tmp, 'data');
    const first = ensureLocalServiceToken(dataDir);
    expect(first.created).toBe(true);
    expect(statSync(first.file).mode & 0o777).toBe(0o600);
    const token = readFileSync(first.file, 'utf8').trim();
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(loadConfig({ TOLLGATE_SERVICE_TOKEN_FILE: first.file }).TOLLGATE_SERVICE_TOKEN).toBe(token);
    chmodSync(first.file, 0o644);
    const again = ensureLocalServiceToken(dataDir);
    expect(again).toEqual({ file: first.file, created: false });
    expect(readFileSync(again.file, 'utf8').trim()).toBe(token);
    expect(statSync(again.file).mode & 0o777).toBe(0o600);
  });
});
