/**
 * A whole Tollgate (services, gateway, worker) for one test file, on the shared real servers, with
 * its own databases and task queue so files never see each other's data.
 *
 * The internal services require the service credential: every test config carries
 * TEST_SERVICE_TOKEN, and the `http` helper sends it to the internal services by itself (it asks
 * each new origin's `/healthz` which component answers there), so a test calling
 * `${sys.invoicingUrl}/…` acts as a Tollgate component. A raw `fetch` passes `serviceHeaders()`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../libs/config';
import { createHttpClient } from '../../libs/http-client';
import { createLogger } from '../../libs/logger';
import { startSystem, type RunningSystem } from '../../deploy/local/system';

export interface TestSystem extends RunningSystem {
  config: Config;
  prefix: string;
}

/** The service credential of every test config of this test file. */
export const TEST_SERVICE_TOKEN = `test-service-token-${randomBytes(24).toString('hex')}`;

/** The header that proves a caller is a Tollgate component (for a raw `fetch` to a service). */
export function serviceHeaders(token: string = TEST_SERVICE_TOKEN): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  const prefix = `t${randomBytes(4).toString('hex')}`;
  return loadConfig({
    TEMPORAL_ADDRESS: required('TEST_TEMPORAL_ADDRESS'),
    MONGO_URL: required('TEST_MONGO_URL'),
    MONGO_DB_PREFIX: prefix,
    TEMPORAL_TASK_QUEUE: `tollgate-${prefix}`,
    GATEWAY_PORT: '0',
    INVOICING_PORT: '0',
    REVENUE_PORT: '0',
    AR_PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    TOLLGATE_SERVICE_TOKEN: TEST_SERVICE_TOKEN,
    // Stopping a test system waits this long at most for in-flight requests and activities.
    TOLLGATE_SHUTDOWN_GRACE_MS: '3000',
    ...overrides,
  });
}

export async function startTestSystem(overrides: Record<string, string> | Config = {}): Promise<TestSystem> {
  const config = 'MONGO_DB_PREFIX' in overrides && 'INVOICING_URL' in overrides ? (overrides as Config) : testConfig(overrides as Record<string, string>);
  const logger = createLogger('test', config.LOG_LEVEL);
  const system = await startSystem(config, logger, { workflowBundle: { codePath: required('TEST_WORKFLOW_BUNDLE') } });
  return { ...system, config, prefix: config.MONGO_DB_PREFIX };
}

export function uniqueId(label: string): string {
  return `${label}-${randomBytes(4).toString('hex')}`;
}

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: integration tests run under jest's global setup (npm test)`);
  return v;
}

const INTERNAL_SERVICES = new Set(['invoicing', 'revenue', 'ar']);
/** Origin → whether an internal service answers there (from its `/healthz`). */
const internalOrigins = new Map<string, boolean>();

/** The one HTTP client (libs/http-client.ts); every helper here goes through it. */
const client = createHttpClient();

async function isInternalService(origin: string, fresh = false): Promise<boolean> {
  const known = fresh ? undefined : internalOrigins.get(origin);
  if (known !== undefined) return known;
  try {
    const res = await client.request('GET', `${origin}/healthz`);
    const internal = res.ok && INTERNAL_SERVICES.has((res.json as { service?: string } | undefined)?.service ?? '');
    internalOrigins.set(origin, internal);
    return internal;
  } catch {
    return false;
  }
}

/**
 * JSON over HTTP, returning status, headers and body, for asserting on every part. To an internal
 * service it sends the test service credential, unless `headers` has its own `authorization`. A
 * thin wrapper over the one HTTP client: a string body is sent as it is.
 */
export async function http<T = any>(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const ownCredential = Object.keys(headers).some((h) => h.toLowerCase() === 'authorization');
  const origin = new URL(url).origin;
  const send = (credential: boolean) => client.request(method, url, { body, headers: { ...(credential ? serviceHeaders() : {}), ...headers } });
  const credential = !ownCredential && (await isInternalService(origin));
  let res = await send(credential);
  // A port first seen as something else may now be a service (ports are reused between systems).
  if (res.status === 401 && !credential && !ownCredential && (await isInternalService(origin, true))) res = await send(true);
  return { status: res.status, headers: res.headers, body: res.json as T, text: res.text, bytes: res.bytes };
}

/**
 * GET and POST to a test system's gateway as one of its test keys (`auth.headers`), each with its
 * default key; `base` is read at each call (the system starts in a beforeAll).
 */
export function gatewayCalls(base: () => string, auth: { headers(key: string): Record<string, string> }, defaults: { get: string; post: string }) {
  return {
    get: (path: string, key = defaults.get, headers: Record<string, string> = {}) => http('GET', `${base()}${path}`, undefined, { ...auth.headers(key), ...headers }),
    post: (path: string, body: unknown, key = defaults.post, headers: Record<string, string> = {}) => http('POST', `${base()}${path}`, body, { ...auth.headers(key), ...headers }),
  };
}

/**
 * Reads until `done` holds (for things with no answer to wait on, like signals); fails, showing
 * the last value read, when the time is up.
 */
export async function waitFor<T>(probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`waitFor: not done after ${timeoutMs} ms; last value: ${JSON.stringify(v)?.slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * API keys for a test system with access control on: one key per role, plus keys scoped to a
 * customer. `env` goes into startTestSystem's overrides; `headers(name)` authenticates as that key.
 */
export function testApiKeys(scoped: Record<string, { role: string; customerId: string }> = {}) {
  const roles = ['admin', 'finance', 'delivery', 'approver', 'support'] as const;
  const entries: Array<{ name: string; key: string; role: string; customerId?: string }> = [
    ...roles.map((role) => ({ name: role, key: `tg-${role}-${randomBytes(12).toString('hex')}`, role })),
    ...Object.entries(scoped).map(([name, s]) => ({ name, key: `tg-${name}-${randomBytes(12).toString('hex')}`, ...s })),
  ];
  const keys = Object.fromEntries(entries.map((e) => [e.name, e.key]));
  const env = {
    TOLLGATE_API_KEYS: JSON.stringify(entries.map(({ key, ...e }) => ({ ...e, keyHash: createHash('sha256').update(key).digest('hex') }))),
  };
  return { keys, env, headers: (name: string) => ({ authorization: `Bearer ${keys[name]}` }) };
}
