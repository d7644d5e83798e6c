/**
 * The milestone life cycle up to acceptance (DESIGN §4, §3a, §11 "Completions, acceptance,
 * refusals") on workflows/engine.ts alone: completion kinds, sign-off, declaration and deemed
 * acceptance with its window, rejections, duplicates answered `ignored`, refusal codes, and a
 * refusal changing nothing.
 */
import type { ContractState } from '../../libs/domain/contract';
import * as engine from '../../workflows/engine';
import {
  advanceClock, afterDays, codeOf, declaration, effectsOf, external, logRows, ms, nextCycle, onDate, refusalOf, signoff, start, statusOf, terms,
} from '../support/engine-fixtures';

function contract() {
  return start(terms([
    ms('ext', { trigger: external, sequence: 1 }),
    ms('sign', { trigger: signoff, sequence: 2 }),
    ms('vend', { trigger: declaration(5), sequence: 3 }),
    ms('vend-open', { trigger: declaration(), sequence: 4 }),
    ms('dated', { trigger: onDate('2026-06-01'), sequence: 5 }),
    ms('strict', { trigger: external, sequence: 6, plannedFinishDate: '2026-01-10', allowDateChange: false }),
    ms('lenient', { trigger: external, sequence: 7, plannedFinishDate: '2026-01-10' }),
  ]));
}
const at = (s: ContractState, date: string) => {
  advanceClock(s, date);
  return s.clock;
};
const complete = (s: ContractState, milestoneId: string, date?: string, kind?: string) =>
  engine.complete(s, { milestoneId, ...(date ? { date } : {}) }, s.clock, 'update', kind);
const accept = (s: ContractState, milestoneId: string, date?: string) => engine.accept(s, { milestoneId, ...(date ? { date } : {}) }, s.clock, 'update');
const reject = (s: ContractState, milestoneId: string, date?: string, reason = 'not good enough') =>
  engine.reject(s, { milestoneId, reason, ...(date ? { date } : {}) }, s.clock, 'update');

describe('completion kinds (DESIGN §4)', () => {
  it('external_event: accepted at the event date given in the signal', () => {
    const s = contract();
    at(s, '2026-01-20');
    expect(complete(s, 'ext', '2026-01-15')).toMatchObject({ outcome: 'applied', milestone: { status: 'invoiced' } });
    expect(s.milestones.ext).toMatchObject({ completedOn: '2026-01-15', acceptedOn: '2026-01-15', acceptance: 'event', invoicedOn: '2026-01-20' });
  });

  it('a date defaults to today on the contract clock', () => {
    const s = contract();
    at(s, '2026-01-07');
    complete(s, 'ext');
    expect(s.milestones.ext).toMatchObject({ completedOn: '2026-01-07', acceptedOn: '2026-01-07' });
    expect(s.log[s.log.length - 1]).toMatchObject({ kind: 'complete', via: 'update', milestoneId: 'ext', outcome: 'applied', on: '2026-01-07' });
  });

  it('customer_signoff: completed waits for the accept, accepted at the approval date with kind signoff', () => {
    const s = contract();
    at(s, '2026-01-20');
    expect(complete(s, 'sign', '2026-01-10').milestone).toMatchObject({ status: 'completed', completedOn: '2026-01-10' });
    expect(s.milestones.sign!.acceptedOn).toBeUndefined();
    expect(s.invoices).toEqual([]);
    expect(accept(s, 'sign', '2026-01-18')).toMatchObject({ outcome: 'applied' });
    expect(s.milestones.sign).toMatchObject({ status: 'invoiced', acceptedOn: '2026-01-18', acceptance: 'signoff' });
  });

  it('vendor_declaration: declared starts the deemed window at D+N; an explicit accept before it is a signoff and ends the window', () => {
    const s = contract();
    at(s, '2026-01-10');
    complete(s, 'vend', '2026-01-08', 'declare');
    expect(s.milestones.vend).toMatchObject({ status: 'declared', declaredOn: '2026-01-08' });
    expect(s.timers).toContainEqual(expect.objectContaining({ kind: 'acceptance', deemed: true, date: '2026-01-13', milestoneId: 'vend' }));
    accept(s, 'vend', '2026-01-10');
    expect(s.milestones.vend).toMatchObject({ acceptedOn: '2026-01-10', acceptance: 'signoff', status: 'invoiced' });
    expect(s.timers.some((x) => x.milestoneId === 'vend')).toBe(false);
  });

  it('nothing by the end of the window: deemed accepted at declaration + N days', () => {
    const s = contract();
    at(s, '2026-01-08');
    complete(s, 'vend', undefined, 'declare');
    at(s, '2026-01-12');
    expect(statusOf(s, 'vend')).toBe('declared');
    const from = s.log.length;
    at(s, '2026-01-20');
    expect(s.milestones.vend).toMatchObject({ acceptedOn: '2026-01-13', acceptance: 'deemed', status: 'invoiced' });
    expect(s.invoices[0]).toMatchObject({ date: '2026-01-13', milestoneIds: ['vend'] });
    expect(logRows(s, from)).toEqual([['deemed_acceptance', 'applied', 'vend']]);
  });

  it('a declaration without deemedAcceptanceDays waits for an accept', () => {
    const s = contract();
    complete(s, 'vend-open', undefined, 'declare');
    expect(statusOf(s, 'vend-open')).toBe('declared');
    expect(s.timers).toEqual([expect.objectContaining({ milestoneId: 'dated' })]);
    at(s, '2027-01-01');
    expect(statusOf(s, 'vend-open')).toBe('declared');
  });

  it('declare on a non-vendor milestone acts as complete; complete on a vendor milestone declares', () => {
    const s = contract();
    complete(s, 'ext', undefined, 'declare');
    expect(s.milestones.ext).toMatchObject({ acceptance: 'event', status: 'invoiced' });
    complete(s, 'sign', undefined, 'declare');
    expect(statusOf(s, 'sign')).toBe('completed');
    complete(s, 'vend');
    expect(statusOf(s, 'vend')).toBe('declared');
    expect(s.log.map((e) => e.kind)).toEqual(['declare', 'declare', 'complete']);
  });

  it('a date trigger accepts on its date whatever the project status; completion signals for it are ignored', () => {
    const s = contract();
    const out = complete(s, 'dated');
    expect(out).toEqual({ outcome: 'ignored', reason: 'a date-triggered milestone is accepted on its date', milestone: s.milestones.dated });
    expect(statusOf(s, 'dated')).toBe('planned');
    expect(s.log[0]).toMatchObject({ kind: 'complete', outcome: 'ignored', reason: out.reason });
    at(s, '2026-06-01');
    expect(s.milestones.dated).toMatchObject({ acceptedOn: '2026-06-01', acceptance: 'date', status: 'invoiced' });
    expect(s.log[s.log.length - 1]).toMatchObject({ kind: 'date_trigger', via: 'timer', milestoneId: 'dated', date: '2026-06-01', outcome: 'applied' });
  });

  it('a non-billable (or zero) milestone is accepted without an invoice; its progress is posted on the acceptance date', () => {
    const s = start(terms([ms('free', { billable: false }), ms('zero', { amount: '0.00', sequence: 2 })]));
    at(s, '2026-02-01');
    s.outbox = [];
    complete(s, 'free', '2026-01-20');
    complete(s, 'zero', '2026-01-21');
    expect([statusOf(s, 'free'), statusOf(s, 'zero')]).toEqual(['accepted', 'accepted']);
    expect(s.invoices).toEqual([]);
    expect(effectsOf(s, 'post_progress').map((e) => [e.date, e.source.ref, e.progress])).toEqual([
      ['2026-01-20', 'free', { accepted: ['free'] }], ['2026-01-21', 'zero', { accepted: ['zero'] }],
    ]);
  });
});

describe('rejections and the deemed window (DESIGN §3a, §4, §11)', () => {
  it('reject before the window closes: rejected with the reason, timer cancelled; it can be declared again (a new window)', () => {
    const s = contract();
    complete(s, 'vend', undefined, 'declare');
    at(s, '2026-01-03');
    expect(reject(s, 'vend', undefined, 'missing reports')).toMatchObject({ outcome: 'applied', milestone: { status: 'rejected' } });
    expect(s.milestones.vend!.rejection).toEqual({ on: '2026-01-03', reason: 'missing reports' });
    expect(s.timers.some((x) => x.milestoneId === 'vend')).toBe(false);
    at(s, '2026-01-20');
    expect(statusOf(s, 'vend')).toBe('rejected');
    complete(s, 'vend', undefined, 'declare');
    expect(s.milestones.vend).toMatchObject({ status: 'declared', declaredOn: '2026-01-20', rejection: undefined });
    expect(s.timers).toContainEqual(expect.objectContaining({ date: '2026-01-25', milestoneId: 'vend', deemed: true }));
  });

  it('a reject dated D+N or later is refused window_closed even before the timer fired', () => {
    const s = contract();
    complete(s, 'vend', '2026-01-01', 'declare');
    s.clock = '2026-01-09';
    expect(codeOf(() => reject(s, 'vend', '2026-01-06'))).toBe('window_closed');
    expect(codeOf(() => reject(s, 'vend', '2026-01-09'))).toBe('window_closed');
    expect(reject(s, 'vend', '2026-01-05').outcome).toBe('applied');
  });

  it('a reject dated before D+N arriving after deemed acceptance is refused window_closed; what is booked stays', () => {
    const s = contract();
    complete(s, 'vend', undefined, 'declare');
    at(s, '2026-01-07');
    const before = structuredClone(s);
    const failure = refusalOf(() => reject(s, 'vend', '2026-01-02'));
    expect(failure.type).toBe('window_closed');
    expect(failure.message).toContain('2026-01-06');
    expect(s).toEqual(before);
  });

  it('an accept after deemed acceptance is a duplicate (ignored)', () => {
    const s = contract();
    complete(s, 'vend', undefined, 'declare');
    at(s, '2026-01-07');
    expect(accept(s, 'vend')).toMatchObject({ outcome: 'ignored', reason: 'duplicate: milestone vend is already accepted' });
    expect(s.milestones.vend!.acceptance).toBe('deemed');
  });

  it('a second declaration never restarts the window', () => {
    const s = contract();
    complete(s, 'vend', undefined, 'declare');
    at(s, '2026-01-04');
    expect(complete(s, 'vend', undefined, 'declare')).toMatchObject({ outcome: 'ignored', reason: 'duplicate: milestone vend is already declared' });
    expect(s.timers.filter((x) => x.milestoneId === 'vend').map((x) => x.date)).toEqual(['2026-01-06']);
  });

  it('a customer-signoff milestone can be rejected when completed, and completed again', () => {
    const s = contract();
    complete(s, 'sign');
    reject(s, 'sign');
    expect(statusOf(s, 'sign')).toBe('rejected');
    expect(reject(s, 'sign')).toMatchObject({ outcome: 'ignored', reason: 'duplicate: milestone sign was already rejected on 2026-01-01' });
    expect(codeOf(() => accept(s, 'sign'))).toBe('not_allowed_in_state');
    complete(s, 'sign');
    expect(s.milestones.sign).toMatchObject({ status: 'completed', rejection: undefined });
  });

  it('reject of a milestone never completed, or already accepted by sign-off, is not_allowed_in_state', () => {
    const s = contract();
    expect(codeOf(() => reject(s, 'sign'))).toBe('not_allowed_in_state');
    complete(s, 'sign');
    accept(s, 'sign');
    expect(codeOf(() => reject(s, 'sign'))).toBe('not_allowed_in_state');
  });

  it('a rejection needs a reason (validation_failed naming it)', () => {
    const s = contract();
    complete(s, 'sign');
    for (const reason of ['', '   ', undefined]) {
      const failure = refusalOf(() => engine.reject(s, { milestoneId: 'sign', reason } as never, s.clock, 'update'));
      expect(failure.type).toBe('validation_failed');
      expect(failure.details).toEqual([[{ path: 'reason', message: 'required' }]]);
    }
  });
});

describe('duplicates and refusals (DESIGN §4, §11)', () => {
  it.each(['ext', 'sign', 'vend'])('a second completion of %s after it moved on is ignored and changes nothing', (id) => {
    const s = contract();
    complete(s, id);
    if (id === 'sign') accept(s, id);
    const before = structuredClone(s);
    const out = complete(s, id);
    expect(out.outcome).toBe('ignored');
    expect(out.reason).toMatch(/^duplicate: milestone .* is already /);
    expect({ ...s, log: [], logSeq: 0 }).toEqual({ ...before, log: [], logSeq: 0 });
    expect(s.log).toHaveLength(before.log.length + 1);
    expect(s.log[s.log.length - 1]).toMatchObject({ outcome: 'ignored', reason: out.reason });
  });

  it('accept of a milestone never completed is not_allowed_in_state', () => {
    const s = contract();
    const failure = refusalOf(() => accept(s, 'sign'));
    expect(failure.type).toBe('not_allowed_in_state');
    expect(failure.message).toContain('sign is planned');
  });

  it('late completion with allowDateChange false needs an amendment (strictly after, any completion kind); the default allows it', () => {
    const s = contract();
    at(s, '2026-01-20');
    expect(codeOf(() => complete(s, 'strict', '2026-01-11'))).toBe('requires_amendment');
    expect(codeOf(() => complete(s, 'strict', '2026-01-11', 'declare'))).toBe('requires_amendment');
    expect(complete(s, 'lenient', '2026-01-15').outcome).toBe('applied');
    expect(complete(s, 'strict', '2026-01-10').outcome).toBe('applied');
    // Duplicates are answered before the planned-finish check.
    expect(complete(s, 'strict', '2026-01-19').outcome).toBe('ignored');
  });

  it('future_date, malformed dates and unknown milestones', () => {
    const s = contract();
    at(s, '2026-01-10');
    expect(codeOf(() => complete(s, 'ext', '2026-01-11'))).toBe('future_date');
    expect(codeOf(() => accept(s, 'sign', '2026-01-11'))).toBe('future_date');
    expect(codeOf(() => complete(s, 'ext', '2026-13-01'))).toBe('validation_failed');
    expect(codeOf(() => engine.complete(s, { milestoneId: 'ext', date: 5 as never }, s.clock, 'update'))).toBe('validation_failed');
    expect(codeOf(() => complete(s, 'nope'))).toBe('not_found');
    expect(codeOf(() => accept(s, 'nope'))).toBe('not_found');
    expect(codeOf(() => reject(s, 'nope'))).toBe('not_found');
    expect(engine.checkDate(s, undefined, '2026-01-10')).toBe('2026-01-10');
    expect(engine.checkDate(s, '2020-02-29', '2026-01-10')).toBe('2020-02-29');
    expect(refusalOf(() => engine.checkDate(s, 'x', '2026-01-10')).details).toEqual([[{ path: 'date', message: 'must be YYYY-MM-DD' }]]);
  });

  it('a completed contract refuses every fact with not_allowed_in_state', () => {
    const s = contract();
    complete(s, 'sign');
    s.status = 'completed';
    const today = s.clock;
    for (const fn of [
      () => complete(s, 'ext'), () => accept(s, 'sign'), () => reject(s, 'sign'),
      () => engine.hold(s, {}, today, 'update'), () => engine.release(s, {}, today, 'update'),
      () => engine.reportCost(s, { obligationId: 'impl', amount: '1.00' }, today, 'update'),
      () => engine.amend(s, { baseVersion: 1, changes: {} }, today),
    ]) expect(codeOf(fn)).toBe('not_allowed_in_state');
  });

  it('a refused request changes nothing (refusals come before any change)', () => {
    const s = contract();
    at(s, '2026-01-20');
    complete(s, 'sign');
    const before = structuredClone(s);
    for (const fn of [
      () => complete(s, 'strict', '2026-01-12'), () => complete(s, 'ext', '2026-02-01'), () => accept(s, 'vend'),
      () => reject(s, 'ext'), () => reject(s, 'sign', undefined, ''), () => complete(s, 'missing'),
    ]) refusalOf(fn);
    expect(s).toEqual(before);
  });
});

describe('milestone.accepted announcements (outbound events)', () => {
  it('queue an announce effect before the invoice, with when the invoice is due by its timing', () => {
    const s = start(terms([
      ms('now', { sequence: 1 }),
      ms('later', { sequence: 2, trigger: signoff, invoiceTiming: afterDays(10) }),
      ms('cycle', { sequence: 3, trigger: declaration(3), invoiceTiming: nextCycle }),
      ms('free', { sequence: 4, billable: false }),
    ], { billingDay: 15 }));
    s.announces = true;
    s.outbox = [];
    at(s, '2026-01-20');
    complete(s, 'now', '2026-01-18');
    complete(s, 'later');
    accept(s, 'later');
    complete(s, 'cycle', '2026-01-16');
    fireDue(s);
    complete(s, 'free');
    const announced = effectsOf(s, 'announce').map((e) => e.event);
    expect(announced.map((e) => [e.type, e.data.milestoneId, e.occurredOn, e.data.acceptance, e.data.billableOn, e.data.invoiceTiming])).toEqual([
      ['milestone.accepted', 'now', '2026-01-18', 'event', '2026-01-18', 'immediate'],
      ['milestone.accepted', 'later', '2026-01-20', 'signoff', '2026-01-30', 'days_after_acceptance'],
      ['milestone.accepted', 'cycle', '2026-01-19', 'deemed', '2026-02-15', 'next_billing_cycle'],
      ['milestone.accepted', 'free', '2026-01-20', 'event', undefined, undefined],
    ]);
    expect(announced[0]).toMatchObject({ contractId: 'c-unit', customerId: 'cust-1', sandbox: true, data: { completedOn: '2026-01-18', amount: '1000.00', currency: 'USD', termsVersion: 1, billable: true } });
    expect(announced[2]!.data).toMatchObject({ declaredOn: '2026-01-16' });
    expect(announced[0]!.data).not.toHaveProperty('declaredOn');
    expect(new Set(announced.map((e) => e.id)).size).toBe(4);
    const kinds = s.outbox.map((e) => e.kind);
    expect(kinds.indexOf('announce')).toBeLessThan(kinds.indexOf('issue_invoice'));
  });

  it('runs recorded before the patch announce nothing', () => {
    const s = contract();
    complete(s, 'ext');
    expect(effectsOf(s, 'announce')).toEqual([]);
  });
});

function fireDue(s: ContractState) {
  engine.fireDueTimers(s, s.clock);
}
