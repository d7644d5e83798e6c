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

  it('prints code: message and exits non-zero on a refusal', async () => {
    const missing = await tollgate(['show', 'no-such-contract']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('not_found: no contract no-such-contract');
    const forbidden = await tollgate(['hold', 'no-such-contract'], 'support');
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toMatch(/^forbidden: role support may not place holds/);
    const usage = await tollgate(['complete', 'only-one-arg']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^usage: complete needs <contract> <milestone>/);
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
