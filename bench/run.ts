/**
 * `npm run bench`: measures Tollgate on a throwaway local stack (real Temporal dev server on
 * SQLite WAL, real FerretDB) and prints figures. Nothing here asserts a time: these machines are
 * shared and noisy, so read the numbers, compare runs, and mind the spread.
 */
import { randomBytes } from 'node:crypto';
import { createLogger } from '../libs/logger';
import { startEphemeralStack } from '../deploy/local/ephemeral';
import { httpApi } from '../cli/scenarios';
import { serviceAuthHeaders } from '../libs/service-client';

const N = Number(process.env.BENCH_N ?? 20);

function stats(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(0);
  const mean = (s.reduce((a, b) => a + b, 0) / s.length).toFixed(0);
  return `n=${s.length} mean=${mean} ms p50=${q(0.5)} ms p95=${q(0.95)} ms max=${q(1)} ms`;
}

function terms(id: string, milestones = 1) {
  return {
    contractId: id,
    customer: { id: 'cust-bench', name: 'Bench Corp' },
    currency: 'USD',
    signedDate: '2025-01-01',
    paymentTerms: 'NET_30',
    sandbox: { clockStart: '2025-01-01' },
    obligations: [{ id: 'impl', name: 'Implementation', ssp: '1000.00', recognition: { method: 'milestones' } }],
    milestones: Array.from({ length: milestones }, (_, i) => ({
      id: `m${i + 1}`, name: `M${i + 1}`, description: `Milestone ${i + 1} fee`, obligationId: 'impl', amount: '100.00', sequence: i + 1,
      trigger: { type: 'event', completion: 'external_event' },
    })),
  };
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = process.hrtime.bigint();
  const v = await fn();
  return [v, Number(process.hrtime.bigint() - t) / 1e6];
}

async function main(): Promise<void> {
  const logger = createLogger('bench', 'warn');
  process.stdout.write(`starting a throwaway stack…\n`);
  const [stack, startMs] = await timed(() => startEphemeralStack(logger, 'silent'));
  process.stdout.write(`stack up in ${(startMs / 1000).toFixed(1)} s\n\n`);
  const api = httpApi(stack.gatewayUrl);
  const run = randomBytes(3).toString('hex');
  const must = async (method: string, path: string, body?: unknown) => {
    const r = await api.call(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  try {
    // 1. One contract end to end, sequentially: create, then complete (invoice + receivable + entry).
    const create: number[] = [];
    const complete: number[] = [];
    for (let i = 0; i < N; i += 1) {
      const id = `bench-${run}-seq-${i}`;
      create.push((await timed(() => must('POST', '/contracts', terms(id))))[1]);
      complete.push((await timed(() => must('POST', `/contracts/${id}/milestones/m1/complete`, {})))[1]);
    }
    process.stdout.write(`create contract (HTTP → workflow start)        ${stats(create)}\n`);
    process.stdout.write(`complete → invoiced (update + 3 activities)    ${stats(complete)}\n`);

    // 2. Concurrent contracts: throughput of the whole path.
    const [, concurrentMs] = await timed(() => Promise.all(Array.from({ length: N }, async (_, i) => {
      const id = `bench-${run}-par-${i}`;
      await must('POST', '/contracts', terms(id));
      await must('POST', `/contracts/${id}/milestones/m1/complete`, {});
    })));
    process.stdout.write(`${N} contracts created+invoiced concurrently     ${(concurrentMs / 1000).toFixed(2)} s → ${(N / (concurrentMs / 1000)).toFixed(1)} contracts/s\n`);

    // 3. A long-lived contract: update latency as its history grows.
    const long = `bench-${run}-long`;
    const M = Number(process.env.BENCH_LONG ?? 60);
    await must('POST', '/contracts', terms(long, M));
    const early: number[] = [];
    const late: number[] = [];
    for (let i = 0; i < M; i += 1) {
      const [, ms] = await timed(() => must('POST', `/contracts/${long}/milestones/m${i + 1}/complete`, {}));
      (i < M / 3 ? early : i >= (2 * M) / 3 ? late : []).push(ms);
    }
    const state = await must('GET', `/contracts/${long}`);
    process.stdout.write(`long contract, first third of ${M} completions   ${stats(early)}\n`);
    process.stdout.write(`long contract, last third                       ${stats(late)} (runs: ${state.runs})\n`);

    // 4. Invoicing alone: concurrent issues with gapless numbers.
    const K = Number(process.env.BENCH_INVOICES ?? 50);
    const [, invoicesMs] = await timed(() => Promise.all(Array.from({ length: K }, (_, i) => fetch(`${stack.invoicingUrl}/invoices`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `bench-${run}-inv-${i}`, ...serviceAuthHeaders(stack.serviceToken) },
      body: JSON.stringify({
        kind: 'milestone', contractId: `bench-${run}-direct`, customer: { id: 'c', name: 'C' }, currency: 'USD', termsVersion: 1,
        date: '2025-03-01', paymentTerms: 'NET_30', lines: [{ milestoneId: 'm', description: 'd', amount: '1.00' }], sandbox: true,
      }),
    }).then((r) => { if (r.status !== 201) throw new Error(`invoice ${r.status}`); }))));
    process.stdout.write(`${K} concurrent invoices (numbered, gapless)      ${(invoicesMs / 1000).toFixed(2)} s → ${(K / (invoicesMs / 1000)).toFixed(1)} invoices/s\n`);
  } finally {
    await stack.stop();
  }
}

const argv = process.argv.slice(2);
// `--grow`: bench/grow.ts; `--load`: bench/load.ts; `--idle`: bench/idle.ts; `--store`: bench/store.ts (runs on import); otherwise the figures above.
const dispatch = argv.includes('--grow')
  ? import('./grow').then((m) => m.runGrow(argv))
  : argv.includes('--idle')
    ? import('./idle').then((m) => m.runIdle(argv))
  : argv.includes('--load')
    ? import('./load').then((m) => m.runLoad(argv))
  : argv.includes('--store')
    ? import('./store')
    : main();
dispatch.catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
