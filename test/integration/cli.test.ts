/** `npx tollgate …` as a child process against a test system with API keys. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { hashApiKey } from '../../libs/auth';
import { milestone, sandboxTerms } from '../support/contracts';
import { startTestSystem, testApiKeys, uniqueId, type TestSystem } from '../support/system';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'tollgate.js');
const auth = testApiKeys();
let sys: TestSystem;
let tmp: string;

beforeAll(async () => {
  sys = await startTestSystem(auth.env);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'tollgate-cli-'));
});

afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await sys?.stop();
});

/** Runs the CLI (asynchronously: the system under test runs in this process). */
function tollgate(args: string[], key = 'admin'): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], {
      env: { ...process.env, TOLLGATE_URL: sys.gatewayUrl, TOLLGATE_API_KEY: auth.keys[key] },
      timeout: 60_000,
    }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

describe('tollgate CLI', () => {
  it('creates a contract from YAML, sends events, and shows the state as a table with each milestone\'s status', async () => {
    const terms = sandboxTerms([
      milestone('kickoff', { amount: '2500.00' }),
      milestone('signoff', { sequence: 2, trigger: { type: 'event', completion: 'customer_signoff' } }),
      milestone('golive', { sequence: 3 }),
    ]);
    const file = path.join(tmp, `${terms.contractId}.yaml`);
    writeFileSync(file, toYaml(terms));

    const created = await tollgate(['create', file]);
    expect(created).toMatchObject({ code: 0, stdout: expect.stringContaining(`created ${terms.contractId}`) });
    expect((await tollgate(['clock', terms.contractId, '2025-01-10'])).code).toBe(0);
    const done = await tollgate(['complete', terms.contractId, 'kickoff', '--date', '2025-01-10']);
    expect(done.stdout).toMatch(/^applied — kickoff: (accepted|invoiced)/);
    expect((await tollgate(['complete', terms.contractId, 'signoff'])).code).toBe(0);

    const shown = await tollgate(['show', terms.contractId], 'support');
    expect(shown.code).toBe(0);
    const rows = shown.stdout.split('\n');
    expect(rows[0]).toContain(`Contract ${terms.contractId}`);
    expect(rows).toContainEqual(expect.stringMatching(/^\s+MILESTONE\s+STATUS\s+AMOUNT\s+COMPLETED\s+ACCEPTED\s+INVOICED\s+WAITING\s+INVOICES$/));
    const row = (id: string) => rows.find((r) => r.trim().startsWith(`${id} `)) ?? '';
    expect(row('kickoff')).toMatch(/kickoff\s+invoiced \(event\)\s+2500\.00\s+2025-01-10\s+2025-01-10/);
    expect(row('signoff')).toMatch(/signoff\s+completed\s+10000\.00/);
    expect(row('golive')).toMatch(/golive\s+planned\s+10000\.00/);
    expect(shown.stdout).toMatch(/Invoices\n\s+NUMBER.*\n\s+SBX-INV-2025-\d{6}\s+milestone\s+kickoff/);
    expect(shown.stdout).toContain('Revenue to date:');
  });

  it('prints code: message and exits by class: 4 not found, 6 forbidden, 2 usage', async () => {
    const missing = await tollgate(['show', 'no-such-contract']);
    expect(missing.code).toBe(4);
    expect(missing.stderr.trim()).toBe('not_found: no contract no-such-contract');
    const noLog = await tollgate(['log', 'no-such-contract']);
    expect(noLog.code).toBe(4);
    expect(noLog.stderr.trim()).toBe('not_found: no contract no-such-contract');
    const forbidden = await tollgate(['hold', 'no-such-contract'], 'support');
    expect(forbidden.code).toBe(6);
    expect(forbidden.stderr).toMatch(/^forbidden: role support may not place holds/);
    const usage = await tollgate(['complete', 'only-one-arg']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^usage: missing required argument 'milestone'/);
    const typo = await tollgate(['list', '--custmer', 'x']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/^usage: unknown option '--custmer'/);
    expect(typo.stdout).toBe('');
  });

  it('exits 3 when the workflow refuses an event, and the refusal changes nothing', async () => {
    const terms = sandboxTerms([milestone('kickoff')]);
    const file = path.join(tmp, `${terms.contractId}.json`);
    writeFileSync(file, JSON.stringify(terms));
    expect((await tollgate(['create', file])).code).toBe(0);

    const refused = await tollgate(['accept', terms.contractId, 'kickoff']);
    expect(refused.code).toBe(3);
    expect(refused.stderr.trim()).toMatch(/^not_allowed_in_state: milestone kickoff is planned/);
    const shown = await tollgate(['show', terms.contractId, '--json']);
    expect(JSON.parse(shown.stdout).milestones.kickoff.status).toBe('planned');
  });

  it('shows the contract\'s log and invoices as tables', async () => {
    const terms = sandboxTerms([milestone('kickoff', { amount: '2500.00' }), milestone('golive', { sequence: 2 })]);
    const file = path.join(tmp, `${terms.contractId}.json`);
    writeFileSync(file, JSON.stringify(terms));
    expect((await tollgate(['create', file])).code).toBe(0);
    expect((await tollgate(['clock', terms.contractId, '2025-01-10'])).code).toBe(0);
    expect((await tollgate(['complete', terms.contractId, 'kickoff'])).stdout).toMatch(/^applied — kickoff: (accepted|invoiced)/);
    expect((await tollgate(['complete', terms.contractId, 'kickoff'])).stdout).toMatch(/^ignored/);

    const log = await tollgate(['log', terms.contractId], 'support');
    expect(log.code).toBe(0);
    const rows = log.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^SEQ\s+ON\s+KIND\s+VIA\s+MILESTONE\s+OUTCOME\s+REASON\/CODE$/);
    expect(rows).toContainEqual(expect.stringMatching(/^\d+\s+2025-01-10\s+complete\s+update\s+kickoff\s+applied\s+—$/));
    expect(rows).toContainEqual(expect.stringMatching(/^\d+\s+2025-01-10\s+complete\s+update\s+kickoff\s+ignored\s+\S/));

    // The invoice is issued by the workflow's effects after the answer: wait for it.
    let invoices = await tollgate(['invoices', terms.contractId], 'support');
    for (let i = 0; i < 50 && !/SBX-INV-/.test(invoices.stdout); i += 1) invoices = await tollgate(['invoices', terms.contractId], 'support');
    expect(invoices.code).toBe(0);
    const lines = invoices.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NUMBER\s+KIND\s+FOR\s+DATE\s+DUE\s+TOTAL\s+CREDITED\s+PAID\s+OPEN\s+STATUS$/);
    expect(lines.slice(1)).toEqual([expect.stringMatching(/^SBX-INV-2025-\d{6}\s+milestone\s+kickoff\s+2025-01-10\s+2025-02-09\s+2500\.00\s+.*\s+issued$/)]);
    const raw = await tollgate(['invoices', terms.contractId, '--json']);
    expect(JSON.parse(raw.stdout).data).toEqual([expect.objectContaining({ contractId: terms.contractId, total: '2500.00', kind: 'milestone' })]);
  });

  it('lists contracts by customer, and hashes keys for the configuration', async () => {
    const customer = uniqueId('cust-cli');
    const terms = sandboxTerms([milestone('m1')], { customer: { id: customer, name: 'CLI Corp' } });
    const file = path.join(tmp, `${terms.contractId}.json`);
    writeFileSync(file, JSON.stringify(terms));
    expect((await tollgate(['create', file], 'finance')).code).toBe(0);
    let listed = await tollgate(['list', '--customer', customer]);
    for (let i = 0; i < 50 && !listed.stdout.includes(terms.contractId); i += 1) listed = await tollgate(['list', '--customer', customer]);
    expect(listed.stdout).toMatch(new RegExp(`CONTRACT\\s+CUSTOMER\\s+CURRENCY\\s+STATUS\\s+STARTED\\n${terms.contractId}\\s+${customer}\\s+USD\\s+active`));

    const hashed = await tollgate(['hash-key', 'my-secret-key']);
    expect(hashed.stdout.split('\n')[0]).toBe(hashApiKey('my-secret-key'));
  });
});
