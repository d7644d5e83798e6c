/**
 * The one HTTP client (libs/http-client.ts) — both transports answer alike — and the gateway's
 * mapping of Temporal errors by type and code, never by message text (services/gateway/contracts.ts).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createHttpClient, errorOf, fetchTransport, HttpTransportError, nodeTransport } from '../../libs/http-client';
import { AppError } from '../../libs/domain/errors';
import { createContractUseCases, toAppError } from '../../services/gateway/contracts';

interface Seen { method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }

describe('the one HTTP client', () => {
  let server: http.Server;
  let base: string;
  const seen: Seen[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        if (req.url?.startsWith('/slow')) return; // never answers
        if (req.url?.startsWith('/csv')) {
          res.writeHead(200, { 'content-type': 'text/csv', 'content-disposition': 'attachment; filename="x.csv"' }).end('a,b\r\n1,2\r\n');
          return;
        }
        if (req.url?.startsWith('/refuse')) {
          res.writeHead(409, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'stale_version', message: 'at version 3', details: { currentVersion: 3 } }));
          return;
        }
        res.writeHead(201, { 'content-type': 'application/json', 'x-two': 'b' }).end(JSON.stringify({ ok: true }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => { seen.length = 0; });

  for (const [name, transport] of [['fetch', fetchTransport], ['node:http', nodeTransport()]] as const) {
    describe(`on ${name}`, () => {
      it('sends a JSON body, the query and the headers (a request\'s own win over the client\'s, whatever their case)', async () => {
        const client = createHttpClient({ baseUrl: base, transport, headers: { Authorization: 'Bearer client', accept: 'application/json' } });
        const a = await client.request('POST', '/things', { query: { a: '1', skipped: undefined }, body: { amount: '1.50' }, headers: { authorization: 'Bearer own' } });
        expect(a).toMatchObject({ status: 201, ok: true, json: { ok: true }, text: '{"ok":true}' });
        expect(a.headers.get('x-two')).toBe('b');
        expect(seen[0]).toMatchObject({ method: 'POST', url: '/things?a=1', body: '{"amount":"1.50"}' });
        expect(seen[0]!.headers).toMatchObject({ authorization: 'Bearer own', accept: 'application/json', 'content-type': 'application/json' });
      });

      it('sends a string body as it is, and answers a non-2xx with its status and error body instead of throwing', async () => {
        const client = createHttpClient({ baseUrl: base, transport });
        const a = await client.request('POST', '/refuse', { body: '{"raw": true' });
        expect(seen[0]!.body).toBe('{"raw": true');
        expect(a.status).toBe(409);
        expect(a.ok).toBe(false);
        expect(errorOf(a)).toEqual({ code: 'stale_version', message: 'at version 3', details: { currentVersion: 3 } });
      });

      it('gives a body that is not JSON as text, with json undefined', async () => {
        const a = await createHttpClient({ transport }).request('GET', `${base}/csv`);
        expect(a.text).toBe('a,b\r\n1,2\r\n');
        expect(a.json).toBeUndefined();
        expect(a.headers.get('content-disposition')).toBe('attachment; filename="x.csv"');
        expect(seen[0]!.headers['content-type']).toBeUndefined();
      });

      it('fails with HttpTransportError when nothing answers in time, or nothing listens', async () => {
        const slow = await createHttpClient({ baseUrl: base, transport, timeoutMs: 200 }).request('GET', '/slow').catch((e: unknown) => e);
        expect(slow).toBeInstanceOf(HttpTransportError);
        const down = await createHttpClient({ transport }).request('GET', 'http://127.0.0.1:1/x').catch((e: unknown) => e);
        expect(down).toBeInstanceOf(HttpTransportError);
        expect((down as HttpTransportError).url.origin).toBe('http://127.0.0.1:1');
      });
    });
  }

  it('reads no code from an answer that is not a Tollgate error', () => {
    expect(errorOf({ json: undefined })).toEqual({});
    expect(errorOf({ json: { code: 7, message: 'x' } })).toEqual({ message: 'x' });
  });
});

describe('Temporal errors are mapped by type and code, never by message text', () => {
  it('maps a refusal by its ApplicationFailure type and an unknown workflow to not_found', () => {
    const refused = toAppError(ApplicationFailure.create({ message: 'stale', type: 'stale_version', nonRetryable: true }), 'c-1');
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: 'stale_version', message: 'stale' });
    expect(toAppError(new WorkflowNotFoundError('workflow execution already completed', 'contract-c-1', undefined), 'c-1')).toMatchObject({ code: 'not_found' });
  });

  it('leaves an error with no type or code as it is, whatever its message says', () => {
    const plain = new Error('workflow execution already completed');
    expect(toAppError(plain, 'c-1')).toBe(plain);
  });

  it('answers an update to a completed contract not_allowed_in_state (advancing its clock: ignored), from the execution\'s status', async () => {
    const completed = { status: { name: 'COMPLETED' } };
    const client = {
      options: { namespace: 'default' },
      connection: { withAbortSignal: <R>(_s: AbortSignal, fn: () => Promise<R>) => fn(), withDeadline: <R>(_d: number, fn: () => Promise<R>) => fn() },
      workflowService: { describeTaskQueue: async () => ({ pollers: [{ lastAccessTime: { seconds: Math.floor(Date.now() / 1000) } }] }) },
      workflow: {
        getHandle: () => ({
          executeUpdate: async () => { throw new WorkflowNotFoundError('workflow execution already completed', 'contract-c-1', undefined); },
          describe: async () => completed,
        }),
      },
    } as unknown as Client;
    const contracts = createContractUseCases({ client, taskQueue: 'q', limits: { queryTimeoutMs: 2_000, updateTimeoutMs: 2_000, workerCheckMs: 1_000 } });
    await expect(contracts.send('c-1', 'complete', { milestoneId: 'm1' })).rejects.toMatchObject({ code: 'not_allowed_in_state' });
    await expect(contracts.send('c-1', 'advanceClock', { to: '2026-01-01' })).resolves.toMatchObject({ outcome: 'ignored' });
    completed.status.name = 'RUNNING';
    await expect(contracts.send('c-1', 'complete', { milestoneId: 'm1' })).rejects.toMatchObject({ code: 'not_found' });
  });
});
