/**
 * `npm run bench -- --idle`: idle scale (issue 11). Many open contracts waiting on timers, and
 * thousands of month-end timers falling due at one midnight. On the chaos run's throwaway stack
 * (deploy/chaos/stack.ts: Temporal dev server, FerretDB, each service, the gateway and one worker,
 * each its own process), on this machine's cores.
 *
 * A real midnight, not a simulated one: every contract gets the same IANA timezone and one ratable
 * obligation from today to tomorrow in that zone (D), so its only month-end timer is D, firing at
 * 00:00 of D in the zone (workflows/engine.ts planMonthEnds; workflows/contract.ts main loop). The
 * zone is chosen among the whole-hour Etc/GMT±N zones and the :30/:45 ones so that its midnight is
 * the first one after the contracts will all have been created (estimated from a warm-up batch).
 *
 *   1. Warm-up: a few contracts (ratable next month, UTC: they stay open, waiting) → creation rate,
 *      from which the midnight is chosen.
 *   2. Creation through the gateway (`--creators` concurrent callers), with progress; then settle:
 *      every contract's effects at creation (its revenue plan) are done.
 *   3. Idle: RSS of every process and their CPU while nothing but timers is pending.
 *   4. Worker restart ~90 s before the midnight (SIGTERM, start): time until it polls again; its
 *      cache is empty, so at midnight every workflow replays from its history.
 *   5. Down over the midnight: the worker is stopped 20 s before the midnight and started 10 s after
 *      it (`--worker-up`: skipped, the worker is up at the midnight).
 *   6. The midnight: journal entries posted on D counted in the revenue store every second or two,
 *      until every contract's ratable posting is booked; then the exact timeline from the entries'
 *      `createdAt`, and one contract's history (timer fired → workflow task → posting).
 *
 * Options: --contracts N (20000) | --quick (200 contracts; the nearest midnight at least ~2 min away)
 * | --keep (keep the stack's logs and databases) | --creators C (12) | --assume-rate R (contracts/s to plan the midnight with; default: the warm-up's) | --worker-up | --bill-at-signing (each contract's fee invoiced at creation:
 * 3 more activities per contract) | --drain-timeout S.
 * Results: bench/results/idle-<date>[-quick|-N][-worker-up].{md,json}. Nothing asserts a time.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection as TemporalConnection } from '@temporalio/client';
import type { Connection } from 'mongoose';
import { startChaosStack, type ChaosStack } from '../deploy/chaos/stack';
import { pct } from '../deploy/chaos/metrics';
import { addDays, dateInZone, lastDayOfMonth, startOfDayInZone } from '../libs/dates';
import { createLogger } from '../libs/logger';
import { connectDatabase, databaseName } from '../libs/mongo';
import { entryRepository } from '../services/revenue/data/entries';
import { planRepository } from '../services/revenue/data/plans';
import { optionValue } from './args';
import { machineFacts } from './grow';
import { cpuSeconds, machineTicks, rssMiB } from './load';

// ---------------------------------------------------------------------------------------------
// Options

interface Options {
  contracts: number;
  quick: boolean;
  creators: number;
  workerUp: boolean;
  billAtSigning: boolean;
  /** Contracts/s (effects at creation included) to plan the midnight with, instead of the warm-up's. */
  assumeRate?: number;
  /** Seconds to wait for every posting after the midnight. */
  drainTimeoutS: number;
  /** The worker restart, seconds before the midnight. */
  restartBeforeS: number;
  /** Down over the midnight: stopped this many seconds before it, started this many after. */
  downBeforeS: number;
  downAfterS: number;
  /** Idle sampling window (s). */
  idleS: number;
  /** Keep the stack's temporary directory (component logs, databases). */
  keep: boolean;
}

const DEFAULT_CONTRACTS = 20_000;

function parseOptions(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const num = (name: string, fallback: number) => {
    const raw = optionValue(argv, name);
    if (raw === undefined) return fallback;
    const n = Number(raw.replace(/_/g, '').replace(/k$/i, '000'));
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number (got ${raw})`);
    return n;
  };
  const contracts = num('--contracts', quick ? 200 : DEFAULT_CONTRACTS);
  if (contracts < 20) throw new Error('--contracts: at least 20');
  return {
    contracts,
    quick,
    creators: num('--creators', 12),
    workerUp: argv.includes('--worker-up'),
    billAtSigning: argv.includes('--bill-at-signing'),
    assumeRate: optionValue(argv, '--assume-rate') === undefined ? undefined : num('--assume-rate', 1),
    drainTimeoutS: num('--drain-timeout', Math.max(600, Math.ceil(contracts / 4))),
    restartBeforeS: 90,
    downBeforeS: 20,
    downAfterS: 10,
    idleS: quick ? 10 : 30,
    keep: argv.includes('--keep'),
  };
}

// ---------------------------------------------------------------------------------------------
// Small helpers

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (v: number | undefined, digits = 0) => (v === undefined || !Number.isFinite(v) ? undefined : Number(v.toFixed(digits)));
const n0 = (v: number) => Math.round(v).toLocaleString('en-US');
const iso = (ms: number | undefined) => (ms === undefined ? '—' : new Date(ms).toISOString());

function dur(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  const neg = ms < 0;
  const s = Math.abs(ms) / 1000;
  const body = s < 60 ? `${s.toFixed(1)}s` : s < 3600 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return neg ? `-${body}` : body;
}

const say = (line: string) => process.stdout.write(`${line}\n`);
const stamp = () => new Date().toISOString().slice(11, 19);
const progress = (line: string) => say(`[${stamp()}] ${line}`);

// ---------------------------------------------------------------------------------------------
// The midnight: a zone whose 00:00 of tomorrow falls at the wanted instant

/**
 * Zones at every whole-hour offset (Etc/GMT-14 is UTC+14, Etc/GMT+12 is UTC-12) and the ones at
 * :30 and :45 (some with daylight saving time: computed with Intl at the instant, like the workflow).
 */
const ZONES = [
  ...Array.from({ length: 27 }, (_, i) => 14 - i).map((h) => (h === 0 ? 'Etc/UTC' : `Etc/GMT${h > 0 ? '-' : '+'}${Math.abs(h)}`)),
  'Asia/Tehran', 'Asia/Kabul', 'Asia/Kolkata', 'Asia/Kathmandu', 'Asia/Yangon', 'Australia/Eucla', 'Australia/Darwin',
  'Australia/Adelaide', 'Australia/Lord_Howe', 'Pacific/Chatham', 'Pacific/Marquesas', 'America/St_Johns',
];

interface Midnight {
  zone: string;
  /** Today in the zone (the contracts' start and signing date). */
  today: string;
  /** Tomorrow in the zone: the ratable end date, whose timer fires at `at`. */
  date: string;
  /** 00:00 of `date` in `zone` (ms since epoch). */
  at: number;
  /** Today is the month's last day in the zone: a month-end timer for today fires at creation. */
  monthEndToday: boolean;
}

/** Every zone's next midnight after `now`, soonest first. */
export function upcomingMidnights(now: number): Midnight[] {
  const out: Midnight[] = [];
  for (const zone of ZONES) {
    let today: string;
    try {
      today = dateInZone(now, zone);
    } catch {
      continue; // a zone this runtime's Intl does not know
    }
    const date = addDays(today, 1);
    out.push({ zone, today, date, at: startOfDayInZone(date, zone), monthEndToday: lastDayOfMonth(today) === today });
  }
  return out.sort((a, b) => a.at - b.at);
}

/** The first midnight at or after `notBefore`. */
function pickMidnight(notBefore: number): Midnight {
  const m = upcomingMidnights(Date.now()).find((x) => x.at >= notBefore);
  if (!m) throw new Error(`no zone has a midnight after ${iso(notBefore)} within a day`);
  return m;
}

// ---------------------------------------------------------------------------------------------
// Contracts

const FEE = '1200.00';

/**
 * A real-books contract: one ratable obligation [start, end] and one fee milestone carrying the
 * price (event-triggered and never completed, so nothing is billed unless `billAtSigning`: then it
 * is date-triggered on the start date and invoiced at creation).
 */
function terms(contractId: string, zone: string, start: string, end: string, billAtSigning: boolean) {
  return {
    contractId,
    customer: { id: `idle-cust-${contractId.length % 10}`, name: 'Idle Customer' },
    currency: 'USD',
    signedDate: start,
    paymentTerms: 'NET_30',
    timezone: zone,
    obligations: [{ id: 'support', name: 'Support', ssp: FEE, recognition: { method: 'ratable', startDate: start, endDate: end } }],
    milestones: [{
      id: 'fee', name: 'Fee', description: 'Support fee', obligationId: 'support', amount: FEE, sequence: 1,
      trigger: billAtSigning ? { type: 'date', date: start } : { type: 'event', completion: 'external_event' },
    }],
  };
}

class Creator {
  readonly errors: string[] = [];
  retries = 0;
  created = 0;
  readonly headers: Record<string, string>;

  constructor(readonly stack: ChaosStack) {
    this.headers = { authorization: `Bearer ${stack.keys.admin}`, 'content-type': 'application/json' };
  }

  /** Creates one contract; true when it exists afterwards (a retried start answered `duplicate_contract` counts). */
  async create(body: ReturnType<typeof terms>): Promise<boolean> {
    for (let attempt = 1; attempt <= 6; attempt += 1) {
      try {
        const res = await fetch(`${this.stack.urls.gateway}/contracts`, {
          method: 'POST', headers: this.headers, body: JSON.stringify(body), signal: AbortSignal.timeout(60_000),
        });
        const text = await res.text();
        if (res.status === 201 || (res.status === 409 && attempt > 1 && text.includes('duplicate_contract'))) {
          this.created += 1;
          return true;
        }
        if (res.status !== 503 && res.status !== 429 && res.status < 500) {
          this.errors.push(`POST /contracts ${body.contractId}: ${res.status} ${text.slice(0, 300)}`);
          return false;
        }
        this.retries += 1;
        await sleep(Number(res.headers.get('retry-after') ?? 1) * 1000);
      } catch (err) {
        this.retries += 1;
        if (attempt === 6) {
          this.errors.push(`POST /contracts ${body.contractId}: ${(err as Error).message}`);
          return false;
        }
        await sleep(1000);
      }
    }
    this.errors.push(`POST /contracts ${body.contractId}: still refused after 6 attempts`);
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// The revenue store, read with the service's own models (indexed lookups only)

interface Revenue {
  conn: Connection;
  /** Whether the contract's effects at creation are done (its plan; its invoice's / today's entry when there is one). */
  settled(contractId: string, needSources: string[]): Promise<boolean>;
  /** Revenue plans of ledger `books` (the index {ledger, contractId, version}, leading field). */
  countPlans(): Promise<number>;
  /** Journal entries posted on `date` (ledger `books`): the index {ledger, postingDate}. */
  countPostedOn(date: string, sourceTypes?: string[]): Promise<number>;
  postedOn(date: string): Promise<Array<{ contractId: string; createdAt: string; source: { type: string; ref: string }; revenue: string; journal?: boolean }>>;
  close(): Promise<void>;
}

async function openRevenue(stack: ChaosStack): Promise<Revenue> {
  const logger = createLogger('bench-idle', 'error');
  const conn = await connectDatabase({ url: stack.mongoUrl, dbName: databaseName('chaos', 'revenue'), logger });
  entryRepository(conn);
  planRepository(conn);
  const Entries = conn.models.JournalEntry!;
  const Plans = conn.models.RevenuePlan!;
  return {
    conn,
    async settled(contractId, needSources) {
      if (needSources.length === 0) return (await Plans.exists({ ledger: 'books', contractId })) !== null;
      const entries = await Entries.find({ ledger: 'books', contractId }, { source: 1 }).lean<Array<{ source: { type: string } }>>();
      return needSources.every((s) => entries.some((e) => e.source?.type === s));
    },
    countPlans: () => Plans.countDocuments({ ledger: 'books' }),
    countPostedOn: (date, sourceTypes) => Entries.countDocuments({ ledger: 'books', postingDate: date, ...(sourceTypes ? { 'source.type': { $in: sourceTypes } } : {}) }),
    postedOn: (date) => Entries.find({ ledger: 'books', postingDate: date }, { contractId: 1, createdAt: 1, source: 1, revenue: 1, journal: 1 }).lean(),
    close: () => conn.close(),
  };
}

/**
 * About how many contracts have settled, for progress lines: the worker takes new contracts roughly
 * in creation order, so this gallops forward over the contracts in creation order while the probed
 * one (one indexed lookup) is settled, for at most `budgetMs`. An estimate; the settle check itself counts.
 */
class SettleCursor {
  next = 0;
  constructor(readonly revenue: Revenue, readonly ids: string[], readonly needSources: string[]) {}

  async advance(upTo: number, budgetMs: number): Promise<number> {
    const until = Date.now() + budgetMs;
    let step = 1;
    while (this.next < upTo && Date.now() < until) {
      const probe = Math.min(upTo - 1, this.next + step - 1);
      if (await this.revenue.settled(this.ids[probe]!, this.needSources)) {
        this.next = probe + 1;
        step *= 2;
      } else if (step > 1) step = 1;
      else break;
    }
    return this.next;
  }
}

// ---------------------------------------------------------------------------------------------
// Process figures

type ByProcess = Record<string, number>;

function rssAll(stack: ChaosStack): ByProcess {
  const out: ByProcess = {};
  for (const [name, pid] of Object.entries(stack.pids())) {
    const r = rssMiB(pid);
    if (r !== undefined) out[name] = round(r, 0)!;
  }
  return out;
}

interface CpuMark { at: number; cpu: ByProcess; machine: { busy: number; total: number } }

function cpuMark(stack: ChaosStack): CpuMark {
  const cpu: ByProcess = {};
  for (const [name, pid] of Object.entries(stack.pids())) {
    const s = cpuSeconds(pid);
    if (s !== undefined) cpu[name] = s;
  }
  return { at: Date.now(), cpu, machine: machineTicks() };
}

/** Per process: share of one core used between two marks (processes restarted in between are left out); and the machine's busy share (all cores). */
function cpuBetween(a: CpuMark, b: CpuMark): { coreShare: ByProcess; machineBusy: number } {
  const secs = Math.max(1e-3, (b.at - a.at) / 1000);
  const coreShare: ByProcess = {};
  for (const k of Object.keys(b.cpu)) {
    const d = b.cpu[k]! - (a.cpu[k] ?? NaN);
    if (Number.isFinite(d) && d >= 0) coreShare[k] = round(d / secs, 3)!;
  }
  const machineBusy = (b.machine.busy - a.machine.busy) / Math.max(1, b.machine.total - a.machine.total);
  return { coreShare, machineBusy: round(machineBusy, 2)! };
}

// ---------------------------------------------------------------------------------------------
// Temporal: one contract's history around the midnight

interface TimerTrace {
  contractId: string;
  timerFiredAt?: string;
  workflowTaskStartedAt?: string;
  /** The posting's activity completed (or its local-activity marker recorded). */
  postingDoneAt?: string;
  historyEvents: number;
}

async function traceTimer(stack: ChaosStack, contractId: string, midnight: number): Promise<TimerTrace | undefined> {
  const connection = await TemporalConnection.connect({ address: stack.temporalAddress });
  try {
    const events: Array<{ eventTime?: { seconds?: unknown; nanos?: number | null } | null; eventType?: number | null }> = [];
    let token: Uint8Array | undefined;
    do {
      const res = await connection.workflowService.getWorkflowExecutionHistory({
        namespace: 'default', execution: { workflowId: `contract-${contractId}` }, nextPageToken: token, maximumPageSize: 1000,
      });
      events.push(...(res.history?.events ?? []));
      token = res.nextPageToken && res.nextPageToken.length > 0 ? res.nextPageToken : undefined;
    } while (token);
    const ms = (e: (typeof events)[number]) => Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
    // Event types (temporal.api.enums.v1.EventType): 6 WorkflowTaskStarted, 12 ActivityTaskCompleted, 18 TimerFired,
    // 25 MarkerRecorded (a local activity's result).
    const after = (types: number[], from: number) => events.find((e) => types.includes(e.eventType ?? -1) && ms(e) >= from);
    const fired = after([18], midnight - 1000);
    const from = fired ? ms(fired) : midnight;
    const wft = after([6], from);
    const done = after([12, 25], from);
    const at = (e: (typeof events)[number] | undefined) => (e ? new Date(ms(e)).toISOString() : undefined);
    return { contractId, timerFiredAt: at(fired), workflowTaskStartedAt: at(wft), postingDoneAt: at(done), historyEvents: events.length };
  } catch (err) {
    say(`(history of ${contractId} not read: ${(err as Error).message})`);
    return undefined;
  } finally {
    await connection.close();
  }
}

// ---------------------------------------------------------------------------------------------

/** Fails when a process of the stack that should be running has exited (a long wait must not end in a confusing error). */
function checkAlive(stack: ChaosStack, names: string[]): void {
  const pids = stack.pids();
  for (const name of names) {
    const pid = pids[name];
    if (pid === undefined || !existsSync(`/proc/${pid}`)) {
      throw new Error(`${name}${pid ? ` (pid ${pid})` : ''} is no longer running (${new Date().toISOString()})${stack.tmp ? `; its log: ${stack.tmp}/logs (kept with --keep)` : ''}`);
    }
  }
}

const ALWAYS_UP = ['temporal', 'ferretdb', 'revenue', 'invoicing', 'ar', 'gateway'];

/** Waits until `at` (ms since epoch), printing a countdown every `everyMs`; checks every few seconds that the stack is still there. */
async function waitUntil(at: number, what: string, stack: ChaosStack, everyMs = 30_000): Promise<void> {
  let lastSaid = 0;
  let lastCheck = 0;
  for (;;) {
    const left = at - Date.now();
    if (Date.now() - lastCheck >= 5_000) {
      checkAlive(stack, stack.isUp('worker-1') ? [...ALWAYS_UP, 'worker-1'] : ALWAYS_UP);
      lastCheck = Date.now();
    }
    if (left <= 0) return;
    if (Date.now() - lastSaid >= everyMs && left > 5_000) {
      progress(`waiting: ${what} in ${dur(left)} (${iso(at)})`);
      lastSaid = Date.now();
    }
    await sleep(Math.min(left, 1_000));
  }
}

interface CreationResult {
  requested: number;
  created: number;
  apiSeconds: number;
  apiPerSecond: number;
  settledSeconds?: number;
  settledPerSecond?: number;
  stoppedAtDeadline: boolean;
  retries: number;
  errors: number;
}

/**
 * Creates `ids` through the gateway, `creators` at a time, printing progress every 5 s; stops
 * starting new ones at `deadline`. Then waits (until `settleDeadline`) for their effects at creation.
 */
async function createAll(
  creator: Creator, revenue: Revenue, ids: string[], make: (id: string) => ReturnType<typeof terms>, o: Options,
  needSources: string[], settle: { count: () => Promise<number>; before: number }, deadline: number, settleDeadline: number, label: string, midnightAt?: number,
): Promise<CreationResult & { createdIds: string[] }> {
  const started = Date.now();
  const errorsBefore = creator.errors.length;
  const retriesBefore = creator.retries;
  const ok: boolean[] = new Array(ids.length).fill(false);
  let next = 0;
  let done = 0;
  let stoppedAtDeadline = false;
  const cursor = new SettleCursor(revenue, ids, needSources);
  let creating = true;
  const reporter = (async () => {
    let lastDone = 0;
    let lastAt = started;
    while (creating) {
      for (let k = 0; k < 20 && creating; k += 1) await sleep(250);
      if (!creating) break;
      const now = Date.now();
      await cursor.advance(done, 300);
      const recent = ((done - lastDone) * 1000) / Math.max(1, now - lastAt);
      const avg = (done * 1000) / Math.max(1, now - started);
      const eta = avg > 0 ? ((ids.length - done) / avg) * 1000 : undefined;
      progress(`${label}: created ${n0(done)}/${n0(ids.length)} (${((done / ids.length) * 100).toFixed(0)}%), ${recent.toFixed(1)}/s now, ${avg.toFixed(1)}/s avg, ` +
        `settled ≥ ${n0(cursor.next)}, ETA ${dur(eta)}${midnightAt ? `, midnight in ${dur(midnightAt - now)}` : ''}`);
      [lastDone, lastAt] = [done, now];
    }
  })();
  await Promise.all(Array.from({ length: Math.min(o.creators, ids.length) }, async () => {
    while (next < ids.length) {
      if (Date.now() >= deadline) {
        stoppedAtDeadline = true;
        return;
      }
      const i = next++;
      ok[i] = await creator.create(make(ids[i]!));
      done += 1;
    }
  }));
  const apiEnd = Date.now();
  creating = false;
  await reporter;
  const createdIds = ids.filter((_, i) => ok[i]);
  // Settle: every created contract's effects at creation done, counted in the revenue store.
  const target = createdIds.length * Math.max(1, needSources.length);
  let lastSaid = Date.now();
  let settledAt: number | undefined;
  while (Date.now() < settleDeadline) {
    const n = (await settle.count()) - settle.before;
    if (n >= target) {
      settledAt = Date.now();
      break;
    }
    if (Date.now() - lastSaid >= 5_000) {
      progress(`${label}: settling, ${n0(n / Math.max(1, needSources.length))}/${n0(createdIds.length)} contracts' effects at creation done`);
      lastSaid = Date.now();
    }
    await sleep(1_000);
  }
  const apiSeconds = (apiEnd - started) / 1000;
  const settledSeconds = settledAt ? (settledAt - started) / 1000 : undefined;
  return {
    requested: ids.length, created: createdIds.length, createdIds, apiSeconds: round(apiSeconds, 1)!, apiPerSecond: round(createdIds.length / apiSeconds, 1)!,
    settledSeconds: round(settledSeconds, 1), settledPerSecond: settledSeconds ? round(createdIds.length / settledSeconds, 1) : undefined,
    stoppedAtDeadline, retries: creator.retries - retriesBefore, errors: creator.errors.length - errorsBefore,
  };
}

// ---------------------------------------------------------------------------------------------

export async function runIdle(argv: string[]): Promise<void> {
  const o = parseOptions(argv);
  const facts = machineFacts();
  const run = Math.random().toString(36).slice(2, 7);
  const startedAt = new Date().toISOString();
  const t0 = Date.now();
  say(`idle: ${n0(o.contracts)} contracts, ${o.creators} creators; ${o.workerUp ? 'worker restarted before the midnight, up at it' : `worker restarted before the midnight, then down from ${o.downBeforeS} s before it to ${o.downAfterS} s after`}` +
    `${o.billAtSigning ? '; fee invoiced at signing' : ''}`);
  say(`machine: ${facts.nproc} × ${facts.cpuModel}, ${facts.totalMemoryGiB} GiB, node ${facts.node}, ferretdb ${facts.ferretdb}; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const stack = await startChaosStack({ logLevel: 'warn', retryAfterSeconds: 1, shutdownGraceMs: 5_000, workers: 1, keep: o.keep }, say);
  const stackSeconds = (Date.now() - t0) / 1000;
  say(`stack up in ${stackSeconds.toFixed(1)} s${o.keep ? `; logs and databases kept in ${stack.tmp}` : ''}`);
  const creator = new Creator(stack);
  let revenue: Revenue | undefined;
  const rss: Record<string, ByProcess> = { started: rssAll(stack) };
  const result: Record<string, unknown> = {};
  const notes: string[] = [];
  let failed = false;
  try {
    revenue = await openRevenue(stack);

    // 1. Warm-up: contracts whose ratable revenue starts the month after next (UTC), so nothing of theirs falls due during the run.
    const warmN = Math.max(20, Math.min(200, Math.round(o.contracts * 0.02)));
    const todayUtc = dateInZone(Date.now(), 'UTC');
    const farStart = addDays(lastDayOfMonth(addDays(lastDayOfMonth(todayUtc), 1)), 1);
    const farEnd = lastDayOfMonth(farStart);
    const make = (id: string) => terms(id, 'UTC', farStart, farEnd, false);
    // A few first, untimed: JIT, connections, the worker's first tasks.
    const pre = await createAll(creator, revenue, Array.from({ length: 12 }, (_, i) => `idle-${run}-p${i}`), make, o, [], { count: revenue.countPlans, before: 0 },
      Date.now() + 600_000, Date.now() + 600_000, 'pre-warm');
    const warmIds = Array.from({ length: warmN }, (_, i) => `idle-${run}-w${i}`);
    const warm = await createAll(creator, revenue, warmIds, make, o, [], { count: revenue.countPlans, before: pre.created },
      Date.now() + 600_000, Date.now() + 600_000, 'warm-up');
    if (!warm.settledPerSecond) throw new Error(`the warm-up contracts did not settle: ${creator.errors.slice(0, 3).join('; ')}`);
    say(`warm-up: ${warm.created} contracts in ${warm.apiSeconds} s through the API (${warm.apiPerSecond}/s), effects done after ${warm.settledSeconds} s (${warm.settledPerSecond}/s)`);
    result.warmUp = { ...warm, createdIds: undefined, preWarm: pre.created, ratable: { zone: 'UTC', start: farStart, end: farEnd } };

    // 2. The midnight: the first one after the batch will have been created and settled, the idle
    // sample taken and the worker restarted.
    const batch = o.contracts - warm.created - pre.created;
    // Creation of a large batch runs at least at the warm-up's settled rate (effects included); the factor covers a slower tail.
    const planRate = o.assumeRate ?? warm.settledPerSecond;
    const estCreateMs = (batch / planRate) * 1000 * 1.25;
    const leadMs = (o.restartBeforeS + o.idleS + 45) * 1000 + (o.quick ? 0 : 30_000);
    const midnight = pickMidnight(Date.now() + estCreateMs + leadMs);
    const ratableSources = ['ratable_month'];
    const needSources = [...(o.billAtSigning ? ['milestone'] : []), ...(midnight.monthEndToday ? ratableSources : [])];
    say(`midnight: 00:00 of ${midnight.date} in ${midnight.zone} = ${iso(midnight.at)}, in ${dur(midnight.at - Date.now())} ` +
      `(creation of ${n0(batch)} estimated at ${dur(estCreateMs)} from ${planRate}/s${o.assumeRate ? ' (--assume-rate)' : ''}; contracts: ratable ${midnight.today} … ${midnight.date} in ${midnight.zone})` +
      `${midnight.monthEndToday ? `; ${midnight.today} is the month's last day there: a month-end posting for it fires at each creation too` : ''}`);
    result.midnight = { ...midnight, atIso: iso(midnight.at) };

    // 3. Creation; new contracts stop in time for the restart (a contract created after the midnight
    // would be dated the next day and its timer fire at once).
    const ids = Array.from({ length: batch }, (_, i) => `idle-${run}-${i}`);
    const createDeadline = midnight.at - (o.restartBeforeS + 30) * 1000;
    const rev = revenue;
    const settleCount = needSources.length
      ? { count: () => rev.countPostedOn(midnight.today, needSources), before: await rev.countPostedOn(midnight.today, needSources) }
      : { count: rev.countPlans, before: await rev.countPlans() };
    const creation = await createAll(creator, revenue, ids, (id) => terms(id, midnight.zone, midnight.today, midnight.date, o.billAtSigning), o,
      needSources, settleCount, createDeadline, createDeadline + 20_000, 'create', midnight.at);
    const batchIds = creation.createdIds;
    say(`created ${n0(creation.created)}/${n0(batch)} through the API in ${dur(creation.apiSeconds * 1000)} (${creation.apiPerSecond}/s); ` +
      `effects done after ${dur((creation.settledSeconds ?? NaN) * 1000)} (${creation.settledPerSecond ?? '—'}/s); ${creation.retries} retried, ${creation.errors} failed`);
    if (creation.stoppedAtDeadline) {
      notes.push(`Creation did not finish before the midnight: ${n0(creation.created)} of ${n0(batch)} contracts were created by ${iso(createDeadline)} (${o.restartBeforeS + 30} s before it); the rest were not created. The midnight figures are for those created.`);
      say(`creation stopped at its deadline: ${n0(creation.created)} of ${n0(batch)} created`);
    }
    if (creation.settledSeconds === undefined) notes.push('Not every contract\'s effects at creation were done by the settle deadline: the idle figures include that backlog.');
    result.creation = { ...creation, createdIds: undefined };
    const openContracts = pre.created + warm.created + creation.created;

    // 4. Idle: nothing but timers pending.
    await sleep(3_000);
    const idleA = cpuMark(stack);
    await sleep(o.idleS * 1000);
    const idleB = cpuMark(stack);
    rss.idle = rssAll(stack);
    const idleCpu = cpuBetween(idleA, idleB);
    say(`idle (${n0(openContracts)} open contracts waiting on timers): RSS MiB ${Object.entries(rss.idle).map(([k, v]) => `${k} ${v}`).join(', ')}; ` +
      `machine busy ${(idleCpu.machineBusy * 100).toFixed(0)}% (other work on the machine included)`);
    result.idle = { openContracts, seconds: o.idleS, rssMiB: rss.idle, cpu: idleCpu };

    // 5. Worker restart before the midnight: graceful stop, start, until Temporal lists it polling.
    await waitUntil(midnight.at - o.restartBeforeS * 1000, 'the worker restart', stack);
    const restartAt = Date.now();
    await stack.terminate('worker-1');
    const stopMs = Date.now() - restartAt;
    const startMs = await stack.start('worker-1');
    rss.afterRestart = rssAll(stack);
    const restart = { atBeforeMidnightS: round((midnight.at - restartAt) / 1000, 1), stopMs, startToPollingMs: startMs, workerRssMiB: rss.afterRestart['worker-1'] };
    say(`worker restart ${restart.atBeforeMidnightS} s before the midnight: stopped in ${dur(stopMs)}, polling again ${dur(startMs)} after its start; RSS ${restart.workerRssMiB} MiB (empty cache)`);
    result.restart = restart;

    // 6. Down over the midnight.
    let down: { stoppedBeforeMidnightS: number; startedAfterMidnightS: number; readyAfterMidnightMs: number; startToPollingMs: number } | undefined;
    let readyAt: number;
    if (!o.workerUp) {
      await waitUntil(midnight.at - o.downBeforeS * 1000, 'the worker stop', stack);
      const stoppedAt = Date.now();
      await stack.terminate('worker-1');
      await waitUntil(midnight.at + o.downAfterS * 1000, 'the worker start', stack);
      const startedAtMs = Date.now();
      const ms = await stack.start('worker-1');
      readyAt = startedAtMs + ms;
      down = {
        stoppedBeforeMidnightS: round((midnight.at - stoppedAt) / 1000, 1)!, startedAfterMidnightS: round((startedAtMs - midnight.at) / 1000, 1)!,
        readyAfterMidnightMs: readyAt - midnight.at, startToPollingMs: ms,
      };
      say(`worker down from ${down.stoppedBeforeMidnightS} s before the midnight; started ${down.startedAfterMidnightS} s after it, polling ${dur(ms)} later (${dur(down.readyAfterMidnightMs)} after the midnight)`);
    } else {
      await waitUntil(midnight.at, 'the midnight', stack, 15_000);
      // Up since the restart: "after the worker was ready" is then "after the midnight".
      readyAt = Math.max(midnight.at, stack.components.get('worker-1')!.readyAt!);
    }
    result.down = down;

    // 7. The midnight: count the postings on D until all are booked.
    const expected = batchIds.length;
    const drainA = cpuMark(stack);
    const samples: Array<{ atMs: number; booked: number; countMs: number }> = [];
    const peakRss: ByProcess = {};
    let lastSaid = 0;
    let booked = 0;
    const drainDeadline = midnight.at + o.drainTimeoutS * 1000;
    if (Date.now() < midnight.at) await sleep(midnight.at - Date.now());
    while (Date.now() < drainDeadline) {
      const t = Date.now();
      booked = await revenue.countPostedOn(midnight.date);
      const countMs = Date.now() - t;
      samples.push({ atMs: t - midnight.at, booked, countMs });
      for (const [k, v] of Object.entries(rssAll(stack))) peakRss[k] = Math.max(peakRss[k] ?? 0, v);
      if (booked >= expected) break;
      checkAlive(stack, [...ALWAYS_UP, 'worker-1']);
      if (Date.now() - lastSaid >= 5_000) {
        const prev = samples.find((s) => s.atMs >= t - midnight.at - 10_000) ?? samples[0]!;
        const rate = ((booked - prev.booked) * 1000) / Math.max(1, t - midnight.at - prev.atMs);
        progress(`midnight +${dur(t - midnight.at)}: booked ${n0(booked)}/${n0(expected)} (${((booked / Math.max(1, expected)) * 100).toFixed(0)}%), ${rate.toFixed(1)}/s, ` +
          `ETA ${rate > 0 ? dur(((expected - booked) / rate) * 1000) : '—'}; worker RSS ${peakRss['worker-1'] ?? '—'} MiB peak`);
        lastSaid = Date.now();
      }
      await sleep(Math.max(1_000, 4 * countMs));
    }
    const drainB = cpuMark(stack);
    rss.afterDrain = rssAll(stack);
    rss.peakDuringDrain = peakRss;

    // The exact timeline from the entries themselves.
    const entries = await revenue.postedOn(midnight.date);
    const ratable = entries.filter((e) => e.source?.type === 'ratable_month');
    const batchSet = new Set(batchIds);
    const perContract = new Map<string, number>();
    for (const e of ratable) perContract.set(e.contractId, (perContract.get(e.contractId) ?? 0) + 1);
    const ofBatch = ratable.filter((e) => batchSet.has(e.contractId));
    const missing = batchIds.filter((id) => !perContract.has(id)).length;
    const duplicates = [...perContract.values()].filter((c) => c > 1).length;
    const expectedRevenue = midnight.monthEndToday ? '600.00' : FEE;
    const wrongAmount = ofBatch.filter((e) => e.revenue !== expectedRevenue).length;
    const times = ofBatch.map((e) => Date.parse(e.createdAt) - midnight.at).sort((a, b) => a - b);
    const first = times[0];
    const last = times.at(-1);
    const perSecond: number[] = [];
    for (const t of times) {
      const s = Math.max(0, Math.floor(t / 1000));
      perSecond[s] = (perSecond[s] ?? 0) + 1;
    }
    const busySeconds = perSecond.filter((x) => x !== undefined);
    const allBooked = missing === 0 && last !== undefined;
    const firstTrace = ofBatch.length ? await traceTimer(stack, ofBatch.reduce((a, b) => (a.createdAt <= b.createdAt ? a : b)).contractId, midnight.at) : undefined;
    const drainCpu = cpuBetween(drainA, drainB);
    const midnightResult = {
      expected, booked: ofBatch.length, missing, duplicates, wrongAmount, expectedRevenuePerContract: expectedRevenue,
      otherEntriesOnDate: entries.length - ratable.length,
      firstBookedAfterMidnightMs: first, allBookedAfterMidnightMs: allBooked ? last : undefined,
      firstBookedAfterWorkerReadyMs: first === undefined ? undefined : first - (readyAt - midnight.at),
      allBookedAfterWorkerReadyMs: allBooked ? last! - (readyAt - midnight.at) : undefined,
      p50AfterMidnightMs: pct(times, 0.5), p99AfterMidnightMs: pct(times, 0.99),
      bookedPerSecondOverall: first !== undefined && last !== undefined && last > first ? round((ofBatch.length * 1000) / (last - first), 1) : undefined,
      bookedPerSecondPeak: busySeconds.length ? Math.max(...busySeconds) : undefined,
      bookedPerSecondMedian: busySeconds.length ? pct(busySeconds, 0.5) : undefined,
      samples: samples.length, countMsMedian: pct(samples.map((s) => s.countMs), 0.5), countMsMax: pct(samples.map((s) => s.countMs), 1),
      firstTimer: firstTrace,
      cpu: drainCpu,
      cpuMsPerPosting: Object.fromEntries(Object.entries(drainCpu.coreShare).map(([k, v]) => [k, round((v * (drainB.at - drainA.at)) / Math.max(1, ofBatch.length), 1)])),
      timeline: samples.map((s) => [round(s.atMs / 1000, 1), s.booked]),
    };
    result.midnightRun = midnightResult;
    if (!allBooked) failed = true;
    say(`midnight: ${n0(ofBatch.length)}/${n0(expected)} ratable postings booked; first ${dur(first)} after the midnight (${dur(midnightResult.firstBookedAfterWorkerReadyMs)} after the worker was ready), ` +
      `all ${allBooked ? `${dur(last)} after the midnight` : `NOT booked within ${o.drainTimeoutS} s (${missing} missing)`}; ` +
      `${midnightResult.bookedPerSecondOverall ?? '—'}/s overall, peak ${midnightResult.bookedPerSecondPeak ?? '—'}/s; ${duplicates} duplicates, ${wrongAmount} wrong amounts`);
    if (duplicates || wrongAmount) failed = true;
  } catch (err) {
    failed = true;
    notes.push(`The run failed: ${(err as Error).message}`);
    process.stderr.write(`idle: ${(err as Error).stack}\n`);
  } finally {
    await revenue?.close().catch(() => undefined);
    await stack.stop();
  }

  // ---- report
  const totalSeconds = (Date.now() - t0) / 1000;
  const w = result.warmUp as (CreationResult & { ratable: { start: string; end: string } }) | undefined;
  const m = result.midnight as (Midnight & { atIso: string }) | undefined;
  const c = result.creation as CreationResult | undefined;
  const idle = result.idle as { openContracts: number; seconds: number; rssMiB: ByProcess; cpu: { coreShare: ByProcess; machineBusy: number } } | undefined;
  const r = result.restart as { atBeforeMidnightS?: number; stopMs: number; startToPollingMs: number; workerRssMiB?: number } | undefined;
  const d = result.down as { stoppedBeforeMidnightS: number; startedAfterMidnightS: number; readyAfterMidnightMs: number; startToPollingMs: number } | undefined;
  const mr = result.midnightRun as Record<string, any> | undefined;
  const procs = [...new Set(Object.values(rss).flatMap((x) => Object.keys(x)))];
  const rows: Array<[string, string]> = [
    ['open contracts waiting on timers (idle)', idle ? n0(idle.openContracts) : '—'],
    ['contracts whose timer falls due at the midnight', c ? n0(c.created) : '—'],
    ['creation through the API: contracts/s', c ? `${c.apiPerSecond} (${dur(c.apiSeconds * 1000)} for ${n0(c.created)})` : '—'],
    ['creation incl. effects at creation (plan registered): contracts/s', c?.settledPerSecond ? `${c.settledPerSecond} (${dur(c.settledSeconds! * 1000)})` : '—'],
    ['worker RSS MiB: started / idle / after restart / peak at midnight / after', ['started', 'idle', 'afterRestart', 'peakDuringDrain', 'afterDrain'].map((k) => rss[k]?.['worker-1'] ?? '—').join(' / ')],
    ['Temporal RSS MiB: started / idle / peak at midnight', ['started', 'idle', 'peakDuringDrain'].map((k) => rss[k]?.temporal ?? '—').join(' / ')],
    ['idle CPU (share of one core): worker / temporal / ferretdb', idle ? ['worker-1', 'temporal', 'ferretdb'].map((k) => idle.cpu.coreShare[k]?.toFixed(3) ?? '—').join(' / ') : '—'],
    ['worker restart before the midnight: stop / start → polling', r ? `${dur(r.stopMs)} / ${dur(r.startToPollingMs)} (${r.atBeforeMidnightS} s before)` : '—'],
    ...(d ? [['worker down over the midnight: stopped before / polling again after the midnight', `${d.stoppedBeforeMidnightS} s / ${dur(d.readyAfterMidnightMs)} (start → polling ${dur(d.startToPollingMs)})`] as [string, string]] : []),
    ['first posting booked: after the midnight / after the worker was ready', mr ? `${dur(mr.firstBookedAfterMidnightMs)} / ${dur(mr.firstBookedAfterWorkerReadyMs)}` : '—'],
    ['all postings booked: after the midnight / after the worker was ready', mr ? `${dur(mr.allBookedAfterMidnightMs)} / ${dur(mr.allBookedAfterWorkerReadyMs)}` : '—'],
    ['p50 / p99 posting after the midnight', mr ? `${dur(mr.p50AfterMidnightMs)} / ${dur(mr.p99AfterMidnightMs)}` : '—'],
    ['postings booked/s: overall (first → last) / median second / peak second', mr ? `${mr.bookedPerSecondOverall ?? '—'} / ${mr.bookedPerSecondMedian ?? '—'} / ${mr.bookedPerSecondPeak ?? '—'}` : '—'],
    ['postings booked / expected; missing, duplicates, wrong amounts', mr ? `${n0(mr.booked)} / ${n0(mr.expected)}; ${mr.missing}, ${mr.duplicates}, ${mr.wrongAmount}` : '—'],
    ['machine busy: idle / midnight drain', `${idle ? `${(idle.cpu.machineBusy * 100).toFixed(0)}%` : '—'} / ${mr ? `${(mr.cpu.machineBusy * 100).toFixed(0)}%` : '—'}`],
  ];
  const trace = mr?.firstTimer as TimerTrace | undefined;
  const rel = (s: string | undefined) => (s && m ? `${iso(Date.parse(s))} (${dur(Date.parse(s) - m.at)})` : '—');
  notes.push(
    `Every contract: one ratable obligation (SSP ${FEE}) from today to tomorrow in the zone, so its only month-end timer is tomorrow's 00:00 there (${m ? `${m.zone}, ${m.date}` : '—'}); one fee milestone of ${FEE} carrying the price, ` +
    `${o.billAtSigning ? 'date-triggered on the start date and invoiced at creation (invoice, receivable, journal entry)' : 'event-triggered and never completed, so nothing is billed and the midnight books Dr unbilled_ar / Cr revenue'}. ` +
    'Created through the gateway (admin key, POST /contracts), real books (no sandbox).',
    `Warm-up: ${w ? `${(w as { preWarm?: number }).preWarm ?? 0} + ${w.created} contracts (UTC, ratable ${w.ratable.start} … ${w.ratable.end}, nothing due during the run; they stay open and count among the idle contracts)` : '—'}; its rate chose the midnight.`,
    '"Effects at creation done" = every created contract\'s revenue plan is in the revenue store (countDocuments of ledger `books` plans; with --bill-at-signing, or when today is the month\'s last day in the zone, the journal entries of today of those sources instead), counted every second once the API calls are done; the "settled ≥" of the progress lines is an estimate (indexed lookups of single contracts in creation order).',
    `Postings counted: journal entries of ledger \`books\` with postingDate ${m?.date ?? 'D'} (countDocuments on the index {ledger, postingDate}, every ~1–2 s while they are booked: ${mr?.samples ?? '—'} counts, median ${mr?.countMsMedian ?? '—'} ms, max ${mr?.countMsMax ?? '—'} ms); ` +
    'the timeline (first, p50, p99, all, per second) comes from the entries\' own `createdAt` read once at the end, kept to source type `ratable_month` and to the batch\'s contracts, each checked to be booked once with the whole fee recognized.',
    `The worker restart (${o.restartBeforeS} s before the midnight) empties its workflow cache, so at the midnight every contract replays its history before firing its timer.` +
    (o.workerUp ? ' With --worker-up the worker is polling at the midnight.' : ` Then it is stopped ${o.downBeforeS} s before the midnight and started ${o.downAfterS} s after it: every timer falls due while no worker runs.`),
    trace ? `First posting's contract ${trace.contractId} (${trace.historyEvents} history events): timer fired on the server ${rel(trace.timerFiredAt)}, workflow task started ${rel(trace.workflowTaskStartedAt)}, posting activity done ${rel(trace.postingDoneAt)} (times after the midnight in brackets).` : 'No timer trace.',
    `CPU ms per posting during the drain (process time ÷ postings): ${mr ? Object.entries(mr.cpuMsPerPosting as ByProcess).map(([k, v]) => `${k} ${v}`).join(', ') : '—'}.`,
    `Whole run ${dur(totalSeconds * 1000)} (stack start ${dur(stackSeconds * 1000)}). The machine is shared: other work shows in "machine busy". Nothing asserts a time.`,
  );
  const md = [
    `# Idle scale: open contracts waiting on timers, and one midnight's month ends`, '',
    `Machine: ${facts.nproc} CPUs (nproc), ${facts.cpuModel}, ${facts.totalMemoryGiB} GiB, node ${facts.node}, FerretDB \`${facts.ferretdb}\`, ${facts.os}. ` +
    `Run ${startedAt}: \`npm run bench -- ${['--idle', ...argv.filter((a) => a !== '--idle')].join(' ')}\`. Every component in its own process on this machine, 1 worker. ` +
    `Midnight: ${m ? `00:00 of ${m.date} in ${m.zone} = ${m.atIso}` : '—'}.`, '',
    '| figure | value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`), '',
    '## RSS MiB per process', '',
    `| when | ${procs.join(' | ')} |`, `|---|${procs.map(() => '---:').join('|')}|`,
    ...Object.entries(rss).map(([when, x]) => `| ${when} | ${procs.map((p) => x[p] ?? '—').join(' | ')} |`), '',
    '## Notes', '', ...notes.map((x) => `- ${x}`), '',
  ];
  process.stdout.write(`\n${md.join('\n')}\n`);
  const dir = path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const suffix = `${o.quick && o.contracts === 200 ? '-quick' : o.contracts !== DEFAULT_CONTRACTS ? `-${o.contracts}` : ''}${o.workerUp ? '-worker-up' : ''}${o.billAtSigning ? '-billed' : ''}`;
  const base = path.join(dir, `idle-${startedAt.slice(0, 10)}${suffix}`);
  writeFileSync(`${base}.md`, md.join('\n'));
  writeFileSync(`${base}.json`, JSON.stringify({ machine: { ...facts, loadAverage: os.loadavg() }, startedAt, totalSeconds: round(totalSeconds, 1), options: o, rssMiB: rss, ...result, notes, errors: creator.errors.slice(0, 50) }, null, 2));
  say(`wrote ${path.relative(process.cwd(), base)}.md and .json`);
  if (failed || creator.errors.length) {
    if (creator.errors.length) process.stderr.write(`${creator.errors.length} creations failed:\n${creator.errors.slice(0, 10).join('\n')}\n`);
    process.exitCode = 1;
  }
}
