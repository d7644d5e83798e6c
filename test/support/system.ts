/**
 * A whole Tollgate (services, gateway, worker) for one test file, on the shared real servers, with
 * its own databases and task queue so files never see each other's data.
 */
import { createHash, randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../libs/config';
import { createLogger } from '../../libs/logger';
import { startSystem, type RunningSystem } from '../../deploy/local/system';

export interface TestSystem extends RunningSystem {
  config: Config;
  prefix: string;
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

/** JSON over HTTP, returning status, headers and body, for asserting on every part. */
export async function http<T = any>(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: res.status, headers: res.headers, body: json as T, text };
}

/** Reads until `done` holds or the time is up (for things with no answer to wait on, like signals). */
export async function waitFor<T>(probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (done(v) || Date.now() > deadline) return v;
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
