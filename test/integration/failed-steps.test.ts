/**
 * A step a service refuses for good (DESIGN codes) is recorded on its own — the other steps of the
 * effect still run — shown in the state and counted by the reconciliation report until finance
 * retries it after a fix, or resolves it by hand.
 */
import mongoose from 'mongoose';
import { milestone, sandboxTerms, TestContract } from '../support/contracts';
import { http, startTestSystem, type TestSystem } from '../support/system';

let sys: TestSystem;
let conn: mongoose.Connection;

beforeAll(async () => {
  sys = await startTestSystem();
  conn = await mongoose.createConnection(sys.config.MONGO_URL).asPromise();
});

afterAll(async () => {
  await conn?.close();
  await sys?.stop();
});

/**
 * Takes the idempotency key the workflow will use for a milestone's receivable with another body,
 * so AR refuses the workflow's request `idempotency_conflict` (a refusal that a fix can clear).
 */
async function occupyReceivableKey(contractId: string, milestoneId: string): Promise<void> {
  const res = await http('POST', `${sys.arUrl}/receivables`, {
    invoiceNumber: `SQUAT-${contractId}`, contractId, customerId: 'cust-test', currency: 'USD', amount: '1.00',
    issueDate: '2025-01-01', dueDate: '2025-01-31', milestoneIds: [milestoneId], sandbox: true,
  }, { 'idempotency-key': `${contractId}:${milestoneId}:v1:milestone:receivable` });
  expect(res.status).toBe(201);
}

const state = async (id: string) => (await http('GET', `${sys.gatewayUrl}/contracts/${id}`)).body;
const failedCheck = async (id: string) =>
  ((await http('GET', `${sys.gatewayUrl}/contracts/${id}/reconciliation`)).body.checks as Array<{ name: string; ok: boolean; actual: string }>)
    .find((c) => c.name.startsWith('no step refused'))!;

describe('failed steps', () => {
  it('records a refused receivable, still posts the ledger entry, and runs the step again on retry after a fix', async () => {
    const c = await TestContract.create(sys.gatewayUrl, sandboxTerms([milestone('m1', { amount: '10000.00' })]));
    await occupyReceivableKey(c.id, 'm1');
    expect((await c.on('2025-01-10', 'complete', 'm1')).body.outcome).toBe('applied');

    const s = await state(c.id);
    expect(s.milestones.m1.invoiceNumbers).toHaveLength(1);
    expect(s.failedSteps).toEqual([expect.objectContaining({ step: 'receivable', code: 'idempotency_conflict', status: 'failed', attempts: 1, retrySteps: ['receivable'] })]);
    const entries = (await http('GET', `${sys.gatewayUrl}/contracts/${c.id}/entries`)).body.data as Array<{ source: { ref: string } }>;
    expect(entries.map((e) => e.source.ref)).toContain('m1'); // the ledger step ran although the receivable was refused
    expect(await failedCheck(c.id)).toMatchObject({ ok: false, actual: '1' });

    const stepId = s.failedSteps[0].id as string;
    const again = await http('POST', `${sys.gatewayUrl}/contracts/${c.id}/steps/${stepId}/retry`, {});
    expect([again.status, again.body.code]).toEqual([409, 'idempotency_conflict']);
    expect((await state(c.id)).failedSteps[0]).toMatchObject({ status: 'failed', attempts: 2 });

    // The fix: finance removes the wrong receivable that held the key; the retry then goes through.
    await conn.useDb(`${sys.prefix}_ar`).collection('receivables').deleteOne({ idempotencyKey: `${c.id}:m1:v1:milestone:receivable` });
    const retried = await http('POST', `${sys.gatewayUrl}/contracts/${c.id}/steps/${stepId}/retry`, {});
    expect([retried.status, retried.body.outcome]).toEqual([200, 'applied']);
    expect((await state(c.id)).failedSteps[0]).toMatchObject({ status: 'resolved', resolution: { reason: 'retried: receivable succeeded' } });
    const receivable = await http('GET', `${sys.arUrl}/receivables/${s.milestones.m1.invoiceNumbers[0]}`);
    expect(receivable.body).toMatchObject({ amount: '10000.00', contractId: c.id });
    const report = (await http('GET', `${sys.gatewayUrl}/contracts/${c.id}/reconciliation`)).body;
    expect(report.checks.filter((x: { ok: boolean }) => !x.ok)).toEqual([]);

    const twice = await http('POST', `${sys.gatewayUrl}/contracts/${c.id}/steps/${stepId}/retry`, {});
    expect(twice.body.outcome).toBe('ignored');
  });

  it('resolves a step by hand only with a reason, and refuses unknown steps', async () => {
    const c = await TestContract.create(sys.gatewayUrl, sandboxTerms([milestone('m1', { amount: '500.00' })]));
    await occupyReceivableKey(c.id, 'm1');
    await c.on('2025-01-10', 'complete', 'm1');
    const stepId = (await state(c.id)).failedSteps[0].id as string;

    const noReason = await http('POST', `${sys.gatewayUrl}/contracts/${c.id}/steps/${stepId}/resolve`, {});
    expect([noReason.status, noReason.body.code]).toEqual([400, 'validation_failed']);
    const unknown = await http('POST', `${sys.gatewayUrl}/contracts/${c.id}/steps/99:invoice/retry`, {});
    expect([unknown.status, unknown.body.code]).toEqual([404, 'not_found']);

    const resolved = await http('POST', `${sys.gatewayUrl}/contracts/${c.id}/steps/${stepId}/resolve`, { reason: 'receivable booked by hand in the ERP' });
    expect(resolved.body.outcome).toBe('applied');
    expect((await state(c.id)).failedSteps[0]).toMatchObject({ status: 'resolved', resolution: { reason: 'receivable booked by hand in the ERP' } });
    expect(await failedCheck(c.id)).toMatchObject({ ok: true, actual: '0' });
  });
});
