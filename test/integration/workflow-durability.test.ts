/**
 * The contract workflow as a long-lived Temporal entity: raw signals, payments from AR,
 * continue-as-new, and a restart of the whole worker side mid-contract.
 */
import { Client, Connection } from '@temporalio/client';
import * as messages from '../../libs/domain/messages';
import { milestone, sandboxTerms, TestContract } from '../support/contracts';
import { serviceHeaders, startTestSystem, testConfig, type TestSystem, waitFor } from '../support/system';

let connection: Connection;
let client: Client;
beforeAll(async () => {
  connection = await Connection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
  client = new Client({ connection });
});
afterAll(async () => { await connection?.close(); });


describe('signals and payments', () => {
  let sys: TestSystem;
  beforeAll(async () => { sys = await startTestSystem(); });
  afterAll(async () => { await sys?.stop(); });

  it('logs every ignored or refused raw signal with its reason, and applies the good ones', async () => {
    const c = await TestContract.create(sys.gatewayUrl, sandboxTerms([milestone('m1'), milestone('m2', { sequence: 2, trigger: { type: 'event', completion: 'customer_signoff' } })]));
    const handle = client.workflow.getHandle(messages.contractWorkflowId(c.id));
    await handle.signal(messages.milestoneCompletedSignal, { milestoneId: 'nope' });
    await handle.signal(messages.milestoneCompletedSignal, { milestoneId: 'm1' });
    await handle.signal(messages.milestoneCompletedSignal, { milestoneId: 'm1' });
    await handle.signal(messages.milestoneAcceptedSignal, { milestoneId: 'm2' });
    await handle.signal(messages.milestoneCompletedSignal, { milestoneId: 'm1', date: '2099-01-01' });
    const s = await waitFor(() => c.state(), (x) => x.log.length >= 5);
    expect(s.log.map((l: any) => [l.via, l.kind, l.milestoneId, l.outcome, l.code ?? null])).toEqual([
      ['signal', 'complete', 'nope', 'refused', 'not_found'],
      ['signal', 'complete', 'm1', 'applied', null],
      ['signal', 'complete', 'm1', 'ignored', null],
      ['signal', 'accept', 'm2', 'refused', 'not_allowed_in_state'],
      ['signal', 'complete', 'm1', 'refused', 'future_date'],
    ]);
    expect(s.log[2].reason).toMatch(/duplicate/);
    expect(s.milestones.m1.status).toBe('invoiced');
  });

  it('marks a milestone paid when AR signals that its invoice is fully paid (repeats are ignored)', async () => {
    const c = await TestContract.create(sys.gatewayUrl, sandboxTerms([milestone('m1')]));
    await c.on('2025-02-01', 'complete', 'm1');
    const [invoice] = await c.invoices();
    const handle = client.workflow.getHandle(messages.contractWorkflowId(c.id));
    await handle.signal(messages.invoicePaidSignal, { invoiceNumber: invoice!.number!, paidOn: '2025-02-20' });
    await handle.signal(messages.invoicePaidSignal, { invoiceNumber: invoice!.number!, paidOn: '2025-02-20' });
    const s = await waitFor(() => c.state(), (x) => x.log.filter((l: any) => l.kind === 'invoice_paid').length === 2);
    expect(s.milestones.m1.status).toBe('paid');
    expect(s.log.filter((l: any) => l.kind === 'invoice_paid').map((l: any) => l.outcome)).toEqual(['applied', 'ignored']);
  });
});

describe('wall clock and completion', () => {
  let sys: TestSystem;
  beforeAll(async () => { sys = await startTestSystem(); });
  afterAll(async () => { await sys?.stop(); });

  it('on the wall clock, a date trigger already past fires when the contract starts', async () => {
    const terms = sandboxTerms([milestone('kickoff', { trigger: { type: 'date', date: '2025-01-10' } }), milestone('later', { sequence: 2, trigger: { type: 'date', date: '2999-01-01' } })]);
    delete terms.sandbox;
    const c = await TestContract.create(sys.gatewayUrl, terms);
    const s = await waitFor(() => c.state(), (x) => x.milestones.kickoff.status === 'invoiced');
    expect(s.sandbox).toBe(false);
    expect(s.milestones.kickoff).toMatchObject({ status: 'invoiced', acceptedOn: '2025-01-10', acceptance: 'date' });
    expect(s.timers).toEqual([expect.objectContaining({ kind: 'acceptance', milestoneId: 'later', date: '2999-01-01' })]);
  });

  it('completes when every milestone is paid and revenue fully recognized; the final state stays queryable', async () => {
    const c = await TestContract.create(sys.gatewayUrl, sandboxTerms([milestone('m1', { amount: '100.00' })]));
    await c.on('2025-02-01', 'complete', 'm1');
    const paid = await c.post('/payments', { invoiceFor: 'm1', amount: '100.00' });
    expect(paid.status).toBe(201);
    const handle = client.workflow.getHandle(messages.contractWorkflowId(c.id));
    const described = await waitFor(() => handle.describe(), (d) => d.status.name === 'COMPLETED');
    expect(described.status.name).toBe('COMPLETED');
    expect(described.typedSearchAttributes.get(messages.searchAttributes.status)).toBe('completed');
    const s = await c.state();
    expect(s).toMatchObject({ status: 'completed', recognizedTotal: '100.00', milestones: { m1: { status: 'paid' } } });
    const late = await c.on('2025-02-02', 'complete', 'm1');
    expect([late.status, late.body.code]).toEqual([409, 'not_allowed_in_state']);
  });

  it('a hold never stops revenue recognition', async () => {
    const c = await TestContract.create(sys.gatewayUrl, sandboxTerms([milestone('m1', { amount: '100.00' }), milestone('m2', { sequence: 2, amount: '100.00' })]));
    await c.post('/hold', {});
    await c.on('2025-02-01', 'complete', 'm1');
    const s = await c.settled();
    expect(s.invoices).toEqual([]);
    expect(s.recognizedTotal).toBe('100.00'); // half of the 200.00 price: m1 is one of two equal milestones
  });
});

describe('continue-as-new', () => {
  it('with a tiny message cap, the contract continues as new and keeps every field', async () => {
    const capped = await startTestSystem({ CONTRACT_MESSAGES_PER_RUN: '3' });
    try {
      const terms = sandboxTerms([
        milestone('m1'),
        milestone('m2', { sequence: 2, trigger: { type: 'event', completion: 'vendor_declaration', deemedAcceptanceDays: 10 } }),
        milestone('m3', { sequence: 3, invoiceTiming: { type: 'days_after_acceptance', days: 20 } }),
      ]);
      const c = await TestContract.create(capped.gatewayUrl, terms);
      await c.on('2025-02-01', 'complete', 'm1');
      await c.on('2025-02-02', 'declare', 'm2');
      await c.on('2025-02-03', 'complete', 'm3');
      await c.post('/hold', {});
      await c.post('/amendments', { baseVersion: 1, changes: { milestones: [{ id: 'm1', amount: '9000.00' }] } });
      await c.clock('2025-02-12');
      await c.post('/release', {});
      const s = await c.settled();
      // The run count is the workflow's own (the public state does not show it).
      const runsOf = async (id: string) => (await client.workflow.getHandle(messages.contractWorkflowId(id)).query(messages.contractStateQuery)).runs;
      const runCount = await runsOf(c.id);
      expect(runCount).toBeGreaterThan(2);
      const runs = [];
      for await (const w of client.workflow.list({ query: `WorkflowId = '${messages.contractWorkflowId(c.id)}'` })) runs.push(w.status.name);
      expect(runs.filter((r) => r === 'CONTINUED_AS_NEW').length).toBe(runCount - 1);

      expect(s).toMatchObject({
        version: 2,
        timers: [expect.objectContaining({ kind: 'invoice', milestoneId: 'm3', date: '2025-02-23' })],
        milestones: {
          m1: { status: 'invoiced', acceptedOn: '2025-02-01' },
          m2: { status: 'invoiced', acceptance: 'deemed', acceptedOn: '2025-02-12', invoicedOn: '2025-02-12' },
          m3: { status: 'accepted', acceptedOn: '2025-02-03' },
        },
        creditMemos: [expect.objectContaining({ milestoneId: 'm1', amount: '1000.00' })],
      });
      expect(s.hold).toBeUndefined();
      expect(s.log.map((l: any) => l.kind)).toEqual(['complete', 'declare', 'complete', 'hold', 'amend', 'deemed_acceptance', 'release']);
      await c.clock('2025-02-23');
      expect((await c.milestone('m3')).status).toBe('invoiced');

      // Concurrent updates across the continue-as-new boundary: every one answered, nothing lost.
      const many = await TestContract.create(capped.gatewayUrl, sandboxTerms(Array.from({ length: 8 }, (_, i) => milestone(`x${i}`, { sequence: i + 1 }))));
      await many.clock('2025-02-01');
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => many.op('complete', `x${i}`)));
      expect(answers.map((a) => a.body.outcome)).toEqual(Array(8).fill('applied'));
      const after = await many.settled();
      expect(Object.values(after.milestones).map((m: any) => m.status)).toEqual(Array(8).fill('invoiced'));
      expect(new Set(after.invoices.map((i: any) => i.number)).size).toBe(8);
      expect(await runsOf(many.id)).toBeGreaterThan(1);
    } finally {
      await capped.stop();
    }
  });
});

describe('restarts', () => {
  it('survives a restart of the worker and every service mid-contract with nothing lost or doubled', async () => {
    const config = testConfig();
    let sys = await startTestSystem(config);
    const terms = sandboxTerms([
      milestone('m1'),
      milestone('m2', { sequence: 2, invoiceTiming: { type: 'days_after_acceptance', days: 10 } }),
    ]);
    let c = await TestContract.create(sys.gatewayUrl, terms);
    await c.on('2025-02-01', 'complete', 'm1');
    await c.on('2025-02-02', 'complete', 'm2');
    await sys.stop();

    sys = await startTestSystem(config);
    try {
      c = new TestContract(sys.gatewayUrl, terms.contractId);
      expect((await c.on('2025-02-03', 'complete', 'm1')).body.outcome).toBe('ignored');
      await c.clock('2025-02-12');
      const s = await c.settled();
      expect(s.invoices.map((i: any) => [i.milestoneIds[0], i.date])).toEqual([['m1', '2025-02-01'], ['m2', '2025-02-12']]);
      const listed: any = await fetch(`${sys.invoicingUrl}/invoices?contractId=${terms.contractId}`, { headers: serviceHeaders() }).then((r) => r.json());
      expect(listed.data.map((i: any) => i.number)).toEqual(s.invoices.map((i: any) => i.number));
    } finally {
      await sys.stop();
    }
  });
});
