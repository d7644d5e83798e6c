/**
 * Invoices on workflows/engine.ts alone (DESIGN §3, §4, §5, §11 "Invoices", "Payments"): timing
 * clauses and due dates, the advance and its netting, sequence waiting, customer holds, payments,
 * cost reports and completion.
 */
import type { ContractState } from '../../libs/domain/contract';
import * as engine from '../../workflows/engine';
import {
  advanceClock, afterDays, codeOf, declaration, drain, effectsOf, invoiceRows, ms, nextCycle, obligation, onDate, refusalOf, signoff, start, statusOf, terms,
} from '../support/engine-fixtures';

const complete = (s: ContractState, milestoneId: string, date?: string) => engine.complete(s, { milestoneId, ...(date ? { date } : {}) }, s.clock, 'update');
const accept = (s: ContractState, milestoneId: string, date?: string) => engine.accept(s, { milestoneId, ...(date ? { date } : {}) }, s.clock, 'update');
const hold = (s: ContractState, date?: string) => engine.hold(s, date ? { date } : {}, s.clock, 'update');
const release = (s: ContractState, date?: string) => engine.release(s, date ? { date } : {}, s.clock, 'update');
const pay = (s: ContractState, invoiceNumber: string) => engine.invoicePaid(s, { invoiceNumber, paidOn: s.clock });

describe('invoice timing (DESIGN §3, §5)', () => {
  it('immediate: dated on acceptance, due after the payment terms, one line per milestone at the current version', () => {
    const s = start(terms([ms('a', { amount: '1234.50' })], { paymentTerms: 'NET_45' }));
    advanceClock(s, '2026-01-10');
    s.outbox = [];
    complete(s, 'a');
    expect(s.invoices).toEqual([{ kind: 'milestone', milestoneIds: ['a'], amount: '1234.50', date: '2026-01-10', dueDate: '2026-02-24', termsVersion: 1, paid: false }]);
    expect(s.billed).toBe('1234.50');
    expect(s.milestones.a).toMatchObject({ status: 'invoiced', invoicedOn: '2026-01-10' });
    // The acceptance and the invoice are one event on one date: the invoice carries the progress.
    expect(s.outbox).toEqual([{ id: expect.any(Number), kind: 'issue_invoice', invoiceIndex: 0, progress: { accepted: ['a'] } }]);
  });

  it('NET_0 is due the day of the invoice', () => {
    const s = start(terms([ms('a')], { paymentTerms: 'NET_0' }));
    complete(s, 'a');
    expect(s.invoices[0]!.dueDate).toBe(s.invoices[0]!.date);
  });

  it('days_after_acceptance: the milestone stays accepted, its progress is posted on acceptance, the invoice follows N days later', () => {
    const s = start(terms([ms('a', { trigger: signoff, invoiceTiming: afterDays(10) })]));
    advanceClock(s, '2026-01-05');
    complete(s, 'a');
    s.outbox = [];
    accept(s, 'a');
    expect(statusOf(s, 'a')).toBe('accepted');
    expect(s.outbox.map((e) => e.kind)).toEqual(['post_progress']);
    expect(s.timers).toEqual([expect.objectContaining({ kind: 'invoice', date: '2026-01-15', milestoneId: 'a' })]);
    advanceClock(s, '2026-01-14');
    expect(s.invoices).toEqual([]);
    advanceClock(s, '2026-01-31');
    expect(invoiceRows(s)).toEqual([['milestone', 'a', '1000.00', '2026-01-15', '2026-02-14']]);
    expect(s.outbox.filter((e) => e.kind === 'issue_invoice')).toEqual([expect.not.objectContaining({ progress: expect.anything() })]);
  });

  it('days_after_acceptance of 0 falls due the acceptance day through a timer', () => {
    const s = start(terms([ms('a', { invoiceTiming: afterDays(0) })]));
    complete(s, 'a');
    expect(statusOf(s, 'a')).toBe('accepted');
    engine.fireDueTimers(s, s.clock);
    expect(invoiceRows(s)).toEqual([['milestone', 'a', '1000.00', '2026-01-01', '2026-01-31']]);
  });

  it.each([
    [15, '2026-05-10', '2026-05-15'],
    [15, '2026-05-15', '2026-06-15'], // strictly after an acceptance on the billing day
    [31, '2026-02-10', '2026-02-28'], // a billing day beyond the month's end means its last day
    [31, '2026-01-31', '2026-02-28'],
    [30, '2024-02-29', '2024-03-30'],
    [1, '2026-12-31', '2027-01-01'],
  ])('next_billing_cycle, billing day %i: accepted %s → invoiced %s', (billingDay, acceptedOn, invoiceDate) => {
    const s = start(terms([ms('a', { invoiceTiming: nextCycle })], { billingDay, sandbox: { clockStart: '2024-01-01' } }));
    advanceClock(s, acceptedOn);
    complete(s, 'a');
    expect(s.timers).toEqual([expect.objectContaining({ kind: 'invoice', date: invoiceDate })]);
    advanceClock(s, '2027-06-01');
    expect(s.invoices.map((i) => i.date)).toEqual([invoiceDate]);
  });

  it('a later acceptance event report is accepted on its date; the invoice is dated the day it is issued', () => {
    const s = start(terms([ms('a')]));
    advanceClock(s, '2026-03-01');
    s.outbox = [];
    complete(s, 'a', '2026-02-10');
    expect(s.milestones.a).toMatchObject({ acceptedOn: '2026-02-10', invoicedOn: '2026-03-01' });
    expect(invoiceRows(s)).toEqual([['milestone', 'a', '1000.00', '2026-03-01', '2026-03-31']]);
    // Two dates, two postings: the acceptance's progress on its own date, the invoice without it.
    expect(s.outbox.map((e) => (e.kind === 'post_progress' ? `progress@${e.date}` : e.kind))).toEqual(['progress@2026-02-10', 'issue_invoice']);
    expect(effectsOf(s, 'issue_invoice')[0]).not.toHaveProperty('progress');
  });

  it('KWD and JPY amounts keep their minor units', () => {
    const kwd = start(terms([ms('a', { amount: '1250.125' })], { currency: 'KWD', obligations: [obligation('impl', undefined, '1.000')] }));
    complete(kwd, 'a');
    expect([kwd.invoices[0]!.amount, kwd.billed]).toEqual(['1250.125', '1250.125']);
    const jpy = start(terms([ms('a', { amount: '150000' })], { currency: 'JPY', obligations: [obligation('impl', undefined, '1')] }));
    complete(jpy, 'a');
    expect([jpy.invoices[0]!.amount, jpy.billed]).toEqual(['150000', '150000']);
  });
});

describe('the advance (DESIGN §3, §11)', () => {
  const withAdvance = (amount: string, date = '2026-01-05', extra: Parameters<typeof terms>[1] = {}) => start(terms([
    ms('m1', { amount: '600.00', sequence: 1 }),
    ms('m2', { amount: '600.00', sequence: 2 }),
    ms('m3', { amount: '600.00', sequence: 3 }),
  ], { advanceBilling: { amount, date }, ...extra }));

  it('is invoiced on its date; later milestone invoices are reduced by what is unapplied, never below 0; covered ones issue nothing', () => {
    const s = withAdvance('1000.00');
    advanceClock(s, '2026-01-05');
    expect(invoiceRows(s)).toEqual([['advance', 'advance', '1000.00', '2026-01-05', '2026-02-04']]);
    expect(s.billed).toBe('1000.00');
    complete(s, 'm1');
    expect(statusOf(s, 'm1')).toBe('covered');
    expect(s.milestones.m1!.invoicedOn).toBeUndefined();
    complete(s, 'm2');
    complete(s, 'm3');
    expect(invoiceRows(s).slice(1).map((r) => [r[1], r[2]])).toEqual([['m2', '200.00'], ['m3', '600.00']]);
    expect(s.advance).toEqual({ amount: '1000.00', issued: true, applied: '1000.00' });
    expect(s.billed).toBe('1800.00');
  });

  it('a covered milestone posts its progress alone (no invoice effect for it)', () => {
    const s = withAdvance('5000.00', '2026-01-01');
    s.outbox = [];
    complete(s, 'm1');
    expect(s.outbox.map((e) => e.kind)).toEqual(['post_progress']);
    expect(effectsOf(s, 'post_progress')[0]!.progress).toEqual({ accepted: ['m1'] });
  });

  it('a milestone invoiced before the advance is issued is not netted', () => {
    const s = withAdvance('1000.00', '2026-02-01');
    complete(s, 'm1');
    advanceClock(s, '2026-02-01');
    complete(s, 'm2');
    expect(invoiceRows(s).map((r) => [r[0], r[1], r[2]])).toEqual([['milestone', 'm1', '600.00'], ['advance', 'advance', '1000.00']]);
    expect(statusOf(s, 'm2')).toBe('covered');
    expect(s.advance!.applied).toBe('600.00');
  });

  it('is applied in issue order, not sequence order', () => {
    const s = withAdvance('700.00', '2026-01-01');
    complete(s, 'm3');
    complete(s, 'm1');
    expect(invoiceRows(s).slice(1).map((r) => [r[1], r[2]])).toEqual([['m1', '500.00']]);
    expect(statusOf(s, 'm3')).toBe('covered');
  });

  it('an advance dated before the contract start is issued at the start, dated on the first day of the clock', () => {
    const s = withAdvance('100.00', '2025-12-01');
    expect(invoiceRows(s)).toEqual([['advance', 'advance', '100.00', '2026-01-01', '2026-01-31']]);
    expect(s.log[0]).toMatchObject({ kind: 'advance', via: 'timer', date: '2025-12-01', outcome: 'applied' });
  });
});

describe('sequence (DESIGN §4, §11)', () => {
  const seq = (extra: Parameters<typeof terms>[1] = {}, more: ReturnType<typeof ms>[] = []) => start(terms([
    ms('kickoff', { billable: false, amount: '0.00', sequence: 0 }),
    ms('m1', { trigger: signoff, sequence: 1, amount: '100.00' }),
    ms('m2', { sequence: 2, amount: '200.00' }),
    ms('m3', { sequence: 3, amount: '300.00' }),
    ...more,
  ], { enforceSequence: true, ...extra }));

  it('a milestone accepted ahead of an earlier billable one is recorded, its invoice waits awaiting_sequence', () => {
    const s = seq();
    advanceClock(s, '2026-01-10');
    s.outbox = [];
    complete(s, 'm2');
    expect(s.milestones.m2).toMatchObject({ status: 'accepted', acceptedOn: '2026-01-10', waiting: 'awaiting_sequence' });
    expect(s.invoices).toEqual([]);
    // Revenue does not wait.
    expect(s.outbox.map((e) => e.kind)).toEqual(['post_progress']);
  });

  it('the waiting invoices are issued the moment the last blocker is invoiced, in sequence order, on that date', () => {
    const s = seq();
    advanceClock(s, '2026-01-10');
    complete(s, 'm3');
    advanceClock(s, '2026-01-12');
    complete(s, 'm2');
    expect(s.invoices).toEqual([]);
    advanceClock(s, '2026-01-20');
    complete(s, 'm1');
    expect(s.invoices).toEqual([]);
    accept(s, 'm1');
    expect(invoiceRows(s).map((r) => [r[1], r[3]])).toEqual([['m1', '2026-01-20'], ['m2', '2026-01-20'], ['m3', '2026-01-20']]);
    expect(['m1', 'm2', 'm3'].map((id) => s.milestones[id]!.waiting)).toEqual([undefined, undefined, undefined]);
  });

  it('non-billable and zero-amount milestones never block; without enforceSequence nothing waits', () => {
    const s = seq({}, [ms('m0', { sequence: 0, amount: '0.00' })]);
    complete(s, 'm1');
    accept(s, 'm1');
    expect(statusOf(s, 'm1')).toBe('invoiced');
    const free = start(terms([ms('m1', { trigger: signoff, sequence: 1 }), ms('m2', { sequence: 2 })]));
    complete(free, 'm2');
    expect(statusOf(free, 'm2')).toBe('invoiced');
  });

  it('a blocker covered by the advance counts as invoiced', () => {
    const s = seq({ advanceBilling: { amount: '100.00', date: '2026-01-01' } });
    complete(s, 'm2');
    expect(s.milestones.m2!.waiting).toBe('awaiting_sequence');
    complete(s, 'm1');
    accept(s, 'm1');
    expect(statusOf(s, 'm1')).toBe('covered');
    expect(s.milestones.m2).toMatchObject({ status: 'invoiced', waiting: undefined });
  });

  it('a waiting invoice with a timing clause waits from the day its timer fires', () => {
    const s = seq({}, [ms('m4', { sequence: 4, invoiceTiming: afterDays(5) })]);
    complete(s, 'm4');
    expect(s.milestones.m4!.waiting).toBeUndefined();
    advanceClock(s, '2026-01-06');
    expect(s.milestones.m4).toMatchObject({ status: 'accepted', waiting: 'awaiting_sequence' });
  });

  it('a blocker still waiting for its own invoice timer keeps blocking', () => {
    const s = seq({}, []);
    complete(s, 'm3');
    const t = start(terms([ms('a', { sequence: 1, invoiceTiming: afterDays(3) }), ms('b', { sequence: 2 })], { enforceSequence: true }));
    complete(t, 'a');
    complete(t, 'b');
    expect(t.milestones.b!.waiting).toBe('awaiting_sequence');
    advanceClock(t, '2026-01-04');
    expect(invoiceRows(t).map((r) => [r[1], r[3]])).toEqual([['a', '2026-01-04'], ['b', '2026-01-04']]);
    expect(s.milestones.m3!.waiting).toBe('awaiting_sequence');
  });
});

describe('customer hold (DESIGN §4, §11)', () => {
  const contract = () => start(terms([
    ms('m1', { sequence: 1, amount: '100.00' }),
    ms('m2', { sequence: 2, amount: '200.00', trigger: onDate('2026-01-15') }),
    ms('m3', { sequence: 3, amount: '300.00', trigger: declaration(3) }),
  ], { advanceBilling: { amount: '50.00', date: '2026-01-12' } }));

  it('queues every invoice that falls due (the advance too); timers keep running; revenue is not held', () => {
    const s = contract();
    advanceClock(s, '2026-01-10');
    expect(hold(s)).toMatchObject({ outcome: 'applied' });
    expect(s.hold).toEqual({ since: '2026-01-10' });
    s.outbox = [];
    complete(s, 'm3');
    complete(s, 'm1');
    advanceClock(s, '2026-01-20');
    expect(s.invoices).toEqual([]);
    expect(s.heldInvoices).toEqual(['m1', 'advance', 'm3', 'm2']);
    expect(['m1', 'm2', 'm3'].map((id) => [statusOf(s, id), s.milestones[id]!.waiting])).toEqual([
      ['accepted', 'customer_hold'], ['accepted', 'customer_hold'], ['accepted', 'customer_hold'],
    ]);
    expect(s.milestones.m3).toMatchObject({ acceptedOn: '2026-01-13', acceptance: 'deemed' });
    expect(effectsOf(s, 'post_progress').map((e) => [e.source.ref, e.date])).toEqual([['m1', '2026-01-10'], ['m3', '2026-01-13'], ['m2', '2026-01-15']]);
  });

  it('release issues them in the order they fell due, dated on the release; the advance nets the ones after it', () => {
    const s = contract();
    advanceClock(s, '2026-01-10');
    hold(s);
    complete(s, 'm3');
    complete(s, 'm1');
    advanceClock(s, '2026-01-22');
    expect(release(s)).toMatchObject({ outcome: 'applied' });
    expect(invoiceRows(s)).toEqual([
      ['milestone', 'm1', '100.00', '2026-01-22', '2026-02-21'],
      ['advance', 'advance', '50.00', '2026-01-22', '2026-02-21'],
      ['milestone', 'm3', '250.00', '2026-01-22', '2026-02-21'],
      ['milestone', 'm2', '200.00', '2026-01-22', '2026-02-21'],
    ]);
    expect(s.heldInvoices).toEqual([]);
    expect(s.hold).toBeUndefined();
    expect(['m1', 'm2', 'm3'].map((id) => s.milestones[id]!.waiting)).toEqual([undefined, undefined, undefined]);
  });

  it('a release dated before the clock is dated on the clock (never before the day it is issued)', () => {
    const s = contract();
    hold(s);
    complete(s, 'm1');
    advanceClock(s, '2026-01-05');
    // The clock moves on: the release date is checked against today, and the invoice is dated on the clock.
    s.clock = '2026-01-05';
    release(s, '2026-01-03');
    expect(s.invoices[0]!.date).toBe('2026-01-05');
  });

  it('a second hold and a release without a hold are ignored; holds refuse future dates', () => {
    const s = contract();
    expect(release(s)).toMatchObject({ outcome: 'ignored', reason: 'the contract is not on hold' });
    hold(s);
    expect(hold(s)).toMatchObject({ outcome: 'ignored', reason: 'duplicate: on hold since 2026-01-01' });
    expect(codeOf(() => hold(s, '2026-01-02'))).toBe('future_date');
    expect(codeOf(() => release(s, '2026-01-02'))).toBe('future_date');
    expect(s.log.map((e) => [e.kind, e.outcome])).toEqual([['release', 'ignored'], ['hold', 'applied'], ['hold', 'ignored']]);
  });

  it('with a sequence, an invoice unblocked during a hold joins the queue the release issues', () => {
    const s = start(terms([ms('a', { sequence: 1, trigger: signoff }), ms('b', { sequence: 2 })], { enforceSequence: true }));
    complete(s, 'b');
    expect(s.milestones.b!.waiting).toBe('awaiting_sequence');
    complete(s, 'a');
    hold(s);
    accept(s, 'a');
    expect(s.heldInvoices).toEqual(['a']);
    expect(s.milestones.b!.waiting).toBe('awaiting_sequence');
    advanceClock(s, '2026-01-09');
    release(s);
    expect(invoiceRows(s).map((r) => [r[1], r[3]])).toEqual([['a', '2026-01-09'], ['b', '2026-01-09']]);
  });

  it('a blocker released while the waiting one is on hold: it moves from the sequence to the hold queue', () => {
    const s = start(terms([ms('a', { sequence: 1, invoiceTiming: afterDays(2) }), ms('b', { sequence: 2 }), ms('c', { sequence: 3 })], { enforceSequence: true }));
    complete(s, 'c');
    complete(s, 'b');
    complete(s, 'a');
    hold(s);
    advanceClock(s, '2026-01-03');
    expect(s.heldInvoices).toEqual(['a']);
    release(s);
    expect(s.invoices.map((i) => i.milestoneIds[0])).toEqual(['a', 'b', 'c']);
  });
});

describe('payments (DESIGN §4, §11)', () => {
  it('a milestone is paid when every invoice of it is paid; duplicates and unknown invoices are ignored', () => {
    const s = start(terms([ms('a'), ms('b', { sequence: 2 })]));
    complete(s, 'a');
    drain(s);
    const number = s.invoices[0]!.number!;
    expect(s.milestones.a!.invoiceNumbers).toEqual([number]);
    pay(s, 'INV-0000-999999');
    expect(s.log[s.log.length - 1]).toMatchObject({ kind: 'invoice_paid', outcome: 'ignored', reason: 'unknown invoice INV-0000-999999' });
    pay(s, number);
    expect(statusOf(s, 'a')).toBe('paid');
    expect(s.invoices[0]!.paid).toBe(true);
    expect(s.log[s.log.length - 1]).toMatchObject({ kind: 'invoice_paid', outcome: 'applied', reason: number });
    pay(s, number);
    expect(s.log[s.log.length - 1]).toMatchObject({ outcome: 'ignored', reason: `duplicate: ${number} is already paid` });
  });

  it('an invoice not numbered yet cannot be paid', () => {
    const s = start(terms([ms('a')]));
    complete(s, 'a');
    engine.invoicePaid(s, { invoiceNumber: undefined as never, paidOn: '2026-01-01' });
    expect(s.invoices[0]!.paid).toBe(false);
  });

  it('with a supplementary invoice, the milestone is paid only when both are', () => {
    const s = start(terms([ms('a')]));
    complete(s, 'a');
    engine.amend(s, { baseVersion: 1, changes: { milestones: [{ id: 'a', amount: '1500.00' }] } }, s.clock);
    drain(s);
    pay(s, s.invoices[0]!.number!);
    expect(statusOf(s, 'a')).toBe('invoiced');
    pay(s, s.invoices[1]!.number!);
    expect(statusOf(s, 'a')).toBe('paid');
  });

  it('the advance invoice paid changes no milestone; a covered milestone never becomes paid', () => {
    const s = start(terms([ms('a', { amount: '100.00' })], { advanceBilling: { amount: '100.00', date: '2026-01-01' } }));
    complete(s, 'a');
    drain(s);
    pay(s, s.invoices[0]!.number!);
    expect(s.invoices[0]).toMatchObject({ kind: 'advance', paid: true });
    expect(statusOf(s, 'a')).toBe('covered');
  });
});

describe('cost reports (cost_input)', () => {
  const costed = () => start(terms([ms('a')], {
    obligations: [obligation('impl', { method: 'cost_input', estimatedTotalCost: '800.00' }), obligation('other')],
  }));

  it('adds the increment to the cost to date and posts it dated on the report', () => {
    const s = costed();
    advanceClock(s, '2026-01-09');
    s.outbox = [];
    expect(engine.reportCost(s, { obligationId: 'impl', amount: '100.10', date: '2026-01-08' }, s.clock, 'signal')).toMatchObject({ outcome: 'applied' });
    engine.reportCost(s, { obligationId: 'impl', amount: '50' }, s.clock, 'signal');
    expect(s.costToDate).toEqual({ impl: '150.10' });
    expect(effectsOf(s, 'post_progress').map((e) => [e.date, e.source, e.progress])).toEqual([
      ['2026-01-08', { type: 'cost', ref: 'impl' }, { cost: { obligationId: 'impl', amount: '100.10' } }],
      ['2026-01-09', { type: 'cost', ref: 'impl' }, { cost: { obligationId: 'impl', amount: '50' } }],
    ]);
    expect(s.log.map((e) => [e.kind, e.via, e.date])).toEqual([['cost', 'signal', '2026-01-08'], ['cost', 'signal', '2026-01-09']]);
  });

  it('refuses an unknown obligation, a bad amount, an obligation not measured by cost, a future date', () => {
    const s = costed();
    expect(codeOf(() => engine.checkCost(s, { obligationId: 'nope', amount: '1' }, s.clock))).toBe('not_found');
    for (const amount of ['-1', '1e3', 12 as never, '']) {
      const failure = refusalOf(() => engine.checkCost(s, { obligationId: 'impl', amount }, s.clock));
      expect(failure.type).toBe('validation_failed');
      expect(failure.details).toEqual([[{ path: 'amount', message: 'must be a decimal string' }]]);
    }
    expect(codeOf(() => engine.reportCost(s, { obligationId: 'other', amount: '1' }, s.clock, 'update'))).toBe('not_allowed_in_state');
    expect(codeOf(() => engine.reportCost(s, { obligationId: 'impl', amount: '1', date: '2026-01-02' }, s.clock, 'update'))).toBe('future_date');
    expect(engine.checkCost(s, { obligationId: 'impl', amount: '1', date: '2025-12-31' }, s.clock)).toBe('2025-12-31');
    expect(s.costToDate).toEqual({});
  });
});

describe('completion (isFinished)', () => {
  const finish = (s: ContractState, recognized: string) => {
    drain(s);
    s.recognizedTotal = recognized;
  };

  it('every billable milestone paid (or covered, cancelled), non-billable ones accepted, advance paid, revenue fully recognized, nothing pending', () => {
    const s = start(terms([ms('a', { amount: '300.00' }), ms('b', { amount: '700.00', sequence: 2 }), ms('free', { billable: false, sequence: 3 })], {
      advanceBilling: { amount: '300.00', date: '2026-01-01' },
    }));
    complete(s, 'a');
    complete(s, 'b');
    finish(s, '1000.00');
    expect(engine.isFinished(s)).toBe(false); // free is not accepted
    complete(s, 'free');
    finish(s, '1000.00');
    expect(engine.isFinished(s)).toBe(false); // b and the advance are unpaid
    engine.invoicePaid(s, { invoiceNumber: s.invoices[1]!.number!, paidOn: s.clock });
    expect(engine.isFinished(s)).toBe(false); // the advance is unpaid
    engine.invoicePaid(s, { invoiceNumber: s.invoices[0]!.number!, paidOn: s.clock });
    expect(engine.isFinished(s)).toBe(true);
    s.recognizedTotal = '999.99';
    expect(engine.isFinished(s)).toBe(false);
  });

  it('not while effects, timers or held invoices are pending; cancelled milestones do not count', () => {
    const s = start(terms([ms('a'), ms('gone', { sequence: 2, trigger: onDate('2026-05-01'), amount: '50.00' })]));
    complete(s, 'a');
    engine.invoicePaid(s, { invoiceNumber: 'x', paidOn: s.clock });
    drain(s);
    engine.invoicePaid(s, { invoiceNumber: s.invoices[0]!.number!, paidOn: s.clock });
    s.recognizedTotal = '1000.00';
    expect(engine.isFinished(s)).toBe(false); // the date trigger is still pending
    engine.amend(s, { baseVersion: 1, changes: { cancel: ['gone'] } }, s.clock);
    expect(engine.isFinished(s)).toBe(false); // the new plan is not registered yet
    drain(s);
    expect(engine.isFinished(s)).toBe(true);
    s.heldInvoices = ['a'];
    expect(engine.isFinished(s)).toBe(false);
  });

  it('a contract with a pending timer or outbox is not finished even when every milestone is paid', () => {
    const s = start(terms([ms('a')]));
    complete(s, 'a');
    drain(s);
    engine.invoicePaid(s, { invoiceNumber: s.invoices[0]!.number!, paidOn: s.clock });
    s.recognizedTotal = '1000.00';
    expect(engine.isFinished(s)).toBe(true);
    s.timers.push({ seq: 99, kind: 'month_end', date: '2027-01-01', purpose: 'x' });
    expect(engine.isFinished(s)).toBe(false);
    s.timers = [];
    engine.record(s, { kind: 'x', via: 'update', outcome: 'applied' });
    s.outbox.push({ id: 99, kind: 'register_plan', version: 1, effectiveDate: '2026-01-01' });
    expect(engine.isFinished(s)).toBe(false);
  });

  it('a declared milestone pending acceptance keeps it open', () => {
    const s = start(terms([ms('a', { trigger: declaration(2), billable: false })]));
    complete(s, 'a');
    drain(s);
    s.recognizedTotal = '0.00';
    expect(engine.isFinished(s)).toBe(false);
    advanceClock(s, '2026-01-03');
    drain(s);
    expect(engine.isFinished(s)).toBe(true);
  });
});
