/**
 * Two of every service, two gateways and two workers on one Temporal and one store, as
 * `npm start -- --replicas 2` runs them: concurrent completions, payments and duplicate sends
 * through both gateways. One invoice per billable milestone, gapless numbers, every contract
 * reconciled (variance 0) — nothing may rest on being the only process on the database.
 */
import { milestone } from '../support/contracts';
import { simpleContract } from '../support/fixtures';
import { http, startTestSystem, testConfig, type TestSystem } from '../support/system';

let replicas: TestSystem[];

beforeAll(async () => {
  const config = testConfig();
  // Same databases and task queue; separate connections, use cases, in-process locks and caches.
  replicas = [await startTestSystem(config), await startTestSystem(config)];
});

afterAll(async () => {
  for (const r of replicas ?? []) await r.stop();
});

const CONTRACTS = 8;
const MILESTONES = ['design', 'build', 'launch'];

describe('two replicas of everything', () => {
  it('invoices each milestone once with gapless numbers and reconciles every contract under concurrent, duplicated load', async () => {
    const gateway = (i: number) => replicas[i % 2]!.gatewayUrl;
    const contracts = Array.from({ length: CONTRACTS }, (_, i) => simpleContract({
      customer: { id: `cust-rep-${i % 3}`, name: `Replica Customer ${i % 3}` },
      obligations: [{ id: 'impl', name: 'Implementation', ssp: '30000.00', recognition: { method: 'milestones' } }],
      milestones: MILESTONES.map((id, k) => milestone(id, { amount: '10000.00', sequence: k + 1 })),
    }));
    for (const [i, c] of contracts.entries()) expect((await http('POST', `${gateway(i)}/contracts`, c)).status).toBe(201);

    // Every completion sent twice at once, once to each gateway; all contracts at the same time.
    const completions = await Promise.all(contracts.map(async (c, i) => {
      const outcomes: string[] = [];
      for (const m of MILESTONES) {
        const both = await Promise.all([0, 1].map((g) => http('POST', `${gateway(i + g)}/contracts/${c.contractId}/milestones/${m}/complete`, {})));
        outcomes.push(...both.map((r) => `${r.status}:${r.body.outcome}`));
      }
      return outcomes;
    }));
    for (const outcomes of completions) {
      expect(outcomes.filter((o) => o === '200:applied')).toHaveLength(MILESTONES.length);
      expect(outcomes.filter((o) => o !== '200:applied').every((o) => o === '200:ignored')).toBe(true);
    }

    // Payments: each sent to both gateways under one Idempotency-Key (one payment), concurrently.
    const payments = await Promise.all(contracts.map(async (c, i) => Promise.all([0, 1].map((g) =>
      http('POST', `${gateway(i + g)}/contracts/${c.contractId}/payments`, { amount: '15000.00' }, { 'idempotency-key': `pay-${c.contractId}` })))));
    for (const pair of payments) {
      expect(pair.some((r) => r.status === 201)).toBe(true);
      expect(pair.every((r) => r.status === 201 || r.status === 200 || (r.status === 409 && r.body.code === 'request_in_progress'))).toBe(true);
    }

    const numbers: string[] = [];
    for (const [i, c] of contracts.entries()) {
      const invoices = (await http('GET', `${gateway(i + 1)}/contracts/${c.contractId}/invoices`)).body.data as Array<{ number: string; lines: Array<{ milestoneId: string }> }>;
      expect(invoices.map((inv) => inv.lines[0]!.milestoneId).sort()).toEqual([...MILESTONES].sort());
      numbers.push(...invoices.map((inv) => inv.number));
      const receivables = (await http('GET', `${replicas[i % 2]!.arUrl}/receivables?contractId=${c.contractId}`)).body.data as Array<{ paidAmount: string }>;
      expect(receivables).toHaveLength(MILESTONES.length);
    }
    const year = numbers[0]!.slice(4, 8);
    expect(numbers.map((n) => n.slice(0, 9))).toEqual(Array(numbers.length).fill(`INV-${year}-`));
    expect(numbers.map((n) => Number(n.slice(-6))).sort((a, b) => a - b)).toEqual(Array.from({ length: CONTRACTS * MILESTONES.length }, (_, k) => k + 1));

    // Both AR sweeps at once, twice: nothing doubles.
    await Promise.all(replicas.flatMap((r) => [r.sweepAr(), r.sweepAr()]));
    for (const [i, c] of contracts.entries()) {
      const report = (await http('GET', `${gateway(i)}/contracts/${c.contractId}/reconciliation`)).body;
      expect({ contract: c.contractId, failed: report.checks.filter((x: { ok: boolean }) => !x.ok) }).toEqual({ contract: c.contractId, failed: [] });
      const paid = (await http('GET', `${replicas[0]!.arUrl}/payments?contractId=${c.contractId}`)).body.data as unknown[];
      expect(paid).toHaveLength(1);
    }
  });
});
