/**
 * Amendments on workflows/engine.ts alone (DESIGN §8, §11 "Amendments"): the checks and their
 * order, new versions, credit memos (never more than was billed), supplementary invoices,
 * cancellation, re-planned timers (moved date triggers fire on the effective date at the
 * earliest; running windows keep their terms), and billing corrections only for what was billed
 * before the amendment.
 */
import type { AmendInput, ContractState } from '../../libs/domain/contract';
import * as engine from '../../workflows/engine';
import {
  advanceClock, afterDays, codeOf, declaration, drain, effectsOf, invoiceRows, ms, nextCycle, obligation, onDate, refusalOf, signoff, start, statusOf, terms,
} from '../support/engine-fixtures';

const complete = (s: ContractState, milestoneId: string, date?: string) => engine.complete(s, { milestoneId, ...(date ? { date } : {}) }, s.clock, 'update');
const amend = (s: ContractState, changes: AmendInput['changes'], effectiveDate?: string) =>
  engine.amend(s, { baseVersion: s.version, changes, ...(effectiveDate ? { effectiveDate } : {}) }, s.clock);

const contract = (extra: Parameters<typeof terms>[1] = {}) => start(terms([
  ms('a', { sequence: 1, amount: '1000.00' }),
  ms('b', { sequence: 2, amount: '2000.00', trigger: signoff }),
  ms('c', { sequence: 3, amount: '3000.00', trigger: onDate('2026-06-01') }),
  ms('d', { sequence: 4, amount: '4000.00', trigger: declaration(10) }),
], extra));

describe('checks, in order (DESIGN §11)', () => {
  it('stale_version first (with the current version), even when the changes are invalid too', () => {
    const s = contract();
    amend(s, {});
    const failure = refusalOf(() => engine.amend(s, { baseVersion: 1, changes: { cancel: ['nope'] } }, s.clock));
    expect(failure.type).toBe('stale_version');
    expect(failure.details).toEqual([{ currentVersion: 2 }]);
    expect(codeOf(() => engine.amend(s, { baseVersion: 3, changes: {} }, s.clock))).toBe('stale_version');
    expect(codeOf(() => engine.amend(s, { changes: {} } as never, s.clock))).toBe('validation_failed');
    expect(codeOf(() => engine.amend(s, { baseVersion: '2', changes: {} } as never, s.clock))).toBe('validation_failed');
  });

  it('a future effective date is refused; a past one is fine', () => {
    const s = contract();
    advanceClock(s, '2026-02-01');
    expect(codeOf(() => amend(s, {}, '2026-02-02'))).toBe('future_date');
    expect(amend(s, {}, '2026-01-15')).toEqual({ outcome: 'applied', version: 2 });
    expect(s.versions[1]!.effectiveDate).toBe('2026-01-15');
  });

  it.each<[string, (s: ContractState) => AmendInput['changes']]>([
    ['cancelling an accepted (invoiced) milestone', () => ({ cancel: ['a'] })],
    ['cancelling an unknown milestone', () => ({ cancel: ['zz'] })],
    ['a negative amount', () => ({ milestones: [{ id: 'b', amount: '-1.00' }] })],
    ['an unknown obligation without a method', () => ({ obligations: [{ id: 'new', name: 'New', ssp: '1.00' }] as never })],
    ['a milestone of an unknown obligation', () => ({ milestones: [{ id: 'b', obligationId: 'ghost' }] })],
    ['one invalid part among valid ones', () => ({ milestones: [{ id: 'b', amount: '5.00' }], cancel: ['a'] })],
  ])('invalid_amendment: %s; the version does not change and nothing else either', (_, changes) => {
    const s = contract();
    complete(s, 'a');
    const before = structuredClone(s);
    const failure = refusalOf(() => amend(s, changes(s)));
    expect(failure.type).toBe('invalid_amendment');
    expect(Array.isArray(failure.details?.[0])).toBe(true);
    expect(s).toEqual(before);
  });

  it('changing a cancelled milestone, or the amount of a covered one, is invalid', () => {
    const s = contract({ advanceBilling: { amount: '1000.00', date: '2026-01-01' } });
    complete(s, 'a');
    expect(statusOf(s, 'a')).toBe('covered');
    expect(codeOf(() => amend(s, { milestones: [{ id: 'a', amount: '900.00' }] }))).toBe('invalid_amendment');
    expect(codeOf(() => amend(s, { cancel: ['a'] }))).toBe('invalid_amendment');
    amend(s, { cancel: ['b'] });
    expect(codeOf(() => amend(s, { milestones: [{ id: 'b', name: 'renamed' }] }))).toBe('invalid_amendment');
    // Cancelling it again is not a change of it: a new version, listed once.
    amend(s, { cancel: ['b'] });
    expect(s.versions[s.versions.length - 1]!.cancelled).toEqual(['b']);
  });

  it('a valid amendment always makes a new version, even if nothing changed in effect; every version stays', () => {
    const s = contract();
    s.outbox = [];
    expect(amend(s, {})).toEqual({ outcome: 'applied', version: 2 });
    expect(amend(s, { milestones: [{ id: 'b', name: 'Renamed' }] })).toEqual({ outcome: 'applied', version: 3 });
    expect(s.versions.map((v) => [v.version, v.terms.milestones.find((m) => m.id === 'b')!.name])).toEqual([[1, 'Milestone b'], [2, 'Milestone b'], [3, 'Renamed']]);
    expect(effectsOf(s, 'register_plan').map((e) => [e.version, e.effectiveDate])).toEqual([[2, '2026-01-01'], [3, '2026-01-01']]);
    expect(s.log.map((e) => [e.kind, e.reason])).toEqual([['amend', 'version 2'], ['amend', 'version 3']]);
  });
});

describe('billing corrections (DESIGN §5, §8, §11)', () => {
  it('a lowered invoiced milestone gets a credit memo of the difference on the effective date, referencing the original', () => {
    const s = contract();
    complete(s, 'a');
    drain(s);
    advanceClock(s, '2026-02-01');
    s.outbox = [];
    amend(s, { milestones: [{ id: 'a', amount: '600.00' }] }, '2026-01-20');
    expect(s.creditMemos).toEqual([{ milestoneId: 'a', amount: '400.00', date: '2026-01-20', amendmentVersion: 2, originalInvoiceNumber: s.invoices[0]!.number }]);
    expect(s.billed).toBe('600.00');
    expect(s.outbox.map((e) => e.kind)).toEqual(['register_plan', 'issue_credit_memo']);
    expect(statusOf(s, 'a')).toBe('invoiced');
  });

  it('a raised invoiced milestone gets a supplementary invoice; never netted by the advance, never sequenced, never held', () => {
    const t = start(terms([ms('a', { sequence: 5, amount: '1000.00' }), ms('first', { sequence: 1, amount: '10.00', trigger: signoff })], { paymentTerms: 'NET_15', enforceSequence: true }));
    engine.complete(t, { milestoneId: 'first' }, t.clock, 'update');
    engine.accept(t, { milestoneId: 'first' }, t.clock, 'update');
    complete(t, 'a');
    drain(t);
    engine.hold(t, {}, t.clock, 'update');
    advanceClock(t, '2026-01-10');
    amend(t, { milestones: [{ id: 'a', amount: '1250.00' }] });
    expect(invoiceRows(t)).toEqual([
      ['milestone', 'first', '10.00', '2026-01-01', '2026-01-16'],
      ['milestone', 'a', '1000.00', '2026-01-01', '2026-01-16'],
      ['supplementary', 'a', '250.00', '2026-01-10', '2026-01-25'],
    ]);
    expect(t.invoices[2]).toMatchObject({ originalInvoiceNumber: t.invoices[1]!.number, termsVersion: 2 });
    expect(t.billed).toBe('1260.00');
    expect(t.heldInvoices).toEqual([]);
  });

  it('the advance never reduces a supplementary invoice', () => {
    const s = start(terms([ms('a', { amount: '1000.00' }), ms('b', { amount: '1000.00', sequence: 2, trigger: signoff })], { advanceBilling: { amount: '1500.00', date: '2026-01-01' } }));
    complete(s, 'a');
    expect(statusOf(s, 'a')).toBe('covered');
    complete(s, 'b');
    engine.accept(s, { milestoneId: 'b' }, s.clock, 'update');
    expect(invoiceRows(s).map((r) => [r[0], r[1], r[2]])).toEqual([['advance', 'advance', '1500.00'], ['milestone', 'b', '500.00']]);
    amend(s, { milestones: [{ id: 'b', amount: '1300.00' }] });
    expect(invoiceRows(s).map((r) => [r[0], r[1], r[2]])).toEqual([['advance', 'advance', '1500.00'], ['milestone', 'b', '500.00'], ['supplementary', 'b', '300.00']]);
    expect(s.advance!.applied).toBe('1500.00');
  });

  it('a credit memo never exceeds what the milestone’s invoices billed; the rest goes back to the advance, unapplied', () => {
    const s = start(terms([ms('a', { amount: '1500.00' }), ms('b', { amount: '800.00', sequence: 2, trigger: signoff })], { advanceBilling: { amount: '1000.00', date: '2026-01-01' } }));
    complete(s, 'a');
    expect(invoiceRows(s).map((r) => [r[1], r[2]])).toEqual([['advance', '1000.00'], ['a', '500.00']]);
    amend(s, { milestones: [{ id: 'a', amount: '1200.00' }] });
    expect(s.creditMemos.map((c) => c.amount)).toEqual(['300.00']);
    expect(s.advance!.applied).toBe('1000.00');
    amend(s, { milestones: [{ id: 'a', amount: '300.00' }] });
    // Net billed 200 is credited; 700 goes back to the advance.
    expect(s.creditMemos.map((c) => c.amount)).toEqual(['300.00', '200.00']);
    expect(s.advance!.applied).toBe('300.00');
    expect(s.billed).toBe('1000.00');
    // The freed advance nets the next milestone.
    complete(s, 'b');
    engine.accept(s, { milestoneId: 'b' }, s.clock, 'update');
    expect(invoiceRows(s).map((r) => [r[1], r[2]])).toEqual([['advance', '1000.00'], ['a', '500.00'], ['b', '100.00']]);
    expect(s.advance!.applied).toBe('1000.00');
  });

  it('a milestone lowered to zero only by the advance: no credit memo, all back to the advance', () => {
    const s = start(terms([ms('a', { amount: '1500.00' })], { advanceBilling: { amount: '1000.00', date: '2026-01-01' } }));
    complete(s, 'a');
    amend(s, { milestones: [{ id: 'a', amount: '1000.00' }] });
    expect(s.creditMemos.map((c) => c.amount)).toEqual(['500.00']);
    amend(s, { milestones: [{ id: 'a', amount: '400.00' }] });
    expect(s.creditMemos).toHaveLength(1);
    expect(s.advance!.applied).toBe('400.00');
  });

  it('an invoiced milestone made non-billable is credited in full; unchanged amounts bring nothing', () => {
    const s = contract();
    complete(s, 'a');
    amend(s, { milestones: [{ id: 'a', name: 'same amount' }] });
    expect([s.creditMemos.length, s.invoices.length]).toEqual([0, 1]);
    amend(s, { milestones: [{ id: 'a', billable: false }] });
    expect(s.creditMemos.map((c) => c.amount)).toEqual(['1000.00']);
    expect(s.billed).toBe('0.00');
  });

  it('a paid milestone is corrected too', () => {
    const s = contract();
    complete(s, 'a');
    drain(s);
    engine.invoicePaid(s, { invoiceNumber: s.invoices[0]!.number!, paidOn: s.clock });
    amend(s, { milestones: [{ id: 'a', amount: '1100.00' }] });
    expect(invoiceRows(s).map((r) => [r[0], r[2]])).toEqual([['milestone', '1000.00'], ['supplementary', '100.00']]);
    expect(statusOf(s, 'a')).toBe('invoiced');
  });

  it('an accepted milestone whose invoice is not out yet just bills the new amount, no correction', () => {
    const s = contract();
    engine.complete(s, { milestoneId: 'b' }, s.clock, 'update');
    const t = start(terms([ms('x', { amount: '1000.00', invoiceTiming: afterDays(5) })]));
    complete(t, 'x');
    amend(t, { milestones: [{ id: 'x', amount: '700.00' }] });
    advanceClock(t, '2026-01-06');
    expect(invoiceRows(t).map((r) => [r[0], r[2], r[3]])).toEqual([['milestone', '700.00', '2026-01-06']]);
    expect(t.creditMemos).toEqual([]);
    expect(statusOf(s, 'b')).toBe('completed');
  });

  it('billing corrections apply only to what was billed before the amendment, not to invoices it releases', () => {
    // b waits for a (sequence); the amendment cancels a (releasing b's invoice) and lowers b.
    const s = start(terms([
      ms('a', { sequence: 1, amount: '1000.00', trigger: signoff }),
      ms('b', { sequence: 2, amount: '2000.00' }),
    ], { enforceSequence: true }));
    complete(s, 'b');
    expect(s.milestones.b!.waiting).toBe('awaiting_sequence');
    amend(s, { cancel: ['a'], milestones: [{ id: 'b', amount: '1500.00' }] });
    expect(invoiceRows(s).map((r) => [r[0], r[1], r[2]])).toEqual([['milestone', 'b', '1500.00']]);
    expect(s.creditMemos).toEqual([]);
    expect(s.billed).toBe('1500.00');
  });
});

describe('cancellation (DESIGN §8)', () => {
  it('a cancelled milestone is removed with its timers and held invoice; later facts on it are refused', () => {
    const s = contract();
    complete(s, 'd');
    engine.hold(s, {}, s.clock, 'update');
    amend(s, { cancel: ['c', 'd'] }, '2026-01-01');
    expect(s.milestones.c).toMatchObject({ status: 'cancelled', cancelledOn: '2026-01-01' });
    expect(statusOf(s, 'd')).toBe('cancelled');
    expect(s.timers).toEqual([]);
    expect(s.versions[1]!.cancelled).toEqual(['c', 'd']);
    expect(codeOf(() => complete(s, 'd'))).toBe('not_allowed_in_state');
    amend(s, {});
    expect(s.versions[2]!.cancelled).toEqual(['c', 'd']);
    advanceClock(s, '2026-07-01');
    expect(s.invoices).toEqual([]);
  });

  it('a cancelled milestone’s queued invoice under a hold is dropped', () => {
    const s = start(terms([ms('a', { trigger: signoff, invoiceTiming: afterDays(1) }), ms('b', { sequence: 2 })]));
    complete(s, 'b');
    engine.hold(s, {}, s.clock, 'update');
    complete(s, 'a');
    expect(s.heldInvoices).toEqual([]);
    s.heldInvoices.push('a');
    amend(s, { cancel: ['a'] });
    expect(s.heldInvoices).toEqual([]);
  });

  it('a cancelled blocker no longer holds back the invoices waiting for their sequence', () => {
    const s = start(terms([
      ms('a', { sequence: 1, trigger: signoff }), ms('b', { sequence: 2 }), ms('c', { sequence: 3 }),
    ], { enforceSequence: true }));
    complete(s, 'c');
    complete(s, 'b');
    advanceClock(s, '2026-01-05');
    amend(s, { cancel: ['a'] }, '2026-01-03');
    expect(invoiceRows(s).map((r) => [r[1], r[3]])).toEqual([['b', '2026-01-05'], ['c', '2026-01-05']]);
  });
});

describe('re-planned timers (DESIGN §8, §11)', () => {
  it('a date trigger moved later follows the new date', () => {
    const s = contract();
    amend(s, { milestones: [{ id: 'c', trigger: { type: 'date', date: '2026-07-01' } }] });
    expect(s.timers.filter((x) => x.milestoneId === 'c').map((x) => x.date)).toEqual(['2026-07-01']);
    advanceClock(s, '2026-06-30');
    expect(statusOf(s, 'c')).toBe('planned');
    advanceClock(s, '2026-07-01');
    expect(s.milestones.c).toMatchObject({ acceptedOn: '2026-07-01', status: 'invoiced' });
  });

  it('a date trigger moved to a date already past fires at once, on the effective date, never before', () => {
    const s = contract();
    advanceClock(s, '2026-03-01');
    amend(s, { milestones: [{ id: 'c', trigger: { type: 'date', date: '2026-01-15' } }] }, '2026-02-10');
    expect(s.milestones.c).toMatchObject({ acceptedOn: '2026-02-10', acceptance: 'date', status: 'invoiced' });
    expect(s.invoices[0]!.date).toBe('2026-03-01');
    expect(s.timers.some((x) => x.milestoneId === 'c')).toBe(false);
  });

  it('a moved date trigger later than the effective date but already past fires on its own date', () => {
    const s = contract();
    advanceClock(s, '2026-03-01');
    amend(s, { milestones: [{ id: 'c', trigger: { type: 'date', date: '2026-02-20' } }] }, '2026-02-10');
    expect(s.milestones.c!.acceptedOn).toBe('2026-02-20');
  });

  it('an event milestone turned into a date trigger gets its timer; a date trigger turned into an event loses it', () => {
    const s = contract();
    amend(s, {
      milestones: [
        { id: 'b', trigger: { type: 'date', date: '2026-04-01' } },
        { id: 'c', trigger: { type: 'event', completion: 'external_event' } },
      ],
    });
    expect(s.timers.map((x) => [x.milestoneId, x.date])).toEqual([['b', '2026-04-01']]);
    complete(s, 'c');
    expect(statusOf(s, 'c')).toBe('invoiced');
  });

  it('an unchanged date trigger keeps its timer (same seq)', () => {
    const s = contract();
    const before = s.timers.find((x) => x.milestoneId === 'c');
    amend(s, { milestones: [{ id: 'c', amount: '1.00' }] });
    expect(s.timers.find((x) => x.milestoneId === 'c')).toEqual(before);
  });

  it('a running deemed window keeps the terms it started under', () => {
    const s = contract();
    complete(s, 'd');
    amend(s, { milestones: [{ id: 'd', trigger: { type: 'event', completion: 'vendor_declaration', deemedAcceptanceDays: 2 } }] });
    expect(s.timers.filter((x) => x.milestoneId === 'd')).toEqual([expect.objectContaining({ date: '2026-01-11', deemed: true })]);
    advanceClock(s, '2026-01-10');
    expect(statusOf(s, 'd')).toBe('declared');
    advanceClock(s, '2026-01-11');
    expect(s.milestones.d).toMatchObject({ acceptance: 'deemed', acceptedOn: '2026-01-11' });
  });

  it('an accepted milestone’s pending invoice timer follows a new timing clause', () => {
    const s = start(terms([ms('x', { invoiceTiming: afterDays(20) }), ms('y', { sequence: 2, invoiceTiming: afterDays(20) })], { billingDay: 15 }));
    advanceClock(s, '2026-01-05');
    complete(s, 'x');
    complete(s, 'y');
    amend(s, { milestones: [{ id: 'x', invoiceTiming: { type: 'next_billing_cycle' } }, { id: 'y', invoiceTiming: { type: 'days_after_acceptance', days: 3 } }] });
    expect(s.timers.map((x) => [x.milestoneId, x.date])).toEqual([['x', '2026-01-15'], ['y', '2026-01-08']]);
    const t = start(terms([ms('x', { invoiceTiming: afterDays(20) })]));
    advanceClock(t, '2026-01-05');
    complete(t, 'x');
    advanceClock(t, '2026-01-07');
    amend(t, { milestones: [{ id: 'x', invoiceTiming: { type: 'immediate' } }] }, '2026-01-06');
    expect(invoiceRows(t).map((r) => [r[1], r[3]])).toEqual([['x', '2026-01-07']]);
    expect(t.timers).toEqual([]);
  });

  it('a changed timing clause of an accepted milestone without a pending timer changes nothing', () => {
    const s = start(terms([ms('x', { invoiceTiming: nextCycle })], { enforceSequence: false }));
    complete(s, 'x');
    s.timers = [];
    amend(s, { milestones: [{ id: 'x', invoiceTiming: { type: 'days_after_acceptance', days: 1 } }] });
    expect([s.timers, s.invoices]).toEqual([[], []]);
  });

  it('accepted but not invoiced yet: made non-billable drops its invoice (timer, hold queue, sequence wait); made billable invoices it', () => {
    const s = start(terms([
      ms('x', { sequence: 2, invoiceTiming: afterDays(5) }),
      ms('free', { sequence: 3, billable: false }),
      ms('w', { sequence: 4 }),
      ms('blocker', { sequence: 1, trigger: signoff }),
    ], { enforceSequence: true }));
    complete(s, 'x');
    complete(s, 'free');
    complete(s, 'w');
    expect(s.milestones.w!.waiting).toBe('awaiting_sequence');
    advanceClock(s, '2026-01-03');
    amend(s, { milestones: [{ id: 'x', billable: false }, { id: 'free', billable: true }, { id: 'w', amount: '0.00' }] }, '2026-01-02');
    expect(s.timers).toEqual([]);
    expect(s.milestones.w).toMatchObject({ status: 'accepted', waiting: undefined });
    // free is now billable but waits for the blocker (sequence 1).
    expect(s.milestones.free!.waiting).toBe('awaiting_sequence');
    complete(s, 'blocker');
    engine.accept(s, { milestoneId: 'blocker' }, s.clock, 'update');
    expect(invoiceRows(s).map((r) => [r[1], r[3]])).toEqual([['blocker', '2026-01-03'], ['free', '2026-01-03']]);
  });

  it('made non-billable while its invoice is held: dropped from the hold queue', () => {
    const s = start(terms([ms('x')]));
    engine.hold(s, {}, s.clock, 'update');
    complete(s, 'x');
    expect(s.heldInvoices).toEqual(['x']);
    amend(s, { milestones: [{ id: 'x', billable: false }] });
    expect(s.heldInvoices).toEqual([]);
    expect(s.milestones.x!.waiting).toBeUndefined();
    engine.release(s, {}, s.clock, 'update');
    expect(s.invoices).toEqual([]);
  });

  it('made billable during a hold: queued like any invoice falling due', () => {
    const s = start(terms([ms('x', { billable: false })]));
    complete(s, 'x');
    engine.hold(s, {}, s.clock, 'update');
    amend(s, { milestones: [{ id: 'x', billable: true }] });
    expect(s.heldInvoices).toEqual(['x']);
  });
});

describe('added milestones and obligations, revenue plans', () => {
  it('a new milestone starts planned (defaults: billable, immediate), a new date trigger gets its timer', () => {
    const s = contract();
    amend(s, { milestones: [{ id: 'n', name: 'New', description: 'new fee', obligationId: 'impl', amount: '50.00', sequence: 9, trigger: { type: 'date', date: '2026-03-01' } }] });
    expect(s.milestones.n).toEqual({ id: 'n', status: 'planned', invoiceNumbers: [] });
    advanceClock(s, '2026-03-01');
    expect(invoiceRows(s)).toEqual([['milestone', 'n', '50.00', '2026-03-01', '2026-03-31']]);
  });

  it('a new obligation (and a milestone on it) gets a zero recognized entry', () => {
    const s = contract();
    amend(s, {
      obligations: [{ id: 'lic', name: 'Licence', ssp: '10.00', recognition: { method: 'point_in_time' } }],
      milestones: [{ id: 'n', name: 'New', description: 'new fee', obligationId: 'lic', amount: '50.00', sequence: 9, trigger: { type: 'event', completion: 'external_event' } }],
    });
    expect(s.recognized).toEqual({ impl: '0.00', lic: '0.00' });
  });

  it('a newly ratable obligation catches up through the last month end posted; month ends are re-planned', () => {
    const s = start(terms([ms('a')], { obligations: [obligation('impl'), obligation('sup', { method: 'ratable', startDate: '2026-01-01', endDate: '2026-06-30' }), obligation('lic', { method: 'point_in_time' })] }));
    advanceClock(s, '2026-02-10');
    expect(s.ratablePostedThrough).toBe('2026-01-31');
    s.outbox = [];
    amend(s, { obligations: [{ id: 'lic', recognition: { method: 'ratable', startDate: '2026-01-15', endDate: '2026-08-15' } }] }, '2026-02-05');
    expect(s.outbox.map((e) => e.kind)).toEqual(['register_plan', 'post_progress']);
    expect(effectsOf(s, 'post_progress')[0]).toMatchObject({ date: '2026-02-05', source: { type: 'ratable_month', ref: 'v2' }, progress: { ratableThrough: '2026-01-31' } });
    expect(s.timers.map((x) => x.date)).toEqual(['2026-02-28', '2026-03-31', '2026-04-30', '2026-05-31', '2026-06-30', '2026-07-31', '2026-08-15']);
  });

  it('no catch-up when no month end was posted yet, or when nothing became ratable', () => {
    const s = start(terms([ms('a')], { obligations: [obligation('impl'), obligation('lic', { method: 'point_in_time' })] }));
    s.outbox = [];
    amend(s, { obligations: [{ id: 'lic', recognition: { method: 'ratable', startDate: '2026-01-15', endDate: '2026-02-15' } }] });
    expect(s.outbox.map((e) => e.kind)).toEqual(['register_plan']);
    advanceClock(s, '2026-02-01');
    s.outbox = [];
    amend(s, { obligations: [{ id: 'lic', ssp: '5.00' }] });
    expect(s.outbox.map((e) => e.kind)).toEqual(['register_plan']);
    expect(s.timers.map((x) => x.date)).toEqual(['2026-02-15']);
  });
});
