/**
 * The production build (the Dockerfile's two stages, without Docker): `npm run build` compiles the
 * components to dist/, builds the console and prebuilds the workflow bundle; the runtime stage is
 * dist/ with production dependencies only. Here that stage is a temporary directory holding a copy
 * of dist/, package.json and a node_modules with nothing but the production packages of
 * package-lock.json (what `npm ci --omit=dev` installs), so a compiled module that needs a dev
 * dependency cannot find it. Every component then runs from it with plain `node` (no tsx), a guard
 * refusing any module from a dev-only package (or tsx), against the test stack's Temporal and
 * FerretDB, and a contract makes a round trip: created, a milestone completed, its invoice issued.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../deploy/local/servers';
import { http, TEST_SERVICE_TOKEN, uniqueId, waitFor } from '../support/system';

const REPO = path.resolve(__dirname, '..', '..');
const COMPONENTS = ['invoicing', 'revenue', 'ar', 'worker', 'gateway'] as const;
/** Never at run time, whichever dependency section they are in. */
const NEVER_AT_RUNTIME = ['tsx', 'typescript', '@swc/core', 'ts-node'];

interface LockEntry { dev?: boolean }
const lock = JSON.parse(readFileSync(path.join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
/** Top-level packages of the lock file: production (installed by `npm ci --omit=dev`) or dev-only. */
const topLevel = Object.entries(lock.packages)
  .filter(([k]) => k.startsWith('node_modules/') && !k.slice('node_modules/'.length).includes('node_modules/'))
  .map(([k, v]) => ({ name: k.slice('node_modules/'.length), dev: v.dev === true }));
const production = new Set(topLevel.filter((p) => !p.dev && !NEVER_AT_RUNTIME.includes(p.name)).map((p) => p.name));
const devOnly = topLevel.filter((p) => p.dev || NEVER_AT_RUNTIME.includes(p.name)).map((p) => p.name);

const packageOf = (spec: string) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? jsFiles(p) : p.endsWith('.js') ? [p] : [];
  });
}

let image: string;
const children: Array<{ name: string; child: ChildProcess; output: () => string }> = [];

beforeAll(async () => {
  const started = Date.now();
  await promisify(execFile)('npm', ['run', 'build'], { cwd: REPO, maxBuffer: 16 * 1024 * 1024 });
  process.stdout.write(`npm run build: ${Date.now() - started} ms\n`);
  // The runtime stage: dist/ + package.json + production node_modules only.
  image = mkdtempSync(path.join(os.tmpdir(), 'tollgate-image-'));
  cpSync(path.join(REPO, 'dist'), path.join(image, 'dist'), { recursive: true });
  cpSync(path.join(REPO, 'package.json'), path.join(image, 'package.json'));
  mkdirSync(path.join(image, 'node_modules', '@temporalio'), { recursive: true });
  for (const name of production) {
    const target = path.join(REPO, 'node_modules', name);
    if (!existsSync(target)) continue; // an optional dependency for another platform
    mkdirSync(path.dirname(path.join(image, 'node_modules', name)), { recursive: true });
    symlinkSync(target, path.join(image, 'node_modules', name), 'dir');
  }
  // Loaded before anything else in each component: a module of a dev-only package (reached from a
  // production package, where node_modules lookups may climb to the repository's) fails loudly.
  writeFileSync(path.join(image, 'runtime-guard.js'), `
const Module = require('node:module');
const path = require('node:path');
const forbidden = ${JSON.stringify(devOnly.map((n) => path.join(REPO, 'node_modules', n)))};
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const file = resolve.call(this, request, parent, ...rest);
  const hit = forbidden.find((dir) => file === dir || file.startsWith(dir + path.sep));
  if (hit) throw new Error('the runtime needs a dev-only module: ' + request + ' -> ' + file + ' (required by ' + (parent && parent.filename) + ')');
  return file;
};
`);
}, 180_000);

afterAll(async () => {
  await Promise.all(children.map(({ child }) => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  })));
  if (image) rmSync(image, { recursive: true, force: true });
});

describe('the production build', () => {
  it('emits every component, the console and the prebuilt workflow bundle', () => {
    for (const f of ['deploy/run.js', 'workflows/index.js', 'worker/index.js', 'services/gateway/index.js', 'console/dist/app.js', 'console/dist/app.css', 'workflow-bundle.js']) {
      expect(existsSync(path.join(image, 'dist', f))).toBe(true);
    }
    // The bundle holds the workflow (webpack's output, not a stub).
    expect(readFileSync(path.join(image, 'dist', 'workflow-bundle.js'), 'utf8')).toContain('contractWorkflow');
  });

  it('requires no dev dependency and no tsx: every package a compiled module requires resolves from production packages', () => {
    const required = new Map<string, string>();
    for (const file of jsFiles(path.join(image, 'dist'))) {
      if (file.endsWith('workflow-bundle.js') || file.includes(`${path.sep}console${path.sep}dist${path.sep}`)) continue;
      const req = createRequire(file);
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/\brequire\("([^"./][^"]*)"\)/g)) {
        if (spec!.startsWith('node:') || createRequire(file).resolve.paths(spec!) === null) continue; // a Node built-in
        required.set(spec!, path.relative(image, file));
        expect({ spec, from: path.relative(image, file), allowed: production.has(packageOf(spec!)) }).toEqual({ spec, from: path.relative(image, file), allowed: true });
        expect(() => req.resolve(spec!)).not.toThrow();
      }
    }
    expect([...required.keys()]).toEqual(expect.arrayContaining(['@temporalio/worker', 'express', 'mongoose', 'zod', 'decimal.js']));
    for (const name of NEVER_AT_RUNTIME) expect(required.has(name)).toBe(false);
  });

  it('cannot resolve a dev dependency from the runtime stage (the check above can fail)', () => {
    const probe = path.join(image, 'dist', 'probe.js');
    writeFileSync(probe, '');
    try {
      expect(() => createRequire(probe).resolve('@temporalio/testing')).toThrow(/Cannot find module/);
      expect(() => createRequire(probe).resolve('typescript')).toThrow(/Cannot find module/);
      expect(() => createRequire(probe).resolve('tsx')).toThrow(/Cannot find module/);
      expect(createRequire(probe).resolve('@temporalio/worker')).toContain('@temporalio');
    } finally {
      rmSync(probe);
    }
  });

  it('runs every component with plain node from the runtime stage; a contract makes a round trip through the prebuilt bundle', async () => {
    const ports = Object.fromEntries(await Promise.all(COMPONENTS.map(async (c) => [c, await freePort()] as const)));
    const prefix = `img${Date.now().toString(36)}`;
    const url = (c: string) => `http://127.0.0.1:${ports[c]}`;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      NODE_ENV: 'production',
      NODE_OPTIONS: `--require ${path.join(image, 'runtime-guard.js')}`,
      TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS!,
      MONGO_URL: process.env.TEST_MONGO_URL!,
      MONGO_DB_PREFIX: prefix,
      TEMPORAL_TASK_QUEUE: `tollgate-${prefix}`,
      HOST: '127.0.0.1',
      INVOICING_PORT: String(ports.invoicing), REVENUE_PORT: String(ports.revenue), AR_PORT: String(ports.ar), GATEWAY_PORT: String(ports.gateway),
      INVOICING_URL: url('invoicing'), REVENUE_URL: url('revenue'), AR_URL: url('ar'), GATEWAY_URL: url('gateway'),
      TOLLGATE_SERVICE_TOKEN: TEST_SERVICE_TOKEN,
      TOLLGATE_SHUTDOWN_GRACE_MS: '2000',
      LOG_LEVEL: 'info',
    };
    for (const name of COMPONENTS) {
      // Plain node on the compiled entry, as the image's ENTRYPOINT; cwd is the runtime stage.
      const child = spawn(process.execPath, [path.join('dist', 'deploy', 'run.js'), name], { cwd: image, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
      child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
      children.push({ name, child, output: () => out });
    }
    const exited = () => children.filter((c) => c.child.exitCode !== null).map((c) => `${c.name} exited ${c.child.exitCode}:\n${c.output().slice(-3000)}`);
    for (const name of ['invoicing', 'revenue', 'ar', 'gateway']) {
      const health = await waitFor(async () => {
        if (exited().length > 0) throw new Error(exited().join('\n'));
        return http('GET', `${url(name)}/healthz`).catch(() => ({ status: 0, body: undefined }));
      }, (r) => r.status === 200, 30_000);
      expect(health.status).toBe(200);
    }
    const worker = children.find((c) => c.name === 'worker')!;
    const running = await waitFor(async () => {
      if (exited().length > 0) throw new Error(exited().join('\n'));
      return worker.output();
    }, (out) => out.includes('worker running'), 30_000);
    // The worker runs the bundle the build made (no webpack at start).
    expect(running).toContain(path.join(image, 'dist', 'workflow-bundle.js'));

    const contractId = uniqueId('image');
    const created = await http('POST', `${url('gateway')}/contracts`, {
      contractId, customer: { id: 'cust-image', name: 'Image Corp' }, currency: 'USD', signedDate: '2025-01-01', paymentTerms: 'NET_30',
      sandbox: { clockStart: '2025-01-01' },
      obligations: [{ id: 'impl', name: 'Implementation', ssp: '100.00', recognition: { method: 'milestones' } }],
      milestones: [{ id: 'm1', name: 'M1', description: 'M1 fee', obligationId: 'impl', amount: '100.00', sequence: 1, trigger: { type: 'event', completion: 'external_event' } }],
    });
    expect(created.status).toBe(201);
    const done = await http('POST', `${url('gateway')}/contracts/${contractId}/milestones/m1/complete`, {});
    expect(done.status).toBe(200);
    expect(done.body.caused.invoices).toEqual([expect.objectContaining({ amount: '100.00', number: expect.stringMatching(/INV/) })]);
    const state = await http('GET', `${url('gateway')}/contracts/${contractId}`);
    expect(state.body.milestones.m1).toMatchObject({ status: 'invoiced' });
    // The invoice reached the compiled invoicing service and AR's receivable (the worker's steps).
    const number = done.body.caused.invoices[0].number as string;
    expect((await http('GET', `${url('invoicing')}/invoices/${number}`)).status).toBe(200);
    // The console is served from the build (dist/console/dist), not built in memory.
    const shell = await http('GET', `${url('gateway')}/`);
    expect(shell.status).toBe(200);
    expect((await http('GET', `${url('gateway')}/console/assets/app.js`)).status).toBe(200);
    expect(children.find((c) => c.name === 'gateway')!.output()).not.toMatch(/building in memory/);
    expect(exited()).toEqual([]);
    for (const c of children) expect(c.output()).not.toMatch(/dev-only module/);
  }, 90_000);
});
