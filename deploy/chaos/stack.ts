/**
 * The chaos run's throwaway stack: a Temporal dev server and FerretDB (deploy/local/servers.ts) and
 * every Tollgate component as its own child process — `deploy/run.ts gateway|invoicing|revenue|ar`
 * and workers (`deploy/run.ts worker --workflow-bundle`, on a bundle built once here) — on fixed
 * ports chosen once, so a component killed and started again comes back on the same address. Each
 * child runs alone in its own process group (`node --import tsx`, no wrapper process), so a SIGKILL
 * kills exactly it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { REPO_ROOT, stablePort, startFerretDb, startTemporalDevServer, type LocalServer } from '../local/servers';
import { WORKFLOWS_PATH } from '../../worker';

export type ServiceName = 'gateway' | 'invoicing' | 'revenue' | 'ar';
export const SERVICES: ServiceName[] = ['invoicing', 'revenue', 'ar', 'gateway'];

/** The API keys the chaos run configures (the gateway is never open). */
export interface ChaosKeys {
  admin: string;
  finance: string;
  delivery: string;
  support: string;
  /** An approver scoped to one customer (`scopedCustomer`). */
  scoped: string;
  scopedCustomer: string;
}

export interface ChaosStackOptions {
  logLevel: string;
  /** Seconds of the gateway's 503 Retry-After. */
  retryAfterSeconds: number;
  /** Graceful-stop budget of every component (ms). */
  shutdownGraceMs: number;
  workers: number;
  /** Keep the temporary directory (logs, databases) after stop. */
  keep: boolean;
  /** Extra node flags per kind of component (e.g. `{ worker: ['--cpu-prof'] }` for a benchmark's profile). */
  nodeFlags?: Partial<Record<ServiceName | 'worker', string[]>>;
}

export interface Component {
  name: string;
  kind: ServiceName | 'worker';
  /** The port it listens on (services), fixed across restarts. */
  port?: number;
  child?: ChildProcess;
  starts: number;
  /** When it last became ready (ms since epoch). */
  readyAt?: number;
}

export interface ChaosStack {
  tmp: string;
  token: string;
  keys: ChaosKeys;
  webhook: { source: string; secret: string };
  urls: Record<ServiceName, string>;
  temporalAddress: string;
  mongoUrl: string;
  components: Map<string, Component>;
  bundleSeconds: number;
  /** Starts a component and waits until it answers (services: `/healthz`; workers: Temporal lists the new process among the task queue's pollers); resolves to the ms it took. */
  start(name: string): Promise<number>;
  /** SIGKILL: gone at once, nothing finishes. */
  kill(name: string): Promise<void>;
  /** SIGTERM: graceful stop; waits for the exit (SIGKILL after `graceMs` + 10 s). */
  terminate(name: string): Promise<void>;
  isUp(name: string): boolean;
  /** Process ids of everything running now: each component, `temporal` and `ferretdb` (for RSS and CPU figures). */
  pids(): Record<string, number>;
  stop(): Promise<void>;
}

const random = (bytes = 32) => randomBytes(bytes).toString('hex');
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startChaosStack(opts: ChaosStackOptions, say: (line: string) => void): Promise<ChaosStack> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'tollgate-chaos-'));
  const logs = path.join(tmp, 'logs');
  mkdirSync(logs, { recursive: true });
  // Below the ephemeral range: a restarted component must get its port back (see stablePort).
  const picked = new Set<number>();
  while (picked.size < 6) picked.add(await stablePort());
  const [temporalPort, mongoPort, gatewayPort, invoicingPort, revenuePort, arPort] = [...picked] as [number, number, number, number, number, number];
  const servers: LocalServer[] = [];
  const components = new Map<string, Component>();
  const streams: WriteStream[] = [];
  const stopServers = async () => {
    await Promise.all(servers.map((s) => s.stop()));
    for (const s of streams) s.end();
    if (!opts.keep) rmSync(tmp, { recursive: true, force: true });
  };
  try {
    const t0 = Date.now();
    const bundling = bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } });
    const [temporal, ferret] = await Promise.all([
      startTemporalDevServer({ port: temporalPort!, dbFile: path.join(tmp, 'temporal.sqlite') }),
      startFerretDb({ port: mongoPort!, dataDir: path.join(tmp, 'ferretdb') }),
    ]);
    servers.push(temporal, ferret);
    const bundle = await bundling;
    const bundleSeconds = (Date.now() - t0) / 1000;
    const bundlePath = path.join(tmp, 'workflow-bundle.js');
    writeFileSync(bundlePath, bundle.code);
    say(`temporal ${temporal.address}, ferretdb ${ferret.address}, workflow bundle ${(bundle.code.length / 1024).toFixed(0)} KiB (${bundleSeconds.toFixed(1)} s)`);

    const token = random();
    const keys: ChaosKeys = {
      admin: random(), finance: random(), delivery: random(), support: random(), scoped: random(), scopedCustomer: 'chaos-scoped-customer',
    };
    const webhook = { source: 'chaos-psa', secret: random(24) };
    const ports: Record<ServiceName, number> = { gateway: gatewayPort!, invoicing: invoicingPort!, revenue: revenuePort!, ar: arPort! };
    const urls = Object.fromEntries(Object.entries(ports).map(([k, p]) => [k, `http://127.0.0.1:${p}`])) as Record<ServiceName, string>;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? tmp,
      TEMPORAL_ADDRESS: temporal.address,
      MONGO_URL: ferret.address,
      MONGO_DB_PREFIX: 'chaos',
      TEMPORAL_TASK_QUEUE: 'tollgate-chaos',
      HOST: '127.0.0.1',
      GATEWAY_PORT: String(ports.gateway),
      INVOICING_PORT: String(ports.invoicing),
      REVENUE_PORT: String(ports.revenue),
      AR_PORT: String(ports.ar),
      LOG_LEVEL: opts.logLevel,
      TOLLGATE_SERVICE_TOKEN: token,
      TOLLGATE_API_KEYS: JSON.stringify([
        { name: 'chaos-admin', keyHash: sha256(keys.admin), role: 'admin' },
        { name: 'chaos-finance', keyHash: sha256(keys.finance), role: 'finance' },
        { name: 'chaos-delivery', keyHash: sha256(keys.delivery), role: 'delivery' },
        { name: 'chaos-support', keyHash: sha256(keys.support), role: 'support' },
        { name: 'chaos-scoped', keyHash: sha256(keys.scoped), role: 'approver', customerId: keys.scopedCustomer },
      ]),
      TOLLGATE_REQUIRE_API_KEYS: 'true',
      TOLLGATE_WEBHOOK_SECRETS: JSON.stringify({ [webhook.source]: webhook.secret }),
      TOLLGATE_RETRY_AFTER_SECONDS: String(opts.retryAfterSeconds),
      TOLLGATE_SHUTDOWN_GRACE_MS: String(opts.shutdownGraceMs),
    };
    const taskQueue = env.TEMPORAL_TASK_QUEUE!;
    // Worker readiness: the new process (identity `<pid>@<host>`, the SDK's default) polls the workflow task queue.
    const temporalConnection = await Connection.connect({ address: temporal.address });
    const polls = async (pid: number) => {
      const res = await temporalConnection.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType: 1 });
      return (res.pollers ?? []).some((p) => p.identity?.startsWith(`${pid}@`));
    };
    for (const s of SERVICES) components.set(s, { name: s, kind: s, port: ports[s], starts: 0 });
    for (let i = 1; i <= opts.workers; i += 1) components.set(`worker-${i}`, { name: `worker-${i}`, kind: 'worker', starts: 0 });

    const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;
    const waitExit = (c: ChildProcess) => new Promise<void>((resolve) => (exited(c) ? resolve() : c.once('exit', () => resolve())));
    const signal = (c: ChildProcess, sig: NodeJS.Signals) => {
      try { process.kill(-c.pid!, sig); } catch { /* already gone */ }
    };

    async function start(name: string): Promise<number> {
      const comp = components.get(name);
      if (!comp) throw new Error(`no component ${name}`);
      if (comp.child && !exited(comp.child)) throw new Error(`${name} is already running`);
      const t = Date.now();
      const args = [...(opts.nodeFlags?.[comp.kind] ?? []), '--import', 'tsx', path.join(REPO_ROOT, 'deploy', 'run.ts'), comp.kind, ...(comp.kind === 'worker' ? ['--workflow-bundle', bundlePath] : [])];
      const log = createWriteStream(path.join(logs, `${name}.log`), { flags: 'a' });
      streams.push(log);
      log.write(`\n=== start #${comp.starts + 1} at ${new Date().toISOString()} ===\n`);
      const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let tail = '';
      const keep = (chunk: Buffer) => {
        log.write(chunk);
        tail = (tail + chunk.toString()).slice(-4_000);
      };
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      comp.child = child;
      comp.starts += 1;
      const deadline = Date.now() + 90_000;
      for (;;) {
        if (exited(child)) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) while starting:\n${tail}`);
        if (Date.now() > deadline) {
          signal(child, 'SIGKILL');
          throw new Error(`${name} did not become ready within 90 s:\n${tail}`);
        }
        if (comp.kind === 'worker') {
          try {
            if (await polls(child.pid!)) break;
          } catch { /* Temporal busy: ask again */ }
        } else {
          try {
            const res = await fetch(`${urls[comp.kind]}/healthz`, { signal: AbortSignal.timeout(1_000) });
            if (res.ok) break;
          } catch { /* not yet */ }
        }
        await sleep(100);
      }
      comp.readyAt = Date.now();
      return comp.readyAt - t;
    }

    async function kill(name: string): Promise<void> {
      const c = components.get(name)?.child;
      if (!c || exited(c)) return;
      signal(c, 'SIGKILL');
      await waitExit(c);
    }

    async function terminate(name: string): Promise<void> {
      const c = components.get(name)?.child;
      if (!c || exited(c)) return;
      const force = setTimeout(() => signal(c, 'SIGKILL'), opts.shutdownGraceMs + 10_000);
      signal(c, 'SIGTERM');
      await waitExit(c);
      clearTimeout(force);
    }

    const stack: ChaosStack = {
      tmp, token, keys, webhook, urls, temporalAddress: temporal.address, mongoUrl: ferret.address, components, bundleSeconds,
      start, kill, terminate,
      isUp: (name) => {
        const c = components.get(name)?.child;
        return c !== undefined && !exited(c);
      },
      pids: () => {
        const out: Record<string, number> = { temporal: temporal.process.pid!, ferretdb: ferret.process.pid! };
        for (const c of components.values()) if (c.child?.pid && !exited(c.child)) out[c.name] = c.child.pid;
        return out;
      },
      async stop() {
        // Gateway first (no new work), then workers, then the services; all at once is fine for a throwaway stack.
        await Promise.all([...components.keys()].map((n) => terminate(n).catch(() => undefined)));
        await temporalConnection.close().catch(() => undefined);
        await stopServers();
      },
    };
    // Services first (the gateway checks nothing at start but the store; AR needs Temporal), then the workers.
    for (const s of ['invoicing', 'revenue', 'ar']) await start(s);
    await start('gateway');
    for (let i = 1; i <= opts.workers; i += 1) await start(`worker-${i}`);
    return stack;
  } catch (err) {
    for (const c of components.values()) if (c.child && c.child.exitCode === null && c.child.signalCode === null) {
      try { process.kill(-c.child.pid!, 'SIGKILL'); } catch { /* gone */ }
    }
    await stopServers();
    throw err;
  }
}
