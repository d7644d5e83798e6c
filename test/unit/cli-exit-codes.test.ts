/** The CLI's exit code by class of failure: the pure mapping, and main() answering with it. */
import { EXIT, exitCodeFor } from '../../cli/exit-codes';
import { main } from '../../cli/tollgate';

describe('exitCodeFor', () => {
  it('classes the API\'s business and validation refusals as refused (3)', () => {
    for (const code of ['validation_failed', 'not_allowed_in_state', 'stale_version', 'duplicate_contract', 'window_closed', 'invalid_amendment', 'future_date', 'payload_too_large']) {
      expect([code, exitCodeFor({ code })]).toEqual([code, EXIT.refused]);
    }
    expect(exitCodeFor({ code: 'conflict', status: 409 })).toBe(EXIT.refused);
    expect(exitCodeFor({ code: 'http_422', status: 422 })).toBe(EXIT.refused);
  });

  it('classes not_found and any 404 as not found (4)', () => {
    expect(exitCodeFor({ code: 'not_found', status: 404 })).toBe(EXIT.notFound);
    expect(exitCodeFor({ code: 'http_404', status: 404 })).toBe(EXIT.notFound);
  });

  it('classes an unreachable API and 502/503/504 as unavailable (5)', () => {
    expect(exitCodeFor({ code: 'unavailable' })).toBe(EXIT.unavailable);
    for (const status of [502, 503, 504]) expect(exitCodeFor({ code: `http_${status}`, status })).toBe(EXIT.unavailable);
  });

  it('classes 401 and 403 as unauthorized (6)', () => {
    expect(exitCodeFor({ code: 'unauthorized', status: 401 })).toBe(EXIT.unauthorized);
    expect(exitCodeFor({ code: 'forbidden', status: 403 })).toBe(EXIT.unauthorized);
    expect(exitCodeFor({ code: 'http_403', status: 403 })).toBe(EXIT.unauthorized);
  });

  it('classes a bad command line, or a file it names that cannot be read, as usage (2)', () => {
    expect(exitCodeFor({ code: 'usage' })).toBe(EXIT.usage);
    expect(exitCodeFor({ code: 'file' })).toBe(EXIT.usage);
  });

  it('lets a code the API defines decide over the status it came with', () => {
    expect(exitCodeFor({ code: 'not_found', status: 400 })).toBe(EXIT.notFound);
    expect(exitCodeFor({ code: 'forbidden', status: 404 })).toBe(EXIT.unauthorized);
  });

  it('takes anything else for a bug (1): internal errors, other 5xx, no code and no status', () => {
    expect(exitCodeFor({ code: 'internal', status: 500 })).toBe(EXIT.bug);
    expect(exitCodeFor({ code: 'http_500', status: 500 })).toBe(EXIT.bug);
    expect(exitCodeFor({ code: 'something_new' })).toBe(EXIT.bug);
    expect(exitCodeFor({})).toBe(EXIT.bug);
    expect(exitCodeFor({ status: 302 })).toBe(EXIT.bug);
  });
});

describe('tollgate exits by the class of the API\'s answer', () => {
  const answer = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

  async function run(argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env: { TOLLGATE_URL: 'http://tollgate.test' } });
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  }

  afterEach(() => jest.restoreAllMocks());

  it('prints code: message and exits 4 on not_found', async () => {
    jest.spyOn(globalThis, 'fetch').mockResolvedValue(answer(404, { code: 'not_found', message: 'no contract c-1' }));
    expect(await run(['show', 'c-1'])).toEqual({ code: 4, stdout: '', stderr: 'not_found: no contract c-1' });
  });

  it('exits 3 on a refusal, with each bad field of validation_failed on its own line', async () => {
    jest.spyOn(globalThis, 'fetch').mockResolvedValue(answer(400, {
      code: 'validation_failed', message: 'invalid request', details: [{ path: 'body.date', message: 'must be YYYY-MM-DD' }],
    }));
    const r = await run(['complete', 'c-1', 'm-1', '--date', '2025-13-01']);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('validation_failed: invalid request\n  body.date must be YYYY-MM-DD');
  });

  it('exits 5 when the API cannot be reached', async () => {
    jest.spyOn(globalThis, 'fetch').mockRejectedValue(new TypeError('fetch failed'));
    const r = await run(['log', 'c-1']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^unavailable: cannot reach http:\/\/tollgate\.test: fetch failed/);
  });

  it('exits 6 when the key\'s role may not do it', async () => {
    jest.spyOn(globalThis, 'fetch').mockResolvedValue(answer(403, { code: 'forbidden', message: 'role support may not place holds' }));
    expect((await run(['hold', 'c-1'])).code).toBe(6);
  });

  it('exits 2 when a file named on the command line cannot be read, without calling the API', async () => {
    const fetch = jest.spyOn(globalThis, 'fetch');
    const r = await run(['create', '/nonexistent/terms.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^file: cannot read \/nonexistent\/terms\.yaml/);
    expect(fetch).not.toHaveBeenCalled();
  });

  it('exits 1 when the CLI itself fails (a bug)', async () => {
    jest.spyOn(globalThis, 'fetch').mockResolvedValue(answer(200, { no: 'data' }));
    const r = await run(['log', 'c-1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: /);
  });
});
