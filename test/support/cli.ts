/**
 * Running the CLI in a unit test (cli/tollgate.ts `main`): its exit code and what it printed, against
 * a gateway at http://tollgate.test (the test stubs `fetch`), with an API key when given.
 */
import { main } from '../../cli/tollgate';

export async function runCli(argv: string[], apiKey?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const env = { TOLLGATE_URL: 'http://tollgate.test', ...(apiKey ? { TOLLGATE_API_KEY: apiKey } : {}) };
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** A JSON answer of the stubbed gateway. */
export const jsonAnswer = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
