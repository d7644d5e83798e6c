/**
 * The OpenAPI document as an integrator uses it, on the real stack: the served `/openapi.json` is
 * valid OpenAPI 3.1 with every operation typed, tagged and named; a client generated from it
 * (openapi-typescript + openapi-fetch) compiles with no diagnostic, its types refuse what the API
 * refuses, and it creates a contract, completes a milestone and reads the state and the invoices.
 * And the docs page: Swagger UI served by the gateway from swagger-ui-dist, no CDN.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { milestone, sandboxTerms } from '../support/contracts';
import { http, startTestSystem, testApiKeys, uniqueId, waitFor, type TestSystem } from '../support/system';

type Json = Record<string, any>;

const auth = testApiKeys();
let sys: TestSystem;
let doc: Json;
/** Generated files go inside the repository (so `openapi-fetch` resolves from node_modules); removed after. */
const dir = path.join(__dirname, '..', '.generated', `openapi-client-${randomBytes(4).toString('hex')}`);

beforeAll(async () => {
  sys = await startTestSystem(auth.env);
  mkdirSync(dir, { recursive: true });
  const res = await http('GET', `${sys.gatewayUrl}/openapi.json`);
  expect(res.status).toBe(200);
  doc = res.body;
});

afterAll(async () => {
  await sys?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const operations = () => Object.entries(doc.paths as Record<string, Record<string, Json>>)
  .flatMap(([p, methods]) => Object.entries(methods).map(([method, op]) => ({ where: `${method.toUpperCase()} ${p}`, op })));

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1', async () => {
    expect(doc.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  it('gives every operation a response schema for each success status, a declared tag and a unique readable operationId', () => {
    const tags = (doc.tags as Array<{ name: string }>).map((t) => t.name);
    const problems: string[] = [];
    const seen = new Map<string, string>();
    for (const { where, op } of operations()) {
      const success = Object.entries(op.responses as Record<string, Json>).filter(([s]) => /^2\d\d$/.test(s));
      if (success.length === 0) problems.push(`${where}: no success response`);
      for (const [status, r] of success) {
        const media = Object.entries((r.content ?? {}) as Record<string, Json>);
        if (media.length === 0 || media.some(([, m]) => m.schema === undefined)) problems.push(`${where} ${status}: no response schema`);
      }
      for (const [status, r] of Object.entries(op.responses as Record<string, Json>)) {
        if (Number(status) >= 400 && r.content?.['application/json']?.schema?.$ref !== '#/components/schemas/Error') problems.push(`${where} ${status}: not the Error shape`);
      }
      if (!op.tags?.length || !op.tags.every((t: string) => tags.includes(t))) problems.push(`${where}: tags ${JSON.stringify(op.tags)} not among ${tags.join(', ')}`);
      if (!/^[a-z][A-Za-z0-9]+$/.test(op.operationId ?? '')) problems.push(`${where}: operationId ${op.operationId}`);
      if (seen.has(op.operationId)) problems.push(`${where}: operationId ${op.operationId} also on ${seen.get(op.operationId)}`);
      seen.set(op.operationId, where);
    }
    expect(problems).toEqual([]);
    expect(operations().length).toBeGreaterThanOrEqual(25);
  });
});

/** The integrator's code: a typed client over the generated types (compiled, then run). */
const CLIENT = `import createClient from 'openapi-fetch';
import type { components, paths } from './api';

type Schemas = components['schemas'];

export function tollgate(baseUrl: string, headers: Record<string, string>) {
  const api = createClient<paths>({ baseUrl, headers });
  const fail = (op: string, status: number, error: Schemas['Error']) => new Error(\`\${op} answered \${status} \${error.code}: \${error.message}\`);
  return {
    async createContract(terms: Schemas['ContractTermsInput'], key: string): Promise<Schemas['CreatedContract']> {
      const { data, error, response } = await api.POST('/contracts', { body: terms, params: { header: { 'Idempotency-Key': key } } });
      if (error) throw fail('createContract', response.status, error);
      return data;
    },
    async completeMilestone(id: string, mid: string, date: string) {
      const { data, error, response } = await api.POST('/contracts/{id}/milestones/{mid}/complete', { params: { path: { id, mid } }, body: { date } });
      if (error) throw fail('completeMilestone', response.status, error);
      const outcome: 'applied' | 'ignored' = data.outcome;
      const invoices: Schemas['InvoiceSummary'][] = data.caused.invoices;
      return { outcome, invoices: invoices.map((i) => ({ kind: i.kind, amount: i.amount, number: i.number, dueDate: i.dueDate })) };
    },
    async getContract(id: string) {
      const { data, error, response } = await api.GET('/contracts/{id}', { params: { path: { id } } });
      if (error) throw fail('getContract', response.status, error);
      const contract: Schemas['Contract'] = data;
      const milestones = Object.entries(contract.milestones).map(([mid, m]) => [mid, { status: m.status, invoiceNumbers: m.invoiceNumbers }] as const);
      return { status: contract.status, clock: contract.clock, billed: contract.billed, pendingEffects: contract.pendingEffects, milestones: Object.fromEntries(milestones) };
    },
    async listContractInvoices(id: string) {
      const { data, error, response } = await api.GET('/contracts/{id}/invoices', { params: { path: { id } } });
      if (error) throw fail('listContractInvoices', response.status, error);
      return { numbers: data.data.map((i) => i.number), totals: data.data.map((i) => i.total), statuses: data.data.map((i) => i.status), nextCursor: data.nextCursor };
    },
    async getMissingContract(id: string) {
      const { error, response } = await api.GET('/contracts/{id}', { params: { path: { id } } });
      const code: Schemas['Error']['code'] | undefined = error?.code;
      return { status: response.status, code, details: error?.details };
    },
  };
}

/** Never called: each statement must be a type error, or the generated types do not say what the API does. */
export function typeErrors(api: ReturnType<typeof createClient<paths>>): void {
  // @ts-expect-error {report} is an enum of the report names
  void api.GET('/contracts/{id}/reports/{report}', { params: { path: { id: 'x', report: 'no-such-report' } } });
  // @ts-expect-error the public state shows no workflow internals
  void api.GET('/contracts/{id}', { params: { path: { id: 'x' } } }).then((r) => r.data?.outbox);
  // @ts-expect-error an update is applied or ignored, never refused (a refusal is an error)
  void api.POST('/contracts/{id}/hold', { params: { path: { id: 'x' } }, body: {} }).then((r) => { const o: 'refused' | undefined = r.data?.outcome; return o; });
  // @ts-expect-error a milestone event names its contract and milestone
  void api.POST('/contracts/{id}/milestones/{mid}/complete', { body: {} });
  // @ts-expect-error an error code is one of the DESIGN codes
  void api.GET('/contracts', {}).then((r) => { const c: 'teapot' | undefined = r.error?.code; return c; });
}
`;

/**
 * openapi-typescript's programmatic API (`openapiTS` + `astToString`) in its own Node process: the
 * package is ESM (some of its dependencies are ESM only), which jest's CommonJS runtime cannot load.
 */
const GENERATE = `import { readFileSync, writeFileSync } from 'node:fs';
import openapiTS, { astToString } from 'openapi-typescript';
const [docPath, outPath] = process.argv.slice(2);
writeFileSync(outPath, astToString(await openapiTS(JSON.parse(readFileSync(docPath, 'utf8')), { silent: true })));
`;

async function generateTypes(document: Json, outPath: string): Promise<void> {
  const docPath = path.join(dir, 'openapi.json');
  const script = path.join(dir, 'generate.mjs');
  writeFileSync(docPath, JSON.stringify(document));
  writeFileSync(script, GENERATE);
  await promisify(execFile)(process.execPath, [script, docPath, outPath], { cwd: dir, timeout: 60_000 });
}

/** Compiles the client against the generated types (one program) and answers the diagnostics as text. */
function compile(files: string[], outDir: string): string {
  const program = ts.createProgram(files, {
    strict: true, noUnusedLocals: true, module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true, skipLibCheck: true, types: [], lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'], outDir,
  });
  const emitted = program.emit();
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
  return ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => dir, getNewLine: () => '\n' });
}

describe('a client generated from the document', () => {
  it('compiles, and creates a contract, completes a milestone, reads the state and the invoices with typed answers', async () => {
    await generateTypes(doc, path.join(dir, 'api.d.ts'));
    writeFileSync(path.join(dir, 'client.ts'), CLIENT);
    expect(compile([path.join(dir, 'client.ts')], path.join(dir, 'out'))).toBe('');

    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { tollgate } = require(path.join(dir, 'out', 'client.js')) as { tollgate: (url: string, headers: Record<string, string>) => any };
    const client = tollgate(sys.gatewayUrl, auth.headers('admin'));
    const terms = sandboxTerms([milestone('build', { amount: '30000.00' })], { customer: { id: uniqueId('cust-client'), name: 'Client Corp' } });

    const created = await client.createContract(terms, uniqueId('create'));
    expect(created).toEqual({ contractId: terms.contractId, workflowId: expect.any(String), version: 1 });

    const done = await client.completeMilestone(terms.contractId, 'build', '2025-01-01');
    expect(done.outcome).toBe('applied');
    expect(done.invoices).toEqual([{ kind: 'milestone', amount: '30000.00', number: expect.stringMatching(/^SBX-INV-2025-\d{6}$/), dueDate: '2025-01-31' }]);

    const state = await waitFor<any>(() => client.getContract(terms.contractId), (s) => s.pendingEffects === 0);
    expect(state).toMatchObject({ status: 'active', clock: '2025-01-01', billed: '30000.00', pendingEffects: 0 });
    expect(state.milestones.build).toEqual({ status: 'invoiced', invoiceNumbers: [done.invoices[0].number] });

    const invoices = await client.listContractInvoices(terms.contractId);
    expect(invoices).toEqual({ numbers: [done.invoices[0].number], totals: ['30000.00'], statuses: ['issued'], nextCursor: undefined });

    const missing = await client.getMissingContract(uniqueId('no-such-contract'));
    expect(missing).toEqual({ status: 404, code: 'not_found', details: [] });
  });
});

describe('the docs page', () => {
  it('is Swagger UI booted from the gateway\'s own assets, under a CSP that allows exactly them', async () => {
    const res = await http('GET', `${sys.gatewayUrl}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.text).toContain('<link rel="stylesheet" href="/docs/assets/swagger-ui.css">');
    const scripts = [...res.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map((s) => s[1]!.trim())).toEqual(['src="/docs/assets/swagger-ui-bundle.js"', 'src="/docs/assets/docs.js"']);
    expect(scripts.every((s) => s[2] === '')).toBe(true);
    expect(res.text).not.toMatch(/(src|href)="(https?:)?\/\//);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*(unsafe-inline|unsafe-eval|https?:)/);
    // Without JavaScript the page still lists every operation.
    for (const { where } of operations()) expect(res.text).toContain(where);
  });

  it('serves Swagger UI\'s files from swagger-ui-dist and the boot script reading /openapi.json; nothing else', async () => {
    const bundle = await http('GET', `${sys.gatewayUrl}/docs/assets/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toContain('application/javascript');
    expect(bundle.text).toBe(readFileSync(require.resolve('swagger-ui-dist/swagger-ui-bundle.js'), 'utf8'));
    const css = await http('GET', `${sys.gatewayUrl}/docs/assets/swagger-ui.css`);
    expect([css.status, css.headers.get('content-type')]).toEqual([200, expect.stringContaining('text/css')]);
    const boot = await http('GET', `${sys.gatewayUrl}/docs/assets/docs.js`);
    expect([boot.status, boot.headers.get('content-type')]).toEqual([200, expect.stringContaining('application/javascript')]);
    expect(boot.text).toContain("url: '/openapi.json'");
    expect(boot.text).toContain('SwaggerUIBundle(');
    for (const other of ['index.html', 'swagger-initializer.js', '..%2Fpackage.json']) {
      const res = await http('GET', `${sys.gatewayUrl}/docs/assets/${other}`);
      expect([other, res.status, res.body?.code]).toEqual([other, 404, 'not_found']);
    }
  });
});
