/** `tollgate templates`, `template show|create` and `contract from-template`: what they send and what they print. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jsonAnswer, runCli } from '../support/cli';

const run = (argv: string[]) => runCli(argv);

let fetch: jest.SpiedFunction<typeof globalThis.fetch>;
let dir: string;
beforeEach(() => {
  fetch = jest.spyOn(globalThis, 'fetch').mockImplementation(async () => jsonAnswer({ data: [] }));
  dir = mkdtempSync(path.join(os.tmpdir(), 'tollgate-cli-templates-'));
});
afterEach(() => {
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const sent = (i: number) => {
  const [url, init] = fetch.mock.calls[i]!;
  return { url: new URL(String(url)), method: init?.method, body: init?.body ? JSON.parse(String(init.body)) : undefined };
};

const tpl = {
  name: 'impl-30-40-30',
  version: 2,
  versions: [1, 2],
  paymentTerms: 'NET_30',
  obligations: [{ id: 'impl', name: 'Implementation', recognition: { method: 'milestones' } }],
  milestones: [
    { id: 'kickoff', name: 'Kick-off', description: 'k', obligationId: 'impl', percent: '30', trigger: { type: 'date', daysAfterSigning: 0 }, invoiceTiming: { type: 'immediate' } },
    { id: 'uat', name: 'UAT', description: 'u', obligationId: 'impl', percent: '40', trigger: { type: 'event', completion: 'customer_signoff', deemedAcceptanceDays: 10 }, invoiceTiming: { type: 'days_after_acceptance', days: 5 }, plannedFinishDays: 60 },
    { id: 'golive', name: 'Go-live', description: 'g', obligationId: 'impl', percent: '30', trigger: { type: 'event', completion: 'external_event' }, invoiceTiming: { type: 'immediate' } },
  ],
  createdAt: '2026-01-01T00:00:00.000Z',
};

describe('tollgate templates', () => {
  it('lists every page with --all, one row per template with its percents', async () => {
    fetch.mockImplementationOnce(async () => jsonAnswer({ data: [tpl], nextCursor: 'c2' }))
      .mockImplementationOnce(async () => jsonAnswer({ data: [{ ...tpl, name: 'saas', version: 1, milestones: [{ ...tpl.milestones[0], percent: '100' }] }] }));
    const r = await run(['templates', '--limit', '1', '--all']);
    expect(r.code).toBe(0);
    expect(sent(0).url.pathname).toBe('/templates');
    expect(sent(0).url.searchParams.get('limit')).toBe('1');
    expect(sent(1).url.searchParams.get('cursor')).toBe('c2');
    expect(r.stdout.split('\n').map((l) => l.split(/\s+/).slice(0, 3))).toEqual([['NAME', 'VERSION', 'PERCENTS'], ['impl-30-40-30', '2', '30/40/30'], ['saas', '1', '100']]);
  });
});

describe('tollgate template', () => {
  it('show: reads the latest, or a version with --version, as tables', async () => {
    fetch.mockImplementation(async () => jsonAnswer(tpl));
    const latest = await run(['template', 'show', 'impl-30-40-30']);
    expect(latest.code).toBe(0);
    expect(sent(0).url.pathname).toBe('/templates/impl-30-40-30');
    expect(latest.stdout).toContain('Template impl-30-40-30 — version 2 of 1, 2 — NET_30');
    expect(latest.stdout).toMatch(/uat\s+impl\s+40\s+customer_signoff \(deemed after 10 d\)\s+5 d after acceptance\s+signed \+ 60 d/);
    expect(latest.stdout).toMatch(/kickoff\s+impl\s+30\s+date: signed \+ 0 d/);
    await run(['template', 'show', 'impl-30-40-30', '--version', '1']);
    expect(sent(1).url.pathname).toBe('/templates/impl-30-40-30/versions/1');
    const raw = await run(['template', 'show', 'impl-30-40-30', '--json']);
    expect(JSON.parse(raw.stdout)).toEqual(tpl);
  });

  it('create: posts the file and says which version was saved', async () => {
    const file = path.join(dir, 'template.yaml');
    writeFileSync(file, 'name: impl-30-40-30\nmilestones:\n  - id: kickoff\n    percent: "30"\n');
    fetch.mockImplementationOnce(async () => jsonAnswer(tpl, 201));
    const r = await run(['template', 'create', '--file', file, '--idempotency-key', 'tpl-1']);
    expect(r.code).toBe(0);
    expect(sent(0)).toMatchObject({ method: 'POST', body: { name: 'impl-30-40-30', milestones: [{ id: 'kickoff', percent: '30' }] } });
    expect(sent(0).url.pathname).toBe('/templates');
    expect((fetch.mock.calls[0]![1]!.headers as Record<string, string>)['idempotency-key']).toBe('tpl-1');
    expect(r.stdout).toBe('saved template impl-30-40-30 version 2 (30/40/30 % of the fee)');
  });

  it('create: the API\'s refusal exits 3 with its code and the field it names', async () => {
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ name: 'bad' }));
    fetch.mockImplementationOnce(async () => jsonAnswer({ code: 'validation_failed', message: 'invalid body', details: [{ path: 'body.milestones', message: 'the milestones\' percents sum to 99.99; they must sum to exactly 100' }] }, 400));
    const r = await run(['template', 'create', '--file', file]);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('validation_failed: invalid body\n  body.milestones the milestones\' percents sum to 99.99; they must sum to exactly 100');
  });
});

describe('tollgate contract from-template', () => {
  const terms = {
    contractId: 'c-1', currency: 'JPY', contractValue: '1000001',
    milestones: [{ id: 'kickoff', amount: '300000', plannedFinishDate: '2025-04-01' }, { id: 'uat', amount: '400001' }, { id: 'golive', amount: '300000' }],
  };
  const args = ['contract', 'from-template', 'impl-30-40-30', '--fee', '1000001', '--customer', 'cust-kanto', '--id', 'c-1', '--currency', 'JPY', '--signed', '2025-04-01'];

  it('sends the fee and the contract\'s facts, and prints the terms alone on stdout (to edit, then create)', async () => {
    fetch.mockImplementationOnce(async () => jsonAnswer({ template: { name: 'impl-30-40-30', version: 2 }, terms }));
    const r = await run([...args, '--template-version', '1', '--sandbox']);
    expect(r.code).toBe(0);
    expect(sent(0).url.pathname).toBe('/templates/impl-30-40-30/contracts');
    expect(sent(0).body).toEqual({
      contractId: 'c-1', customer: { id: 'cust-kanto', name: 'cust-kanto' }, currency: 'JPY', signedDate: '2025-04-01', fee: '1000001',
      templateVersion: 1, sandbox: { clockStart: '2025-04-01' },
    });
    expect(JSON.parse(r.stdout)).toEqual(terms);
    expect(r.stderr).toBe('terms of c-1 from template impl-30-40-30 version 2: 300000 + 400001 + 300000 = 1000001 JPY');
  });

  it('with --create, asks for the contract and says what was created; --file adds request fields', async () => {
    const file = path.join(dir, 'extra.json');
    writeFileSync(file, JSON.stringify({ sspByObligation: { impl: '900000' } }));
    fetch.mockImplementationOnce(async () => jsonAnswer({ template: { name: 'impl-30-40-30', version: 2 }, terms, contract: { contractId: 'c-1', workflowId: 'contract-c-1', version: 1 } }, 201));
    const r = await run([...args, '--create', '--customer-name', 'Kanto Corp', '--file', file]);
    expect(r.code).toBe(0);
    expect(sent(0).body).toMatchObject({ create: true, customer: { id: 'cust-kanto', name: 'Kanto Corp' }, sspByObligation: { impl: '900000' } });
    expect(r.stdout.split('\n')[0]).toBe('created c-1 from template impl-30-40-30 version 2 (workflow contract-c-1, version 1)');
    expect(r.stdout).toMatch(/uat\s+400001/);
  });

  it('needs the fee, the customer, the id, the currency and the signed date before calling', async () => {
    for (const missing of ['--fee', '--customer', '--id', '--currency', '--signed']) {
      const i = args.indexOf(missing);
      const r = await run([...args.slice(0, i), ...args.slice(i + 2)]);
      expect([missing, r.code]).toEqual([missing, 2]);
      expect(r.stderr).toContain(`required option '${missing}`);
    }
    expect(fetch).not.toHaveBeenCalled();
  });

  it('exits 4 for an unknown template', async () => {
    fetch.mockImplementationOnce(async () => jsonAnswer({ code: 'not_found', message: 'no template nope', details: [] }, 404));
    expect(await run(['contract', 'from-template', 'nope', ...args.slice(3)])).toMatchObject({ code: 4, stderr: 'not_found: no template nope' });
  });
});
