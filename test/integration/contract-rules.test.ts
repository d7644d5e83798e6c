/**
 * The milestone life cycle (DESIGN §3a, §4, §11) through the public API on the real Temporal dev
 * server, with every timer driven by the sandbox clock. One test per rule, named for it.
 */
import { milestone, sandboxTerms, TestContract } from '../support/contracts';
import { startTestSystem, type TestSystem } from '../support/system';

let sys: TestSystem;
beforeAll(async () => { sys = await startTestSystem(); });
afterAll(async () => { await sys?.stop(); });

const create = (...args: Parameters<typeof sandboxTerms>) => TestContract.create(sys.gatewayUrl, sandboxTerms(...args));

describe('completions and acceptance', () => {
  it('accepts an external_event milestone at the event date and invoices it immediately', async () => {
    const c = await create([milestone('m1')]);
    const res = await c.on('2025-02-03', 'complete', 'm1');
    expect(res.body.outcome).toBe('applied');
    expect(await c.milestone('m1')).toMatchObject({ status: 'invoiced', acceptedOn: '2025-02-03', acceptance: 'event', invoicedOn: '2025-02-03' });
    expect(await c.invoices()).toEqual([expect.objectContaining({ for: ['m1'], date: '2025-02-03', due: '2025-03-05', amount: '10000.00', kind: 'milestone' })]);
  });

  it('customer_signoff: a completion waits for the accept, and acceptance and invoice take the approval date', async () => {
    const c = await create([milestone('m1', { trigger: { type: 'event', completion: 'customer_signoff' } })]);
    await c.on('2025-02-03', 'complete', 'm1');
    expect(await c.milestone('m1')).toMatchObject({ status: 'completed', completedOn: '2025-02-03' });
    expect(await c.invoices()).toEqual([]);
    await c.on('2025-02-07', 'accept', 'm1');
    expect(await c.milestone('m1')).toMatchObject({ status: 'invoiced', acceptedOn: '2025-02-07', acceptance: 'signoff', invoicedOn: '2025-02-07' });
  });

  it('when the window lapses, a declared milestone is deemed accepted on declaration + N days', async () => {
    const c = await create([milestone('m1', { trigger: { type: 'event', completion: 'vendor_declaration', deemedAcceptanceDays: 10 } })]);
    await c.on('2025-03-10', 'declare', 'm1');
    const declared = await c.state();
    expect(declared.milestones.m1.status).toBe('declared');
    expect(declared.timers).toEqual([expect.objectContaining({ kind: 'acceptance', date: '2025-03-20', milestoneId: 'm1' })]);
    await c.clock('2025-03-19');
    expect((await c.milestone('m1')).status).toBe('declared');
    await c.clock('2025-03-20');
    expect(await c.milestone('m1')).toMatchObject({ status: 'invoiced', acceptedOn: '2025-03-20', acceptance: 'deemed' });
  });

  it('a reject inside the window rejects the milestone and cancels the timer; it can be declared again', async () => {
    const c = await create([milestone('m1', { trigger: { type: 'event', completion: 'vendor_declaration', deemedAcceptanceDays: 10 } })]);
    await c.on('2025-03-10', 'declare', 'm1');
    const rejected = await c.on('2025-03-15', 'reject', 'm1', { reason: 'row counts differ' });
    expect(rejected.body.outcome).toBe('applied');
    const s = await c.state();
    expect(s.milestones.m1).toMatchObject({ status: 'rejected', rejection: { on: '2025-03-15', reason: 'row counts differ' } });
    expect(s.timers).toEqual([]);
    await c.clock('2025-03-25');
    expect((await c.milestone('m1')).status).toBe('rejected');
    await c.on('2025-03-26', 'declare', 'm1');
    await c.clock('2025-04-05');
    expect(await c.milestone('m1')).toMatchObject({ acceptedOn: '2025-04-05', acceptance: 'deemed' });
  });

  it('a reject dated on or after D+N is refused window_closed, also when it arrives late dated inside the window', async () => {
    const c = await create([milestone('m1', { trigger: { type: 'event', completion: 'vendor_declaration', deemedAcceptanceDays: 10 } })]);
    await c.on('2025-03-18', 'declare', 'm1');
    const late = await c.on('2025-03-31', 'reject', 'm1', { reason: 'too late' });
    expect([late.status, late.body.code]).toEqual([409, 'window_closed']);
    const backdated = await c.op('reject', 'm1', { reason: 'dated inside the window', date: '2025-03-20' });
    expect(backdated.body.code).toBe('window_closed');
    expect(await c.milestone('m1')).toMatchObject({ status: 'invoiced', acceptance: 'deemed', acceptedOn: '2025-03-28' });
  });

  it('an accept after deemed acceptance is ignored, and an explicit accept of a declared milestone is a signoff', async () => {
    const c = await create([
      milestone('m1', { trigger: { type: 'event', completion: 'vendor_declaration', deemedAcceptanceDays: 5 } }),
      milestone('m2', { sequence: 2, trigger: { type: 'event', completion: 'vendor_declaration', deemedAcceptanceDays: 5 } }),
    ]);
    await c.on('2025-02-01', 'declare', 'm1');
    await c.clock('2025-02-06');
    expect((await c.op('accept', 'm1')).body.outcome).toBe('ignored');
    await c.op('declare', 'm2');
    expect((await c.on('2025-02-08', 'accept', 'm2')).body.outcome).toBe('applied');
    expect(await c.milestone('m2')).toMatchObject({ acceptance: 'signoff', acceptedOn: '2025-02-08' });
  });

  it('a date trigger accepts the milestone on its date whatever the progress; completions for it are ignored', async () => {
    const c = await create([milestone('kickoff', { trigger: { type: 'date', date: '2025-01-25' } })]);
    expect((await c.on('2025-01-10', 'complete', 'kickoff')).body.outcome).toBe('ignored');
    await c.clock('2025-01-25');
    expect(await c.milestone('kickoff')).toMatchObject({ status: 'invoiced', acceptedOn: '2025-01-25', acceptance: 'date', invoicedOn: '2025-01-25' });
  });

  it('timers due on clockStart fire when the contract starts', async () => {
    const c = await create([milestone('fee', { trigger: { type: 'date', date: '2025-01-01' } })]);
    expect(await c.milestone('fee')).toMatchObject({ status: 'invoiced', acceptedOn: '2025-01-01', acceptance: 'date' });
  });

  it('an accept of a milestone never completed is refused not_allowed_in_state and changes nothing', async () => {
    const c = await create([milestone('m1', { trigger: { type: 'event', completion: 'customer_signoff' } })]);
    const before = await c.settled();
    const res = await c.op('accept', 'm1');
    expect([res.status, res.body.code]).toEqual([409, 'not_allowed_in_state']);
    expect(await c.state()).toEqual(before);
  });

  it('a repeated reject is ignored (senders retry freely)', async () => {
    const c = await create([milestone('m1', { trigger: { type: 'event', completion: 'customer_signoff' } })]);
    await c.on('2025-01-05', 'complete', 'm1');
    expect((await c.op('reject', 'm1', { reason: 'x' })).body.outcome).toBe('applied');
    expect((await c.op('reject', 'm1', { reason: 'x' })).body.outcome).toBe('ignored');
  });

  it('refuses a milestone named "advance" (reserved for the advance invoice) with 400', async () => {
    const res = await TestContract.create(sys.gatewayUrl, sandboxTerms([milestone('advance')])).catch((e: Error) => e);
    expect(String(res)).toMatch(/create failed: 400.*reserved for the advance invoice/);
  });

  it('a repeated completion is ignored, and a second declaration never restarts the window', async () => {
    const c = await create([milestone('m1', { trigger: { type: 'event', completion: 'vendor_declaration', deemedAcceptanceDays: 10 } })]);
    await c.on('2025-03-10', 'declare', 'm1');
    const again = await c.on('2025-03-15', 'declare', 'm1');
    expect(again.body.outcome).toBe('ignored');
    expect((await c.state()).timers).toEqual([expect.objectContaining({ date: '2025-03-20' })]);
  });

  it('a completion after plannedFinishDate (no date change allowed) is refused requires_amendment; duplicates are answered first', async () => {
    const c = await create([
      milestone('m1', { plannedFinishDate: '2025-02-01', allowDateChange: false }),
      milestone('m2', { sequence: 2, plannedFinishDate: '2025-02-01', allowDateChange: false }),
    ]);
    const late = await c.on('2025-02-02', 'complete', 'm1');
    expect([late.status, late.body.code]).toEqual([409, 'requires_amendment']);
    expect((await c.milestone('m1')).status).toBe('planned');
    expect((await c.op('complete', 'm2', { date: '2025-02-01' })).body.outcome).toBe('applied');
    expect((await c.op('complete', 'm2')).body.outcome).toBe('ignored');
  });

  it('a future date is refused future_date (the sandbox clock is today)', async () => {
    const c = await create([milestone('m1')]);
    const res = await c.op('complete', 'm1', { date: '2025-01-02' });
    expect([res.status, res.body.code]).toEqual([422, 'future_date']);
  });

  it('a backdated event is accepted on its date, but its invoice is dated the day it is issued', async () => {
    const c = await create([milestone('m1')]);
    await c.clock('2025-02-10');
    await c.op('complete', 'm1', { date: '2025-02-03' });
    expect(await c.milestone('m1')).toMatchObject({ acceptedOn: '2025-02-03', invoicedOn: '2025-02-10' });
  });
});

describe('backdated facts', () => {
  it('a declaration reported after its window lapsed is deemed accepted at once, on declaration + N', async () => {
    const c = await create([milestone('m1', { trigger: { type: 'event', completion: 'vendor_declaration', deemedAcceptanceDays: 10 } })]);
    await c.clock('2025-03-20');
    expect((await c.op('declare', 'm1', { date: '2025-03-01' })).body.outcome).toBe('applied');
    expect(await c.milestone('m1')).toMatchObject({ status: 'invoiced', acceptance: 'deemed', acceptedOn: '2025-03-11', invoicedOn: '2025-03-20' });
  });

  it('an invoice timer already past when the acceptance is reported fires at once, dated the day it is issued', async () => {
    const c = await create([milestone('m1', { invoiceTiming: { type: 'days_after_acceptance', days: 5 } })]);
    await c.clock('2025-03-20');
    await c.op('complete', 'm1', { date: '2025-03-01' });
    expect(await c.milestone('m1')).toMatchObject({ status: 'invoiced', acceptedOn: '2025-03-01', invoicedOn: '2025-03-20' });
  });
});

describe('invoice timing', () => {
  it('days_after_acceptance: the invoice is issued N days after acceptance', async () => {
    const c = await create([milestone('m1', { invoiceTiming: { type: 'days_after_acceptance', days: 15 } })]);
    await c.on('2025-02-03', 'complete', 'm1');
    expect(await c.milestone('m1')).toMatchObject({ status: 'accepted', acceptedOn: '2025-02-03' });
    expect((await c.state()).timers).toEqual([expect.objectContaining({ kind: 'invoice', date: '2025-02-18' })]);
    await c.clock('2025-02-18');
    expect(await c.milestone('m1')).toMatchObject({ status: 'invoiced', invoicedOn: '2025-02-18' });
  });

  it('next_billing_cycle: the invoice is issued on the next billing day strictly after acceptance', async () => {
    const c = await create([milestone('m1', { invoiceTiming: { type: 'next_billing_cycle' } })], { billingDay: 15 });
    await c.on('2025-02-15', 'complete', 'm1');
    await c.clock('2025-03-14');
    expect((await c.milestone('m1')).status).toBe('accepted');
    await c.clock('2025-03-15');
    expect(await c.invoices()).toEqual([expect.objectContaining({ date: '2025-03-15', due: '2025-04-14' })]);
  });

  it('advance billing: the advance is invoiced on its date, reduces later invoices, and a fully covered milestone is covered', async () => {
    const c = await create(
      [milestone('m1', { amount: '30000.00' }), milestone('m2', { sequence: 2, amount: '50000.00' })],
      { advanceBilling: { amount: '40000.00', date: '2025-01-05' } },
    );
    await c.clock('2025-01-05');
    await c.on('2025-02-01', 'complete', 'm1');
    await c.on('2025-03-01', 'complete', 'm2');
    expect((await c.invoices()).map(({ for: f, amount, kind, date }) => ({ f, amount, kind, date }))).toEqual([
      { f: ['advance'], amount: '40000.00', kind: 'advance', date: '2025-01-05' },
      { f: ['m2'], amount: '40000.00', kind: 'milestone', date: '2025-03-01' },
    ]);
    const s = await c.state();
    expect(s.milestones.m1).toMatchObject({ status: 'covered', acceptedOn: '2025-02-01' });
    expect(s.milestones.m1.invoicedOn).toBeUndefined();
    expect(s.advance).toEqual({ amount: '40000.00', issued: true, applied: '40000.00' });
  });

  it('a customer hold queues invoices that fall due; release issues them dated on the release, in order; acceptance goes on', async () => {
    const c = await create([milestone('m1'), milestone('m2', { sequence: 2 })]);
    await c.clock('2025-02-01');
    expect((await c.post('/hold', {})).body.outcome).toBe('applied');
    expect((await c.post('/hold', {})).body.outcome).toBe('ignored');
    await c.on('2025-02-03', 'complete', 'm2');
    await c.on('2025-02-04', 'complete', 'm1');
    const held = await c.state();
    expect(held.milestones.m2).toMatchObject({ status: 'accepted', acceptedOn: '2025-02-03', waiting: 'customer_hold' });
    expect(held.invoices).toEqual([]);
    await c.clock('2025-02-10');
    expect((await c.post('/release', {})).body.outcome).toBe('applied');
    expect((await c.invoices()).map((i) => [i.for[0], i.date])).toEqual([['m2', '2025-02-10'], ['m1', '2025-02-10']]);
    expect((await c.milestone('m2')).waiting).toBeUndefined();
  });

  it('enforceSequence: a milestone accepted ahead waits (awaiting_sequence) until every earlier one is invoiced', async () => {
    const c = await create([milestone('m1'), milestone('m2', { sequence: 2 }), milestone('m3', { sequence: 3 })], { enforceSequence: true });
    await c.on('2025-02-01', 'complete', 'm3');
    await c.on('2025-02-02', 'complete', 'm2');
    const s = await c.state();
    expect(s.milestones.m3).toMatchObject({ status: 'accepted', waiting: 'awaiting_sequence', acceptedOn: '2025-02-01' });
    expect(s.milestones.m2.waiting).toBe('awaiting_sequence');
    await c.on('2025-02-05', 'complete', 'm1');
    expect((await c.invoices()).map((i) => [i.for[0], i.date])).toEqual([['m1', '2025-02-05'], ['m2', '2025-02-05'], ['m3', '2025-02-05']]);
  });
});

describe('amendments', () => {
  it('cancelling the last blocker issues the invoices waiting for their sequence', async () => {
    const c = await create([milestone('m1'), milestone('m2', { sequence: 2 })], { enforceSequence: true });
    await c.on('2025-02-01', 'complete', 'm2');
    expect((await c.milestone('m2')).waiting).toBe('awaiting_sequence');
    await c.clock('2025-02-05');
    await c.post('/amendments', { baseVersion: 1, changes: { cancel: ['m1'] } });
    expect(await c.milestone('m2')).toMatchObject({ status: 'invoiced', invoicedOn: '2025-02-05' });
  });

  it('refuses a stale baseVersion with stale_version, and the version stays', async () => {
    const c = await create([milestone('m1'), milestone('m2', { sequence: 2 })]);
    expect((await c.post('/amendments', { baseVersion: 1, changes: { milestones: [{ id: 'm2', amount: '12000.00' }] } })).body.outcome).toBe('applied');
    const stale = await c.post('/amendments', { baseVersion: 1, changes: { milestones: [{ id: 'm2', amount: '1.00' }] } });
    expect([stale.status, stale.body.code]).toEqual([409, 'stale_version']);
    const s = await c.state();
    expect(s.version).toBe(2);
    expect(s.versions.map((v: any) => v.terms.milestones[1].amount)).toEqual(['10000.00', '12000.00']);
  });

  it.each([
    ['cancelling an accepted milestone', { cancel: ['m1'] }],
    ['cancelling an unknown milestone', { cancel: ['nope'] }],
    ['a negative amount', { milestones: [{ id: 'm2', amount: '-5.00' }] }],
    ['an unknown obligation without a recognition method', { obligations: [{ id: 'new-ob', name: 'New', ssp: '10.00' }] }],
  ])('refuses %s with invalid_amendment and changes nothing', async (_label, changes) => {
    const c = await create([milestone('m1'), milestone('m2', { sequence: 2 })]);
    await c.on('2025-02-01', 'complete', 'm1');
    const before = await c.state();
    const res = await c.post('/amendments', { baseVersion: 1, changes });
    expect([res.status, res.body.code]).toEqual([422, 'invalid_amendment']);
    expect(await c.state()).toEqual(before);
  });

  it('lowering an invoiced milestone issues a credit memo; raising one issues a supplementary invoice', async () => {
    const c = await create([milestone('m1'), milestone('m2', { sequence: 2 })]);
    await c.on('2025-02-01', 'complete', 'm1');
    await c.on('2025-02-02', 'complete', 'm2');
    await c.clock('2025-03-01');
    const res = await c.post('/amendments', { baseVersion: 1, changes: { milestones: [{ id: 'm1', amount: '8000.00' }, { id: 'm2', amount: '13000.00' }] } });
    expect(res.body).toMatchObject({ outcome: 'applied', version: 2 });
    const s = await c.state();
    expect(s.creditMemos).toEqual([expect.objectContaining({ milestoneId: 'm1', amount: '2000.00', date: '2025-03-01', amendmentVersion: 2 })]);
    expect(s.invoices[2]).toMatchObject({ kind: 'supplementary', milestoneIds: ['m2'], amount: '3000.00', date: '2025-03-01', originalInvoiceNumber: s.invoices[1].number });
  });

  it('moves a date trigger of an unaccepted milestone; a moved trigger already past fires at once, on the effective date', async () => {
    const c = await create([milestone('d1', { trigger: { type: 'date', date: '2025-06-01' } }), milestone('d2', { sequence: 2, trigger: { type: 'date', date: '2025-06-01' } })]);
    await c.clock('2025-03-10');
    await c.post('/amendments', { baseVersion: 1, changes: { milestones: [{ id: 'd1', trigger: { date: '2025-03-01' } }, { id: 'd2', trigger: { date: '2025-04-01' } }] } });
    const s = await c.state();
    expect(s.milestones.d1).toMatchObject({ status: 'invoiced', acceptedOn: '2025-03-10', acceptance: 'date', invoicedOn: '2025-03-10' });
    expect(s.timers).toEqual([expect.objectContaining({ kind: 'acceptance', milestoneId: 'd2', date: '2025-04-01' })]);
  });

  it('adds and cancels milestones: a cancelled milestone is final and refuses completions', async () => {
    const c = await create([milestone('m1'), milestone('m2', { sequence: 2 })]);
    const res = await c.post('/amendments', {
      baseVersion: 1, effectiveDate: '2025-01-01',
      changes: { cancel: ['m2'], milestones: [{ id: 'm3', name: 'Training', description: 'Training fee', obligationId: 'impl', amount: '5000.00', sequence: 3, trigger: { type: 'event', completion: 'external_event' } }] },
    });
    expect(res.body.outcome).toBe('applied');
    const s = await c.state();
    expect(s.milestones.m2).toMatchObject({ status: 'cancelled', cancelledOn: '2025-01-01' });
    expect(s.milestones.m3.status).toBe('planned');
    expect((await c.on('2025-01-02', 'complete', 'm2')).body.code).toBe('not_allowed_in_state');
    expect((await c.op('complete', 'm3')).body.outcome).toBe('applied');
  });
});

describe('amendments against work in flight', () => {
  it('an accepted milestone made non-billable before its invoice timer fires is never invoiced', async () => {
    const c = await create([milestone('m1', { invoiceTiming: { type: 'days_after_acceptance', days: 30 } })]);
    await c.on('2025-01-10', 'complete', 'm1');
    await c.clock('2025-01-20');
    await c.post('/amendments', { baseVersion: 1, changes: { milestones: [{ id: 'm1', billable: false }] } });
    await c.clock('2025-03-01');
    const s = await c.state();
    expect(s.invoices).toEqual([]);
    expect(s.milestones.m1).toMatchObject({ status: 'accepted', acceptedOn: '2025-01-10' });
    expect(s.timers).toEqual([]);
  });

  it('an accepted non-billable milestone made billable is invoiced on the effective date', async () => {
    const c = await create([milestone('m1', { billable: false }), milestone('m2', { sequence: 2 })]);
    await c.on('2025-01-10', 'complete', 'm1');
    await c.clock('2025-01-20');
    await c.post('/amendments', { baseVersion: 1, changes: { milestones: [{ id: 'm1', billable: true }] } });
    expect(await c.invoices()).toEqual([expect.objectContaining({ for: ['m1'], date: '2025-01-20', amount: '10000.00' })]);
  });

  it('a pending invoice timer follows an amended invoice timing (the schedule is re-planned)', async () => {
    const c = await create([milestone('m1', { invoiceTiming: { type: 'days_after_acceptance', days: 20 } })]);
    await c.on('2025-01-10', 'complete', 'm1');
    await c.clock('2025-01-15');
    await c.post('/amendments', { baseVersion: 1, changes: { milestones: [{ id: 'm1', invoiceTiming: { type: 'days_after_acceptance', days: 30 } }] } });
    expect((await c.state()).timers).toEqual([expect.objectContaining({ kind: 'invoice', milestoneId: 'm1', date: '2025-02-09' })]);
    await c.clock('2025-02-09');
    expect(await c.milestone('m1')).toMatchObject({ status: 'invoiced', invoicedOn: '2025-02-09' });
  });

  it('an invoice an amendment unblocks is issued at the new amount, with no credit memo', async () => {
    const c = await create([milestone('m1'), milestone('m2', { sequence: 2, amount: '50000.00' })], { enforceSequence: true });
    await c.on('2025-01-05', 'complete', 'm2');
    await c.clock('2025-01-07');
    await c.post('/amendments', { baseVersion: 1, changes: { cancel: ['m1'], milestones: [{ id: 'm2', amount: '48000.00' }] } });
    const s = await c.state();
    expect(s.invoices.map((i: any) => [i.milestoneIds[0], i.amount, i.date])).toEqual([['m2', '48000.00', '2025-01-07']]);
    expect(s.creditMemos).toEqual([]);
  });

  it('an invoice unblocked by an amendment during a hold is queued, and issued on release', async () => {
    const c = await create([milestone('m1'), milestone('m2', { sequence: 2 })], { enforceSequence: true });
    await c.on('2025-01-05', 'complete', 'm2');
    await c.post('/hold', {});
    await c.clock('2025-01-07');
    await c.post('/amendments', { baseVersion: 1, changes: { cancel: ['m1'] } });
    expect((await c.state()).invoices).toEqual([]);
    expect((await c.milestone('m2')).waiting).toBe('customer_hold');
    await c.clock('2025-01-09');
    await c.post('/release', {});
    expect(await c.invoices()).toEqual([expect.objectContaining({ for: ['m2'], date: '2025-01-09' })]);
  });

  it('a running deemed window keeps its terms when the trigger becomes a date: still deemed acceptance', async () => {
    const c = await create([milestone('m1', { trigger: { type: 'event', completion: 'vendor_declaration', deemedAcceptanceDays: 10 } })]);
    await c.on('2025-01-01', 'declare', 'm1');
    await c.clock('2025-01-03');
    await c.post('/amendments', { baseVersion: 1, changes: { milestones: [{ id: 'm1', trigger: { type: 'date', date: '2025-01-20' } }] } });
    await c.clock('2025-01-11');
    expect(await c.milestone('m1')).toMatchObject({ acceptance: 'deemed', acceptedOn: '2025-01-11' });
    expect((await c.op('reject', 'm1', { reason: 'late' })).body.code).toBe('window_closed');
  });

  it('a ratable obligation added after the month ends were posted catches up through the last of them on the effective date', async () => {
    const c = await create([milestone('fee', { obligationId: 's1', amount: '590.00', trigger: { type: 'date', date: '2025-01-01' } })], {
      obligations: [{ id: 's1', name: 'Support 1', ssp: '590.00', recognition: { method: 'ratable', startDate: '2025-01-01', endDate: '2025-02-28' } }],
    });
    await c.clock('2025-03-10');
    expect((await c.settled()).recognizedTotal).toBe('590.00');
    await c.post('/amendments', {
      baseVersion: 1,
      changes: {
        obligations: [{ id: 's2', name: 'Support 2', ssp: '460.00', recognition: { method: 'ratable', startDate: '2025-01-01', endDate: '2025-02-15' } }],
        milestones: [{ id: 'fee2', name: 'Fee 2', description: 'Support 2 fee', obligationId: 's2', amount: '460.00', sequence: 2, trigger: { type: 'event', completion: 'external_event' } }],
      },
    });
    const s = await c.settled();
    expect(s.recognized).toEqual({ s1: '590.00', s2: '460.00' });
  });

  it('lowering a milestone the advance partly covered credits at most what was invoiced; the rest returns to the advance', async () => {
    const c = await create([milestone('m1', { amount: '1000.00' }), milestone('m2', { sequence: 2, amount: '1000.00' })], { advanceBilling: { amount: '800.00', date: '2025-01-01' } });
    await c.on('2025-01-10', 'complete', 'm1');
    expect((await c.invoices())[1]).toMatchObject({ for: ['m1'], amount: '200.00' });
    await c.post('/amendments', { baseVersion: 1, changes: { milestones: [{ id: 'm1', amount: '500.00' }] } });
    const s = await c.state();
    expect(s.creditMemos).toEqual([expect.objectContaining({ milestoneId: 'm1', amount: '200.00' })]);
    expect(s.advance).toMatchObject({ amount: '800.00', applied: '500.00' });
    await c.on('2025-01-20', 'complete', 'm2');
    expect((await c.invoices())[2]).toMatchObject({ for: ['m2'], amount: '700.00' });
  });
});

describe('costs, ratable timers, queries', () => {
  it('cost reports accumulate per obligation on cost_input obligations, and are refused elsewhere', async () => {
    const c = await create([milestone('m1', { obligationId: 'build' })], {
      obligations: [
        { id: 'build', name: 'Build', ssp: '1000.00', recognition: { method: 'cost_input', estimatedTotalCost: '800.00' } },
        { id: 'impl', name: 'Implementation', ssp: '1000.00', recognition: { method: 'milestones' } },
      ],
    });
    await c.clock('2025-01-31');
    await c.post('/costs', { obligationId: 'build', amount: '80.00' });
    await c.post('/costs', { obligationId: 'build', amount: '20.50' });
    expect((await c.state()).costToDate).toEqual({ build: '100.50' });
    expect((await c.post('/costs', { obligationId: 'impl', amount: '1.00' })).body.code).toBe('not_allowed_in_state');
    expect((await c.post('/costs', { obligationId: 'nope', amount: '1.00' })).status).toBe(404);
  });

  it('a ratable obligation plans a posting at every month end through its end date, shown as pending timers', async () => {
    const c = await create([milestone('fee', { obligationId: 'support', trigger: { type: 'date', date: '2025-01-01' } })], {
      obligations: [{ id: 'support', name: 'Support', ssp: '1.00', recognition: { method: 'ratable', startDate: '2025-01-01', endDate: '2025-04-15' } }],
    });
    expect((await c.state()).timers.map((t: any) => [t.kind, t.date])).toEqual([
      ['month_end', '2025-01-31'], ['month_end', '2025-02-28'], ['month_end', '2025-03-31'], ['month_end', '2025-04-15'],
    ]);
    await c.clock('2025-03-01');
    const s = await c.state();
    expect(s.timers.map((t: any) => t.date)).toEqual(['2025-03-31', '2025-04-15']);
    expect(s.log.filter((l: any) => l.kind === 'month_end').map((l: any) => l.date)).toEqual(['2025-01-31', '2025-02-28']);
  });

  it('advancing the clock fires due timers in date order, before anything dated that day', async () => {
    const c = await create([
      milestone('b', { sequence: 2, trigger: { type: 'date', date: '2025-02-10' } }),
      milestone('a', { sequence: 1, trigger: { type: 'date', date: '2025-02-05' } }),
      milestone('c', { sequence: 3 }),
    ]);
    await c.on('2025-02-10', 'complete', 'c');
    expect((await c.invoices()).map((i) => [i.for[0], i.date])).toEqual([['a', '2025-02-05'], ['b', '2025-02-10'], ['c', '2025-02-10']]);
    expect((await c.clock('2025-02-01')).body.code).toBe('validation_failed');
  });
});
