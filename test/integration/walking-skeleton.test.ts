/**
 * The whole path on the real stack: HTTP → Temporal workflow → activities → invoicing, AR and
 * revenue, each in its own database → state by a workflow query.
 */
import mongoose from 'mongoose';
import { dueDate } from '../../libs/accounting';
import { dateInZone } from '../../libs/dates';
import { simpleContract } from '../support/fixtures';
import { http, startTestSystem, type TestSystem } from '../support/system';

let sys: TestSystem;
/** A wall-clock contract: "today" is the real date in its timezone (UTC). */
const today = () => dateInZone(Date.now(), 'UTC');

beforeAll(async () => {
  sys = await startTestSystem();
});

afterAll(async () => {
  await sys?.stop();
});

describe('walking skeleton', () => {
  it('invoices an external-event milestone: invoice, receivable and a balanced entry, each in its own service', async () => {
    const terms = simpleContract();
    const created = await http('POST', `${sys.gatewayUrl}/contracts`, terms);
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ contractId: terms.contractId, workflowId: `contract-${terms.contractId}`, version: 1 });

    const on = today();
    const done = await http('POST', `${sys.gatewayUrl}/contracts/${terms.contractId}/milestones/go-live/complete`, {});
    expect(done.status).toBe(200);
    expect(done.body.outcome).toBe('applied');

    const state = await http('GET', `${sys.gatewayUrl}/contracts/${terms.contractId}`);
    expect(state.status).toBe(200);
    const milestone = state.body.milestones['go-live'];
    expect(milestone).toMatchObject({ status: 'invoiced', acceptedOn: on, acceptance: 'event', invoicedOn: on });
    expect(milestone.invoiceNumbers).toEqual([expect.stringMatching(new RegExp(`^INV-${on.slice(0, 4)}-\\d{6}$`))]);
    const number = milestone.invoiceNumbers[0];

    const invoice = await http('GET', `${sys.invoicingUrl}/invoices/${number}`);
    expect(invoice.body).toMatchObject({
      number, kind: 'milestone', contractId: terms.contractId, date: on, dueDate: dueDate(on, 'NET_30'), total: '50000.00', termsVersion: 1,
      lines: [{ milestoneId: 'go-live', description: 'Go-live of the HR system, milestone fee', amount: '50000.00' }],
    });

    const receivable = await http('GET', `${sys.arUrl}/receivables/${number}`);
    expect(receivable.body).toMatchObject({ invoiceNumber: number, contractId: terms.contractId, amount: '50000.00', openAmount: '50000.00', dueDate: dueDate(on, 'NET_30'), status: 'open' });

    const entries = await http('GET', `${sys.revenueUrl}/entries?contractId=${terms.contractId}`);
    expect(entries.body.data).toHaveLength(1);
    expect(entries.body.data[0]).toMatchObject({
      ledger: 'books', eventDate: on, postingDate: on, source: { type: 'milestone', ref: 'go-live' },
      lines: [{ account: 'ar', debit: '50000.00', credit: '0.00' }, { account: 'revenue', debit: '0.00', credit: '50000.00' }],
    });
  });

  it('answers a second completion `ignored` and still has one invoice, one receivable, one entry', async () => {
    const terms = simpleContract();
    await http('POST', `${sys.gatewayUrl}/contracts`, terms);
    const url = `${sys.gatewayUrl}/contracts/${terms.contractId}/milestones/go-live/complete`;
    const first = await http('POST', url, {});
    const second = await http('POST', url, {});
    expect(first.body.outcome).toBe('applied');
    expect(second.status).toBe(200);
    expect(second.body.outcome).toBe('ignored');

    const invoices = await http('GET', `${sys.invoicingUrl}/invoices?contractId=${terms.contractId}`);
    const receivables = await http('GET', `${sys.arUrl}/receivables?contractId=${terms.contractId}`);
    const entries = await http('GET', `${sys.revenueUrl}/entries?contractId=${terms.contractId}`);
    expect([invoices.body.data.length, receivables.body.data.length, entries.body.data.length]).toEqual([1, 1, 1]);
    const state = await http('GET', `${sys.gatewayUrl}/contracts/${terms.contractId}`);
    expect(state.body.log.map((l: { outcome: string }) => l.outcome)).toEqual(['applied', 'ignored']);
  });

  it('keeps each service in its own database', async () => {
    const conn = await mongoose.createConnection(sys.config.MONGO_URL).asPromise();
    try {
      const names = (await conn.db!.admin().listDatabases()).databases.map((d) => d.name).filter((n) => n.startsWith(sys.prefix));
      expect(names.sort()).toEqual([`${sys.prefix}_ar`, `${sys.prefix}_gateway`, `${sys.prefix}_invoicing`, `${sys.prefix}_revenue`]);
      const collections = async (db: string) => (await conn.useDb(db).db!.listCollections().toArray()).map((c) => c.name).sort();
      expect(await collections(`${sys.prefix}_invoicing`)).toEqual(['credit_memos', 'credit_slots', 'invoices', 'numbers', 'payment_reports']);
      const ar = await collections(`${sys.prefix}_ar`);
      expect(ar).toEqual(expect.arrayContaining(['applications', 'credit_lots', 'credit_memos', 'payments', 'receivables']));
      expect(ar.filter((c) => ['invoices', 'numbers', 'journal_entries', 'revenue_plans'].includes(c))).toEqual([]);
      expect(await collections(`${sys.prefix}_revenue`)).toEqual(['closed_periods', 'journal_entries', 'revenue_plans']);
      // contract_signals and reconciliation_checks: what the gateway saw, for the console's KPIs (console-api.ts).
      // schedule_templates and schedule_template_names: the schedule templates (templates.ts).
      // renewals: the renewal links, found from the predecessor's side; renewal_claims: one renewal of a contract at a time (renewals.ts).
      expect(await collections(`${sys.prefix}_gateway`)).toEqual(['contract_signals', 'deliveries', 'delivery_attempts', 'events', 'idempotency_records', 'reconciliation_checks', 'renewal_claims', 'renewals', 'schedule_template_names', 'schedule_templates', 'subscriptions']);
    } finally {
      await conn.close();
    }
  });

  it('refuses a second contract with the same id (409 duplicate_contract), never starting a second workflow', async () => {
    const terms = simpleContract();
    expect((await http('POST', `${sys.gatewayUrl}/contracts`, terms)).status).toBe(201);
    const again = await http('POST', `${sys.gatewayUrl}/contracts`, terms);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('duplicate_contract');
  });

  it('refuses bad terms with 400 validation_failed naming each bad field', async () => {
    const terms = simpleContract({ currency: 'usd', paymentTerms: 'NET_120' });
    const res = await http('POST', `${sys.gatewayUrl}/contracts`, terms);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.details.map((d: { path: string }) => d.path).sort()).toEqual(['body.currency', 'body.paymentTerms']);
    expect(res.body.requestId).toEqual(expect.any(String));
    expect((await http('GET', `${sys.gatewayUrl}/contracts/${terms.contractId}`)).status).toBe(404);
  });

  it('refuses an unknown milestone (404) and a future date (422 future_date) without changing anything', async () => {
    const terms = simpleContract();
    await http('POST', `${sys.gatewayUrl}/contracts`, terms);
    const unknown = await http('POST', `${sys.gatewayUrl}/contracts/${terms.contractId}/milestones/nope/complete`, {});
    expect([unknown.status, unknown.body.code]).toEqual([404, 'not_found']);
    const future = await http('POST', `${sys.gatewayUrl}/contracts/${terms.contractId}/milestones/go-live/complete`, { date: '2999-01-01' });
    expect([future.status, future.body.code]).toEqual([422, 'future_date']);
    const state = await http('GET', `${sys.gatewayUrl}/contracts/${terms.contractId}`);
    expect(state.body.milestones['go-live'].status).toBe('planned');
    expect(state.body.log).toEqual([]);
  });

  it('answers health and readiness on every service', async () => {
    for (const url of [sys.gatewayUrl, sys.invoicingUrl, sys.revenueUrl, sys.arUrl]) {
      expect((await http('GET', `${url}/healthz`)).status).toBe(200);
      expect((await http('GET', `${url}/readyz`)).status).toBe(200);
    }
  });
});
