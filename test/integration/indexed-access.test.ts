/**
 * Cost must not grow with the books: every query the services send on the hot path (completion →
 * invoice → receivable → ledger entry → answer, payments, credit memos) and on every read of one
 * contract or one customer is answered from an index. The queries are recorded as the real system
 * runs and each shape is explained on the real store (docs/local-stack.md, "Indexed access").
 */
import { milestone, sandboxTerms, TestContract } from '../support/contracts';
import { simpleContract } from '../support/fixtures';
import { recordQueries, unindexedQueries } from '../support/query-guard';
import { http, startTestSystem, type TestSystem } from '../support/system';

let sys: TestSystem;

beforeAll(async () => {
  sys = await startTestSystem();
});

afterAll(async () => {
  await sys?.stop();
});

/**
 * Queries allowed to read beyond one contract, each with its reason. Keep this list short: every
 * entry is a read whose cost grows with the books.
 */
const ALLOWED: Array<[RegExp, string]> = [];

describe('indexed access', () => {
  it('answers every hot-path query and every read of one contract from an index', async () => {
    const recorder = recordQueries();
    try {
      // A real-books contract: completion → invoice → receivable → entry; a payment; reads.
      const real = simpleContract();
      expect((await http('POST', `${sys.gatewayUrl}/contracts`, real)).status).toBe(201);
      expect((await http('POST', `${sys.gatewayUrl}/contracts/${real.contractId}/milestones/go-live/complete`, {})).body.outcome).toBe('applied');
      const paid = await http('POST', `${sys.gatewayUrl}/contracts/${real.contractId}/payments`, { amount: '20000.00', invoiceFor: 'go-live' }, { 'idempotency-key': 'p1' });
      expect(paid.status).toBe(201);

      // A sandbox contract with an amendment that credits an invoice, and a ratable obligation.
      const terms = sandboxTerms([milestone('m1', { amount: '30000.00' }), milestone('m2', { amount: '20000.00', sequence: 2 })], {
        customer: { id: 'cust-indexed', name: 'Indexed Corp' },
        obligations: [{ id: 'impl', name: 'Implementation', ssp: '50000.00', recognition: { method: 'milestones' } }],
      });
      const c = await TestContract.create(sys.gatewayUrl, terms);
      expect((await c.on('2025-01-10', 'complete', 'm1')).body.outcome).toBe('applied');
      const amended = await http('POST', `${sys.gatewayUrl}/contracts/${c.id}/amendments`, {
        baseVersion: 1, changes: { milestones: [{ id: 'm1', amount: '25000.00' }] },
      });
      expect(amended.status).toBe(200);
      expect((await http('POST', `${sys.gatewayUrl}/contracts/${c.id}/payments`, { amount: '5000.00', invoiceFor: 'm1' }, { 'idempotency-key': 'p2' })).status).toBe(201);

      for (const id of [real.contractId, c.id]) {
        for (const path of ['', '/invoices', '/entries', '/reconciliation', '/reports/balances', '/reports/trial-balance', '/reports/contract-balances', '/reports/month-end-balances', '/reports/roll-forward']) {
          const r = await http('GET', `${sys.gatewayUrl}/contracts/${id}${path}`);
          expect({ path, status: r.status }).toEqual({ path, status: 200 });
        }
      }
      const state = (await http('GET', `${sys.gatewayUrl}/contracts/${c.id}`)).body;
      const number = state.milestones.m1.invoiceNumbers[0];
      for (const url of [
        `${sys.invoicingUrl}/invoices/${number}`,
        `${sys.invoicingUrl}/credit-memos?contractId=${c.id}`,
        `${sys.arUrl}/receivables/${number}`,
        `${sys.arUrl}/receivables?contractId=${c.id}`,
        `${sys.arUrl}/payments?contractId=${c.id}`,
        `${sys.arUrl}/aging?customerId=cust-indexed&currency=USD&sandbox=true&contractId=${c.id}&asOf=2025-03-01`,
        `${sys.arUrl}/aging?customerId=cust-acme&currency=USD&asOf=2026-12-31`,
        `${sys.arUrl}/credits?customerId=cust-acme&currency=USD`,
      ]) {
        const r = await http('GET', url);
        expect({ url, status: r.status }).toEqual({ url, status: 200 });
      }
      // AR's sweep, run as the timer would: it must find unfinished work by index too.
      await sys.sweepAr();
    } finally {
      recorder.stop();
    }

    const { checked, unindexed } = await unindexedQueries(sys.config.MONGO_URL, recorder.queries, (shape) => ALLOWED.some(([re]) => re.test(shape)));
    expect(checked.length).toBeGreaterThan(20);
    expect(unindexed.map((u) => u.shape)).toEqual([]);
  });
});
