/**
 * `npm run chaos -- --minutes N`: Tollgate under faults and bad input (issue "Faults and bad input").
 *
 * Starts its own throwaway stack (deploy/chaos/stack.ts): a Temporal dev server, FerretDB, and every
 * component as its own process (deploy/run.ts) — gateway, invoicing, revenue, AR and two workers on
 * a workflow bundle built once — with one generated service credential, API keys (the gateway is not open) and
 * a webhook secret. For N minutes it then runs, at the same time:
 *   - steady load over many real-books contracts (5 milestones each: completions, a sign-off, a
 *     signed webhook, payments, and every 4th contract an amendment with a credit memo), every
 *     mutating request sent twice at once (the same Idempotency-Key, or the same webhook event id);
 *     503s, `request_in_progress` and refused connections are retried with the same key until
 *     answered, and counted;
 *   - faults: a worker SIGKILLed and started again every 30 s (alternating, so one always polls);
 *     each service and the gateway SIGTERMed and started again once on the same port; one service
 *     SIGKILLed and down for 30 s (`--outage`, default invoicing);
 *   - at least 1,000 hostile requests (deploy/chaos/hostile.ts) over every route of the gateway and
 *     of each service port, as listed by their /openapi.json: each must be answered 4xx with a JSON
 *     `code`.
 * Then it waits for the system to settle (every accepted milestone invoiced, no outbox), checks the
 * books contract by contract (lost and duplicated invoices, receivables, ledger entries, payments,
 * credit memos, reconciliation, failed steps) and the recovery times (worker kill → next invoice,
 * kill → progress of the requests in flight), prints a summary, writes
 * bench/results/chaos-<date>-<minutes>m.{json,md}, and exits non-zero if any invariant fails.
 *
 * Options: --minutes N (2) | --contracts C (contracts driven at a time, 40) | --concurrency A (steps
 * in flight, 6) | --hostile H (at least, 1000) | --workers W (2) | --outage gateway|invoicing|revenue|ar
 * (invoicing) | --settle-timeout S (300) | --keep (keep the stack's temp dir: logs and databases) |
 * --log-level L (components' LOG_LEVEL, warn).
 */
import { openFailureCount, type ContractState } from '../libs/domain/contract';
import { optionValue } from './args';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import {
  buildHostileCases, ensureRoute, judgeHostile, routesOf, signWebhook, type HostileCase, type HostileRequest, type Route, type Target,
} from '../deploy/chaos/hostile';
import {
  cents, chaosSchedule, inFlightAt, nextInvoiceAfter, overlaps, pct, sameMultiset, StatusCodeTally, type ChaosEvent, type Sample, type Span,
} from '../deploy/chaos/metrics';
import { SERVICES, startChaosStack, type ChaosStack, type ServiceName } from '../deploy/chaos/stack';
import { toolPath } from '../deploy/local/servers';

// ---------------------------------------------------------------------------------------------
// Options

interface Options {
  minutes: number;
  contracts: number;
  concurrency: number;
  hostile: number;
  workers: number;
  outage: ServiceName;
  settleTimeoutS: number;
  keep: boolean;
  logLevel: string;
}

function parseOptions(argv: string[]): Options {
  const value = (name: string): string | undefined => optionValue(argv, name);
  const num = (name: string, dflt: number, min: number) => {
    const v = value(name);
    const n = v === undefined ? dflt : Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`${name}: a number ≥ ${min} expected, got ${v}`);
    return n;
  };
  const outage = (value('--outage') ?? 'invoicing') as ServiceName;
  if (!SERVICES.includes(outage)) throw new Error(`--outage: one of ${SERVICES.join(', ')}`);
  return {
    minutes: num('--minutes', 2, 0.5),
    contracts: Math.round(num('--contracts', 40, 1)),
    concurrency: Math.round(num('--concurrency', 6, 1)),
    hostile: Math.round(num('--hostile', 1000, 0)),
    workers: Math.round(num('--workers', 2, 1)),
    outage,
    settleTimeoutS: num('--settle-timeout', 300, 10),
    keep: argv.includes('--keep'),
    logLevel: value('--log-level') ?? 'warn',
  };
}

// ---------------------------------------------------------------------------------------------
// Small helpers

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const today = () => new Date().toISOString().slice(0, 10);
const secs = (ms: number | undefined) => (ms === undefined ? '—' : (ms / 1000).toFixed(1));
const BODY_LIMIT_BYTES = 1024 * 1024; // BODY_LIMIT's default, 1mb (the stack does not change it)

interface Answer {
  status: number;
  body: any;
  replayed: boolean;
  retryAfter?: number;
}

/**
 * One request with node:http (fetch refuses a body on GET; hostile requests send one). Resolves on
 * the answer, even if the server answered before reading the whole body (413) and cut the upload.
 */
export function http(base: string, r: HostileRequest, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = r.body === undefined ? undefined : Buffer.from(r.body);
    let answered = false;
    const req = request(new URL(r.path, base), {
      method: r.method,
      headers: { ...r.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
      timeout: timeoutMs,
    }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: any;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = { raw: text.slice(0, 200) };
        }
        const ra = Number(res.headers['retry-after']);
        resolve({ status: res.statusCode ?? 0, body: json, replayed: res.headers['idempotent-replayed'] === 'true', ...(Number.isFinite(ra) && ra > 0 ? { retryAfter: ra } : {}) });
      });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', (err) => { if (!answered) reject(err); });
    req.end(body);
  });
}

/** Errors that mean "the server is not there (yet)": worth a retry while a component restarts. */
const RETRYABLE_NET = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EHOSTUNREACH']);
const netCode = (err: unknown) => (err as NodeJS.ErrnoException)?.code ?? ((err as Error)?.message === 'socket hang up' ? 'ECONNRESET' : undefined);

function machineFacts() {
  const cpuinfo = (() => { try { return readFileSync('/proc/cpuinfo', 'utf8'); } catch { return ''; } })();
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  const nproc = (() => { try { return Number(execFileSync('nproc').toString().trim()); } catch { return os.availableParallelism(); } })();
  const version = (tool: 'temporal' | 'ferretdb') => { try { return execFileSync(toolPath(tool), ['--version']).toString().split('\n')[0]!.trim(); } catch (err) { return `unknown (${(err as Error).message})`; } };
  return {
    nproc, totalMemoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)), cpuModel, node: process.version,
    temporal: version('temporal'), ferretdb: version('ferretdb'), os: `${os.type()} ${os.release()}`, loadAverageAtStart: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
}

// ---------------------------------------------------------------------------------------------
// The load: contracts driven step by step through the gateway, every mutating request twice

const MILESTONES = [
  { id: 'm1', amount: '1000.00', completion: 'external_event' },
  { id: 'm2', amount: '1500.00', completion: 'customer_signoff' },
  { id: 'm3', amount: '2000.00', completion: 'external_event' },
  { id: 'm4', amount: '500.00', completion: 'external_event' },
  { id: 'm5', amount: '750.00', completion: 'customer_signoff' },
] as const;
const AMENDED = { milestone: 'm2', amount: '1300.00', credit: '200.00' };
const AMEND_EVERY = 4;

type Role = 'normal' | 'duplicate';
type OpKind = 'create' | 'complete' | 'accept' | 'webhook' | 'pay' | 'amend';

interface ContractRun {
  index: number;
  id: string;
  customerId: string;
  created: boolean;
  /** Billable milestones the load saw accepted (complete of an external event, or accept after a sign-off). */
  accepted: Set<string>;
  /** Payments recorded (once each, whatever the duplicates), with the payment ids both answers named. */
  payments: Array<{ for: string; amount: string; ids: Set<string> }>;
  amendments: number;
  steps: Array<() => Promise<void>>;
  next: number;
}

interface RoleStats { logical: number; attempts: number; s503: number; inProgress: number; connectionErrors: number; other5xx: number; waits: number; refused: number; gaveUp: number }
const roleStats = (): RoleStats => ({ logical: 0, attempts: 0, s503: 0, inProgress: 0, connectionErrors: 0, other5xx: 0, waits: 0, refused: 0, gaveUp: 0 });

interface Op {
  label: string;
  kind: OpKind;
  contract: ContractRun;
  /** A fresh request per attempt (webhooks are signed with the current time). */
  request: () => HostileRequest;
  /** On an answer that is neither 503 nor request_in_progress nor another 5xx: done, wait and retry, or refused. */
  judge: (a: Answer, role: Role) => Promise<'ok' | 'retry' | 'refused'> | 'ok' | 'retry' | 'refused';
  onOk?: (a: Answer, role: Role) => void;
}

const GIVE_UP_MS = 8 * 60_000;

class Load {
  readonly stats: Record<Role | 'reads', RoleStats> = { normal: roleStats(), duplicate: roleStats(), reads: roleStats() };
  readonly byKind: Record<string, number> = {};
  readonly failures: string[] = [];
  readonly notes: Record<string, number> = {};
  /** Completions (normal role) from first send to accepted answer (kill → progress). */
  readonly spans: Array<Span & { label: string }> = [];
  readonly contracts: ContractRun[] = [];
  lastWebhook?: HostileRequest;
  private readonly admin: Record<string, string>;
  private readonly run = randomBytes(3).toString('hex');

  constructor(readonly stack: ChaosStack) {
    this.admin = { authorization: `Bearer ${stack.keys.admin}` };
  }

  get gateway(): string { return this.stack.urls.gateway; }

  private note(what: string): void { this.notes[what] = (this.notes[what] ?? 0) + 1; }

  /** Sends one request until it is answered (503, in-progress and refused connections retried). */
  private async chain(op: Op, role: Role): Promise<boolean> {
    const s = this.stats[role];
    const begin = Date.now();
    // Completions (complete, accept, webhook): their spans give "kill → progress" of those in flight.
    const span = role === 'normal' && ['complete', 'accept', 'webhook'].includes(op.kind) ? { label: op.label, begin } as Span & { label: string } : undefined;
    if (span) this.spans.push(span);
    for (;;) {
      if (Date.now() - begin > GIVE_UP_MS) {
        s.gaveUp += 1;
        this.failures.push(`${op.label} [${role}]: never accepted within ${GIVE_UP_MS / 60_000} min`);
        return false;
      }
      s.attempts += 1;
      let a: Answer;
      try {
        a = await http(this.gateway, op.request(), 90_000);
      } catch {
        s.connectionErrors += 1;
        await sleep(1_000);
        continue;
      }
      if (a.status === 503) {
        s.s503 += 1;
        await sleep(Math.min(a.retryAfter ?? 2, 5) * 1000);
        continue;
      }
      if (a.status === 409 && a.body?.code === 'request_in_progress') {
        s.inProgress += 1;
        await sleep(500);
        continue;
      }
      if (a.status >= 500) {
        s.other5xx += 1;
        this.failures.push(`${op.label} [${role}]: ${a.status} ${a.body?.code ?? ''} ${String(a.body?.message ?? '').slice(0, 200)}`);
        await sleep(1_000);
        continue;
      }
      const v = await op.judge(a, role);
      if (v === 'ok') {
        if (a.replayed) this.note(`${op.kind} answered from the idempotency record (Idempotent-Replayed: true)`);
        op.onOk?.(a, role);
        if (span) span.end = Date.now();
        return true;
      }
      if (v === 'retry') {
        s.waits += 1;
        await sleep(1_000);
        continue;
      }
      s.refused += 1;
      this.failures.push(`${op.label} [${role}]: refused ${a.status} ${a.body?.code ?? ''} ${String(a.body?.message ?? '').slice(0, 200)}`);
      return false;
    }
  }

  /** The request and its duplicate, at the same time. */
  private async twice(op: Op): Promise<boolean> {
    this.stats.normal.logical += 1;
    this.stats.duplicate.logical += 1;
    this.byKind[op.kind] = (this.byKind[op.kind] ?? 0) + 1;
    const [a, b] = await Promise.all([this.chain(op, 'normal'), this.chain(op, 'duplicate')]);
    return a && b;
  }

  /** A read through the gateway, retried until answered 200 (or a refusal, returned). */
  async read(p: string, base = this.gateway, headers = this.admin): Promise<Answer> {
    const s = this.stats.reads;
    s.logical += 1;
    const begin = Date.now();
    for (;;) {
      s.attempts += 1;
      try {
        const a = await http(base, { method: 'GET', path: p, headers }, 60_000);
        if (a.status === 503) s.s503 += 1;
        else if (a.status >= 500) {
          s.other5xx += 1;
          this.failures.push(`GET ${p}: ${a.status} ${a.body?.code ?? ''} ${String(a.body?.message ?? '').slice(0, 200)}`);
        } else return a;
      } catch {
        s.connectionErrors += 1;
      }
      if (Date.now() - begin > GIVE_UP_MS) throw new Error(`GET ${p}: no answer within ${GIVE_UP_MS / 60_000} min`);
      await sleep(1_000);
    }
  }

  post(c: ContractRun, kind: OpKind, label: string, p: string, body: unknown, key: string | undefined, judge: Op['judge'], onOk?: Op['onOk']): Promise<boolean> {
    const text = JSON.stringify(body);
    return this.twice({
      label: `${c.id} ${label}`, kind, contract: c, judge, onOk,
      request: () => ({ method: 'POST', path: p, headers: { ...this.admin, 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) }, body: text }),
    });
  }

  newContract(): ContractRun {
    const index = this.contracts.length;
    const c: ContractRun = {
      index, id: `chaos-${this.run}-${index}`, customerId: `chaos-cust-${this.run}-${index}`, created: false,
      accepted: new Set(), payments: [], amendments: 0, steps: [], next: 0,
    };
    const updated = (a: Answer) => (a.status === 200 && ['applied', 'ignored'].includes(a.body?.outcome) ? 'ok' : 'refused');
    const complete = (m: (typeof MILESTONES)[number], withKey: boolean) => () => this.post(c, 'complete', `complete ${m.id}`, `/contracts/${c.id}/milestones/${m.id}/complete`, {},
      withKey ? `complete-${c.id}-${m.id}` : undefined, updated, () => { if (m.completion === 'external_event') c.accepted.add(m.id); }).then(() => undefined);
    const accept = (m: (typeof MILESTONES)[number], withKey: boolean) => () => this.post(c, 'accept', `accept ${m.id}`, `/contracts/${c.id}/milestones/${m.id}/accept`, {},
      withKey ? `accept-${c.id}-${m.id}` : undefined, updated, () => c.accepted.add(m.id)).then(() => undefined);
    const pay = (m: (typeof MILESTONES)[number]) => () => {
      const record = { for: m.id, amount: m.amount, ids: new Set<string>() };
      return this.post(c, 'pay', `pay ${m.id}`, `/contracts/${c.id}/payments`, { amount: m.amount, invoiceFor: m.id }, `pay-${c.id}-${m.id}`,
        // Not invoiced yet (a completion answered 503 whose effect still runs): wait for it.
        (a) => (a.status === 201 ? 'ok' : a.status === 404 && /has no invoice/.test(a.body?.message ?? '') ? 'retry' : 'refused'),
        (a) => { if (a.body?.paymentId) record.ids.add(String(a.body.paymentId)); },
      ).then((ok) => { if (ok) c.payments.push(record); });
    };
    const webhook = (m: (typeof MILESTONES)[number]) => () => {
      const body = JSON.stringify({ eventId: `load-${c.id}-${m.id}`, type: 'complete', contractId: c.id, milestoneId: m.id });
      return this.twice({
        label: `${c.id} webhook complete ${m.id}`, kind: 'webhook', contract: c,
        request: () => {
          const ts = String(Math.floor(Date.now() / 1000));
          return {
            method: 'POST', path: `/webhooks/delivery/${this.stack.webhook.source}`, body,
            headers: { 'content-type': 'application/json', 'x-tollgate-timestamp': ts, 'x-tollgate-signature': signWebhook(this.stack.webhook.secret, ts, body) },
          };
        },
        judge: updated,
        onOk: (_a, role) => {
          c.accepted.add(m.id);
          // Answered: the hostile replay of it must now be answered from the record.
          if (role === 'normal') this.lastWebhook = { method: 'POST', path: `/webhooks/delivery/${this.stack.webhook.source}`, headers: { 'content-type': 'application/json' }, body };
        },
      }).then(() => undefined);
    };
    const amend = () => async () => {
      const s = await this.read(`/contracts/${c.id}`);
      if (s.status !== 200) { this.failures.push(`${c.id} amend: state ${s.status}`); return; }
      const version = s.body.version as number;
      const key = `amend-${c.id}-v${version}`;
      const ok = await this.post(c, 'amend', `amend ${AMENDED.milestone} → ${AMENDED.amount}`, `/contracts/${c.id}/amendments`,
        { baseVersion: version, changes: { milestones: [{ id: AMENDED.milestone, amount: AMENDED.amount }] } }, key,
        async (a) => {
          if (a.status === 200 && a.body?.outcome === 'applied') return 'ok';
          if (a.status === 409 && a.body?.code === 'stale_version') {
            // An earlier attempt answered 503 after the workflow took it: applied already?
            const now = await this.read(`/contracts/${c.id}`);
            const terms = now.body?.versions?.at(-1)?.terms;
            const m = terms?.milestones?.find((x: { id: string }) => x.id === AMENDED.milestone);
            if (m?.amount === AMENDED.amount) { this.note('amend: stale_version on a retry, the amendment was applied by an earlier attempt'); return 'ok'; }
          }
          return 'refused';
        });
      if (ok) c.amendments += 1;
    };
    const [m1, m2, m3, m4, m5] = MILESTONES;
    c.steps = [
      () => this.post(c, 'create', 'create', '/contracts', terms(c), `create-${c.id}`, (a) => {
        if (a.status === 201) return 'ok';
        // The duplicate (or a retry after a 503 whose start went through) meets the contract: it exists.
        if (a.status === 409 && a.body?.code === 'duplicate_contract') { this.note('create: duplicate_contract (the other request, or an earlier attempt, created it)'); return 'ok'; }
        return 'refused';
      }).then((ok) => { c.created = ok; if (!ok) c.steps.length = 0; }),
      complete(m1, true),
      complete(m2, false),
      accept(m2, true),
      pay(m1),
      webhook(m3),
      ...(index % AMEND_EVERY === 0 ? [amend()] : []),
      complete(m4, false),
      pay(m3),
      complete(m5, true),
      accept(m5, false),
    ];
    this.contracts.push(c);
    return c;
  }

  /** Drives `width` contracts at a time with `concurrency` steps in flight until `deadline`. */
  async drive(width: number, concurrency: number, deadline: number): Promise<void> {
    const queue: ContractRun[] = [];
    for (let i = 0; i < width; i += 1) queue.push(this.newContract());
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        const c = queue.shift() ?? this.newContract();
        const step = c.steps[c.next];
        if (!step) continue;
        c.next += 1;
        try {
          await step();
        } catch (err) {
          this.failures.push(`${c.id} step ${c.next}: ${(err as Error).message}`);
        }
        if (c.next < c.steps.length) queue.push(c);
      }
    }));
  }

  /** A contract created by now (for the hostile requests). */
  firstCreated(): ContractRun | undefined {
    return this.contracts.find((c) => c.created);
  }
}

function terms(c: ContractRun) {
  const total = MILESTONES.reduce((n, m) => n + cents(m.amount), 0n);
  return {
    contractId: c.id,
    customer: { id: c.customerId, name: `Chaos customer ${c.index}` },
    currency: 'USD',
    signedDate: today(),
    paymentTerms: 'NET_30',
    obligations: [{ id: 'impl', name: 'Implementation', ssp: `${total / 100n}.${String(total % 100n).padStart(2, '0')}`, recognition: { method: 'milestones' } }],
    milestones: MILESTONES.map((m, i) => ({
      id: m.id, name: m.id.toUpperCase(), description: `Milestone ${i + 1} fee`, obligationId: 'impl', amount: m.amount, sequence: i + 1,
      trigger: { type: 'event', completion: m.completion },
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Faults

interface FaultRecord {
  at: number;
  kind: ChaosEvent['action']['kind'];
  target: string;
  /** ms since epoch */
  startedAt: number;
  /** The component was down (not answering) from startedAt to this (ms since epoch). */
  backAt?: number;
  stopMs?: number;
  startMs?: number;
  error?: string;
}

class Chaos {
  readonly records: FaultRecord[] = [];
  /** Per component: when it was not answering. */
  readonly down: Record<string, Array<{ from: number; to?: number }>> = {};
  private readonly running: Promise<void>[] = [];
  readonly errors: string[] = [];

  constructor(readonly stack: ChaosStack, readonly say: (line: string) => void) {}

  private open(target: string, from: number) { (this.down[target] ??= []).push({ from }); }
  private close(target: string, to: number) {
    const list = this.down[target] ?? [];
    const last = list.at(-1);
    if (last && last.to === undefined) last.to = to;
  }

  private async startAgain(name: string): Promise<number> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.stack.start(name);
      } catch (err) {
        this.errors.push(`starting ${name} again (attempt ${attempt}): ${(err as Error).message.split('\n')[0]}`);
        if (attempt >= 5) throw err;
        await sleep(2_000);
      }
    }
  }

  schedule(events: ChaosEvent[], t0: number): void {
    for (const e of events) {
      this.running.push((async () => {
        await sleep(Math.max(0, t0 + e.at * 1000 - Date.now()));
        const { kind, target } = e.action;
        const rec: FaultRecord = { at: e.at, kind, target, startedAt: Date.now() };
        this.records.push(rec);
        try {
          if (kind === 'kill-worker') {
            this.open(target, rec.startedAt);
            await this.stack.kill(target);
            rec.stopMs = Date.now() - rec.startedAt;
            rec.startMs = await this.startAgain(target);
          } else if (kind === 'restart') {
            await this.stack.terminate(target);
            rec.stopMs = Date.now() - rec.startedAt;
            this.open(target, Date.now());
            rec.startMs = await this.startAgain(target);
          } else if (kind === 'outage-start') {
            this.open(target, rec.startedAt);
            await this.stack.kill(target);
            rec.stopMs = Date.now() - rec.startedAt;
          } else {
            rec.startMs = await this.startAgain(target);
          }
          rec.backAt = kind === 'outage-start' ? undefined : Date.now();
          if (kind !== 'outage-start') this.close(target, rec.backAt!);
          this.say(`  t=${e.at}s ${kind} ${target}${rec.stopMs !== undefined ? ` (stopped in ${rec.stopMs} ms)` : ''}${rec.startMs !== undefined ? ` (answering again in ${rec.startMs} ms)` : ''}`);
        } catch (err) {
          rec.error = (err as Error).message.split('\n')[0];
          this.errors.push(`t=${e.at}s ${kind} ${target}: ${rec.error}`);
        }
      })());
    }
  }

  async done(): Promise<void> {
    await Promise.all(this.running);
  }

  /** Any component not answering (or a worker killed less than `graceMs` before) during [from, to]. */
  faultDuring(from: number, to: number, graceMs = 35_000): boolean {
    return Object.values(this.down).some((list) => overlaps(list.map((i) => ({ from: i.from, to: i.to === undefined ? undefined : i.to + graceMs })), from, to));
  }
}

// ---------------------------------------------------------------------------------------------
// Hostile requests

class Hostile {
  readonly tally = new StatusCodeTally();
  readonly byTarget: Record<string, number> = {};
  readonly byRoute: Record<string, number> = {};
  readonly byCategory: Record<string, number> = {};
  readonly failures: Array<{ case: string; status: number | string; code?: string; problem: string }> = [];
  readonly notes: Record<string, number> = {};
  readonly retries = { s503: 0, s503DuringFault: 0, s503OutsideFault: 0, connectionErrors: 0 };
  readonly outsideFault503: string[] = [];
  sent = 0;
  private cases: HostileCase[] = [];

  constructor(readonly stack: ChaosStack, readonly routes: Route[], readonly chaos: Chaos) {}

  setCases(cases: HostileCase[]): void {
    // A fixed shuffle (by id) so every kind of case is spread over the run.
    this.cases = [...cases].sort((a, b) => hashOf(a.id) - hashOf(b.id));
  }

  get caseCount(): number { return this.cases.length; }

  private base(t: Target): string { return this.stack.urls[t]; }

  private async one(c: HostileCase): Promise<void> {
    const begin = Date.now();
    let lastError = '';
    for (let attempt = 1; attempt <= 90; attempt += 1) {
      let a: Answer;
      try {
        a = await http(this.base(c.target), c.make(), 60_000);
      } catch (err) {
        lastError = `${netCode(err) ?? ''} ${(err as Error).message}`.trim();
        // Only "the server is not there": anything else (a request the client cannot send) is the answer.
        if (!RETRYABLE_NET.has(netCode(err) ?? '')) break;
        this.retries.connectionErrors += 1;
        await sleep(1_000);
        continue;
      }
      if (a.status === 503) {
        this.retries.s503 += 1;
        if (this.chaos.faultDuring(begin, Date.now())) this.retries.s503DuringFault += 1;
        else {
          this.retries.s503OutsideFault += 1;
          if (this.outsideFault503.length < 20) this.outsideFault503.push(`${c.id}: ${a.body?.code} ${String(a.body?.message ?? '').slice(0, 160)}`);
        }
        await sleep(Math.min(a.retryAfter ?? 2, 5) * 1000);
        continue;
      }
      this.record(c, a);
      return;
    }
    this.record(c, undefined, lastError);
  }

  private record(c: HostileCase, a: Answer | undefined, error?: string): void {
    this.sent += 1;
    this.byTarget[c.target] = (this.byTarget[c.target] ?? 0) + 1;
    const routeKey = `${c.target} ${c.route}`;
    this.byRoute[routeKey] = (this.byRoute[routeKey] ?? 0) + 1;
    this.byCategory[c.category] = (this.byCategory[c.category] ?? 0) + 1;
    if (!a) {
      this.tally.add('no answer', undefined);
      this.failures.push({ case: c.id, status: 'no answer', problem: `no answer: ${error}` });
      return;
    }
    const code = typeof a.body?.code === 'string' ? a.body.code : undefined;
    this.tally.add(a.status, c.category === 'webhook-replay' && a.status < 300 ? (a.replayed ? '(replayed)' : '(not replayed)') : code);
    const v = judgeHostile(c, a.status, a.body, { replayed: a.replayed });
    if (!v.ok) this.failures.push({ case: c.id, status: a.status, code, problem: v.problem! });
    else if (v.note) this.notes[`${c.id}: ${v.note}`] = (this.notes[`${c.id}: ${v.note}`] ?? 0) + 1;
  }

  /** Sends `total` requests paced over `[now, deadline]`, `width` at a time, cycling through the cases. */
  async run(total: number, deadline: number, width = 4): Promise<void> {
    const start = Date.now();
    const spacing = Math.max(0, (deadline - start) / Math.max(1, total));
    let next = 0;
    await Promise.all(Array.from({ length: width }, async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const due = start + i * spacing;
        if (due > Date.now()) await sleep(due - Date.now());
        await this.one(this.cases[i % this.cases.length]!);
      }
    }));
  }
}

function hashOf(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i += 1) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

// ---------------------------------------------------------------------------------------------
// Settling and the books

interface ContractCheck {
  contractId: string;
  settled: boolean;
  accepted: string[];
  invoices: number;
  lost: string[];
  duplicated: string[];
  unexpected: string[];
  stateVsInvoicing: string[];
  receivablesMissing: string[];
  receivablesDuplicated: string[];
  receivablesOrphan: string[];
  billingEntries: { expected: number; found: number; amountsMatch: boolean };
  creditEntries: { expected: number; found: number };
  creditMemos: { expected: number; found: number };
  payments: { expected: number; found: number; ledger: number; answeredIds: number };
  reconciliation: { ok: boolean; failing: string[] };
  failedSteps: number;
  outbox: number;
  problems: string[];
}

async function settle(load: Load, timeoutMs: number, say: (l: string) => void): Promise<{ ms: number; unsettled: string[] }> {
  const start = Date.now();
  const pending = new Set(load.contracts.filter((c) => c.created).map((c) => c.id));
  const byId = new Map(load.contracts.map((c) => [c.id, c]));
  let lastSay = 0;
  while (pending.size && Date.now() - start < timeoutMs) {
    for (const id of [...pending]) {
      const c = byId.get(id)!;
      const s = await load.read(`/contracts/${id}`).catch(() => undefined);
      if (s?.status !== 200) continue;
      const st = s.body;
      const acceptedBillable = Object.values(st.milestones as Record<string, { id: string; acceptedOn?: string; status: string }>).filter((m) => m.acceptedOn !== undefined);
      const want = new Set([...c.accepted, ...acceptedBillable.map((m) => m.id)]);
      const invoiced = [...want].every((m) => ['invoiced', 'paid', 'covered'].includes(st.milestones[m]?.status));
      if ((st.pendingEffects ?? 0) === 0 && invoiced) pending.delete(id);
    }
    if (pending.size && Date.now() - lastSay > 10_000) {
      lastSay = Date.now();
      say(`  settling: ${pending.size} contract(s) still have work outstanding (${secs(Date.now() - start)} s)`);
    }
    if (pending.size) await sleep(1_000);
  }
  return { ms: Date.now() - start, unsettled: [...pending] };
}

async function checkContract(load: Load, c: ContractRun, unsettled: Set<string>): Promise<ContractCheck> {
  const svc = { authorization: `Bearer ${load.stack.token}` };
  const q = encodeURIComponent(c.id);
  const [state, invoices, entries, recon, receivables, memos, payments] = await Promise.all([
    load.read(`/contracts/${q}`),
    load.read(`/contracts/${q}/invoices`),
    load.read(`/contracts/${q}/entries`),
    load.read(`/contracts/${q}/reconciliation`),
    load.read(`/receivables?contractId=${q}&limit=500`, load.stack.urls.ar, svc),
    load.read(`/credit-memos?contractId=${q}&limit=500`, load.stack.urls.invoicing, svc),
    load.read(`/payments?contractId=${q}&limit=500`, load.stack.urls.ar, svc),
  ]);
  const problems: string[] = [];
  for (const [name, a] of Object.entries({ state, invoices, entries, recon, receivables, memos, payments })) {
    if (a.status !== 200) problems.push(`${name}: ${a.status} ${a.body?.code ?? ''}`);
  }
  const st = state.body ?? {};
  const invs: Array<{ number: string; kind: string; total: string; lines: Array<{ milestoneId: string }> }> = invoices.body?.data ?? [];
  const stateAccepted = Object.values((st.milestones ?? {}) as Record<string, { id: string; acceptedOn?: string }>).filter((m) => m.acceptedOn !== undefined).map((m) => m.id);
  const accepted = [...new Set([...c.accepted, ...stateAccepted])].sort();
  const milestoneInvoices = (m: string) => invs.filter((i) => i.kind === 'milestone' && i.lines.some((l) => l.milestoneId === m));
  const lost = accepted.filter((m) => milestoneInvoices(m).length === 0);
  const duplicated = accepted.filter((m) => milestoneInvoices(m).length > 1);
  const unexpected = invs.filter((i) => !i.lines.some((l) => accepted.includes(l.milestoneId))).map((i) => `${i.number} (${i.kind} ${i.lines.map((l) => l.milestoneId).join(',')})`);
  const stateNumbers = ((st.invoices ?? []) as Array<{ number?: string }>).map((i) => i.number ?? '(unnumbered)');
  const numbers = invs.map((i) => i.number);
  const stateVsInvoicing = sameMultiset(stateNumbers, numbers) ? [] : [`workflow ${stateNumbers.join(',') || '—'} vs invoicing ${numbers.join(',') || '—'}`];
  const recs: Array<{ invoiceNumber: string }> = receivables.body?.data ?? [];
  const recCount = (n: string) => recs.filter((r) => r.invoiceNumber === n).length;
  const es: Array<{ billed: string; kind: string; source: { type: string } }> = entries.body?.data ?? [];
  const billing = es.filter((e) => e.kind !== 'payment' && cents(e.billed ?? '0') > 0n);
  const credits = es.filter((e) => e.kind !== 'payment' && cents(e.billed ?? '0') < 0n);
  const memoList: unknown[] = memos.body?.data ?? [];
  const paymentList: unknown[] = payments.body?.data ?? [];
  const failedSteps = openFailureCount(st as ContractState);
  const answeredIds = c.payments.reduce((n, p) => n + p.ids.size, 0);
  return {
    contractId: c.id,
    settled: !unsettled.has(c.id),
    accepted,
    invoices: invs.length,
    lost, duplicated, unexpected, stateVsInvoicing,
    receivablesMissing: numbers.filter((n) => recCount(n) === 0),
    receivablesDuplicated: numbers.filter((n) => recCount(n) > 1),
    receivablesOrphan: recs.filter((r) => !numbers.includes(r.invoiceNumber)).map((r) => r.invoiceNumber),
    billingEntries: { expected: invs.length, found: billing.length, amountsMatch: sameMultiset(billing.map((e) => String(cents(e.billed))), invs.map((i) => String(cents(i.total)))) },
    creditEntries: { expected: memoList.length, found: credits.length },
    creditMemos: { expected: c.amendments, found: memoList.length },
    payments: { expected: c.payments.length, found: paymentList.length, ledger: es.filter((e) => e.kind === 'payment').length, answeredIds },
    reconciliation: { ok: recon.body?.ok === true, failing: ((recon.body?.checks ?? []) as Array<{ ok: boolean; name: string; variance: string }>).filter((x) => !x.ok).map((x) => `${x.name} (variance ${x.variance})`) },
    failedSteps,
    outbox: st.pendingEffects ?? 0,
    problems,
  };
}

// ---------------------------------------------------------------------------------------------
// The run

export async function runChaos(argv: string[]): Promise<number> {
  const o = parseOptions(argv);
  const facts = machineFacts();
  const startedAt = new Date().toISOString();
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const durationS = Math.round(o.minutes * 60);
  say(`chaos: ${o.minutes} min; ${o.contracts} contracts at a time, ${o.concurrency} steps in flight, every mutating request twice; ≥ ${o.hostile} hostile requests; ${o.workers} workers; outage: ${o.outage}`);
  say(`machine: ${facts.nproc} × ${facts.cpuModel}, ${facts.totalMemoryGiB} GiB, node ${facts.node}, ${facts.temporal}, ferretdb ${facts.ferretdb}, load ${facts.loadAverageAtStart.join(' ')}`);
  say('starting a throwaway stack: temporal, ferretdb, invoicing, revenue, ar, gateway, workers (each its own process)…');
  const t0 = Date.now();
  const stack = await startChaosStack({ logLevel: o.logLevel, retryAfterSeconds: 2, shutdownGraceMs: 5_000, workers: o.workers, keep: o.keep }, say);
  say(`stack up in ${secs(Date.now() - t0)} s (${stack.tmp}${o.keep ? ', kept' : ''})`);
  const stopping = async () => { await stack.stop().catch(() => undefined); };
  const onSignal = () => { say('interrupted: stopping the stack'); void stopping().then(() => process.exit(130)); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let exit = 1;
  try {
    // The routes, from each /openapi.json.
    const svcHeaders = { authorization: `Bearer ${stack.token}` };
    let routes: Route[] = [];
    for (const t of ['gateway', 'invoicing', 'revenue', 'ar'] as Target[]) {
      const a = await http(stack.urls[t], { method: 'GET', path: '/openapi.json', headers: t === 'gateway' ? {} : svcHeaders }, 30_000);
      if (a.status !== 200) throw new Error(`${t} /openapi.json answered ${a.status}`);
      routes.push(...routesOf(t, a.body));
      if (t !== 'gateway') routes = ensureRoute(routes, { target: t, method: 'get', path: '/openapi.json', access: 'service' });
    }
    const routeCount = (t: Target) => routes.filter((r) => r.target === t).length;
    say(`routes from /openapi.json: gateway ${routeCount('gateway')}, invoicing ${routeCount('invoicing')}, revenue ${routeCount('revenue')}, ar ${routeCount('ar')}`);

    // Invoices as the invoicing service sees them, every 500 ms (kill → next invoice).
    const samples: Sample[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        try {
          const a = await http(stack.urls.invoicing, { method: 'GET', path: '/invoices?limit=1', headers: svcHeaders }, 5_000);
          if (a.status === 200 && typeof a.body?.total === 'number') samples.push({ t: Date.now(), total: a.body.total });
        } catch { /* down: no sample */ }
        await sleep(500);
      }
    })();

    const load = new Load(stack);
    const chaos = new Chaos(stack, say);
    const hostile = new Hostile(stack, routes, chaos);
    const workerNames = Array.from({ length: o.workers }, (_, i) => `worker-${i + 1}`);
    const events = chaosSchedule(durationS, { workers: workerNames, services: ['gateway', 'invoicing', 'revenue', 'ar'], outage: o.outage });
    say(`faults: ${events.map((e) => `${e.at}s ${e.action.kind} ${e.action.target}`).join('; ')}`);

    const loadStart = Date.now();
    const deadline = loadStart + durationS * 1000;
    chaos.schedule(events, loadStart);
    const driving = load.drive(o.contracts, o.concurrency, deadline);
    // Hostile requests start once a contract of the load exists (some aim at a real one).
    const hostileRun = (async () => {
      while (!load.firstCreated() && Date.now() < deadline) await sleep(250);
      const c = load.firstCreated() ?? load.contracts[0]!;
      hostile.setCases(buildHostileCases({
        routes, token: stack.token, keys: stack.keys, webhook: stack.webhook, bodyLimitBytes: BODY_LIMIT_BYTES,
        contract: { id: c.id, customerId: c.customerId, milestones: MILESTONES.map((m) => m.id) },
        lastWebhook: () => load.lastWebhook,
      }));
      await hostile.run(Math.max(o.hostile, hostile.caseCount), deadline - 3_000);
    })();
    const progress = setInterval(() => {
      const n = load.stats.normal;
      say(`  t=${Math.round((Date.now() - loadStart) / 1000)}s: ${n.logical} requests ×2 (${n.s503 + load.stats.duplicate.s503} × 503 retried), ${load.contracts.filter((c) => c.created).length} contracts, ${samples.at(-1)?.total ?? '?'} invoices; ${hostile.sent} hostile, ${hostile.failures.length} hostile failures; ${load.failures.length} load failures`);
    }, 15_000);
    await driving;
    say(`load stopped after ${secs(Date.now() - loadStart)} s; waiting for the faults and hostile requests to finish…`);
    await chaos.done();
    await hostileRun;
    clearInterval(progress);
    // Everything up before settling (a fault whose restart failed is an error already recorded).
    for (const name of stack.components.keys()) if (!stack.isUp(name)) await stack.start(name).catch((err) => chaos.errors.push(`final start of ${name}: ${(err as Error).message.split('\n')[0]}`));

    say('settling: waiting until every accepted milestone is invoiced and no contract has work outstanding…');
    const settled = await settle(load, o.settleTimeoutS * 1000, say);
    sampling = false;
    await sampler;
    say(`settled in ${secs(settled.ms)} s${settled.unsettled.length ? ` — ${settled.unsettled.length} NOT settled` : ''}; checking the books of ${load.contracts.filter((c) => c.created).length} contracts…`);
    const unsettled = new Set(settled.unsettled);
    const checks: ContractCheck[] = [];
    for (const c of load.contracts.filter((x) => x.created)) checks.push(await checkContract(load, c, unsettled));

    // Recovery times.
    const kills = chaos.records.filter((r) => r.kind === 'kill-worker').map((r) => {
      const inflight = inFlightAt(load.spans, r.startedAt);
      const nextInvoiceMs = nextInvoiceAfter(samples, r.startedAt);
      const until = r.startedAt + Math.max(nextInvoiceMs ?? 0, inflight.worstMs ?? 0);
      // Another fault at the same time (a service down or restarting) makes the figure that fault's, not the kill's.
      const otherFaults = SERVICES.filter((s) => overlaps(chaos.down[s] ?? [], r.startedAt, until));
      return {
        at: r.at, worker: r.target, workerBackMs: r.startMs, nextInvoiceMs, inFlight: inflight.count,
        worstInFlightMs: inflight.worstMs, slowestInFlight: inflight.worst?.label, unfinished: inflight.unfinished, otherFaultsMeanwhile: otherFaults,
      };
    });
    const worst = (xs: Array<number | undefined>) => xs.reduce<number | undefined>((m, x) => (x === undefined ? m : Math.max(m ?? 0, x)), undefined);
    const recovery = {
      worstKillToNextInvoiceMs: worst(kills.map((k) => k.nextInvoiceMs)),
      worstKillToNextInvoiceMsAlone: worst(kills.filter((k) => k.otherFaultsMeanwhile.length === 0).map((k) => k.nextInvoiceMs)),
      worstKillToProgressMs: worst(kills.map((k) => k.worstInFlightMs)),
      worstKillToProgressMsAlone: worst(kills.filter((k) => k.otherFaultsMeanwhile.length === 0).map((k) => k.worstInFlightMs)),
      workerRestartMs: { p50: pct(kills.map((k) => k.workerBackMs ?? 0), 0.5), max: worst(kills.map((k) => k.workerBackMs)) },
      kills,
      completionsP50Ms: pct(load.spans.filter((s) => s.end !== undefined).map((s) => s.end! - s.begin), 0.5),
      completionsP99Ms: pct(load.spans.filter((s) => s.end !== undefined).map((s) => s.end! - s.begin), 0.99),
    };

    // The books, summed.
    const sum = (f: (c: ContractCheck) => number) => checks.reduce((n, c) => n + f(c), 0);
    const books = {
      contracts: checks.length,
      milestonesAccepted: sum((c) => c.accepted.length),
      invoices: sum((c) => c.invoices),
      lostInvoices: checks.flatMap((c) => c.lost.map((m) => `${c.contractId}/${m}`)),
      duplicatedInvoices: checks.flatMap((c) => c.duplicated.map((m) => `${c.contractId}/${m}`)),
      unexpectedInvoices: checks.flatMap((c) => c.unexpected.map((m) => `${c.contractId}: ${m}`)),
      workflowVsInvoicing: checks.flatMap((c) => c.stateVsInvoicing.map((m) => `${c.contractId}: ${m}`)),
      receivables: { missing: checks.flatMap((c) => c.receivablesMissing), duplicated: checks.flatMap((c) => c.receivablesDuplicated), orphan: checks.flatMap((c) => c.receivablesOrphan) },
      billingEntries: { expected: sum((c) => c.billingEntries.expected), found: sum((c) => c.billingEntries.found), contractsWithWrongAmounts: checks.filter((c) => !c.billingEntries.amountsMatch).map((c) => c.contractId) },
      creditMemos: { expected: sum((c) => c.creditMemos.expected), found: sum((c) => c.creditMemos.found), ledgerEntries: sum((c) => c.creditEntries.found) },
      payments: {
        expected: sum((c) => c.payments.expected), found: sum((c) => c.payments.found), ledgerEntries: sum((c) => c.payments.ledger),
        // Both answers of a payment and its duplicate must name the same payment.
        answeredWithTwoIds: load.contracts.flatMap((c) => c.payments.filter((p) => p.ids.size > 1).map((p) => `${c.id}/${p.for}: ${[...p.ids].join(', ')}`)),
      },
      reconciliationOk: checks.filter((c) => c.reconciliation.ok).length,
      reconciliationFailing: checks.filter((c) => !c.reconciliation.ok).map((c) => `${c.contractId}: ${c.reconciliation.failing.join('; ')}`),
      failedSteps: sum((c) => c.failedSteps),
      outbox: sum((c) => c.outbox),
      unsettled: settled.unsettled,
      settleMs: settled.ms,
      readProblems: checks.flatMap((c) => c.problems.map((p) => `${c.contractId}: ${p}`)),
    };

    // Coverage of the routes.
    const coverage = routes.map((r) => ({ route: `${r.target} ${r.method.toUpperCase()} ${r.path}`, hostile: hostile.byRoute[`${r.target} ${r.method.toUpperCase()} ${r.path}`] ?? 0 }));

    // Invariants.
    const inv: Array<{ name: string; ok: boolean; detail: string }> = [];
    const check = (name: string, ok: boolean, detail: string) => inv.push({ name, ok, detail });
    const hostile5xx = hostile.tally.total((s) => s.startsWith('5'));
    const hostile2xx = hostile.failures.filter((f) => typeof f.status === 'number' && f.status < 300).length;
    check('hostile requests: at least the target, every route of every port', hostile.sent >= o.hostile && coverage.every((c) => c.hostile > 0),
      `${hostile.sent} sent (target ${o.hostile}); ${coverage.filter((c) => c.hostile > 0).length}/${coverage.length} routes hit`);
    check('hostile requests: every one answered 4xx with a JSON code (no 5xx, no 2xx that should not be, no auth bypass)', hostile.failures.length === 0,
      `${hostile.failures.length} failures: ${hostile5xx} × 5xx, ${hostile2xx} × 2xx, ${hostile.failures.length - hostile5xx - hostile2xx} other`);
    const ls = load.stats;
    check('load: every request accepted, none refused unexpectedly, no 5xx but 503', load.failures.length === 0,
      `${load.failures.length} failures (${ls.normal.other5xx + ls.duplicate.other5xx + ls.reads.other5xx} × 5xx other than 503, ${ls.normal.refused + ls.duplicate.refused} refused, ${ls.normal.gaveUp + ls.duplicate.gaveUp} never accepted)`);
    check('faults: every planned fault ran and every component came back', chaos.errors.length === 0 && chaos.records.length === events.length,
      `${chaos.records.length}/${events.length} faults ran; ${chaos.errors.length} errors`);
    check('settled: every accepted milestone invoiced, no outbox', settled.unsettled.length === 0 && books.outbox === 0, `${settled.unsettled.length} unsettled; ${books.outbox} effects outstanding; ${secs(settled.ms)} s`);
    check('invoices: none lost, none duplicated, none unexpected, workflow = invoicing', books.lostInvoices.length + books.duplicatedInvoices.length + books.unexpectedInvoices.length + books.workflowVsInvoicing.length === 0,
      `${books.invoices} invoices for ${books.milestonesAccepted} accepted milestones: ${books.lostInvoices.length} lost, ${books.duplicatedInvoices.length} duplicated, ${books.unexpectedInvoices.length} unexpected, ${books.workflowVsInvoicing.length} workflow/invoicing mismatches`);
    check('receivables: one per invoice', books.receivables.missing.length + books.receivables.duplicated.length + books.receivables.orphan.length === 0,
      `${books.receivables.missing.length} missing, ${books.receivables.duplicated.length} duplicated, ${books.receivables.orphan.length} without an invoice`);
    check('ledger: one billing entry per invoice (same amounts), one per credit memo', books.billingEntries.expected === books.billingEntries.found && books.billingEntries.contractsWithWrongAmounts.length === 0 && books.creditMemos.found === books.creditMemos.ledgerEntries,
      `${books.billingEntries.found} billing entries for ${books.billingEntries.expected} invoices; ${books.creditMemos.ledgerEntries} credit entries for ${books.creditMemos.found} credit memos`);
    check('credit memos: one per amendment', books.creditMemos.expected === books.creditMemos.found, `${books.creditMemos.found} for ${books.creditMemos.expected} amendments`);
    check('payments: each recorded once (AR and ledger), both answers name the same payment', books.payments.expected === books.payments.found && books.payments.found === books.payments.ledgerEntries && books.payments.answeredWithTwoIds.length === 0,
      `${books.payments.found} in AR, ${books.payments.ledgerEntries} in the ledger for ${books.payments.expected} payments; ${books.payments.answeredWithTwoIds.length} answered with two ids`);
    check('reconciliation ok for every contract (variance 0)', books.reconciliationOk === checks.length && books.readProblems.length === 0, `${books.reconciliationOk}/${checks.length} ok`);
    check('failed steps: none open', books.failedSteps === 0, `${books.failedSteps}`);
    check('the load did something', checks.length > 0 && books.invoices > 0, `${checks.length} contracts, ${books.invoices} invoices`);
    const pass = inv.every((i) => i.ok);

    const result = {
      startedAt, command: `npm run chaos -- ${argv.join(' ')}`.trim(), options: o, machine: { ...facts, loadAverageAtEnd: os.loadavg().map((l) => Number(l.toFixed(2))) },
      durationS, bundleSeconds: stack.bundleSeconds, pass, invariants: inv,
      requests: {
        normal: ls.normal, duplicates: ls.duplicate, reads: ls.reads, byKind: load.byKind, notes: load.notes, failures: load.failures.slice(0, 200),
        hostile: { sent: hostile.sent, cases: hostile.caseCount, byTarget: hostile.byTarget, byCategory: hostile.byCategory, statusCodes: hostile.tally.counts, retries: hostile.retries, outsideFault503: hostile.outsideFault503, failures: hostile.failures.slice(0, 200), notes: hostile.notes },
      },
      faults: chaos.records, faultErrors: chaos.errors, down: chaos.down, recovery, books, coverage, invoiceSamples: samples.length,
    };
    const md = markdown(result);
    process.stdout.write(`\n${md}\n`);
    const dir = path.join(__dirname, 'results');
    mkdirSync(dir, { recursive: true });
    const base = path.join(dir, `chaos-${startedAt.slice(0, 10)}-${o.minutes}m`);
    writeFileSync(`${base}.md`, md);
    writeFileSync(`${base}.json`, JSON.stringify({ ...result, contracts: checks }, null, 2));
    say(`wrote ${path.relative(process.cwd(), base)}.md and .json`);
    say(pass ? 'PASS' : `FAIL: ${inv.filter((i) => !i.ok).map((i) => i.name).join('; ')}`);
    if (!pass && !o.keep) say('(run again with --keep to keep the components\' logs)');
    exit = pass ? 0 : 1;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await stopping();
    if (o.keep) say(`kept: ${stack.tmp} (logs/ has each component's output)`);
  }
  return exit;
}

// ---------------------------------------------------------------------------------------------
// The report

function markdown(r: any): string {
  const m = r.machine;
  const n = (v: number | undefined) => (v === undefined ? '—' : v.toLocaleString('en-US'));
  const stats = (name: string, s: RoleStats) => `| ${name} | ${n(s.logical)} | ${n(s.attempts)} | ${n(s.s503)} | ${n(s.inProgress)} | ${n(s.connectionErrors)} | ${n(s.other5xx)} | ${n(s.refused + s.gaveUp)} |`;
  const tally = new StatusCodeTally();
  Object.assign(tally.counts, r.requests.hostile.statusCodes);
  const lines = [
    `# Chaos run ${r.startedAt.slice(0, 10)}: ${r.options.minutes} min — ${r.pass ? 'PASS' : 'FAIL'}`,
    '',
    `Machine: ${m.nproc} CPUs (nproc), ${m.cpuModel}, ${m.totalMemoryGiB} GiB, node ${m.node}, ${m.temporal}, FerretDB \`${m.ferretdb}\`, ${m.os}; load average ${m.loadAverageAtStart.join(' ')} at start, ${m.loadAverageAtEnd.join(' ')} at end. Run ${r.startedAt}: \`${r.command}\`.`,
    '',
    `Stack: Temporal dev server (SQLite, WAL) + FerretDB (SQLite), each component its own process (deploy/run.ts gateway|invoicing|revenue|ar, and ${r.options.workers} × deploy/run.ts worker --workflow-bundle on a bundle built once); API keys configured (gateway not open), service credential generated, webhook source \`chaos-psa\`. Load: ${r.options.contracts} contracts at a time (new ones as they finish), ${r.options.concurrency} steps in flight; the service down for 30 s: ${r.options.outage}.`,
    '',
    '## Invariants',
    '',
    '| | invariant | figures |',
    '|---|---|---|',
    ...r.invariants.map((i: any) => `| ${i.ok ? '✅' : '❌'} | ${i.name} | ${i.detail} |`),
    '',
    '## Requests',
    '',
    'Every mutating request of the load was sent twice at once (same Idempotency-Key, or the same webhook event id; completions without a key rely on their natural idempotency). Retried until answered: 503 (after Retry-After), 409 `request_in_progress`, refused connections.',
    '',
    '| | requests | attempts | 503 (retried) | 409 in progress (retried) | connection errors (retried) | 5xx other than 503 | refused / never accepted |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    stats('normal', r.requests.normal),
    stats('duplicates', r.requests.duplicates),
    stats('reads (state, checks)', r.requests.reads),
    `| hostile | ${n(r.requests.hostile.sent)} | ${n(r.requests.hostile.sent + r.requests.hostile.retries.s503 + r.requests.hostile.retries.connectionErrors)} | ${n(r.requests.hostile.retries.s503)} | — | ${n(r.requests.hostile.retries.connectionErrors)} | ${n(tally.total((s) => s.startsWith('5')))} | — |`,
    '',
    `By kind (×2): ${Object.entries(r.requests.byKind).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
    ...(Object.keys(r.requests.notes).length ? ['', 'Notes: ' + Object.entries(r.requests.notes).map(([k, v]) => `${k}: ${v}`).join('; ') + '.'] : []),
    ...(r.requests.failures.length ? ['', '### Load failures', '', ...r.requests.failures.slice(0, 30).map((f: string) => `- ${f}`)] : []),
    '',
    '## Faults',
    '',
    '| t (s) | fault | component | stopped in (ms) | answering again in (ms) | error |',
    '|---:|---|---|---:|---:|---|',
    ...r.faults.map((f: FaultRecord) => `| ${f.at} | ${f.kind} | ${f.target} | ${n(f.stopMs)} | ${n(f.startMs)} | ${f.error ?? ''} |`),
    '',
    '## Recovery',
    '',
    `- Worst worker kill → next invoice (invoicing polled every 0.5 s): **${secs(r.recovery.worstKillToNextInvoiceMs)} s** over all kills; **${secs(r.recovery.worstKillToNextInvoiceMsAlone)} s** over kills with no other fault meanwhile (no service down or restarting).`,
    `- Worst kill → progress of the completions in flight at the kill (complete, accept, webhook sent before it, answered after): **${secs(r.recovery.worstKillToProgressMs)} s** over all kills; **${secs(r.recovery.worstKillToProgressMsAlone)} s** with no other fault meanwhile.`,
    `- A killed worker polls again after ${secs(r.recovery.workerRestartMs.p50)} s (median), ${secs(r.recovery.workerRestartMs.max)} s at most; the other worker kept polling.`,
    `- Completions from first send to accepted answer (retries included): p50 ${secs(r.recovery.completionsP50Ms)} s, p99 ${secs(r.recovery.completionsP99Ms)} s.`,
    '',
    '| t (s) | worker | kill → next invoice (s) | completions in flight | worst kill → their answer (s) | the slowest | other faults meanwhile |',
    '|---:|---|---:|---:|---:|---|---|',
    ...r.recovery.kills.map((k: any) => `| ${k.at} | ${k.worker} | ${secs(k.nextInvoiceMs)} | ${k.inFlight} | ${secs(k.worstInFlightMs)} | ${k.slowestInFlight ?? ''} | ${k.otherFaultsMeanwhile.join(', ')} |`),
    '',
    '## Books (after settling)',
    '',
    `- Contracts: ${r.books.contracts}; billable milestones accepted: ${r.books.milestonesAccepted}; invoices: ${r.books.invoices}; settled in ${secs(r.books.settleMs)} s.`,
    `- Lost invoices: **${r.books.lostInvoices.length}**; duplicated: **${r.books.duplicatedInvoices.length}**; unexpected: ${r.books.unexpectedInvoices.length}; workflow ≠ invoicing: ${r.books.workflowVsInvoicing.length}.`,
    `- Receivables (AR \`/receivables?contractId=\`): ${r.books.receivables.missing.length} missing, ${r.books.receivables.duplicated.length} duplicated, ${r.books.receivables.orphan.length} without an invoice.`,
    `- Ledger (\`/contracts/:id/entries\`): ${r.books.billingEntries.found} billing entries for ${r.books.billingEntries.expected} invoices${r.books.billingEntries.contractsWithWrongAmounts.length ? ` (amounts differ on ${r.books.billingEntries.contractsWithWrongAmounts.length} contracts)` : ', amounts equal'}; ${r.books.creditMemos.ledgerEntries} credit entries for ${r.books.creditMemos.found} credit memos (${r.books.creditMemos.expected} amendments).`,
    `- Payments: ${r.books.payments.found} in AR and ${r.books.payments.ledgerEntries} in the ledger for ${r.books.payments.expected} made (each sent twice); ${r.books.payments.answeredWithTwoIds.length} answered with two payment ids.`,
    `- Reconciliation (\`GET /contracts/:id/reconciliation\`): ${r.books.reconciliationOk}/${r.books.contracts} ok. Failed steps open: ${r.books.failedSteps}. Effects outstanding: ${r.books.outbox}.`,
    ...[...r.books.lostInvoices, ...r.books.duplicatedInvoices, ...r.books.unexpectedInvoices, ...r.books.workflowVsInvoicing, ...r.books.reconciliationFailing, ...r.books.readProblems, ...r.books.unsettled.map((u: string) => `unsettled: ${u}`)].slice(0, 30).map((x: string) => `  - ${x}`),
    '',
    '## Hostile requests',
    '',
    `${n(r.requests.hostile.sent)} sent (${r.requests.hostile.cases} distinct cases, cycled): ${Object.entries(r.requests.hostile.byTarget).map(([k, v]) => `${k} ${v}`).join(', ')}. A 503 or a refused connection (the target down or restarting) was retried and is not the answer counted: ${r.requests.hostile.retries.s503} × 503 (${r.requests.hostile.retries.s503DuringFault} during a fault, ${r.requests.hostile.retries.s503OutsideFault} outside), ${r.requests.hostile.retries.connectionErrors} refused connections.`,
    '',
    `By category: ${Object.entries(r.requests.hostile.byCategory).sort((a: any, b: any) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
    '',
    '| status | code | count |',
    '|---:|---|---:|',
    ...tally.rows().map(([s, c, k]) => `| ${s} | ${c} | ${k.toLocaleString('en-US')} |`),
    '',
    ...(r.requests.hostile.failures.length
      ? ['### Hostile failures (5xx, 2xx that should not be, no JSON code, auth bypass)', '', ...r.requests.hostile.failures.slice(0, 40).map((f: any) => `- ${f.case}: ${f.problem}`), '']
      : ['No hostile request was answered 5xx, accepted, answered without a JSON code, or let past a credential check.', '']),
    ...(r.requests.hostile.outsideFault503.length ? ['503s to hostile requests outside fault windows (retried):', '', ...r.requests.hostile.outsideFault503.map((x: string) => `- ${x}`), ''] : []),
    `Answers other than the one expected (all 4xx with a code; not failures): ${Object.keys(r.requests.hostile.notes).length} cases${Object.keys(r.requests.hostile.notes).length ? `, e.g. ${Object.keys(r.requests.hostile.notes).slice(0, 8).join('; ')}` : ''}.`,
    '',
    '## Routes covered',
    '',
    '| route | hostile requests |',
    '|---|---:|',
    ...r.coverage.map((c: any) => `| ${c.route} | ${c.hostile} |`),
    '',
  ];
  return lines.join('\n');
}

if (require.main === module) {
  runChaos(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
    process.stderr.write(`chaos failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
