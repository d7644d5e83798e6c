/** The CLI's command line (commander): what it refuses before calling the API, help per command, and what it sends. */
import { runCli } from '../support/cli';

const run = (argv: string[]) => runCli(argv);

const ok = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });

let fetch: jest.SpiedFunction<typeof globalThis.fetch>;
beforeEach(() => {
  fetch = jest.spyOn(globalThis, 'fetch').mockImplementation(async () => ok({ outcome: 'applied', data: [] }));
});
afterEach(() => jest.restoreAllMocks());

describe('usage errors exit 2 and call nothing', () => {
  it('refuses an unknown flag, naming it (a typo no longer lists everything)', async () => {
    const r = await run(['list', '--custmer', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^usage: unknown option '--custmer'/);
    expect(r.stderr).toContain('Did you mean --customer?');
    expect(r.stdout).toBe('');
    expect(fetch).not.toHaveBeenCalled();
  });

  it('refuses an option another command has but this one does not', async () => {
    const r = await run(['show', 'c-1', '--date', '2025-01-01']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^usage: unknown option '--date'/);
    expect(fetch).not.toHaveBeenCalled();
  });

  it('refuses missing and extra arguments', async () => {
    const missing = await run(['complete', 'only-one-arg']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^usage: missing required argument 'milestone'\n\(tollgate complete --help for its usage\)/);
    const extra = await run(['show', 'c-1', 'c-2']);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toMatch(/^usage: too many arguments for 'show'/);
    expect(fetch).not.toHaveBeenCalled();
  });

  it('refuses reject without --reason, a --status that is not one of its values, and an unknown command', async () => {
    expect(await run(['reject', 'c-1', 'm-1'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^usage: required option '--reason <text>' not specified/) });
    expect(await run(['list', '--status', 'open'])).toMatchObject({ code: 2, stderr: expect.stringContaining('Allowed choices are active, completed') });
    expect(await run(['report', 'c-1'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^usage: unknown command 'report'/) });
    expect(await run(['reports', 'c-1'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^usage: missing required argument 'report'/) });
    expect(fetch).not.toHaveBeenCalled();
  });

  it('prints the overview on stderr when no command is given', async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Usage: tollgate <command>/);
  });
});

describe('help', () => {
  it('show --help prints show\'s own help, not the overview', async () => {
    const r = await run(['show', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('Usage: tollgate show [options] <contract>');
    expect(r.stdout).toMatch(/^\s+--json\s+print the API's raw answer$/m);
    expect(r.stdout).not.toContain('Commands:');
    expect(fetch).not.toHaveBeenCalled();
  });

  it('help <command> and -h print that command\'s help too', async () => {
    expect((await run(['help', 'log'])).stdout.split('\n')[0]).toBe('Usage: tollgate log [options] <contract>');
    const reject = await run(['reject', '-h']);
    expect(reject.code).toBe(0);
    expect(reject.stdout).toMatch(/--reason <text>/);
    expect(reject.stdout).toMatch(/--idempotency-key <key>/);
  });

  it('--help prints the overview: every command, the environment and the exit codes', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const name of ['create', 'complete', 'declare', 'accept', 'reject', 'cost', 'hold', 'release', 'amend', 'clock', 'pay', 'show', 'log', 'invoices', 'list', 'scenarios', 'hash-key']) {
      expect([name, r.stdout]).toEqual([name, expect.stringMatching(new RegExp(`^  ${name} `, 'm'))]);
    }
    expect(r.stdout).toContain('TOLLGATE_URL');
    expect(r.stdout).toContain('Exit codes: 0 ok, 2 usage, 3 refused by the API, 4 not found, 5 unavailable');
  });
});

describe('what a parsed command line sends', () => {
  const sent = (i = 0) => {
    const [url, init] = fetch.mock.calls[i]!;
    return { url: String(url), method: init?.method, headers: init?.headers as Record<string, string>, body: init?.body ? JSON.parse(String(init.body)) : undefined };
  };

  it('sends options given after the arguments, in either --name value or --name=value form', async () => {
    const r = await run(['reject', 'c 1', 'm-1', '--reason=late delivery', '--date', '2025-01-10', '--idempotency-key', 'k-1']);
    expect(r.code).toBe(0);
    expect(sent()).toMatchObject({
      url: 'http://tollgate.test/contracts/c%201/milestones/m-1/reject',
      method: 'POST',
      headers: expect.objectContaining({ 'idempotency-key': 'k-1' }),
      body: { date: '2025-01-10', reason: 'late delivery' },
    });
  });

  it('list passes its filters as the query and follows every page with --all', async () => {
    fetch.mockImplementationOnce(async () => ok({ data: [{ contractId: 'a' }], nextCursor: 't2' }))
      .mockImplementationOnce(async () => ok({ data: [{ contractId: 'b' }] }));
    const r = await run(['list', '--customer', 'cust-1', '--status', 'active', '--limit', '1', '--all', '--json']);
    expect(r.code).toBe(0);
    expect(new URL(sent(0).url).searchParams.toString()).toBe('customer=cust-1&status=active&limit=1');
    expect(new URL(sent(1).url).searchParams.get('cursor')).toBe('t2');
    expect(JSON.parse(r.stdout).map((c: { contractId: string }) => c.contractId)).toEqual(['a', 'b']);
  });
});
