/**
 * `npm start`: brings the whole system up on this machine. Starts the Temporal dev server (web UI
 * on) and FerretDB, both on SQLite files under DATA_DIR (data survives a restart), unless
 * TEMPORAL_ADDRESS / MONGO_URL point at servers that already run; then the services and a worker.
 * `--replicas N` (or TOLLGATE_REPLICAS=N) runs N copies of the services, gateway and worker, each
 * in its own process (deploy/local/replica.ts) on ports offset by 10 per replica, all on the one
 * Temporal and the one store. Ctrl-C (or SIGTERM) stops everything it started, gracefully: each
 * component finishes its in-flight work first; a second Ctrl-C exits at once.
 *
 * The internal services require the service credential: with TOLLGATE_SERVICE_TOKEN(_FILE) unset,
 * one is generated once into DATA_DIR/service-token (mode 0600) and used by every component and
 * replica, and again after a restart.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../libs/config';
import { createLogger } from '../../libs/logger';
import type { Config } from '../../libs/config';
import { assertPortFree, REPO_ROOT, startFerretDb, startTemporalDevServer, type LocalServer } from './servers';
import { startSystem, type RunningSystem } from './system';

/** Replica count from `--replicas N` or TOLLGATE_REPLICAS (default 1). */
export function replicaCount(argv: string[], env: Record<string, string | undefined>): number {
  const i = argv.indexOf('--replicas');
  const raw = i >= 0 ? argv[i + 1] : (argv.find((a) => a.startsWith('--replicas='))?.split('=')[1] ?? env.TOLLGATE_REPLICAS ?? '1');
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 8) throw new Error(`--replicas must be a whole number from 1 to 8 (got ${raw})`);
  return n;
}

/** The ports of replica k (0-based): the configured ones plus 10 per replica. */
function replicaPorts(config: Config, k: number): Record<string, string> {
  return {
    GATEWAY_PORT: String(config.GATEWAY_PORT + 10 * k),
    INVOICING_PORT: String(config.INVOICING_PORT + 10 * k),
    REVENUE_PORT: String(config.REVENUE_PORT + 10 * k),
    AR_PORT: String(config.AR_PORT + 10 * k),
  };
}

interface Urls { gatewayUrl: string; invoicingUrl: string; revenueUrl: string; arUrl: string }

export const SERVICE_TOKEN_FILE = 'service-token';

/**
 * The local service credential: DATA_DIR/service-token, created (random, 256 bits, mode 0600)
 * when missing, tightened to 0600 when it is not. Returns the file's path.
 */
export function ensureLocalServiceToken(dataDir: string): { file: string; created: boolean } {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, SERVICE_TOKEN_FILE);
  let created = false;
  try {
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  if (readFileSync(file, 'utf8').trim() === '') throw new Error(`${file} is empty: delete it and start again (a new one is generated)`);
  return { file, created };
}

/** Starts replica k as a child process; resolves with its URLs once it is up. */
function startReplica(config: Config, k: number, env: Record<string, string>): Promise<{ child: ChildProcess; urls: Urls }> {
  const ports = replicaPorts(config, k);
  const child = fork(path.join(__dirname, 'replica.ts'), [], {
    env: {
      ...process.env, ...env, ...ports, TOLLGATE_REPLICA: String(k + 1),
      INVOICING_URL: `http://${config.HOST}:${ports.INVOICING_PORT}`, REVENUE_URL: `http://${config.HOST}:${ports.REVENUE_PORT}`, AR_URL: `http://${config.HOST}:${ports.AR_PORT}`,
      GATEWAY_URL: `http://${config.HOST}:${ports.GATEWAY_PORT}`,
    },
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ child, urls: m as Urls }));
    child.once('exit', (code) => reject(new Error(`replica ${k + 1} exited with code ${code} before it was up`)));
  });
}

async function main(): Promise<void> {
  const configured = loadConfig();
  const replicas = replicaCount(process.argv.slice(2), process.env);
  const children: ChildProcess[] = [];
  const logger = createLogger('tollgate', configured.LOG_LEVEL);
  const dataDir = path.resolve(REPO_ROOT, configured.DATA_DIR);
  // The service credential: configured, or the local one under DATA_DIR (replicas read the same file).
  const tokenEnv: Record<string, string> = {};
  let config = configured;
  if (!configured.TOLLGATE_SERVICE_TOKEN) {
    try {
      const { file, created } = ensureLocalServiceToken(dataDir);
      tokenEnv.TOLLGATE_SERVICE_TOKEN_FILE = file;
      config = loadConfig({ ...process.env, ...tokenEnv });
      logger.info({ file }, created ? 'service credential generated for the internal services' : 'service credential read for the internal services');
    } catch (err) {
      logger.error(`cannot set up the local service credential under ${dataDir}: ${(err as Error).message} (or set TOLLGATE_SERVICE_TOKEN_FILE)`);
      process.exit(1);
    }
  }
  const servers: LocalServer[] = [];
  let system: RunningSystem | undefined;
  let stopping = false;

  const shutdown = async (code: number) => {
    if (stopping) {
      logger.warn('stopping at once');
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
      for (const s of servers) {
        try { process.kill(-s.process.pid!, 'SIGTERM'); } catch { /* already gone */ }
      }
      process.exit(code || 130);
    }
    stopping = true;
    logger.info('stopping gracefully (in-flight requests and activities finish first; Ctrl-C again to stop at once)…');
    await system?.stop();
    await Promise.all(children.map((c) => new Promise((r) => {
      if (c.exitCode !== null) return r(undefined);
      c.once('exit', r);
      c.kill('SIGTERM');
    })));
    for (const s of servers.reverse()) await s.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  try {
    const started = Date.now();
    if (!process.env.TEMPORAL_ADDRESS) {
      const [host, port] = config.TEMPORAL_ADDRESS.split(':');
      await assertPortFree(Number(port), host!, 'Temporal', 'Stop what uses it, or set TEMPORAL_ADDRESS to use a Temporal server that already runs there.');
      await assertPortFree(config.TEMPORAL_UI_PORT, host!, 'Temporal UI', 'Stop what uses it, or set TEMPORAL_UI_PORT.');
      logger.info('starting Temporal dev server…');
      servers.push(await startTemporalDevServer({ host, port: Number(port), uiPort: config.TEMPORAL_UI_PORT, dbFile: path.join(dataDir, 'temporal.sqlite') }));
    }
    if (!process.env.MONGO_URL) {
      const url = new URL(config.MONGO_URL);
      await assertPortFree(Number(url.port || 27017), url.hostname, 'FerretDB', 'Stop what uses it, or set MONGO_URL to use a MongoDB that already runs there.');
      logger.info('starting FerretDB…');
      servers.push(await startFerretDb({ host: url.hostname, port: Number(url.port || 27017), dataDir: path.join(dataDir, 'ferretdb') }));
    }
    for (let k = 0; k < replicas; k += 1) {
      const ports = replicaPorts(config, k);
      for (const name of ['GATEWAY', 'INVOICING', 'REVENUE', 'AR'] as const) {
        await assertPortFree(Number(ports[`${name}_PORT`]), config.HOST, name.toLowerCase(), `Stop what uses it, or set ${name}_PORT.`);
      }
    }
    const ui = process.env.TEMPORAL_ADDRESS ? '(your Temporal server)' : `http://${config.TEMPORAL_ADDRESS.split(':')[0]}:${config.TEMPORAL_UI_PORT}`;
    let urls: Urls[];
    if (replicas === 1) {
      system = await startSystem(config, logger);
      urls = [system];
    } else {
      // The servers this process started are handed to the replicas by address.
      const shared = { TEMPORAL_ADDRESS: config.TEMPORAL_ADDRESS, MONGO_URL: config.MONGO_URL, ...tokenEnv };
      const started = await Promise.all(Array.from({ length: replicas }, (_, k) => startReplica(config, k, shared)));
      children.push(...started.map((s) => s.child));
      urls = started.map((s) => s.urls);
      for (const c of children) c.on('exit', (code) => { if (!stopping) { logger.error({ code }, 'a replica stopped'); void shutdown(1); } });
    }
    process.stdout.write(
      [
        '',
        `Tollgate is up (${((Date.now() - started) / 1000).toFixed(1)} s${replicas > 1 ? `, ${replicas} replicas` : ''}).`,
        ...urls.map((u, k) => `  API          ${u.gatewayUrl}   ${k === 0 ? `(try: curl ${u.gatewayUrl}/healthz)` : `(replica ${k + 1})`}`),
        `  Console      ${urls[0]!.gatewayUrl}/   API docs ${urls[0]!.gatewayUrl}/docs`,
        `  Temporal UI  ${ui}`,
        ...urls.map((u) => `  invoicing    ${u.invoicingUrl}   revenue ${u.revenueUrl}   ar ${u.arUrl}`),
        `  data         ${dataDir}`,
        ...(tokenEnv.TOLLGATE_SERVICE_TOKEN_FILE
          ? [`  services     need the service credential: curl -H "authorization: Bearer $(cat ${tokenEnv.TOLLGATE_SERVICE_TOKEN_FILE})" …`]
          : []),
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
  } catch (err) {
    logger.error((err as Error).message);
    await shutdown(1);
  }
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`tollgate failed to start: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
