/**
 * The local servers, started as child processes from the binaries `deploy/local/tools` provides:
 * the Temporal CLI dev server (SQLite) and FerretDB (SQLite). Used by `npm start`, the test setup
 * and the scenario runner. Each waits until its server answers, and stops its whole process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import mongoose from 'mongoose';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const TOOLS_BIN = path.join(REPO_ROOT, '.tools', 'bin');

/** Search attributes the gateway uses to list contracts. */
export const SEARCH_ATTRIBUTES = ['TollgateCustomer=Keyword', 'TollgateStatus=Keyword', 'TollgateCurrency=Keyword'];

export interface LocalServer {
  name: string;
  address: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function toolPath(name: 'temporal' | 'ferretdb'): string {
  const p = path.join(TOOLS_BIN, name);
  if (!existsSync(p)) throw new Error(`${p} is missing: run 'npm run tools' (or 'bash deploy/local/tools') first`);
  return p;
}

/**
 * A free port below Linux's ephemeral range (32768–60999 by default), for a component that must
 * listen on the same port again after a restart: a port from `freePort` is ephemeral, so any
 * process's next outbound connection may take it between our pick and the listen.
 */
export async function stablePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, host, () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port found in 20000–32000');
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export function assertPortFree(port: number, host: string, what: string, hint: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === 'EADDRINUSE' ? `${what}: port ${port} on ${host} is already in use. ${hint}` : err.message)),
    );
    srv.listen(port, host, () => srv.close(() => resolve()));
  });
}

async function waitFor(what: string, child: ChildProcess, probe: () => Promise<void>, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before answering:\n${output()}`);
    }
    try {
      await probe();
      return;
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`${what} did not answer within ${timeoutMs} ms: ${(lastError as Error)?.message}\n${output()}`);
}

function launch(bin: string, args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let buffer = '';
  const keep = (chunk: Buffer) => {
    buffer = (buffer + chunk.toString()).slice(-8_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, output: () => buffer };
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => {
        try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
      }, 10_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      try { process.kill(-child.pid!, 'SIGTERM'); } catch { resolve(); }
    });
}

export async function startTemporalDevServer(opts: {
  host?: string;
  port: number;
  uiPort?: number;
  dbFile?: string;
  namespace?: string;
  timeoutMs?: number;
  dynamicConfig?: Record<string, unknown>;
}): Promise<LocalServer> {
  const host = opts.host ?? '127.0.0.1';
  const namespace = opts.namespace ?? 'default';
  const args = ['server', 'start-dev', '--ip', host, '--port', String(opts.port), '--namespace', namespace, '--log-level', 'warn'];
  args.push(...(opts.uiPort ? ['--ui-port', String(opts.uiPort)] : ['--headless']));
  if (opts.dbFile) {
    mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    // WAL + synchronous=normal: ~10× the throughput of the default journal, still safe against a
    // process crash (docs/local-stack.md).
    args.push('--db-filename', opts.dbFile, '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  }
  for (const sa of SEARCH_ATTRIBUTES) args.push('--search-attribute', sa);
  for (const [k, v] of Object.entries(opts.dynamicConfig ?? {})) args.push('--dynamic-config-value', `${k}=${JSON.stringify(v)}`);
  const { child, output } = launch(toolPath('temporal'), args);
  const address = `${host}:${opts.port}`;
  const server: LocalServer = { name: 'temporal', address, process: child, stop: stopper(child) };
  try {
    await waitFor('temporal dev server', child, async () => {
      const conn = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await conn.workflowService.describeNamespace({ namespace });
      } finally {
        await conn.close();
      }
    }, opts.timeoutMs ?? 60_000, output);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

export async function startFerretDb(opts: { host?: string; port: number; dataDir: string; timeoutMs?: number; binary?: string }): Promise<LocalServer> {
  const host = opts.host ?? '127.0.0.1';
  const dir = path.resolve(opts.dataDir);
  mkdirSync(dir, { recursive: true });
  const args = [
    '--handler=sqlite', `--sqlite-url=file:${dir}/`, `--state-dir=${dir}`, `--listen-addr=${host}:${opts.port}`,
    '--telemetry=disable', '--debug-addr=-', '--log-level=warn',
  ];
  const { child, output } = launch(opts.binary ?? toolPath('ferretdb'), args);
  const address = `mongodb://${host}:${opts.port}/`;
  const server: LocalServer = { name: 'ferretdb', address, process: child, stop: stopper(child) };
  try {
    await waitFor('ferretdb', child, async () => {
      const conn = mongoose.createConnection(address, { serverSelectionTimeoutMS: 1_000 });
      try {
        await conn.asPromise();
        await conn.db!.command({ ping: 1 });
      } finally {
        await conn.close();
      }
    }, opts.timeoutMs ?? 30_000, output);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}
