/**
 * Test kit for the revenue service alone: start it on the shared FerretDB (own database), post
 * with idempotency keys, and translate a scenario file's events into direct revenue postings.
 */
import { findScenarioDir } from '../../cli/scenario-dir';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createLogger } from '../../libs/logger';
import { addDays, lastDayOfMonth } from '../../libs/dates';
import { dec, formatMoney } from '../../libs/money';
import { startRevenueService } from '../../services/revenue';
import type { RunningService } from '../../libs/service-runtime';
import { http, testConfig, uniqueId } from './system';

export async function startRevenue(opts: { now?: () => Date } = {}): Promise<RunningService> {
  const config = testConfig();
  return startRevenueService(config, createLogger('test', config.LOG_LEVEL), opts);
}

/** A POST with an Idempotency-Key (a fresh one unless given). */
export function post<T = any>(base: string, route: string, body: unknown, key: string = uniqueId('k')) {
  return http<T>('POST', `${base}${route}`, body, { 'idempotency-key': key });
}

export const SCENARIOS = findScenarioDir();

export function loadScenario(file: string): any {
  return JSON.parse(readFileSync(path.join(SCENARIOS, file), 'utf8'));
}

export interface RevenueCall { route: '/plans' | '/postings'; body: Record<string, unknown>; key: string }

/**
 * What the contract workflow would send the revenue service for a scenario, for the parts the
 * revenue ledger sees: plan v1 on the signed date; date triggers and acceptances as contract
 * events that bill the milestone (immediate invoicing) and accept it; cost reports; ratable month
 * ends (and end dates) through `until`; payments; amendments as plan v(N+1) plus a credit memo or
 * supplementary invoice for each invoiced milestone whose amount changed. Same-day order: timers
 * (date triggers, then ratable month ends), then the day's steps as listed.
 */
export function scenarioCalls(scenario: any, contractId: string): RevenueCall[] {
  const c = scenario.contract;
  const currency: string = c.currency;
  const base = { contractId, sandbox: true, currency };
  let version = 1;
  let milestones: any[] = c.milestones.map((m: any) => ({ ...m }));
  let obligations: any[] = c.obligations.map((o: any) => ({ ...o }));
  const cancelled: string[] = [];
  const invoiced = new Map<string, string>();
  const completed = new Set<string>();
  const calls: RevenueCall[] = [];
  const plan = (effectiveDate: string) => ({
    route: '/plans' as const,
    key: `${contractId}:plan:v${version}`,
    body: structuredClone({ ...base, version, effectiveDate, obligations, milestones, cancelled }),
  });
  calls.push(plan(c.signedDate));

  const accept = (id: string, date: string) => {
    const m = milestones.find((x) => x.id === id)!;
    if ((m.invoiceTiming?.type ?? 'immediate') !== 'immediate') throw new Error(`scenario kit: only immediate invoicing (${id})`);
    const billed = m.billable === false ? '0' : m.amount;
    if (m.billable !== false) invoiced.set(id, m.amount);
    calls.push({ route: '/postings', key: `${contractId}:${id}:accept`, body: { kind: 'contract_event', ...base, eventDate: date, source: { type: 'milestone', ref: id }, billed, progress: { accepted: [id] } } });
  };

  const timers: Array<{ date: string; order: number; run: () => void }> = [];
  for (const m of milestones) if (m.trigger.type === 'date') timers.push({ date: m.trigger.date, order: 0, run: () => accept(m.id, m.trigger.date) });
  const monthEnds = (o: any) => {
    const r = o.recognition;
    if (r.method !== 'ratable') return;
    for (let d = lastDayOfMonth(r.startDate); ; d = lastDayOfMonth(addDays(d, 1))) {
      const at = d < r.endDate ? d : r.endDate;
      if (at > scenario.until) break;
      timers.push({ date: at, order: 1, run: () => calls.push({ route: '/postings', key: `${contractId}:ratable:${o.id}:${at}`, body: { kind: 'contract_event', ...base, eventDate: at, source: { type: 'ratable_month', ref: `${o.id}:${at}` }, progress: { ratableThrough: at, ratableObligations: [o.id] } } }) });
      if (at === r.endDate) break;
    }
  };
  obligations.forEach(monthEnds);
  timers.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.order - b.order));

  const fireTimersThrough = (date: string) => {
    while (timers.length > 0 && timers[0]!.date <= date) timers.shift()!.run();
  };

  scenario.steps.forEach((step: any, i: number) => {
    fireTimersThrough(step.on);
    if (step.expectError) return;
    const date: string = step.date ?? step.on;
    const m = milestones.find((x) => x.id === step.milestone);
    switch (step.do) {
      case 'complete':
      case 'declare':
        if (m.trigger.type === 'event' && m.trigger.completion === 'external_event') accept(m.id, date);
        else completed.add(m.id);
        break;
      case 'accept':
        accept(m.id, date);
        break;
      case 'cost':
        calls.push({ route: '/postings', key: `${contractId}:cost:${i}`, body: { kind: 'contract_event', ...base, eventDate: date, source: { type: 'cost', ref: `step-${i}` }, progress: { cost: { obligationId: step.obligation, amount: step.amount } } } });
        break;
      case 'pay':
        calls.push({ route: '/postings', key: `${contractId}:pay:${i}`, body: { kind: 'payment', ...base, eventDate: date, source: { type: 'payment', ref: `step-${i}` }, amount: step.amount } });
        break;
      case 'amend': {
        const ch = step.changes;
        version += 1;
        for (const change of ch.milestones ?? []) {
          const existing = milestones.find((x) => x.id === change.id);
          if (existing) Object.assign(existing, change);
          else milestones = [...milestones, { billable: true, ...change }];
        }
        for (const change of ch.obligations ?? []) {
          const existing = obligations.find((x) => x.id === change.id);
          if (existing) Object.assign(existing, { ...change, recognition: { ...existing.recognition, ...change.recognition } });
          else obligations = [...obligations, change];
        }
        cancelled.push(...(ch.cancel ?? []));
        calls.push(plan(date));
        for (const [id, billedAmount] of invoiced) {
          const now = milestones.find((x) => x.id === id)!.amount;
          const diff = dec(now).minus(billedAmount);
          if (!diff.isZero()) {
            invoiced.set(id, now);
            calls.push({ route: '/postings', key: `${contractId}:${id}:v${version}:adjust`, body: { kind: 'contract_event', ...base, eventDate: date, source: { type: diff.isNegative() ? 'credit_memo' : 'supplementary', ref: id }, billed: formatMoney(diff, currency) } });
          }
        }
        break;
      }
      default:
        break; // hold, release, reject, closePeriod: nothing reaches the revenue ledger here
    }
  });
  fireTimersThrough(scenario.until);
  return calls;
}
