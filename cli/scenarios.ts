/**
 * The acceptance-scenario runner (DESIGN §6a): plays a scenario file through the public HTTP API on
 * a sandbox clock, then compares everything in `expect` exactly and lists every difference.
 * Nothing here knows the names or numbers of any particular file.
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { createHttpClient } from '../libs/http-client';
import { Dec } from '../libs/money';

/**
 * One step of a scenario file. The format is the shared one (../shared/scenarios/README.md); this
 * runner also knows the step and the expectations of progressive billing (docs/progressive-billing.md):
 *
 *   {"on": D, "do": "progress", "milestone": "m", "percent": "62.5"}   // POST …/milestones/m/progress
 *     ("date" and "expectError" as on any step)
 *   expect.invoices[i]: optional "part" (1, 2, …) and "progress" {percent, cumulative, previouslyBilled}
 *   expect.milestones[m]: optional "progress" {percent, billed, parts} (only the keys listed are compared)
 */
export interface ScenarioStep {
  on: string;
  do: 'complete' | 'declare' | 'accept' | 'reject' | 'progress' | 'cost' | 'pay' | 'hold' | 'release' | 'closePeriod' | 'amend';
  date?: string;
  milestone?: string;
  /** progress: percent complete, a decimal string ("62.5"). */
  percent?: string;
  reason?: string;
  obligation?: string;
  amount?: string;
  invoiceFor?: string;
  period?: string;
  baseVersion?: number;
  changes?: unknown;
  expectError?: string;
}

export interface Scenario {
  name: string;
  description?: string;
  contract: { contractId: string; sandbox?: { clockStart: string }; [k: string]: unknown };
  steps: ScenarioStep[];
  until: string;
  expect: {
    version?: number;
    invoices?: Array<{ for: string[]; date: string; due: string; amount: string; kind: string; part?: number; progress?: Record<string, string> }>;
    creditMemos?: Array<{ for: string; date: string; amount: string }>;
    revenueByPeriod?: Record<string, string>;
    balances?: Record<string, Record<string, string>>;
    milestones?: Record<string, Record<string, string | Record<string, unknown>>>;
  };
}

export function loadScenario(file: string): Scenario {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Scenario;
  const problems: string[] = [];
  if (!s.contract?.contractId) problems.push('contract.contractId is missing');
  if (!s.contract?.sandbox?.clockStart) problems.push('contract.sandbox.clockStart is missing');
  if (!Array.isArray(s.steps)) problems.push('steps must be an array');
  if (typeof s.until !== 'string') problems.push('until is missing');
  if (typeof s.expect !== 'object') problems.push('expect is missing');
  if (problems.length) throw new Error(`${file}: not a scenario file: ${problems.join('; ')}`);
  return s;
}

interface Api {
  call(method: string, path: string, body?: unknown, idempotencyKey?: string): Promise<{ status: number; body: any }>;
}

/** The public API on the one HTTP client (libs/http-client.ts): every answer as it came; a body that is not JSON as `{raw}`. */
export function httpApi(baseUrl: string, apiKey?: string): Api {
  const client = createHttpClient({ baseUrl, headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {} });
  return {
    async call(method, path, body, idempotencyKey) {
      const res = await client.request(method, path, { body, headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {} });
      return { status: res.status, body: res.json === undefined && res.text ? { raw: res.text } : res.json };
    },
  };
}

export interface ScenarioResult {
  name: string;
  contractId: string;
  differences: string[];
}

/** The parts of the state a refused request must leave as they were. */
function footprint(state: any): string {
  const { log, ...rest } = state ?? {};
  void log;
  return JSON.stringify(rest);
}

export async function runScenario(api: Api, scenario: Scenario): Promise<ScenarioResult> {
  const contractId = `${scenario.contract.contractId}-${randomBytes(3).toString('hex')}`;
  const differences: string[] = [];
  const base = `/contracts/${encodeURIComponent(contractId)}`;
  const must = async (what: string, method: string, path: string, body?: unknown) => {
    const res = await api.call(method, path, body);
    if (res.status >= 300) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };

  await must('create contract', 'POST', '/contracts', { ...scenario.contract, contractId });

  for (const [i, step] of scenario.steps.entries()) {
    const label = `step ${i + 1} (${step.on} ${step.do}${step.milestone ? ` ${step.milestone}` : ''}${step.percent !== undefined ? ` ${step.percent} %` : ''})`;
    await must(`${label}: advance clock`, 'POST', `${base}/clock`, { to: step.on });
    const date = step.date ?? step.on;
    let request: { method: string; path: string; body?: unknown };
    switch (step.do) {
      case 'complete': case 'declare': case 'accept':
        request = { method: 'POST', path: `${base}/milestones/${encodeURIComponent(step.milestone!)}/${step.do}`, body: { date } };
        break;
      case 'reject':
        request = { method: 'POST', path: `${base}/milestones/${encodeURIComponent(step.milestone!)}/reject`, body: { date, reason: step.reason ?? 'rejected' } };
        break;
      case 'progress':
        request = { method: 'POST', path: `${base}/milestones/${encodeURIComponent(step.milestone!)}/progress`, body: { percent: step.percent, date } };
        break;
      case 'cost':
        request = { method: 'POST', path: `${base}/costs`, body: { obligationId: step.obligation, amount: step.amount, date } };
        break;
      case 'pay':
        request = { method: 'POST', path: `${base}/payments`, body: { invoiceFor: step.invoiceFor, amount: step.amount, date } };
        break;
      case 'hold': case 'release':
        request = { method: 'POST', path: `${base}/${step.do}`, body: { date } };
        break;
      case 'closePeriod':
        request = { method: 'POST', path: `${base}/periods/close`, body: { period: step.period } };
        break;
      case 'amend':
        request = { method: 'POST', path: `${base}/amendments`, body: { baseVersion: step.baseVersion, effectiveDate: date, changes: step.changes } };
        break;
      default:
        differences.push(`${label}: unknown action ${String((step as ScenarioStep).do)}`);
        continue;
    }
    if (step.expectError) {
      const before = footprint(await must(`${label}: read state`, 'GET', base));
      const res = await api.call(request.method, request.path, request.body);
      if (res.status < 400) differences.push(`${label}: expected refusal ${step.expectError}, got ${res.status} ${JSON.stringify(res.body)}`);
      else if (res.body?.code !== step.expectError) differences.push(`${label}: expected refusal ${step.expectError}, got ${res.body?.code} (${res.body?.message})`);
      const after = footprint(await must(`${label}: read state`, 'GET', base));
      if (before !== after) differences.push(`${label}: the refused request changed the contract`);
    } else {
      const res = await api.call(request.method, request.path, request.body, `${contractId}:step-${i + 1}`);
      if (res.status >= 400) differences.push(`${label}: refused ${res.body?.code}: ${res.body?.message}`);
    }
  }
  await must('advance clock to until', 'POST', `${base}/clock`, { to: scenario.until });

  const state = await must('read state', 'GET', base);
  const expect = scenario.expect;
  const eq = (what: string, expected: unknown, actual: unknown) => {
    if (JSON.stringify(expected) !== JSON.stringify(actual)) differences.push(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  };

  if (expect.version !== undefined) eq('version', expect.version, state.version);

  if (expect.invoices) {
    const actual = (state.invoices as any[]).map((i) => ({ for: i.milestoneIds, date: i.date, due: i.dueDate, amount: i.amount, kind: i.kind, part: i.part, progress: i.progress }));
    compareLists('invoice', expect.invoices, actual, differences);
  }
  if (expect.creditMemos) {
    const actual = (state.creditMemos as any[]).map((m) => ({ for: m.milestoneId, date: m.date, amount: m.amount }));
    compareLists('credit memo', expect.creditMemos, actual, differences);
  }
  if (expect.milestones) {
    for (const [id, exp] of Object.entries(expect.milestones)) {
      const ms = state.milestones[id];
      if (!ms) { differences.push(`milestone ${id}: missing`); continue; }
      // The format's vocabulary: `waiting` is only ever `awaiting_sequence` (a hold is not a sequence wait).
      const view: Record<string, unknown> = { ...ms, waiting: ms.waiting === 'awaiting_sequence' ? 'awaiting_sequence' : undefined };
      for (const field of new Set([...Object.keys(exp), 'status', 'acceptedOn', 'acceptance', 'invoicedOn', 'waiting'])) {
        const expected = exp[field];
        const actual = view[field] ?? undefined;
        // An object (progress): the keys it lists, each compared exactly.
        if (expected !== null && typeof expected === 'object') {
          for (const [k, v] of Object.entries(expected)) {
            const a = (actual as Record<string, unknown> | undefined)?.[k];
            if (!isDeepStrictEqual(v, a)) differences.push(`milestone ${id} ${field}.${k}: expected ${JSON.stringify(v)}, got ${JSON.stringify(a)}`);
          }
        } else if (expected !== actual) {
          differences.push(`milestone ${id} ${field}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
        }
      }
    }
  }
  const section = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      differences.push(`${what}: ${(err as Error).message}`);
    }
  };
  if (expect.revenueByPeriod) await section('revenue by period', async () => {
    const rev = await must('revenue by period', 'GET', `${base}/reports/revenue-by-period`);
    const actual: Record<string, string> = {};
    for (const [period, amount] of Object.entries(rev.revenueByPeriod as Record<string, string>)) if (!new Dec(amount).isZero()) actual[period] = amount;
    compareMaps('revenue', expect.revenueByPeriod!, actual, differences);
  });
  if (expect.balances) await section('balances', async () => {
    const months = Object.keys(expect.balances!).sort();
    const report = await must('month-end balances', 'GET', `${base}/reports/month-end-balances?to=${scenario.until.slice(0, 7)}`);
    const actual = report.balances as Record<string, Record<string, string>>;
    const periods = [...new Set([...months, ...Object.keys(actual)])].sort();
    for (const p of periods) {
      const exp = expect.balances![p];
      const act = actual[p];
      if (!exp) { differences.push(`balances ${p}: not expected, got ${JSON.stringify(act)}`); continue; }
      if (!act) { differences.push(`balances ${p}: missing`); continue; }
      for (const account of Object.keys(exp)) {
        if (exp[account] !== act[account]) differences.push(`balances ${p} ${account}: expected ${exp[account]}, got ${act[account]}`);
      }
    }
  });
  return { name: scenario.name, contractId, differences };
}

function compareLists(what: string, expected: unknown[], actual: unknown[], out: string[]): void {
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i += 1) {
    const e = expected[i];
    const a = actual[i];
    if (e === undefined) out.push(`${what} #${i + 1}: not expected, got ${JSON.stringify(a)}`);
    else if (a === undefined) out.push(`${what} #${i + 1}: missing, expected ${JSON.stringify(e)}`);
    else {
      for (const k of Object.keys(e as object)) {
        const ev = (e as Record<string, unknown>)[k];
        const av = (a as Record<string, unknown>)[k];
        // Deep, whatever the key order of an object (an invoice's progress).
        if (!isDeepStrictEqual(ev, av)) out.push(`${what} #${i + 1} ${k}: expected ${JSON.stringify(ev)}, got ${JSON.stringify(av)}`);
      }
    }
  }
}

function compareMaps(what: string, expected: Record<string, string>, actual: Record<string, string>, out: string[]): void {
  for (const k of [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort()) {
    if (expected[k] !== actual[k]) out.push(`${what} ${k}: expected ${expected[k] ?? '(none)'}, got ${actual[k] ?? '(none)'}`);
  }
}
