/**
 * `npm run bench -- --grow`: how the product's figures move as the books grow. Fills a throwaway
 * stack's store to 100, 1,000, 10,000 and 20,000 contracts (10 milestones each, with their invoices,
 * number slots, receivables, journal entries and revenue plan) and measures, at each size:
 *   1. complete → invoice latency at a steady offered rate (open loop, fresh contracts);
 *   2. milestones/s with 32 concurrent callers through the gateway (closed loop), and its p50;
 *   3. one contract's reads (state, invoices, entries);
 *   4. a direct `POST /invoices` to the invoicing service.
 * Writes bench/results/grow-<date>.{json,md}. Asserts no time: the machines are shared and noisy.
 *
 * The filler is written straight into the services' databases with the services' own repositories
 * (their mongoose models: the same collections, shapes and indexes), cloned from one contract run
 * through the real path first, so it has exactly the shape the services write. The Temporal side of
 * filler contracts is not created: Temporal's cost is flat in the number of workflows it holds
 * (../shared/STACK.md, 100 vs 20,000 workflows); the growth this measures is the Mongo store's.
 *
 * Options: --sizes 100,1000 | --quick (sizes 100,1000, 5 s phases: the CI smoke) | --seconds N
 * (each measuring phase) | --rate R (open-loop completions/s, 5) | --callers C (closed loop, 32) |
 * --ferretdb PATH (another FerretDB build, e.g. upstream v1.24.2: results get a `-baseline` suffix).
 * Results: grow-<date>.{json,md} for the default sizes, grow-<date>-quick for --quick, grow-<date>-<sizes>
 * for other sizes, so a smoke run never overwrites a full one.
 */
import { optionValue } from './args';
import { BENCH_MILESTONES, benchTerms, timedCompletion } from './completion';
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Connection } from 'mongoose';
import { httpApi } from '../cli/scenarios';
import { freePort, startFerretDb, startTemporalDevServer, toolPath } from '../deploy/local/servers';
import { startSystem, type RunningSystem } from '../deploy/local/system';
import { loadConfig } from '../libs/config';
import { createLogger, type Logger } from '../libs/logger';
import { connectDatabase, databaseName } from '../libs/mongo';
import { receivableRepository } from '../services/ar/data/receivables';
import { invoiceRepository } from '../services/invoicing/data/invoices';
import { formatInvoiceNumber } from '../services/invoicing/invoices';
import { entryRepository } from '../services/revenue/data/entries';
import { planRepository } from '../services/revenue/data/plans';

/** The scenario runner's HTTP client; bodies are parsed JSON. */
type Api = { call(method: string, path: string, body?: unknown, idempotencyKey?: string): Promise<{ status: number; body: any }> };

// ---------------------------------------------------------------------------------------------
// Options

interface Options {
  sizes: number[];
  seconds: number;
  rate: number;
  callers: number;
  quick: boolean;
  /** Another FerretDB build to run (e.g. upstream v1.24.2, for a before/after); default the patched one in .tools/bin. */
  ferretdb?: string;
  /** Per-request cap (ms) so a wedged request ends the phase with an error instead of hanging. */
  requestTimeoutMs: number;
}

function parseOptions(argv: string[]): Options {
  const value = (name: string): string | undefined => optionValue(argv, name);
  const quick = argv.includes('--quick');
  const sizes = (value('--sizes') ?? (quick ? '100,1000' : '100,1000,10000,20000')).split(',').map((s) => Number(s.replace(/[_k]/g, (c) => (c === 'k' ? '000' : ''))));
  if (sizes.some((s) => !Number.isInteger(s) || s < 2)) throw new Error(`--sizes: whole numbers ≥ 2 expected, got ${value('--sizes')}`);
  const num = (name: string, dflt: number) => {
    const v = value(name);
    const n = v === undefined ? dflt : Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}: a positive number expected, got ${v}`);
    return n;
  };
  return {
    sizes: [...sizes].sort((a, b) => a - b),
    seconds: num('--seconds', quick ? 5 : 20),
    rate: num('--rate', 5),
    callers: Math.round(num('--callers', 32)),
    quick,
    ferretdb: value('--ferretdb'),
    requestTimeoutMs: num('--request-timeout', 300) * 1000,
  };
}

// ---------------------------------------------------------------------------------------------
// Small helpers

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Nearest-rank percentile (p in 0..1) of a list of ms; undefined when empty. */
function pct(xs: number[], p: number): number | undefined {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
}

function fmt(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

/** Runs fn over items, `width` at a time. */
async function pool<T>(items: T[], width: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  }));
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms); }),
  ]);
}

export function machineFacts(ferretdbBinary?: string) {
  const cpuinfo = (() => { try { return readFileSync('/proc/cpuinfo', 'utf8'); } catch { return ''; } })();
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  const nproc = (() => { try { return Number(execFileSync('nproc').toString().trim()); } catch { return os.availableParallelism(); } })();
  const ferretdb = (() => { try { return execFileSync(ferretdbBinary ?? toolPath('ferretdb'), ['--version']).toString().split('\n')[0]!.trim(); } catch (err) { return `unknown (${(err as Error).message})`; } })();
  return { nproc, totalMemoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)), cpuModel, node: process.version, ferretdb, os: `${os.type()} ${os.release()}` };
}

// ---------------------------------------------------------------------------------------------
// The stack: as deploy/local/ephemeral.ts, but keeping the store's address and config (the filler
// connects to the same databases the services use).

interface GrowStack extends RunningSystem {
  mongoUrl: string;
  prefix: string;
  stopAll(): Promise<void>;
}

async function startGrowStack(logger: Logger, ferretdbBinary?: string): Promise<GrowStack> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'tollgate-grow-'));
  const [temporalPort, mongoPort] = [await freePort(), await freePort()];
  const [temporal, ferret] = await Promise.all([
    startTemporalDevServer({ port: temporalPort, dbFile: path.join(tmp, 'temporal.sqlite') }),
    startFerretDb({ port: mongoPort, dataDir: path.join(tmp, 'ferretdb'), binary: ferretdbBinary }),
  ]);
  const config = loadConfig({
    TEMPORAL_ADDRESS: temporal.address,
    MONGO_URL: ferret.address,
    GATEWAY_PORT: '0', INVOICING_PORT: '0', REVENUE_PORT: '0', AR_PORT: '0',
    LOG_LEVEL: 'error',
  });
  let system: RunningSystem;
  try {
    system = await startSystem(config, logger);
  } catch (err) {
    await Promise.all([temporal.stop(), ferret.stop()]);
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return {
    ...system,
    mongoUrl: ferret.address,
    prefix: config.MONGO_DB_PREFIX,
    async stopAll() {
      await system.stop();
      await Promise.all([temporal.stop(), ferret.stop()]);
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Contracts through the API

const CUSTOMERS = 500;
const MILESTONES = BENCH_MILESTONES;
const customerOf = (k: number) => ({ id: `grow-cust-${String(k % CUSTOMERS).padStart(3, '0')}`, name: `Grow Customer ${String(k % CUSTOMERS).padStart(3, '0')}` });

/** The bench contract (bench/completion.ts), customers spread over CUSTOMERS. */
const terms = (contractId: string, customerIndex: number, signedDate: string) => benchTerms(contractId, customerOf(customerIndex), signedDate);

class Live {
  readonly api: Api;
  readonly invoicing: Api;
  created = 0;
  private seq = 0;
  readonly errors: string[] = [];

  constructor(readonly stack: GrowStack, readonly run: string, readonly signedDate: string, readonly timeoutMs: number) {
    this.api = httpApi(stack.gatewayUrl);
    this.invoicing = httpApi(stack.invoicingUrl, stack.serviceToken);
  }

  async createContracts(tag: string, n: number): Promise<string[]> {
    const ids = Array.from({ length: n }, () => `grow-${this.run}-${tag}-${this.seq++}`);
    await pool(ids, 8, async (id, i) => {
      const r = await withTimeout(this.api.call('POST', '/contracts', terms(id, this.seq * 7 + i, this.signedDate)), this.timeoutMs, `create ${id}`);
      if (r.status !== 201) throw new Error(`POST /contracts ${id}: ${r.status} ${JSON.stringify(r.body)}`);
      this.created += 1;
    });
    return ids;
  }

  /** Completes a milestone; resolves to the latency in ms, or undefined (error recorded) when not invoiced. */
  complete(contractId: string, milestone: number): Promise<number | undefined> {
    const what = `complete ${contractId} m${milestone}`;
    return timedCompletion(() => withTimeout(this.api.call('POST', `/contracts/${contractId}/milestones/m${milestone}/complete`, {}), this.timeoutMs, what), what, this.errors);
  }

  async timedGet(p: string): Promise<number | undefined> {
    const t = nowMs();
    try {
      const r = await withTimeout(this.api.call('GET', p), this.timeoutMs, `GET ${p}`);
      const ms = nowMs() - t;
      if (r.status !== 200) {
        this.errors.push(`GET ${p}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
        return undefined;
      }
      return ms;
    } catch (err) {
      this.errors.push(`GET ${p}: ${(err as Error).message}`);
      return undefined;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The filler: one contract run through the real path is the template; filler contracts are its
// documents with the contract id, customer, invoice numbers, dates and entry ids replaced.

interface Template {
  contractId: string;
  customer: { id: string; name: string };
  sequence: string;
  today: string;
  dueOffset: number;
  /** Per milestone (0..9): a builder for the invoice, receivable and journal entry. */
  milestones: Array<{ invoice: Compiled; receivable: Compiled; entry: Compiled; number: string }>;
  plans: Compiled[];
}

interface Values {
  contractId: string;
  customerId: string;
  customerName: string;
  numbers: string[];
  date: string;
  dueDate: string;
  entryId: string;
}

type Compiled = (v: Values) => Record<string, unknown>;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Compiles a template document into a builder: its JSON text split at the strings that identify
 * the contract (id, customer, invoice numbers, dates, entry id), re-joined with new values. Any
 * field the services add that embeds one of those is carried over without knowing its name.
 */
function compile(doc: Record<string, unknown>, t: Pick<Template, 'contractId' | 'customer' | 'today'> & { numbers: string[]; dueDate: string; entryId?: string }): Compiled {
  const { _id, ...rest } = doc;
  void _id;
  const json = JSON.stringify(rest);
  const tokens: Array<[string, (v: Values) => string]> = [
    [t.contractId, (v) => v.contractId],
    [JSON.stringify(t.customer.id), (v) => JSON.stringify(v.customerId)],
    [JSON.stringify(t.customer.name), (v) => JSON.stringify(v.customerName)],
    ...t.numbers.map((n, i): [string, (v: Values) => string] => [n, (v) => v.numbers[i]!]),
    [JSON.stringify(t.today), (v) => JSON.stringify(v.date)],
    [JSON.stringify(t.dueDate), (v) => JSON.stringify(v.dueDate)],
    [`"${t.today}T`, (v) => `"${v.date}T`],
    ...(t.entryId ? [[JSON.stringify(t.entryId), (v: Values) => JSON.stringify(v.entryId)] as [string, (v: Values) => string]] : []),
  ];
  const byToken = new Map(tokens);
  const re = new RegExp(`(${tokens.map(([s]) => escapeRe(s)).sort((a, b) => b.length - a.length).join('|')})`, 'g');
  const pieces = json.split(re).map((p, i) => (i % 2 === 1 ? byToken.get(p)! : p));
  return (v) => JSON.parse(pieces.map((p) => (typeof p === 'string' ? p : p(v))).join(''));
}

async function buildTemplate(live: Live, stores: Stores, contractId: string): Promise<Template> {
  for (let m = 1; m <= MILESTONES; m += 1) {
    if ((await live.complete(contractId, m)) === undefined) throw new Error(`the template contract could not be invoiced: ${live.errors.at(-1)}`);
  }
  const invoices = await stores.invoicing.models.Invoice!.find({ contractId }).lean<Array<Record<string, any>>>();
  const receivables = await stores.ar.models.Receivable!.find({ contractId }).lean<Array<Record<string, any>>>();
  const entries = await stores.revenue.models.JournalEntry!.find({ contractId }).lean<Array<Record<string, any>>>();
  const plans = await stores.revenue.models.RevenuePlan!.find({ contractId }).lean<Array<Record<string, any>>>();
  if (invoices.length !== MILESTONES || receivables.length !== MILESTONES || entries.length !== MILESTONES || plans.length !== 1) {
    throw new Error(`template contract: expected ${MILESTONES} invoices, receivables, entries and 1 plan; found ${invoices.length}, ${receivables.length}, ${entries.length}, ${plans.length} (the services' writes changed: update bench/grow.ts)`);
  }
  invoices.sort((a, b) => String(a.number).localeCompare(String(b.number)));
  const numbers = invoices.map((i) => String(i.number));
  const first = invoices[0]!;
  const sequence = numbers[0]!.replace(/-\d+$/, '');
  const today = String(first.date);
  const dueDate = String(first.dueDate);
  const base = { contractId, customer: { id: String(first.customer.id), name: String(first.customer.name) }, today, numbers, dueDate };
  return {
    contractId,
    customer: base.customer,
    sequence,
    today,
    dueOffset: daysBetween(today, dueDate),
    milestones: invoices.map((inv, i) => {
      const milestoneId = inv.lines?.[0]?.milestoneId;
      const rec = receivables.find((r) => r.invoiceNumber === inv.number);
      const entry = entries.find((e) => e.source?.ref === milestoneId);
      if (!rec || !entry) throw new Error(`template contract: no receivable or entry for ${inv.number} (${milestoneId})`);
      return {
        number: numbers[i]!,
        invoice: compile(inv, base),
        receivable: compile(rec, base),
        entry: compile(entry, { ...base, entryId: String(entry.entryId) }),
      };
    }),
    plans: plans.map((p) => compile(p, base)),
  };
}

interface Stores {
  invoicing: Connection;
  ar: Connection;
  revenue: Connection;
  numbers: ReturnType<typeof invoiceRepository>['numbers'];
}

async function openStores(stack: GrowStack, logger: Logger): Promise<Stores> {
  const connect = (service: string) => connectDatabase({ url: stack.mongoUrl, dbName: databaseName(stack.prefix, service), logger });
  const [invoicing, ar, revenue] = await Promise.all([connect('invoicing'), connect('ar'), connect('revenue')]);
  // The repositories register the services' models (names, collections, schemas) on each connection.
  const inv = invoiceRepository(invoicing);
  receivableRepository(ar);
  entryRepository(revenue);
  planRepository(revenue);
  return { invoicing, ar, revenue, numbers: inv.numbers };
}

interface FillReport {
  contracts: number;
  documents: number;
  seconds: number;
  docsPerSecond: number;
  byCollection: Record<string, number>;
}

/** Day-of-year spread: contract k's milestones fall weekly from a start between Jan 1 and ~10 weeks before today. */
function datesFor(t: Template, k: number): string[] {
  const yearStart = `${t.today.slice(0, 4)}-01-01`;
  const span = daysBetween(yearStart, t.today) - 7 * MILESTONES;
  if (span < 1) return Array(MILESTONES).fill(t.today);
  const start = addDays(yearStart, (k * 7919) % span);
  return Array.from({ length: MILESTONES }, (_, j) => addDays(start, 7 * j));
}

const BATCH_CONTRACTS = 100;

async function fill(stores: Stores, t: Template, run: string, fromIndex: number, count: number, label: string): Promise<FillReport> {
  const byCollection: Record<string, number> = { invoices: 0, numbers: 0, receivables: 0, journal_entries: 0, revenue_plans: 0 };
  if (count <= 0) return { contracts: 0, documents: 0, seconds: 0, docsPerSecond: 0, byCollection };
  let next = await stores.numbers.firstFree(t.sequence);
  const started = nowMs();
  let done = 0;
  let docs = 0;
  let lastDraw = 0;
  const draw = (final = false) => {
    const now = nowMs();
    if (!final && now - lastDraw < 250) return;
    lastDraw = now;
    const frac = done / count;
    const width = 30;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    const secs = (now - started) / 1000;
    const rate = docs / Math.max(secs, 1e-3);
    const eta = frac > 0 ? ((now - started) * (1 - frac)) / frac : NaN;
    process.stderr.write(`\r${label} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${done.toLocaleString('en-US')}/${count.toLocaleString('en-US')} contracts, ${docs.toLocaleString('en-US')} docs, ${Math.round(rate).toLocaleString('en-US')} docs/s${Number.isFinite(eta) && !final ? `, eta ${duration(eta)}` : ''}   `);
  };
  draw(true);
  const models = {
    Invoice: stores.invoicing.models.Invoice!,
    Receivable: stores.ar.models.Receivable!,
    JournalEntry: stores.revenue.models.JournalEntry!,
    RevenuePlan: stores.revenue.models.RevenuePlan!,
  };
  const opts = { ordered: false, lean: true } as const;
  // Batches one after another; within a batch the three databases (three SQLite files) in parallel.
  for (let b = 0; b < count; b += BATCH_CONTRACTS) {
    const n = Math.min(BATCH_CONTRACTS, count - b);
    const invoices: Record<string, unknown>[] = [];
    const receivables: Record<string, unknown>[] = [];
    const entries: Record<string, unknown>[] = [];
    const plans: Record<string, unknown>[] = [];
    const slots: Array<{ sequence: string; n: number; owner: string }> = [];
    for (let c = 0; c < n; c += 1) {
      const k = fromIndex + b + c;
      const customer = customerOf(k);
      const numbers = Array.from({ length: MILESTONES }, (_, i) => formatInvoiceNumber(t.sequence, next + i));
      const dates = datesFor(t, k);
      const common = { contractId: `grow-f-${run}-${k}`, customerId: customer.id, customerName: customer.name, numbers };
      for (const plan of t.plans) plans.push(plan({ ...common, date: dates[0]!, dueDate: addDays(dates[0]!, t.dueOffset), entryId: '' }));
      t.milestones.forEach((m, i) => {
        const v: Values = { ...common, date: dates[i]!, dueDate: addDays(dates[i]!, t.dueOffset), entryId: randomUUID() };
        const invoice = m.invoice(v);
        invoices.push(invoice);
        slots.push({ sequence: t.sequence, n: next + i, owner: `INV:${String(invoice.idempotencyKey)}` });
        receivables.push(m.receivable(v));
        entries.push(m.entry(v));
      });
      next += MILESTONES;
    }
    await Promise.all([
      (async () => {
        await stores.numbers.claimMany(slots);
        await models.Invoice.insertMany(invoices, opts);
      })(),
      models.Receivable.insertMany(receivables, opts),
      (async () => {
        await models.JournalEntry.insertMany(entries, opts);
        await models.RevenuePlan.insertMany(plans, opts);
      })(),
    ]);
    byCollection.invoices! += invoices.length;
    byCollection.numbers! += slots.length;
    byCollection.receivables! += receivables.length;
    byCollection.journal_entries! += entries.length;
    byCollection.revenue_plans! += plans.length;
    docs += invoices.length + slots.length + receivables.length + entries.length + plans.length;
    done += n;
    draw();
  }
  draw(true);
  process.stderr.write('\n');
  const seconds = (nowMs() - started) / 1000;
  return { contracts: count, documents: docs, seconds: Number(seconds.toFixed(1)), docsPerSecond: Math.round(docs / seconds), byCollection };
}

/**
 * Reads one filler contract back by the services' own indexed fields and checks it is whole: its
 * documents are there, its invoice numbers consecutive, its receivables on those numbers, its
 * entries seq 1..10 and balanced. Cheap (a few indexed lookups); throws when the filler is wrong.
 */
async function verifyFiller(stores: Stores, t: Template, contractId: string): Promise<Record<string, unknown>> {
  const [invoices, receivables, entries, plans] = await Promise.all([
    stores.invoicing.models.Invoice!.find({ contractId }).lean<Array<Record<string, any>>>(),
    stores.ar.models.Receivable!.find({ contractId }).lean<Array<Record<string, any>>>(),
    stores.revenue.models.JournalEntry!.find({ contractId }).lean<Array<Record<string, any>>>(),
    stores.revenue.models.RevenuePlan!.find({ contractId }).lean<Array<Record<string, any>>>(),
  ]);
  const problems: string[] = [];
  if (invoices.length !== MILESTONES || receivables.length !== MILESTONES || entries.length !== MILESTONES || plans.length !== 1) {
    problems.push(`found ${invoices.length} invoices, ${receivables.length} receivables, ${entries.length} entries, ${plans.length} plans`);
  }
  const ns = invoices.map((i) => Number(String(i.number).slice(t.sequence.length + 1))).sort((a, b) => a - b);
  if (!ns.every((n, i) => n === ns[0]! + i)) problems.push(`invoice numbers not consecutive: ${ns.join(',')}`);
  const slots = await Promise.all(ns.map((n) => stores.numbers.taken(t.sequence, n)));
  if (!slots.every(Boolean)) problems.push('a number slot is missing');
  const numbers = new Set(invoices.map((i) => i.number));
  if (!receivables.every((r) => numbers.has(r.invoiceNumber) && r.customerId === invoices[0]?.customer?.id)) problems.push('receivables do not match the invoices');
  const seqs = entries.map((e) => e.seq).sort((a, b) => a - b);
  if (seqs.join(',') !== Array.from({ length: MILESTONES }, (_, i) => i + 1).join(',')) problems.push(`entry seqs ${seqs.join(',')}`);
  for (const e of entries) {
    const sum = (k: 'debit' | 'credit') => (e.lines as Array<Record<string, string>>).reduce((a, l) => a + Math.round(Number(l[k]) * 100), 0);
    if (e.ledger !== 'books' || sum('debit') !== sum('credit')) problems.push(`entry ${e.seq} unbalanced or not in books`);
  }
  if (JSON.stringify([invoices, receivables, entries, plans]).includes(t.contractId)) problems.push('still carries the template contract id');
  if (problems.length) throw new Error(`filler contract ${contractId} is wrong: ${problems.join('; ')}`);
  const first = invoices.find((i) => Number(String(i.number).slice(t.sequence.length + 1)) === ns[0]);
  const sample = { invoice: first, receivable: receivables.find((r) => r.invoiceNumber === first?.number), entry: entries.find((e) => e.seq === 1), plan: plans[0] };
  return JSON.parse(JSON.stringify(sample));
}

// ---------------------------------------------------------------------------------------------
// Measuring phases

interface SizeResult {
  size: number;
  contractsInStore: number;
  invoicesInStore: number;
  fill: FillReport;
  openLoop: { offeredPerSecond: number; sent: number; answered: number; errors: number; p50?: number; p99?: number; mean?: number; max?: number; answeredPerSecond: number };
  closedLoop: { callers: number; seconds: number; completed: number; errors: number; perSecond: number; p50?: number; p99?: number };
  reads: Record<'state' | 'invoices' | 'entries', { n: number; p50?: number; p99?: number }>;
  directInvoice: { n: number; errors: number; p50?: number; p99?: number };
  errors: string[];
}

/** 1. Open loop: `rate` completions/s for `seconds`, sent on schedule whatever the answers; fresh contracts. */
async function openLoop(live: Live, o: Options, size: number): Promise<SizeResult['openLoop']> {
  const total = Math.max(1, Math.round(o.rate * o.seconds));
  // Enough contracts that each gets a completion at most every ~2 s (no queueing on one workflow).
  const nContracts = Math.max(Math.ceil(total / MILESTONES), Math.ceil(o.rate * 2));
  const ids = await live.createContracts(`open${size}`, nContracts);
  const before = live.errors.length;
  const latencies: number[] = [];
  const start = nowMs();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i += 1) {
    const due = start + (i * 1000) / o.rate;
    const wait = due - nowMs();
    if (wait > 0) await sleep(wait);
    inflight.push(live.complete(ids[i % nContracts]!, Math.floor(i / nContracts) + 1).then((ms) => { if (ms !== undefined) latencies.push(ms); }));
  }
  await Promise.all(inflight);
  const elapsed = (nowMs() - start) / 1000;
  return {
    offeredPerSecond: o.rate, sent: total, answered: latencies.length, errors: live.errors.length - before,
    p50: pct(latencies, 0.5), p99: pct(latencies, 0.99), mean: latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length : undefined, max: pct(latencies, 1),
    answeredPerSecond: Number((latencies.length / elapsed).toFixed(2)),
  };
}

/** 2. Closed loop: `callers` callers, each completing its own contracts' milestones in order, for `seconds`. */
async function closedLoop(live: Live, o: Options, size: number, expectedPerSecond: number): Promise<SizeResult['closedLoop']> {
  const expectedContracts = Math.ceil((expectedPerSecond * o.seconds * 1.3) / MILESTONES);
  const ready = await live.createContracts(`closed${size}`, Math.max(o.callers, Math.min(expectedContracts, o.callers * 20)));
  const before = live.errors.length;
  const latencies: number[] = [];
  const start = nowMs();
  const deadline = start + o.seconds * 1000;
  let lastAnswer = start;
  await Promise.all(Array.from({ length: o.callers }, async () => {
    while (nowMs() < deadline) {
      const id = ready.pop() ?? (await live.createContracts(`closed${size}x`, 1))[0]!;
      for (let m = 1; m <= MILESTONES && nowMs() < deadline; m += 1) {
        const ms = await live.complete(id, m);
        lastAnswer = nowMs();
        if (ms === undefined) break; // this contract is in an unknown state: take another
        latencies.push(ms);
      }
    }
  }));
  const elapsed = (lastAnswer - start) / 1000;
  return {
    callers: o.callers, seconds: Number(elapsed.toFixed(1)), completed: latencies.length, errors: live.errors.length - before,
    perSecond: Number((latencies.length / elapsed).toFixed(2)), p50: pct(latencies, 0.5), p99: pct(latencies, 0.99),
  };
}

/** 3. One contract's reads, one after another, cycling state → invoices → entries, for `seconds`. */
async function reads(live: Live, o: Options, contractId: string): Promise<SizeResult['reads']> {
  const paths = { state: `/contracts/${contractId}`, invoices: `/contracts/${contractId}/invoices`, entries: `/contracts/${contractId}/entries` } as const;
  const ms: Record<keyof typeof paths, number[]> = { state: [], invoices: [], entries: [] };
  const deadline = nowMs() + o.seconds * 1000;
  const cap = o.quick ? 100 : 500;
  while (nowMs() < deadline && ms.entries.length < cap) {
    for (const k of Object.keys(paths) as Array<keyof typeof paths>) {
      const v = await live.timedGet(paths[k]);
      if (v !== undefined) ms[k].push(v);
    }
  }
  const out = {} as SizeResult['reads'];
  for (const k of Object.keys(paths) as Array<keyof typeof paths>) out[k] = { n: ms[k].length, p50: pct(ms[k], 0.5), p99: pct(ms[k], 0.99) };
  return out;
}

/** 4. `POST /invoices` straight to the invoicing service, one after another, each with its own key, for `seconds`. */
async function directInvoices(live: Live, o: Options, size: number, today: string): Promise<SizeResult['directInvoice']> {
  const ms: number[] = [];
  let errors = 0;
  const deadline = nowMs() + o.seconds * 1000;
  const cap = o.quick ? 100 : 500;
  for (let i = 0; nowMs() < deadline && ms.length < cap; i += 1) {
    const body = {
      kind: 'milestone', contractId: `grow-${live.run}-direct-${size}`, customer: customerOf(i), currency: 'USD', termsVersion: 1,
      date: today, paymentTerms: 'NET_30', lines: [{ milestoneId: `m${i}`, description: `Direct ${i}`, amount: '1000.00' }],
    };
    const key = `grow-${live.run}-direct-${size}-${i}`;
    const t = nowMs();
    try {
      const r = await withTimeout(live.invoicing.call('POST', '/invoices', body, key), o.requestTimeoutMs, 'POST /invoices');
      const took = nowMs() - t;
      if (r.status !== 201) {
        errors += 1;
        live.errors.push(`POST /invoices ${key}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      } else ms.push(took);
    } catch (err) {
      errors += 1;
      live.errors.push(`POST /invoices ${key}: ${(err as Error).message}`);
    }
  }
  return { n: ms.length, errors, p50: pct(ms, 0.5), p99: pct(ms, 0.99) };
}

// ---------------------------------------------------------------------------------------------
// Report

type Row = [string, (r: SizeResult) => number | undefined, boolean?];

function rows(o: Options): Row[] {
  return [
    ['contracts in the store (at measuring start)', (r) => r.contractsInStore],
    ['invoices in the store (at measuring start)', (r) => r.invoicesInStore],
    [`complete → invoice p50 ms (open loop, ${o.rate}/s)`, (r) => r.openLoop.p50],
    [`complete → invoice p99 ms (open loop, ${o.rate}/s)`, (r) => r.openLoop.p99],
    ['open loop: answered/s', (r) => r.openLoop.answeredPerSecond],
    [`milestones/s, ${o.callers} callers (closed loop)`, (r) => r.closedLoop.perSecond],
    [`complete → invoice p50 ms, ${o.callers} callers`, (r) => r.closedLoop.p50],
    ['GET /contracts/:id p50 ms', (r) => r.reads.state.p50],
    ['GET /contracts/:id p99 ms', (r) => r.reads.state.p99],
    ['GET /contracts/:id/invoices p50 ms', (r) => r.reads.invoices.p50],
    ['GET /contracts/:id/invoices p99 ms', (r) => r.reads.invoices.p99],
    ['GET /contracts/:id/entries p50 ms', (r) => r.reads.entries.p50],
    ['GET /contracts/:id/entries p99 ms', (r) => r.reads.entries.p99],
    ['POST /invoices (invoicing service) p50 ms', (r) => r.directInvoice.p50],
    ['POST /invoices (invoicing service) p99 ms', (r) => r.directInvoice.p99],
    ['failed requests (all phases)', (r) => r.errors.length, true],
    ['fill: documents/s (filling up to this size)', (r) => (r.fill.documents ? r.fill.docsPerSecond : undefined), true],
  ];
}

function table(results: SizeResult[], o: Options): string[] {
  const first = results[0]!;
  const last = results.at(-1)!;
  const label = (n: number) => (n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n));
  const header = `| figure | ${results.map((r) => r.size.toLocaleString('en-US')).join(' | ')} | ${label(last.size)} ÷ ${label(first.size)} |`;
  const lines = [header, `|---|${results.map(() => '---:').join('|')}|---:|`];
  for (const [name, get, noRatio] of rows(o)) {
    const a = get(first);
    const b = get(last);
    const ratio = noRatio || results.length < 2 || a === undefined || b === undefined || a === 0 ? '—' : `${(b / a).toFixed(2)}×`;
    lines.push(`| ${name} | ${results.map((r) => fmt(get(r))).join(' | ')} | ${ratio} |`);
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------

export async function runGrow(argv: string[]): Promise<void> {
  const o = parseOptions(argv);
  const facts = machineFacts(o.ferretdb);
  const logger = createLogger('bench', 'error');
  const run = Math.random().toString(36).slice(2, 8);
  process.stdout.write(`grow: sizes ${o.sizes.map((s) => s.toLocaleString('en-US')).join(', ')}; ${o.seconds} s phases; ${o.rate}/s open loop; ${o.callers} callers\n`);
  process.stdout.write(`machine: ${facts.nproc} × ${facts.cpuModel}, ${facts.totalMemoryGiB} GiB, node ${facts.node}, ferretdb ${facts.ferretdb}\n`);
  process.stdout.write('starting a throwaway stack…\n');
  const t0 = nowMs();
  const stack = await startGrowStack(logger, o.ferretdb);
  process.stdout.write(`stack up in ${((nowMs() - t0) / 1000).toFixed(1)} s\n`);
  const results: SizeResult[] = [];
  let stores: Stores | undefined;
  let fillerSample: Record<string, unknown> | undefined;
  const startedAt = new Date().toISOString();
  try {
    stores = await openStores(stack, logger);
    const today = new Date().toISOString().slice(0, 10);
    const live = new Live(stack, run, `${today.slice(0, 4)}-01-01`, o.requestTimeoutMs);

    // The template: one contract through the whole path (Temporal, the services), its documents read back.
    const [templateId] = await live.createContracts('template', 1);
    const template = await buildTemplate(live, stores, templateId!);
    process.stdout.write(`template contract ${templateId}: ${MILESTONES} invoices (${template.sequence}), receivables, entries, 1 plan read back\n`);
    let fillers = 0;
    let expectedPerSecond = 10;

    for (const size of o.sizes) {
      const inStore = fillers + live.created; // the template and every live contract count
      const add = size - inStore;
      const fillReport = await fill(stores, template, run, fillers, Math.max(0, add), `fill → ${size.toLocaleString('en-US')}`);
      if (add <= 0) process.stderr.write(`size ${size}: the store already holds ${inStore} contracts, nothing to fill\n`);
      fillers += fillReport.contracts;
      if (fillReport.contracts) fillerSample = await verifyFiller(stores, template, `grow-f-${run}-${fillers - 1}`);
      if (fillReport.contracts) process.stdout.write(`filled ${fillReport.contracts.toLocaleString('en-US')} contracts, ${fillReport.documents.toLocaleString('en-US')} documents in ${fillReport.seconds} s → ${fillReport.docsPerSecond.toLocaleString('en-US')} docs/s\n`);

      // Warm-up, and the contract whose reads are measured: 10 milestones completed in order.
      const errorsBefore = live.errors.length;
      const [readTarget] = await live.createContracts(`read${size}`, 1);
      for (let m = 1; m <= MILESTONES; m += 1) await live.complete(readTarget!, m);
      const contractsInStore = fillers + live.created;
      const invoicesInStore = (await stores.numbers.firstFree(template.sequence)) - 1;

      process.stderr.write(`size ${size.toLocaleString('en-US')}: open loop…`);
      const open = await openLoop(live, o, size);
      process.stderr.write(' reads…');
      const rd = await reads(live, o, readTarget!);
      process.stderr.write(' closed loop…');
      const closed = await closedLoop(live, o, size, expectedPerSecond);
      expectedPerSecond = Math.max(1, closed.perSecond);
      process.stderr.write(' direct invoices…');
      const direct = await directInvoices(live, o, size, today);
      process.stderr.write(' done\n');
      const r: SizeResult = { size, contractsInStore, invoicesInStore, fill: fillReport, openLoop: open, closedLoop: closed, reads: rd, directInvoice: direct, errors: live.errors.slice(errorsBefore) };
      results.push(r);
      process.stdout.write(
        `size ${size.toLocaleString('en-US')} (${contractsInStore.toLocaleString('en-US')} contracts, ${invoicesInStore.toLocaleString('en-US')} invoices): ` +
        `open loop p50 ${fmt(open.p50)} p99 ${fmt(open.p99)} ms; ${closed.perSecond}/s with ${o.callers} callers (p50 ${fmt(closed.p50)} ms); ` +
        `reads p50 ${fmt(rd.state.p50)}/${fmt(rd.invoices.p50)}/${fmt(rd.entries.p50)} ms; POST /invoices p50 ${fmt(direct.p50)} ms; ${r.errors.length} failed\n`,
      );
      for (const e of r.errors.slice(0, 5)) process.stderr.write(`  failed: ${e}\n`);
    }
  } finally {
    await Promise.all([stores?.invoicing.close(), stores?.ar.close(), stores?.revenue.close()].filter(Boolean));
    await stack.stopAll();
  }

  // The report.
  const notes = [
    `Filler contracts are written straight into the services' databases with the services' own mongoose models (invoiceRepository, receivableRepository, entryRepository, planRepository): per contract ${MILESTONES} invoices numbered consecutively in the current year's sequence with their number slots (claimMany), ${MILESTONES} receivables, ${MILESTONES} journal entries (ledger books, seq 1..${MILESTONES}, Dr ar / Cr revenue) and one revenue plan, cloned from a contract run through the real path, customers spread over ${CUSTOMERS}, dates spread over the year. insertMany batches of ${BATCH_CONTRACTS} contracts, the three databases in parallel.`,
    'The Temporal side of filler contracts is not created: Temporal\'s cost is flat in the number of workflows it holds (../shared/STACK.md: starting and describing a workflow took about the same with 100 and with 20,000 stored). The growth measured here is the Mongo store\'s.',
    `Live figures use fresh contracts created through the gateway (real books, today's date): open loop = ${o.rate} completions/s offered for ${o.seconds} s, sent on schedule whatever the answers, round-robin over enough contracts that none gets two within ~2 s; closed loop = ${o.callers} callers, each completing its own contracts' milestones in order, for ${o.seconds} s; reads = one contract with ${MILESTONES} invoiced milestones, read one request after another; POST /invoices = straight to the invoicing service, one after another, a new Idempotency-Key each (real books, today's date). Latency = from sending the request to its whole answer.`,
    'Contracts and invoices in the store grow a little during each size\'s measuring (the live contracts); the counts are those at its start. Nothing asserts a time: read the figures on a quiet machine, and compare runs.',
  ];
  const head = `# Growth: the product's figures as the books grow`;
  const machine = `Machine: ${facts.nproc} CPUs (nproc), ${facts.cpuModel}, ${facts.totalMemoryGiB} GiB, node ${facts.node}, FerretDB \`${facts.ferretdb}\`, ${facts.os}. Run ${startedAt}: \`npm run bench -- ${['--grow', ...argv.filter((a) => a !== '--grow')].join(' ')}\`.`;
  const md = [head, '', machine, '', ...table(results, o), '', '## Fill', '',
    '| size | contracts added | documents | seconds | docs/s |', '|---:|---:|---:|---:|---:|',
    ...results.map((r) => `| ${r.size.toLocaleString('en-US')} | ${r.fill.contracts.toLocaleString('en-US')} | ${r.fill.documents.toLocaleString('en-US')} | ${r.fill.seconds} | ${r.fill.docsPerSecond ? r.fill.docsPerSecond.toLocaleString('en-US') : '—'} |`),
    '', '## Notes', '', ...notes.map((n) => `- ${n}`), ''].join('\n');
  process.stdout.write(`\n${table(results, o).join('\n')}\n`);
  const dir = path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const defaultSizes = o.sizes.join(',') === '100,1000,10000,20000';
  const stamp = `${startedAt.slice(0, 10)}${o.quick ? '-quick' : defaultSizes ? '' : `-${o.sizes.join('-')}`}${o.ferretdb ? '-baseline' : ''}`;
  const base = path.join(dir, `grow-${stamp}`);
  writeFileSync(`${base}.md`, md);
  writeFileSync(`${base}.json`, JSON.stringify({ machine: facts, startedAt, options: o, notes, results, fillerSample }, null, 2));
  process.stdout.write(`\nwrote ${path.relative(process.cwd(), base)}.md and .json\n`);
  const failed = results.reduce((n, r) => n + r.errors.length, 0);
  if (failed) {
    process.stderr.write(`${failed} requests failed (see "errors" in the .json)\n`);
    process.exitCode = 1;
  }
}
