/**
 * `npm run scenarios -- [FILES…]`: plays acceptance scenarios (default: every file in
 * ../shared/scenarios) through the HTTP API — against TOLLGATE_URL, else the local Tollgate when
 * `npm start` is running, else a throwaway local stack it
 * starts itself — prints one line per difference, and exits non-zero on any difference.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../libs/config';
import { createLogger } from '../libs/logger';
import { startEphemeralStack } from '../deploy/local/ephemeral';
import { findScenarioDir } from './scenario-dir';
import { httpApi, loadScenario, runScenario } from './scenarios';

export function scenarioFiles(args: string[]): string[] {
  if (args.length > 0) return args.map((a) => path.resolve(a));
  const dir = findScenarioDir();
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(dir, f));
}

/** The gateway `npm start` runs, if it answers (scenario contracts are sandboxes: the books never see them). */
async function runningLocalGateway(): Promise<string | undefined> {
  const config = loadConfig();
  const url = `http://${config.HOST}:${config.GATEWAY_PORT}`;
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
    const body = (await res.json()) as { service?: string };
    return res.ok && body.service === 'gateway' ? url : undefined;
  } catch {
    return undefined;
  }
}

export async function runScenarioFiles(files: string[], out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  const logger = createLogger('scenarios', process.env.LOG_LEVEL ?? 'warn');
  const scenarios = files.map((f) => ({ file: f, scenario: loadScenario(f) }));
  const target = process.env.TOLLGATE_URL ?? (await runningLocalGateway());
  if (target) out(`using the Tollgate at ${target}`);
  const stack = target ? undefined : await startEphemeralStack(logger, process.env.LOG_LEVEL ?? 'silent');
  const api = httpApi(target ?? stack!.gatewayUrl, process.env.TOLLGATE_API_KEY);
  let failed = 0;
  try {
    for (const { file, scenario } of scenarios) {
      const started = Date.now();
      let differences: string[];
      try {
        differences = (await runScenario(api, scenario)).differences;
      } catch (err) {
        differences = [`could not run: ${(err as Error).message}`];
      }
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      if (differences.length === 0) out(`PASS ${scenario.name} (${secs} s)`);
      else {
        failed += 1;
        out(`FAIL ${scenario.name} (${path.basename(file)}, ${secs} s): ${differences.length} difference(s)`);
        for (const d of differences) out(`  - ${d}`);
      }
    }
  } finally {
    await stack?.stop();
  }
  out(`${scenarios.length - failed}/${scenarios.length} scenarios passed`);
  return failed === 0 ? 0 : 1;
}

if (require.main === module) {
  runScenarioFiles(scenarioFiles(process.argv.slice(2))).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`scenarios: ${(err as Error).message}\n`);
      process.exit(2);
    },
  );
}
