/**
 * `npm run bench -- --load`: how fast a completed milestone becomes an invoice, and at what rate
 * (issue 11). A throwaway stack with every component in its own process, as deployed (the chaos
 * run's stack: deploy/chaos/stack.ts — Temporal dev server, FerretDB, invoicing, revenue, AR, the
 * gateway and the worker on a prebuilt workflow bundle), on this machine's cores.
 *
 *   1. Open loop, per offered rate (10, 20, 50, 80 milestones/s by default) for a fixed time: each
 *      completion is sent on schedule whatever the answers; latency = from sending
 *      `POST /contracts/:id/milestones/:m/complete` to its answer, which the gateway gives once the
 *      invoice, receivable and journal entry are stored. Meanwhile `GET /contracts/:id` is sampled.
 *   2. Closed loop through the API (`--callers` callers): the durable path's most milestones/s.
 *   3. The same service calls made directly (no Temporal; the activities' own functions), with the
 *      same callers: durable ÷ direct throughput.
 *   4. Temporal history events per milestone; RSS and CPU time of every process, per phase.
 *
 * Options: --rates 10,20,50,80 | --seconds N (each phase, 30) | --callers C (32) | --workers W (1) |
 * --quick (rates 10,20; 5 s phases; 8 callers: the CI smoke) | --profile worker,revenue (node
 * --cpu-prof of those components; .cpuprofile files in bench/results/profiles/) | --label TEXT (names the results file,
 * e.g. the change being measured). Results: bench/results/load-<date>[-label|-quick].{json,md}.
 * Nothing asserts a time: the machines are shared and noisy; compare figures of one run.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { createActivities } from '../activities';
import { startChaosStack, type ChaosStack } from '../deploy/chaos/stack';
import { pct } from '../deploy/chaos/metrics';
import { createLogger } from '../libs/logger';
import { createServiceClient } from '../libs/service-client';
import { optionValue } from './args';
import { BENCH_MILESTONES, benchTerms, timedCompletion } from './completion';
import { machineFacts } from './grow';

interface Options {
  rates: number[];
  seconds: number;
  callers: number;
  workers: number;
  quick: boolean;
  label?: string;
  /** Components to CPU-profile (node --cpu-prof; files in bench/results/profiles/). */
  profile?: Array<'worker' | 'gateway' | 'invoicing' | 'revenue' | 'ar'>;
  /** `GET /contracts/:id` samples per second during the open loop. */
  queryRate: number;
  requestTimeoutMs: number;
}

function parseOptions(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const num = (name: string, fallback: number) => {
    const raw = optionValue(argv, name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number (got ${raw})`);
    return n;
  };
  const ratesRaw = optionValue(argv, '--rates');
  const rates = ratesRaw ? ratesRaw.split(',').map(Number) : quick ? [10, 20] : [10, 20, 50, 80];
  if (rates.some((r) => !Number.isFinite(r) || r <= 0)) throw new Error(`--rates must be positive numbers (got ${ratesRaw})`);
  return {
    rates,
    seconds: num('--seconds', quick ? 5 : 30),
    callers: num('--callers', quick ? 8 : 32),
    workers: num('--workers', 1),
    quick,
    label: optionValue(argv, '--label'),
    queryRate: num('--query-rate', 5),
    profile: optionValue(argv, '--profile')?.split(',') as Options['profile'],
    requestTimeoutMs: 60_000,
  };
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (v: number | undefined, digits = 0) => (v === undefined ? undefined : Number(v.toFixed(digits)));
const fmt = (v: number | undefined) => (v === undefined ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(1));

const MILESTONES = BENCH_MILESTONES;

/** The bench contract, of one of 7 customers. */
const terms = (contractId: string, signedDate: string) => benchTerms(contractId, { id: `load-cust-${contractId.length % 7}`, name: 'Load Customer' }, signedDate);

// ---------------------------------------------------------------------------------------------
// Process figures from /proc: RSS now, CPU seconds so far (user + system), the machine's busy share.

const TICKS = 100; // USER_HZ on Linux

export function rssMiB(pid: number): number | undefined {
  try {
    const kb = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS; // utime, stime (fields 14, 15)
  } catch {
    return undefined;
  }
}

export function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = line.reduce((a, b) => a + b, 0);
  const idle = (line[3] ?? 0) + (line[4] ?? 0);
  return { busy: total - idle, total };
}

interface Snapshot { at: number; cpu: Record<string, number>; machine: { busy: number; total: number } }

function snapshot(stack: ChaosStack): Snapshot {
  const cpu: Record<string, number> = { bench: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6 };
  for (const [name, pid] of Object.entries(stack.pids())) {
    const s = cpuSeconds(pid);
    if (s !== undefined) cpu[name] = s;
  }
  return { at: nowMs(), cpu, machine: machineTicks() };
}

interface Usage {
  /** CPU ms per milestone, per process. */
  cpuMsPerMilestone: Record<string, number>;
  /** The machine's busy share (all cores; 1 = every core busy). */
  machineBusy: number;
  rssMiB: Record<string, number>;
}

function usage(stack: ChaosStack, a: Snapshot, b: Snapshot, milestones: number): Usage {
  const cpuMsPerMilestone: Record<string, number> = {};
  for (const k of Object.keys(b.cpu)) if (a.cpu[k] !== undefined && milestones > 0) cpuMsPerMilestone[k] = round(((b.cpu[k]! - a.cpu[k]!) * 1000) / milestones, 1)!;
  const rss: Record<string, number> = {};
  for (const [name, pid] of Object.entries(stack.pids())) {
    const r = rssMiB(pid);
    if (r !== undefined) rss[name] = round(r, 0)!;
  }
  const busy = (b.machine.busy - a.machine.busy) / Math.max(1, b.machine.total - a.machine.total);
  return { cpuMsPerMilestone, machineBusy: round(busy, 2)!, rssMiB: rss };
}

/**
 * Waits until the stack is quiet (its processes together use < 0.2 of a core over a second), at
 * most `maxS` seconds: an overloaded phase leaves work behind (updates the gateway gave up on still
 * run), which must not be counted in the next phase. Resolves to the seconds waited.
 */
async function drain(stack: ChaosStack, maxS = 120): Promise<number> {
  const t0 = nowMs();
  const stackCpu = () => Object.entries(snapshot(stack).cpu).filter(([k]) => k !== 'bench').reduce((a, [, v]) => a + v, 0);
  for (;;) {
    const before = stackCpu();
    await sleep(1_000);
    if (stackCpu() - before < 0.2 || nowMs() - t0 > maxS * 1000) return round((nowMs() - t0) / 1000, 1)!;
  }
}

// ---------------------------------------------------------------------------------------------

class Client {
  readonly errors: string[] = [];
  private seq = 0;
  readonly headers: Record<string, string>;

  constructor(readonly stack: ChaosStack, readonly run: string, readonly signedDate: string, readonly timeoutMs: number) {
    this.headers = { authorization: `Bearer ${stack.keys.admin}`, 'content-type': 'application/json' };
  }

  async call(method: string, p: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.stack.urls.gateway}${p}`, {
      method, headers: this.headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  async createContracts(tag: string, n: number): Promise<string[]> {
    const ids = Array.from({ length: n }, () => `load-${this.run}-${tag}-${this.seq++}`);
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(8, n) }, async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        const r = await this.call('POST', '/contracts', terms(id, this.signedDate));
        if (r.status !== 201) throw new Error(`POST /contracts ${id}: ${r.status} ${JSON.stringify(r.body)}`);
      }
    }));
    return ids;
  }

  /** Completes a milestone; the latency in ms, or undefined (the error recorded) when it was not invoiced. */
  complete(contractId: string, milestone: number): Promise<number | undefined> {
    return timedCompletion(() => this.call('POST', `/contracts/${contractId}/milestones/m${milestone}/complete`, {}), `complete ${contractId} m${milestone}`, this.errors);
  }

  async query(contractId: string): Promise<number | undefined> {
    const t = nowMs();
    try {
      const r = await this.call('GET', `/contracts/${contractId}`);
      if (r.status !== 200) {
        this.errors.push(`GET /contracts/${contractId}: ${r.status}`);
        return undefined;
      }
      return nowMs() - t;
    } catch (err) {
      this.errors.push(`GET /contracts/${contractId}: ${(err as Error).message}`);
      return undefined;
    }
  }
}

interface Latency { n: number; p50?: number; p95?: number; p99?: number; max?: number; mean?: number }

function latency(xs: number[]): Latency {
  return {
    n: xs.length, p50: round(pct(xs, 0.5), 1), p95: round(pct(xs, 0.95), 1), p99: round(pct(xs, 0.99), 1), max: round(pct(xs, 1), 1),
    mean: xs.length ? round(xs.reduce((a, b) => a + b, 0) / xs.length, 1) : undefined,
  };
}

interface OpenLoopResult {
  offeredPerSecond: number;
  seconds: number;
  sent: number;
  invoiced: number;
  errors: number;
  achievedPerSecond: number;
  completion: Latency;
  query: Latency;
  usage: Usage;
}

/** `rate` completions/s for `seconds`, sent on schedule whatever the answers; fresh contracts, none with two in flight. */
async function openLoop(client: Client, stack: ChaosStack, o: Options, rate: number): Promise<OpenLoopResult> {
  const total = Math.max(1, Math.round(rate * o.seconds));
  // Each contract gets a completion at most every ~2 s (a contract runs its effects in order).
  const nContracts = Math.max(Math.ceil(total / MILESTONES), Math.ceil(rate * 2));
  const ids = await client.createContracts(`open${rate}`, nContracts);
  await sleep(1_000); // the plans registered at creation settle before measuring
  const errorsBefore = client.errors.length;
  const done: number[] = [];
  const queries: number[] = [];
  const a = snapshot(stack);
  const start = nowMs();
  let sending = true;
  // The query sampler: `queryRate` reads/s of contracts already in play, while the load runs.
  const sampler = (async () => {
    for (let k = 0; sending; k += 1) {
      const due = start + (k * 1000) / o.queryRate;
      const wait = due - nowMs();
      if (wait > 0) await sleep(wait);
      const q = await client.query(ids[k % ids.length]!);
      if (q !== undefined) queries.push(q);
    }
  })();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i += 1) {
    const wait = start + (i * 1000) / rate - nowMs();
    if (wait > 0) await sleep(wait);
    inflight.push(client.complete(ids[i % nContracts]!, Math.floor(i / nContracts) + 1).then((ms) => { if (ms !== undefined) done.push(ms); }));
  }
  await Promise.all(inflight);
  sending = false;
  await sampler;
  const elapsed = (nowMs() - start) / 1000;
  const b = snapshot(stack);
  return {
    offeredPerSecond: rate, seconds: round(elapsed, 1)!, sent: total, invoiced: done.length, errors: client.errors.length - errorsBefore,
    achievedPerSecond: round(done.length / elapsed, 2)!, completion: latency(done), query: latency(queries), usage: usage(stack, a, b, done.length),
  };
}

/**
 * The closed-loop driver: `o.callers` callers, each taking a contract (`next`; none left: that
 * caller stops) and completing its milestones in order (`one`: latency, or undefined to drop the
 * contract) until the phase's time is up.
 */
async function callers(
  o: Options,
  next: () => Promise<string | undefined>,
  one: (contractId: string, milestone: number) => Promise<number | undefined>,
): Promise<{ ms: number[]; start: number; last: number }> {
  const ms: number[] = [];
  const start = nowMs();
  const deadline = start + o.seconds * 1000;
  let last = start;
  await Promise.all(Array.from({ length: o.callers }, async () => {
    while (nowMs() < deadline) {
      const id = await next();
      if (!id) return;
      for (let m = 1; m <= MILESTONES && nowMs() < deadline; m += 1) {
        const took = await one(id, m);
        last = nowMs();
        if (took === undefined) break; // this contract is in an unknown state: take another
        ms.push(took);
      }
    }
  }));
  return { ms, start, last };
}

interface ClosedLoopResult { callers: number; seconds: number; milestones: number; errors: number; perSecond: number; latency: Latency; usage: Usage }

/**
 * `callers` callers, each completing its own contracts' milestones in order, for `seconds`. The
 * contracts are created before the clock starts (enough for `expectPerSecond`): a creation inside
 * the phase would bill its workflow start and plan registration to the milestones (the direct
 * path registers its plans before its clock starts too).
 */
async function closedLoopDurable(client: Client, stack: ChaosStack, o: Options, expectPerSecond: number): Promise<ClosedLoopResult> {
  const ready = await client.createContracts('closed', Math.max(o.callers, Math.ceil((expectPerSecond * o.seconds * 1.5) / MILESTONES)));
  await sleep(1_000);
  const errorsBefore = client.errors.length;
  const a = snapshot(stack);
  const { ms, start, last } = await callers(o, async () => ready.pop() ?? (await client.createContracts('closedx', 1))[0]!, (id, m) => client.complete(id, m));
  const b = snapshot(stack);
  const seconds = (last - start) / 1000;
  return {
    callers: o.callers, seconds: round(seconds, 1)!, milestones: ms.length, errors: client.errors.length - errorsBefore,
    perSecond: round(ms.length / seconds, 2)!, latency: latency(ms), usage: usage(stack, a, b, ms.length),
  };
}

/**
 * The baseline: the calls one milestone's invoice makes (issue the invoice, open its receivable,
 * post the journal entry), made directly with the activities' own functions and service clients,
 * in the same order, with the same callers; each contract's revenue plan registered first (what
 * contract creation does), outside the timing.
 */
async function closedLoopDirect(stack: ChaosStack, o: Options, run: string, today: string, expectPerSecond: number): Promise<ClosedLoopResult> {
  const logger = createLogger('bench-direct', 'error');
  const acts = createActivities({
    invoicing: createServiceClient('invoicing', stack.urls.invoicing, { token: stack.token }),
    ar: createServiceClient('ar', stack.urls.ar, { token: stack.token }),
    revenue: createServiceClient('revenue', stack.urls.revenue, { token: stack.token }),
    logger,
  });
  const nContracts = Math.max(o.callers, Math.ceil((expectPerSecond * o.seconds * 1.5) / MILESTONES));
  const ids = Array.from({ length: nContracts }, (_, i) => `load-${run}-direct-${i}`);
  const t = terms('x', today);
  for (const id of ids) {
    await acts.registerRevenuePlan({
      contractId: id, sandbox: false, currency: 'USD', version: 1, effectiveDate: today, obligations: t.obligations,
      milestones: t.milestones.map((m) => ({ id: m.id, obligationId: m.obligationId, amount: m.amount, billable: true, sequence: m.sequence })),
      cancelled: [],
    }, `${id}:plan:v1:register`);
  }
  const errors: string[] = [];
  const a = snapshot(stack);
  const { ms, start, last } = await callers(o, async () => ids.pop(), async (id, m) => {
    const key = `${id}:m${m}:v1:milestone`;
    const t0 = nowMs();
    try {
      const inv = await acts.issueInvoice({
        kind: 'milestone', contractId: id, customer: t.customer, currency: 'USD', termsVersion: 1, date: today, paymentTerms: 'NET_30',
        lines: [{ milestoneId: `m${m}`, description: `Milestone ${m} fee`, amount: '1000.00' }], sandbox: false,
      }, `${key}:invoice`);
      await acts.openReceivable({
        invoiceNumber: inv.number, contractId: id, customerId: t.customer.id, currency: 'USD', amount: '1000.00', issueDate: today,
        dueDate: inv.dueDate, milestoneIds: [`m${m}`], sandbox: false,
      }, `${key}:receivable`);
      await acts.postToLedger({
        kind: 'contract_event', contractId: id, sandbox: false, currency: 'USD', eventDate: today, source: { type: 'milestone', ref: `m${m}` }, billed: '1000.00',
      }, `${key}:post`);
      return nowMs() - t0;
    } catch (err) {
      errors.push(`direct ${key}: ${(err as Error).message}`);
      return undefined;
    }
  });
  const b = snapshot(stack);
  const seconds = (last - start) / 1000;
  return {
    callers: o.callers, seconds: round(seconds, 1)!, milestones: ms.length, errors: errors.length,
    perSecond: round(ms.length / seconds, 2)!, latency: latency(ms), usage: usage(stack, a, b, ms.length),
  };
}

/** Temporal history events a milestone adds: a contract's history after k completions, less a fresh one's, ÷ k. */
async function historyEventsPerMilestone(client: Client, stack: ChaosStack): Promise<{ fresh: number; afterThree: number; perMilestone: number }> {
  const [fresh, used] = await client.createContracts('history', 2);
  for (let m = 1; m <= 3; m += 1) if ((await client.complete(used!, m)) === undefined) throw new Error('history contract: a completion failed');
  await sleep(500);
  const connection = await Connection.connect({ address: stack.temporalAddress });
  try {
    const length = async (id: string) => Number((await connection.workflowService.describeWorkflowExecution({
      namespace: 'default', execution: { workflowId: `contract-${id}` },
    })).workflowExecutionInfo?.historyLength ?? 0);
    const [f, u] = [await length(fresh!), await length(used!)];
    return { fresh: f, afterThree: u, perMilestone: round((u - f) / 3, 1)! };
  } finally {
    await connection.close();
  }
}

// ---------------------------------------------------------------------------------------------

export async function runLoad(argv: string[]): Promise<void> {
  const o = parseOptions(argv);
  const facts = machineFacts();
  const run = Math.random().toString(36).slice(2, 8);
  const startedAt = new Date().toISOString();
  const today = startedAt.slice(0, 10);
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(`load: offered ${o.rates.join(', ')} milestones/s, ${o.seconds} s each; ${o.callers} callers closed loop; ${o.workers} worker(s)`);
  say(`machine: ${facts.nproc} × ${facts.cpuModel}, ${facts.totalMemoryGiB} GiB, node ${facts.node}, ferretdb ${facts.ferretdb}`);
  const profileDir = o.profile ? path.join(__dirname, 'results', 'profiles') : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const nodeFlags = Object.fromEntries((o.profile ?? []).map((kind) => [kind, ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]]));
  const stack = await startChaosStack({ logLevel: 'warn', retryAfterSeconds: 1, shutdownGraceMs: 5_000, workers: o.workers, keep: false, nodeFlags }, say);
  const client = new Client(stack, run, today, o.requestTimeoutMs);
  const open: OpenLoopResult[] = [];
  let durable: ClosedLoopResult | undefined;
  let direct: ClosedLoopResult | undefined;
  let history: Awaited<ReturnType<typeof historyEventsPerMilestone>> | undefined;
  const idleRss: Record<string, number> = {};
  let queryAtRest: Latency | undefined;
  try {
    for (const [name, pid] of Object.entries(stack.pids())) idleRss[name] = round(rssMiB(pid), 0)!;
    // Warm-up (JIT, connections, caches), not measured.
    const warm = await client.createContracts('warm', 10);
    await Promise.all(warm.map((id) => client.complete(id, 1)));
    client.errors.length = 0;
    history = await historyEventsPerMilestone(client, stack);
    say(`history: a fresh contract ${history.fresh} events; after 3 milestones ${history.afterThree} → ${history.perMilestone} events per milestone`);
    // The closed loops first (the most milestones/s each path gives), then the offered rates, lowest
    // first; the stack drains between phases.
    durable = await closedLoopDurable(client, stack, o, o.quick ? 30 : 100);
    say(`closed loop, durable (API → Temporal → services): ${durable.perSecond} milestones/s with ${o.callers} callers; p50 ${fmt(durable.latency.p50)} ms; ${durable.errors} errors`);
    await drain(stack);
    direct = await closedLoopDirect(stack, o, run, today, Math.max(40, durable.perSecond * 2));
    say(`closed loop, direct (the same three service calls): ${direct.perSecond} milestones/s with ${o.callers} callers; p50 ${fmt(direct.latency.p50)} ms; ${direct.errors} errors`);
    say(`durable ÷ direct throughput: ${(durable.perSecond / direct.perSecond).toFixed(2)}`);
    // The state query alone on a quiet stack: one after another over contracts with invoices.
    await drain(stack);
    const targets = await client.createContracts('query', 10);
    await Promise.all(targets.map(async (id) => { for (let m = 1; m <= 3; m += 1) await client.complete(id, m); }));
    await drain(stack);
    const atRest: number[] = [];
    for (let k = 0; k < (o.quick ? 50 : 300); k += 1) {
      const q = await client.query(targets[k % targets.length]!);
      if (q !== undefined) atRest.push(q);
    }
    queryAtRest = latency(atRest);
    say(`GET /contracts/:id on a quiet stack: p50 ${fmt(queryAtRest.p50)} p99 ${fmt(queryAtRest.p99)} max ${fmt(queryAtRest.max)} ms (n=${queryAtRest.n})`);
    for (const rate of o.rates) {
      const drained = await drain(stack);
      if (drained > 2) say(`(waited ${drained} s for the stack to go quiet)`);
      const r = await openLoop(client, stack, o, rate);
      open.push(r);
      say(`open loop ${rate}/s: ${r.invoiced}/${r.sent} invoiced at ${r.achievedPerSecond}/s; complete → invoice p50 ${fmt(r.completion.p50)} p95 ${fmt(r.completion.p95)} p99 ${fmt(r.completion.p99)} max ${fmt(r.completion.max)} ms; ` +
        `GET state p50 ${fmt(r.query.p50)} p99 ${fmt(r.query.p99)} ms; machine busy ${(r.usage.machineBusy * 100).toFixed(0)}%; ${r.errors} errors`);
    }
  } finally {
    await stack.stop();
  }

  const ratio = durable && direct ? round(durable.perSecond / direct.perSecond, 2) : undefined;
  const procs = [...new Set([...open.flatMap((r) => Object.keys(r.usage.cpuMsPerMilestone)), ...Object.keys(durable?.usage.cpuMsPerMilestone ?? {})])];
  const md: string[] = [
    `# Load: completion → invoice under offered rates${o.label ? ` (${o.label})` : ''}`, '',
    `Machine: ${facts.nproc} CPUs (nproc), ${facts.cpuModel}, ${facts.totalMemoryGiB} GiB, node ${facts.node}, FerretDB \`${facts.ferretdb}\`, ${facts.os}. ` +
    `Run ${startedAt}: \`npm run bench -- ${['--load', ...argv.filter((a) => a !== '--load')].join(' ')}\`. Every component in its own process on this machine, ${o.workers} worker(s).`, '',
    '## Open loop (each rate for its phase; latency from sending the completion to the answer, given once invoice, receivable and entry are stored)', '',
    '| offered/s | sent | invoiced | errors | achieved/s | p50 ms | p95 ms | p99 ms | max ms | GET state p50 / p99 ms | machine busy |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...open.map((r) => `| ${r.offeredPerSecond} | ${r.sent} | ${r.invoiced} | ${r.errors} | ${r.achievedPerSecond} | ${fmt(r.completion.p50)} | ${fmt(r.completion.p95)} | ${fmt(r.completion.p99)} | ${fmt(r.completion.max)} | ${fmt(r.query.p50)} / ${fmt(r.query.p99)} | ${(r.usage.machineBusy * 100).toFixed(0)}% |`),
    '', '## Durable vs direct (closed loop)', '',
    '| path | callers | milestones/s | p50 ms | p99 ms | errors | machine busy |', '|---|---:|---:|---:|---:|---:|---:|',
    ...[['durable (API → workflow → activities → services)', durable], ['direct (the same service calls, no Temporal)', direct]].filter(([, r]) => r)
      .map(([n, r]) => { const x = r as ClosedLoopResult; return `| ${n as string} | ${x.callers} | ${x.perSecond} | ${fmt(x.latency.p50)} | ${fmt(x.latency.p99)} | ${x.errors} | ${(x.usage.machineBusy * 100).toFixed(0)}% |`; }),
    '', `Durable ÷ direct throughput: **${ratio ?? '—'}**.`, '',
    '## CPU ms per milestone, per process', '',
    `| phase | ${procs.join(' | ')} |`, `|---|${procs.map(() => '---:').join('|')}|`,
    ...open.map((r) => `| open ${r.offeredPerSecond}/s | ${procs.map((p) => fmt(r.usage.cpuMsPerMilestone[p])).join(' | ')} |`),
    ...(durable ? [`| closed, durable | ${procs.map((p) => fmt(durable!.usage.cpuMsPerMilestone[p])).join(' | ')} |`] : []),
    ...(direct ? [`| closed, direct | ${procs.map((p) => fmt(direct!.usage.cpuMsPerMilestone[p])).join(' | ')} |`] : []),
    '', '## Memory (RSS MiB)', '',
    `| when | ${Object.keys(idleRss).join(' | ')} |`, `|---|${Object.keys(idleRss).map(() => '---:').join('|')}|`,
    `| started | ${Object.values(idleRss).join(' | ')} |`,
    ...open.map((r) => `| after open ${r.offeredPerSecond}/s | ${Object.keys(idleRss).map((k) => r.usage.rssMiB[k] ?? '—').join(' | ')} |`),
    '', `State query (\`GET /contracts/:id\`) on a quiet stack, one after another: p50 ${fmt(queryAtRest?.p50)} ms, p99 ${fmt(queryAtRest?.p99)} ms, max ${fmt(queryAtRest?.max)} ms (n=${queryAtRest?.n ?? 0}); under load: the GET state column above.`,
    '', `History: ${history?.perMilestone ?? '—'} Temporal history events per milestone (a fresh contract: ${history?.fresh ?? '—'}; after 3 milestones: ${history?.afterThree ?? '—'}).`, '',
  ];
  process.stdout.write(`\n${md.join('\n')}\n`);
  const dir = path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const suffix = o.label ? `-${o.label.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}` : o.quick ? '-quick' : '';
  const base = path.join(dir, `load-${today}${suffix}`);
  writeFileSync(`${base}.md`, md.join('\n'));
  writeFileSync(`${base}.json`, JSON.stringify({ machine: { ...facts, loadAverage: os.loadavg() }, startedAt, options: o, history, queryAtRest, open, durable, direct, durableOverDirect: ratio, idleRss, errors: client.errors.slice(0, 50) }, null, 2));
  say(`wrote ${path.relative(process.cwd(), base)}.md and .json`);
  const failed = client.errors.length + (direct?.errors ?? 0);
  if (failed) {
    process.stderr.write(`${failed} requests failed:\n${client.errors.slice(0, 10).join('\n')}\n`);
    process.exitCode = 1;
  }
}
