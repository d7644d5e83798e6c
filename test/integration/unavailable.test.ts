/**
 * 503 `unavailable` with `Retry-After` when something the gateway needs does not answer, within a
 * few seconds instead of a 500 after the SDK's retries: no worker polling the task queue (a state
 * query and an update), Temporal unreachable, a service unreachable. Each case is a second gateway
 * beside a running test system, wired to what is missing.
 */
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../../deploy/local/servers';
import { createLogger } from '../../libs/logger';
import type { RunningService } from '../../libs/service-runtime';
import { startGateway } from '../../services/gateway';
import { workerPolls } from '../../services/gateway/contracts';
import { simpleContract } from '../support/fixtures';
import { http, startTestSystem, type TestSystem } from '../support/system';

let sys: TestSystem;
let connection: Connection;
const gateways: RunningService[] = [];
const logger = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');

beforeAll(async () => {
  sys = await startTestSystem();
  connection = await Connection.connect({ address: sys.config.TEMPORAL_ADDRESS });
});

afterAll(async () => {
  for (const g of gateways) await g.stop();
  await connection?.close();
  await sys?.stop();
});

/** A gateway on the test system's services and store, with these settings changed. */
async function gateway(overrides: Partial<TestSystem['config']>, client = new Client({ connection, namespace: sys.config.TEMPORAL_NAMESPACE })) {
  const g = await startGateway(
    { ...sys.config, INVOICING_URL: sys.invoicingUrl, REVENUE_URL: sys.revenueUrl, AR_URL: sys.arUrl, ...overrides },
    { client, logger },
  );
  gateways.push(g);
  return g;
}

async function timed<T>(fn: () => Promise<T>): Promise<T & { ms: number }> {
  const started = Date.now();
  const r = await fn();
  return { ...r, ms: Date.now() - started };
}

function expectUnavailable(res: { status: number; headers: Headers; body: any; ms: number }, withinMs: number) {
  expect(res.status).toBe(503);
  expect(res.body).toMatchObject({ code: 'unavailable', requestId: expect.any(String) });
  expect(res.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
  expect(res.ms).toBeLessThan(withinMs);
}

describe('503 unavailable with Retry-After', () => {
  it('when no worker polls the task queue: a state query and an update answer within a few seconds', async () => {
    const taskQueue = `${sys.config.TEMPORAL_TASK_QUEUE}-nobody`;
    const g = await gateway({ TEMPORAL_TASK_QUEUE: taskQueue });
    const terms = simpleContract();
    // Starting a workflow needs no worker.
    expect((await http('POST', `${g.url}/contracts`, terms)).status).toBe(201);
    try {
      const state = await timed(() => http('GET', `${g.url}/contracts/${terms.contractId}`));
      expectUnavailable(state, 5_000);
      expect(state.body.details).toEqual([{ path: 'reason', message: 'no_worker' }]);
      expect(state.body.message).toMatch(new RegExp(`no worker is polling task queue ${taskQueue}`));

      const update = await timed(() => http('POST', `${g.url}/contracts/${terms.contractId}/milestones/go-live/complete`, {}, { 'idempotency-key': `k-${terms.contractId}` }));
      expectUnavailable(update, 5_000);
      expect(update.body.details).toEqual([{ path: 'reason', message: 'no_worker' }]);
      // A 503 is not kept under the Idempotency-Key: the retry runs again (and is refused again, for the same reason).
      const retry = await timed(() => http('POST', `${g.url}/contracts/${terms.contractId}/milestones/go-live/complete`, {}, { 'idempotency-key': `k-${terms.contractId}` }));
      expectUnavailable(retry, 5_000);
      expect(retry.headers.get('idempotent-replayed')).toBeNull();
    } finally {
      await new Client({ connection, namespace: sys.config.TEMPORAL_NAMESPACE }).workflow.getHandle(`contract-${terms.contractId}`).terminate('test done');
    }
  });

  it('sees a running worker as polling (so a slow answer is waited for) and a queue nobody polls as not', async () => {
    const client = new Client({ connection, namespace: sys.config.TEMPORAL_NAMESPACE });
    expect(await workerPolls(client, sys.config.TEMPORAL_TASK_QUEUE)).toBe(true);
    expect(await workerPolls(client, `${sys.config.TEMPORAL_TASK_QUEUE}-nobody-${Date.now()}`)).toBe(false);
  });

  it('when Temporal does not answer: reads, creates, lists and /readyz', async () => {
    const nowhere = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
    try {
      const g = await gateway({ TOLLGATE_TEMPORAL_QUERY_TIMEOUT_MS: 1_500 }, new Client({ connection: nowhere, namespace: sys.config.TEMPORAL_NAMESPACE }));
      expectUnavailable(await timed(() => http('GET', `${g.url}/contracts/acme-404`)), 5_000);
      expectUnavailable(await timed(() => http('POST', `${g.url}/contracts`, simpleContract())), 5_000);
      expectUnavailable(await timed(() => http('GET', `${g.url}/contracts?customer=cust-acme`)), 5_000);
      expectUnavailable(await timed(() => http('GET', `${g.url}/readyz`)), 5_000);
      // Stopping waits for the calls given up on (the SDK retries them until their deadline), so
      // closing the connection after it is safe.
      await g.stop();
    } finally {
      await nowhere.close().catch(() => undefined);
    }
  });

  it('when a service is unreachable: what the gateway reads from it', async () => {
    const terms = simpleContract();
    expect((await http('POST', `${sys.gatewayUrl}/contracts`, terms)).status).toBe(201);
    expect((await http('POST', `${sys.gatewayUrl}/contracts/${terms.contractId}/milestones/go-live/complete`, {})).body.outcome).toBe('applied');
    const dead = `http://127.0.0.1:${await freePort()}`;
    const g = await gateway({ INVOICING_URL: dead, REVENUE_URL: dead });
    const invoices = await timed(() => http('GET', `${g.url}/contracts/${terms.contractId}/invoices`));
    expectUnavailable(invoices, 5_000);
    expect(invoices.body.message).toMatch(/invoicing unreachable/);
    expectUnavailable(await timed(() => http('GET', `${g.url}/contracts/${terms.contractId}/entries`)), 5_000);
    // The state itself still answers (Temporal and the worker are up).
    expect((await http('GET', `${g.url}/contracts/${terms.contractId}`)).status).toBe(200);
  });
});
