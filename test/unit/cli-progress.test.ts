/** `tollgate progress` (docs/progressive-billing.md): what it sends, what it prints, and how it exits. */
import { renderState } from '../../cli/tollgate';
import { jsonAnswer, runCli } from '../support/cli';

const run = (argv: string[]) => runCli(argv, 'k-psa');

const caused = { invoices: [], creditMemos: [], timers: [] };
const applied = {
  outcome: 'applied',
  milestone: { id: 'build', status: 'planned', invoiceNumbers: ['INV-2026-000007'], progress: { percent: '30', billed: '300.00', parts: 1 } },
  caused,
};

let fetch: jest.SpiedFunction<typeof globalThis.fetch>;
beforeEach(() => {
  fetch = jest.spyOn(globalThis, 'fetch').mockImplementation(async () => jsonAnswer(applied));
});
afterEach(() => jest.restoreAllMocks());

const sent = (i = 0) => {
  const [url, init] = fetch.mock.calls[i]!;
  const headers = new Headers(init?.headers as ConstructorParameters<typeof Headers>[0]);
  return { url: new URL(String(url)), method: init?.method, body: init?.body ? JSON.parse(String(init.body)) : undefined, headers };
};

describe('tollgate progress', () => {
  it('posts the percent and the date to the milestone\'s progress, with the key and the idempotency key', async () => {
    const r = await run(['progress', 'acme 1', 'build', '62.5', '--date', '2026-03-16', '--idempotency-key', 'psa-42']);
    expect(r.code).toBe(0);
    const req = sent();
    expect([req.method, req.url.pathname]).toEqual(['POST', '/contracts/acme%201/milestones/build/progress']);
    expect(req.body).toEqual({ percent: '62.5', date: '2026-03-16' });
    expect(req.headers.get('idempotency-key')).toBe('psa-42');
    expect(req.headers.get('authorization')).toBe('Bearer k-psa');
  });

  it('sends the percent as the string typed (never a number) and no date when none is given', async () => {
    expect((await run(['progress', 'c-1', 'build', '30.00'])).code).toBe(0);
    expect(sent().body).toEqual({ percent: '30.00' });
  });

  it('prints the outcome with the milestone\'s progress and its invoices, or the raw answer with --json', async () => {
    expect((await run(['progress', 'c-1', 'build', '30'])).stdout).toBe('applied — build: planned [30 %, 300.00 billed in 1 part] (INV-2026-000007)');
    expect((await run(['progress', 'c-1', 'build', '30', '--json'])).stdout).toBe(JSON.stringify(applied, null, 2));
    fetch.mockImplementationOnce(async () => jsonAnswer({
      outcome: 'ignored', reason: 'duplicate: progress 62.5 already reported',
      milestone: { id: 'build', status: 'planned', invoiceNumbers: ['INV-2026-000007', 'INV-2026-000009'], progress: { percent: '62.5', billed: '625.00', parts: 2 } },
      caused,
    }));
    expect((await run(['progress', 'c-1', 'build', '62.5'])).stdout)
      .toBe('ignored — duplicate: progress 62.5 already reported — build: planned [62.5 %, 625.00 billed in 2 parts] (INV-2026-000007, INV-2026-000009)');
  });

  it('exits 3 with code: message when the API refuses the report (a percent below the last one)', async () => {
    fetch.mockImplementation(async () => jsonAnswer({ code: 'not_allowed_in_state', message: 'progress 50 is below the last reported 62.5' }, 409));
    const r = await run(['progress', 'c-1', 'build', '50']);
    expect(r).toEqual({ code: 3, stdout: '', stderr: 'not_allowed_in_state: progress 50 is below the last reported 62.5' });
  });

  it('exits 4 for a milestone the contract does not have', async () => {
    fetch.mockImplementation(async () => jsonAnswer({ code: 'not_found', message: 'no milestone nope' }, 404));
    expect(await run(['progress', 'c-1', 'nope', '10'])).toMatchObject({ code: 4, stderr: 'not_found: no milestone nope' });
  });

  it('refuses a missing percent or an extra argument as usage (2), sending nothing', async () => {
    const missing = await run(['progress', 'c-1', 'build']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^usage: missing required argument 'percent'\n\(tollgate progress --help for its usage\)/);
    expect((await run(['progress', 'c-1', 'build', '10', '20'])).stderr).toMatch(/^usage: too many arguments for 'progress'/);
    expect((await run(['progress', 'c-1', 'build', '10', '--reason', 'x'])).stderr).toMatch(/^usage: unknown option '--reason'/);
    expect(fetch).not.toHaveBeenCalled();
  });

  it('has its own help, and is listed in the overview', async () => {
    const help = await run(['progress', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.split('\n')[0]).toBe('Usage: tollgate progress [options] <contract> <milestone> <percent>');
    expect(help.stdout).toMatch(/--date <date>/);
    expect(help.stdout).toMatch(/--idempotency-key <key>/);
    expect((await run(['--help'])).stdout).toMatch(/^ {2}progress .*percent complete/m);
    expect(fetch).not.toHaveBeenCalled();
  });
});

describe('tollgate show', () => {
  it('shows a milestone billed by progress with its percent and what its parts billed', () => {
    const lines = renderState({
      contractId: 'c-1', customerId: 'cust', currency: 'USD', version: 1, status: 'active',
      versions: [{ terms: { milestones: [{ id: 'build', amount: '1000.00' }, { id: 'golive', amount: '500.00' }] } }],
      milestones: {
        build: { id: 'build', status: 'planned', invoiceNumbers: ['INV-2026-000007'], progress: { percent: '30', billed: '300.00', parts: 1 } },
        golive: { id: 'golive', status: 'planned', invoiceNumbers: [] },
      },
      invoices: [], timers: [], recognizedTotal: '0.00', billed: '300.00',
    });
    expect(lines.find((l) => l.trim().startsWith('build'))).toMatch(/^\s+build\s+planned \[30 %, 300\.00 billed in 1 part\]\s+1000\.00\s/);
    expect(lines.find((l) => l.trim().startsWith('golive'))).toMatch(/^\s+golive\s+planned\s+500\.00\s/);
  });
});
