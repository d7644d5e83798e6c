/**
 * The acceptance-scenario runner on the real stack: every shipped scenario passes, and a copy with
 * one expected figure changed fails with a readable difference and a non-zero exit code.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { httpApi, loadScenario, runScenario } from '../../cli/scenarios';
import { runScenarioFiles, scenarioFiles } from '../../cli/run-scenarios';
import { startTestSystem, type TestSystem } from '../support/system';

let sys: TestSystem;
beforeAll(async () => { sys = await startTestSystem(); });
afterAll(async () => { await sys?.stop(); });

const shipped = scenarioFiles([]);
/** Our own scenarios (test/scenarios/): rule combinations the shipped files do not cover. */
const OWN_DIR = path.resolve(__dirname, '..', 'scenarios');
const own = existsSync(OWN_DIR) ? readdirSync(OWN_DIR).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(OWN_DIR, f)) : [];

describe('scenario runner', () => {
  it('finds the shipped scenario files', () => {
    expect(shipped.length).toBeGreaterThanOrEqual(7);
  });

  it.each([...shipped, ...own].map((f) => [path.basename(f), f]))('passes %s with no difference', async (_name, file) => {
    const result = await runScenario(httpApi(sys.gatewayUrl), loadScenario(file));
    expect(result.differences).toEqual([]);
  });

  it('fails, non-zero and with the difference, when one expected figure is changed', async () => {
    const source = shipped.find((f) => path.basename(f).startsWith('p1-')) ?? shipped[0]!;
    const scenario = JSON.parse(readFileSync(source, 'utf8'));
    const firstMonth = Object.keys(scenario.expect.revenueByPeriod)[0]!;
    const original = scenario.expect.revenueByPeriod[firstMonth];
    scenario.expect.revenueByPeriod[firstMonth] = '12345.67';
    const copy = path.join(mkdtempSync(path.join(os.tmpdir(), 'tollgate-scn-')), 'changed.json');
    writeFileSync(copy, JSON.stringify(scenario));

    const lines: string[] = [];
    process.env.TOLLGATE_URL = sys.gatewayUrl;
    try {
      const code = await runScenarioFiles([copy], (l) => lines.push(l));
      expect(code).toBe(1);
    } finally {
      delete process.env.TOLLGATE_URL;
    }
    expect(lines[0]).toBe(`using the Tollgate at ${sys.gatewayUrl}`);
    expect(lines[1]).toMatch(/^FAIL /);
    expect(lines).toContain(`  - revenue ${firstMonth}: expected 12345.67, got ${original}`);
    expect(lines[lines.length - 1]).toBe('0/1 scenarios passed');
  });

  it('reports a refused step whose expected error code differs', async () => {
    const scenario = loadScenario(shipped.find((f) => path.basename(f).startsWith('p4-')) ?? shipped[0]!);
    const step = scenario.steps.find((s) => s.expectError);
    if (!step) throw new Error('no scenario with an expectError step to mutate');
    step.expectError = 'stale_version';
    const result = await runScenario(httpApi(sys.gatewayUrl), scenario);
    expect(result.differences.some((d) => d.includes('expected refusal stale_version'))).toBe(true);
  });
});
