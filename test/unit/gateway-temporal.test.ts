/**
 * The gateway's calls to Temporal are bounded (services/gateway/contracts.ts): a query or update
 * that no worker can run, a deadline passed, or Temporal unreachable answer 503 `unavailable`
 * (UnavailableError, with Retry-After) instead of hanging or a 500. Against a fake Temporal client.
 */
import { WorkflowUpdateRPCTimeoutOrCancelledError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createContractUseCases, isTemporalUnavailable } from '../../services/gateway/contracts';
import { UnavailableError } from '../../libs/http';

const grpcError = (code: number, details: string) => Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
const never = () => new Promise<never>(() => undefined);

interface Fake {
  pollers?: Array<{ lastAccessTime?: { seconds: number } }>;
  query?: () => Promise<unknown>;
  update?: () => Promise<unknown>;
  describe?: () => Promise<unknown>;
}

function fakeClient(fake: Fake): { client: Client; aborted: () => number } {
  let aborted = 0;
  const client = {
    options: { namespace: 'default' },
    connection: {
      async withAbortSignal<R>(signal: AbortSignal, fn: () => Promise<R>): Promise<R> {
        signal.addEventListener('abort', () => { aborted += 1; });
        return fn();
      },
      withDeadline: <R>(_deadline: number, fn: () => Promise<R>) => fn(),
    },
    workflowService: {
      describeTaskQueue: async () => ({ pollers: fake.pollers ?? [] }),
    },
    workflow: {
      getHandle: () => ({
        query: fake.query ?? never,
        executeUpdate: fake.update ?? never,
        describe: fake.describe ?? never,
      }),
    },
  } as unknown as Client;
  return { client, aborted: () => aborted };
}

const livePoller = () => ({ lastAccessTime: { seconds: Math.floor(Date.now() / 1000) - 5 } });
const limits = { queryTimeoutMs: 800, updateTimeoutMs: 1_200, workerCheckMs: 100, retryAfterSeconds: 9 };

async function failure(p: Promise<unknown>): Promise<{ err: any; ms: number }> {
  const started = Date.now();
  try {
    await p;
  } catch (err) {
    return { err, ms: Date.now() - started };
  }
  throw new Error('expected a failure');
}

describe('bounded calls to Temporal', () => {
  it('answers a state query no worker polls for 503 unavailable at the first worker check, and cancels the call', async () => {
    const { client, aborted } = fakeClient({ pollers: [] });
    const uc = createContractUseCases({ client, taskQueue: 'tq', limits });
    const { err, ms } = await failure(uc.state('acme-1'));
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err).toMatchObject({ code: 'unavailable', status: 503, retryAfterSeconds: 9, details: { reason: 'no_worker' } });
    expect(err.message).toMatch(/no worker is polling task queue tq/);
    expect(ms).toBeLessThan(700);
    expect(aborted()).toBe(1);
  });

  it('counts a poller not seen for minutes as gone', async () => {
    const { client } = fakeClient({ pollers: [{ lastAccessTime: { seconds: Math.floor(Date.now() / 1000) - 600 } }] });
    const uc = createContractUseCases({ client, taskQueue: 'tq', limits });
    const { err } = await failure(uc.send('acme-1', 'hold', {}));
    expect(err).toMatchObject({ code: 'unavailable', details: { reason: 'no_worker' } });
  });

  it('with a worker polling, gives up at the deadline: queries and updates each by their own', async () => {
    const { client } = fakeClient({ pollers: [livePoller()] });
    const uc = createContractUseCases({ client, taskQueue: 'tq', limits });
    const q = await failure(uc.state('acme-1'));
    expect(q.err).toMatchObject({ code: 'unavailable', details: { reason: 'timeout' } });
    expect(q.ms).toBeGreaterThanOrEqual(750);
    expect(q.ms).toBeLessThan(1_150);
    const u = await failure(uc.send('acme-1', 'complete', { milestoneId: 'm1' }));
    expect(u.err).toMatchObject({ code: 'unavailable', details: { reason: 'timeout' } });
    expect(u.err.message).toMatch(/the complete update of contract acme-1/);
    expect(u.ms).toBeGreaterThanOrEqual(1_150);
    expect(u.ms).toBeLessThan(1_700);
  });

  it('maps Temporal unreachable (gRPC UNAVAILABLE, DEADLINE_EXCEEDED, an update RPC timeout) to 503', async () => {
    const unreachable = fakeClient({ pollers: [livePoller()], query: async () => { throw Object.assign(new Error('Failed to query Workflow'), { cause: grpcError(14, 'No connection established') }); } });
    expect((await failure(createContractUseCases({ client: unreachable.client, taskQueue: 'tq', limits }).state('a'))).err)
      .toMatchObject({ code: 'unavailable', details: { reason: 'temporal_unavailable' } });
    const updateTimeout = fakeClient({ pollers: [livePoller()], update: async () => { throw new WorkflowUpdateRPCTimeoutOrCancelledError('deadline', { cause: grpcError(4, 'Deadline exceeded') }); } });
    expect((await failure(createContractUseCases({ client: updateTimeout.client, taskQueue: 'tq', limits }).send('a', 'hold', {}))).err)
      .toMatchObject({ code: 'unavailable' });
    const describeDown = fakeClient({ describe: async () => { throw grpcError(14, 'unavailable'); } });
    expect((await failure(createContractUseCases({ client: describeDown.client, taskQueue: 'tq', limits }).customerOf('a'))).err)
      .toMatchObject({ code: 'unavailable' });
    expect(isTemporalUnavailable(grpcError(3, 'invalid argument'))).toBe(false);
    expect(isTemporalUnavailable(new Error('boom'))).toBe(false);
  });

  it('answers a state query the server could not get answered now 503, and a query the workflow failed 500 (a bug stays loud)', async () => {
    const notNow = fakeClient({ pollers: [livePoller()], query: async () => { throw Object.assign(new Error('Failed to query Workflow'), { cause: grpcError(13, 'workflow task timed out') }); } });
    expect((await failure(createContractUseCases({ client: notNow.client, taskQueue: 'tq', limits }).state('a'))).err)
      .toMatchObject({ code: 'unavailable', status: 503, details: { reason: 'query_not_answered' } });
    const bug = new Error('query failed: TypeError: x is undefined');
    const failed = fakeClient({ pollers: [livePoller()], query: async () => { throw Object.assign(bug, { cause: grpcError(3, 'query failed') }); } });
    expect((await failure(createContractUseCases({ client: failed.client, taskQueue: 'tq', limits }).state('a'))).err).toBe(bug);
  });

  it('still answers refusals with their code, and answers that come in time', async () => {
    const refused = fakeClient({ pollers: [livePoller()], update: async () => { throw ApplicationFailure.nonRetryable('window closed', 'window_closed'); } });
    expect((await failure(createContractUseCases({ client: refused.client, taskQueue: 'tq', limits }).send('a', 'accept', { milestoneId: 'm' }))).err)
      .toMatchObject({ code: 'window_closed', status: 409 });
    const fine = fakeClient({ pollers: [], query: async () => ({ contractId: 'a' }), update: async () => ({ outcome: 'applied' }) });
    const uc = createContractUseCases({ client: fine.client, taskQueue: 'tq', limits });
    await expect(uc.state('a')).resolves.toEqual({ contractId: 'a' });
    await expect(uc.send('a', 'hold', {})).resolves.toEqual({ outcome: 'applied' });
  });
});
