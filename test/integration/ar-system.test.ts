/**
 * AR in the whole system (gateway, worker, real Temporal, FerretDB): a completed milestone is
 * invoiced, its receivable paid through AR, the payment booked once in the ledger (so the contract's
 * `ar` balance is back to zero), the invoice shows `paid`, and the contract workflow receives
 * `invoicePaid`, so the milestone shows `paid` through the gateway.
 */
import { Client, Connection } from '@temporalio/client';
import { dateInZone } from '../../libs/dates';
import { simpleContract } from '../support/fixtures';
import { http, startTestSystem, type TestSystem, waitFor } from '../support/system';

let sys: TestSystem;
let connection: Connection;

beforeAll(async () => {
  sys = await startTestSystem();
  connection = await Connection.connect({ address: sys.config.TEMPORAL_ADDRESS });
});

afterAll(async () => {
  await connection?.close();
  await sys?.stop();
});


it('pays a milestone invoice through AR: receivable and invoice paid, one payment entry, invoicePaid sent to the contract workflow', async () => {
  const terms = simpleContract();
  expect((await http('POST', `${sys.gatewayUrl}/contracts`, terms)).status).toBe(201);
  const today = dateInZone(Date.now(), 'UTC');
  const done = await http('POST', `${sys.gatewayUrl}/contracts/${terms.contractId}/milestones/go-live/complete`, {});
  expect(done.body.outcome).toBe('applied');
  const invoices = (await http('GET', `${sys.gatewayUrl}/contracts/${terms.contractId}/invoices`)).body.data;
  expect(invoices).toHaveLength(1);
  const number = invoices[0].number;

  const payment = { customerId: terms.customer.id, currency: 'USD', date: today, amount: '50000.00', invoiceNumbers: [number] };
  const paid = await http('POST', `${sys.arUrl}/payments`, payment, { 'idempotency-key': `bank-${terms.contractId}` });
  expect(paid.status).toBe(201);
  expect(paid.body).toMatchObject({ contractId: terms.contractId, allocations: [{ invoiceNumber: number, amount: '50000.00' }], unapplied: '0.00', postedToLedger: true });

  expect((await http('GET', `${sys.arUrl}/receivables/${number}`)).body).toMatchObject({ status: 'paid', openAmount: '0.00', paidOn: today });
  expect((await http('GET', `${sys.invoicingUrl}/invoices/${number}`)).body.status).toBe('paid');
  const entries = (await http('GET', `${sys.revenueUrl}/entries?contractId=${terms.contractId}`)).body.data;
  expect(entries.map((e: { source: { type: string } }) => e.source.type)).toEqual(['milestone', 'payment']);
  const balances = (await http('GET', `${sys.revenueUrl}/balances?contractId=${terms.contractId}`)).body;
  expect(balances).toMatchObject({ ar: '0.00', cash: '50000.00', revenue: '50000.00' });

  const client = new Client({ connection, namespace: sys.config.TEMPORAL_NAMESPACE });
  const handle = client.workflow.getHandle(`contract-${terms.contractId}`);
  const signals = await waitFor(
    async () => (await handle.fetchHistory()).events!.flatMap((e) => {
      const s = e.workflowExecutionSignaledEventAttributes;
      return s?.signalName ? [s.signalName] : [];
    }),
    (names) => names.includes('invoicePaid'),
  );
  expect(signals.filter((n) => n === 'invoicePaid')).toHaveLength(1);
  const state = await waitFor(
    async () => (await http('GET', `${sys.gatewayUrl}/contracts/${terms.contractId}`)).body,
    (s) => s.milestones['go-live'].status === 'paid',
  );
  expect(state.milestones['go-live'].status).toBe('paid');
});
