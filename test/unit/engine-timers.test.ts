/**
 * Timers and the business clock (DESIGN §3a, §11 "Time and order"), on workflows/engine.ts alone:
 * the same-day order (advance → acceptances incl. deemed → invoice timers → month ends, ties in
 * creation order), timers due on clockStart, the sandbox clock, and the ratable month ends.
 */
import type { PendingTimer, TimerKind } from '../../libs/domain/contract';
import * as engine from '../../workflows/engine';
import {
  advanceClock, afterDays, codeOf, declaration, effectsOf, invoiceRows, logRows, ms, obligation, onDate, signoff, start, terms,
} from '../support/engine-fixtures';

const ratable = (startDate: string, endDate: string) => obligation('sup', { method: 'ratable', startDate, endDate });

describe('timers due the same day (DESIGN §11)', () => {
  /**
   * Everything falls due on 31 January, created in an order that is not the rank order: the month
   * end is planned at signing, the invoice timer on the 21st, the deemed window on the 24th.
   */
  function sameDay() {
    const t = terms([
      ms('s', { trigger: signoff, invoiceTiming: afterDays(10), sequence: 1 }),
      ms('v', { trigger: declaration(7), sequence: 2 }),
      ms('d', { trigger: onDate('2026-01-31'), sequence: 3 }),
    ], { advanceBilling: { amount: '500.00', date: '2026-01-31' }, obligations: [obligation('impl'), ratable('2026-01-01', '2026-03-31')] });
    const s = start(t);
    advanceClock(s, '2026-01-21');
    engine.complete(s, { milestoneId: 's' }, s.clock, 'update');
    engine.accept(s, { milestoneId: 's' }, s.clock, 'update');
    advanceClock(s, '2026-01-24');
    engine.complete(s, { milestoneId: 'v' }, s.clock, 'update', 'declare');
    return s;
  }

  it('fire advance, then acceptances (date trigger, then deemed, in creation order), then invoice timers, then month ends', () => {
    const s = sameDay();
    expect(s.timers.filter((x) => x.date === '2026-01-31').map((x) => x.kind)).toEqual(['advance', 'acceptance', 'month_end', 'invoice', 'acceptance']);
    const from = s.log.length;
    expect(advanceClock(s, '2026-01-31')).toBe(5);
    expect(logRows(s, from)).toEqual([
      ['advance', 'applied', undefined],
      ['date_trigger', 'applied', 'd'],
      ['deemed_acceptance', 'applied', 'v'],
      ['invoice_due', 'applied', 's'],
      ['month_end', 'applied', undefined],
    ]);
  });

  it('the advance is issued first, so the first acceptance of the day is netted against it', () => {
    const s = sameDay();
    advanceClock(s, '2026-01-31');
    expect(invoiceRows(s)).toEqual([
      ['advance', 'advance', '500.00', '2026-01-31', '2026-03-02'],
      ['milestone', 'd', '500.00', '2026-01-31', '2026-03-02'],
      ['milestone', 'v', '1000.00', '2026-01-31', '2026-03-02'],
      ['milestone', 's', '1000.00', '2026-01-31', '2026-03-02'],
    ]);
    expect(s.advance).toEqual({ amount: '500.00', issued: true, applied: '500.00' });
  });

  it('the month-end posting comes after the acceptances of the day (its effect is queued last)', () => {
    const s = sameDay();
    s.outbox = [];
    advanceClock(s, '2026-01-31');
    const kinds = s.outbox.map((e) => (e.kind === 'post_progress' ? `progress:${e.source.type}` : e.kind));
    expect(kinds[kinds.length - 1]).toBe('progress:ratable_month');
    expect(kinds.filter((k) => k === 'issue_invoice')).toHaveLength(4);
    expect(s.ratablePostedThrough).toBe('2026-01-31');
  });

  it('nextTimer ranks kinds advance < acceptance < invoice < month_end whatever their creation order', () => {
    const s = start(terms([ms('a')]));
    const kinds: TimerKind[] = ['month_end', 'invoice', 'acceptance', 'advance'];
    s.timers = kinds.map((kind, i): PendingTimer => ({ seq: i + 1, kind, date: '2026-02-01', purpose: kind }));
    const order: string[] = [];
    for (let t = engine.nextTimer(s); t; t = engine.nextTimer(s)) {
      order.push(t.kind);
      s.timers = s.timers.filter((x) => x.seq !== t!.seq);
    }
    expect(order).toEqual(['advance', 'acceptance', 'invoice', 'month_end']);
  });

  it.each<[TimerKind, TimerKind]>([
    ['advance', 'acceptance'], ['acceptance', 'invoice'], ['invoice', 'month_end'], ['advance', 'month_end'], ['advance', 'invoice'], ['acceptance', 'month_end'],
  ])('%s before %s on the same day, even when created later', (first, second) => {
    const s = start(terms([ms('a')]));
    s.timers = [
      { seq: 1, kind: second, date: '2026-02-01', purpose: second },
      { seq: 2, kind: first, date: '2026-02-01', purpose: first },
    ];
    expect(engine.nextTimer(s)?.kind).toBe(first);
  });

  it('ties of one kind fire in creation order, and an earlier date always comes first', () => {
    const s = start(terms([ms('a')]));
    s.timers = [
      { seq: 5, kind: 'acceptance', date: '2026-02-01', purpose: 'later created' },
      { seq: 3, kind: 'acceptance', date: '2026-02-01', purpose: 'earlier created' },
      { seq: 9, kind: 'month_end', date: '2026-01-31', purpose: 'earlier day' },
      { seq: 1, kind: 'advance', date: '2026-02-02', purpose: 'later day' },
    ];
    const order: number[] = [];
    for (let t = engine.nextTimer(s); t; t = engine.nextTimer(s)) {
      order.push(t.seq);
      s.timers = s.timers.filter((x) => x.seq !== t!.seq);
    }
    expect(order).toEqual([9, 3, 5, 1]);
    expect(engine.nextTimer(s)).toBeUndefined();
  });

  it('two date triggers on one day accept (and invoice) in creation order, i.e. the terms order', () => {
    const s = start(terms([
      ms('second-in-sequence', { trigger: onDate('2026-03-01'), sequence: 2, amount: '200.00' }),
      ms('first-in-sequence', { trigger: onDate('2026-03-01'), sequence: 1, amount: '100.00' }),
    ]));
    advanceClock(s, '2026-03-01');
    expect(s.invoices.map((i) => i.milestoneIds[0])).toEqual(['second-in-sequence', 'first-in-sequence']);
  });
});

describe('the sandbox clock (DESIGN §3a)', () => {
  it('starts at clockStart whatever today is, and fires the timers due on (or before) clockStart at the start', () => {
    const t = terms([
      ms('before', { trigger: onDate('2025-12-20'), sequence: 1 }),
      ms('on', { trigger: onDate('2026-01-01'), sequence: 2 }),
      ms('after', { trigger: onDate('2026-01-02'), sequence: 3 }),
    ], { advanceBilling: { amount: '100.00', date: '2025-12-15' } });
    const s = start(t, '2030-06-30');
    expect(s.clock).toBe('2026-01-01');
    expect(s.sandbox).toBe(true);
    expect(s.milestones.before).toMatchObject({ status: 'invoiced', acceptedOn: '2025-12-20', acceptance: 'date' });
    expect(s.milestones.on).toMatchObject({ status: 'invoiced', acceptedOn: '2026-01-01' });
    expect(s.milestones.after!.status).toBe('planned');
    // Never dated before the day it is actually issued: the clock's first day.
    expect(invoiceRows(s).map((r) => [r[0], r[1], r[2], r[3]])).toEqual([
      ['advance', 'advance', '100.00', '2026-01-01'],
      ['milestone', 'before', '900.00', '2026-01-01'],
      ['milestone', 'on', '1000.00', '2026-01-01'],
    ]);
    expect(s.timers.map((x) => x.milestoneId)).toEqual(['after']);
  });

  it('advancing fires every timer due by 00:00 of the target date, each on its own date, and moves the clock', () => {
    const s = start(terms([
      ms('feb', { trigger: onDate('2026-02-10'), sequence: 1 }),
      ms('mar', { trigger: onDate('2026-03-05'), sequence: 2 }),
      ms('apr', { trigger: onDate('2026-04-01'), sequence: 3 }),
    ]));
    expect(advanceClock(s, '2026-03-05')).toBe(2);
    expect(s.clock).toBe('2026-03-05');
    expect(invoiceRows(s).map((r) => [r[1], r[3], r[4]])).toEqual([['feb', '2026-02-10', '2026-03-12'], ['mar', '2026-03-05', '2026-04-04']]);
    expect(s.log.filter((e) => e.kind === 'date_trigger').map((e) => e.on)).toEqual(['2026-02-10', '2026-03-05']);
    expect(s.milestones.apr!.status).toBe('planned');
    expect(advanceClock(s, '2026-03-05')).toBe(0);
    expect(advanceClock(s, '2026-03-31')).toBe(0);
    expect(s.clock).toBe('2026-03-31');
  });

  it('refuses a clock that goes back, a malformed date, and a wall-clock contract', () => {
    const s = start(terms([ms('a')]));
    advanceClock(s, '2026-02-01');
    expect(codeOf(() => engine.checkAdvanceClock(s, '2026-01-31'))).toBe('validation_failed');
    expect(codeOf(() => engine.checkAdvanceClock(s, '2026-02-30'))).toBe('validation_failed');
    expect(codeOf(() => engine.checkAdvanceClock(s, 20260301 as unknown as string))).toBe('validation_failed');
    expect(() => engine.checkAdvanceClock(s, '2026-02-01')).not.toThrow();
    const { sandbox, ...wallTerms } = terms([ms('a')]);
    void sandbox;
    const wall = engine.initialState(wallTerms, '2026-05-05');
    expect(wall.sandbox).toBe(false);
    expect(wall.clock).toBe('2026-05-05');
    expect(codeOf(() => engine.checkAdvanceClock(wall, '2026-06-01'))).toBe('not_allowed_in_state');
  });

  it('a wall-clock contract fires what fell due when it next looks at today: accepted on the trigger date, invoiced today', () => {
    const { sandbox, ...wallTerms } = terms([ms('a', { trigger: onDate('2026-01-15') })]);
    void sandbox;
    const s = engine.initialState(wallTerms, '2026-01-10');
    expect(engine.fireDueTimers(s, '2026-01-10')).toBe(0);
    expect(engine.fireDueTimers(s, '2026-02-01')).toBe(1);
    expect(s.milestones.a).toMatchObject({ status: 'invoiced', acceptedOn: '2026-01-15' });
    expect(s.invoices[0]!.date).toBe('2026-01-15');
    expect(s.clock).toBe('2026-02-01');
  });

  it('a late-reported acceptance leaves a past invoice timer that fires at once, dated the day it is issued', () => {
    // q-a2: blueprint signed off on 12 May, reported on 25 May, invoiced 10 days after acceptance.
    const s = start(terms([ms('bp', { trigger: signoff, invoiceTiming: afterDays(10) })], { sandbox: { clockStart: '2025-05-01' }, signedDate: '2025-05-01' }));
    advanceClock(s, '2025-05-25');
    engine.complete(s, { milestoneId: 'bp', date: '2025-05-10' }, s.clock, 'update');
    engine.accept(s, { milestoneId: 'bp', date: '2025-05-12' }, s.clock, 'update');
    expect(s.timers).toEqual([expect.objectContaining({ kind: 'invoice', date: '2025-05-22', milestoneId: 'bp' })]);
    expect(engine.fireDueTimers(s, s.clock)).toBe(1);
    expect(s.milestones.bp).toMatchObject({ acceptedOn: '2025-05-12', status: 'invoiced', invoicedOn: '2025-05-25' });
    expect(invoiceRows(s)).toEqual([['milestone', 'bp', '1000.00', '2025-05-25', '2025-06-24']]);
    expect(s.log[s.log.length - 1]).toMatchObject({ kind: 'invoice_due', date: '2025-05-22', on: '2025-05-25' });
  });
});

describe('ratable month ends (DESIGN §11)', () => {
  it('plans one timer per month end and the end date, no duplicate when the end date is a month end', () => {
    const s = start(terms([ms('a')], { obligations: [obligation('impl'), obligation('sup', { method: 'ratable', startDate: '2024-01-15', endDate: '2024-04-10' })], sandbox: { clockStart: '2024-01-01' } }));
    expect(s.timers.filter((x) => x.kind === 'month_end').map((x) => x.date)).toEqual(['2024-01-31', '2024-02-29', '2024-03-31', '2024-04-10']);
    const s2 = start(terms([ms('a')], { obligations: [obligation('impl'), ratable('2026-01-01', '2026-02-28')] }));
    expect(s2.timers.filter((x) => x.kind === 'month_end').map((x) => x.date)).toEqual(['2026-01-31', '2026-02-28']);
  });

  it('one timer per day even when two ratable obligations share month ends', () => {
    const s = start(terms([ms('a')], {
      obligations: [obligation('impl'), ratable('2026-01-01', '2026-02-15'), obligation('sup2', { method: 'ratable', startDate: '2026-01-10', endDate: '2026-02-28' })],
    }));
    expect(s.timers.filter((x) => x.kind === 'month_end').map((x) => x.date)).toEqual(['2026-01-31', '2026-02-15', '2026-02-28']);
  });

  it('posts revenue through each month end, dated on it; the end date brings it to the end', () => {
    const s = start(terms([ms('a')], { obligations: [obligation('impl'), ratable('2026-01-10', '2026-02-20')] }));
    s.outbox = [];
    advanceClock(s, '2026-03-01');
    expect(effectsOf(s, 'post_progress').map((e) => [e.date, e.source, e.progress])).toEqual([
      ['2026-01-31', { type: 'ratable_month', ref: '2026-01-31' }, { ratableThrough: '2026-01-31' }],
      ['2026-02-20', { type: 'ratable_month', ref: '2026-02-20' }, { ratableThrough: '2026-02-20' }],
    ]);
    expect(new Set(effectsOf(s, 'post_progress').map((e) => e.key)).size).toBe(2);
    expect(s.ratablePostedThrough).toBe('2026-02-20');
    expect(s.timers).toEqual([]);
  });

  it('no month ends without a ratable obligation', () => {
    const s = start(terms([ms('a')]));
    expect(s.timers).toEqual([]);
    expect(engine.nextTimer(s)).toBeUndefined();
    expect(engine.fireDueTimers(s, '2027-01-01')).toBe(0);
  });
});

describe('initial state', () => {
  it('registers the plan of version 1 first, money in the currency’s minor units', () => {
    const s = engine.initialState(terms([ms('a', { amount: '1000' })], { currency: 'JPY', obligations: [obligation('impl', { method: 'milestones' }, '1000')], advanceBilling: { amount: '300', date: '2026-02-01' } }), '2026-01-01');
    expect(s.outbox).toEqual([{ id: 1, kind: 'register_plan', version: 1, effectiveDate: '2026-01-01' }]);
    expect(s).toMatchObject({
      contractId: 'c-unit', customerId: 'cust-1', currency: 'JPY', status: 'active', version: 1, billed: '0', recognizedTotal: '0',
      recognized: { impl: '0' }, advance: { amount: '300', issued: false, applied: '0' }, effectsQueued: 1, effectsDone: 0, runs: 1,
    });
    expect(s.milestones.a).toEqual({ id: 'a', status: 'planned', invoiceNumbers: [] });
    expect(s.versions).toEqual([{ version: 1, effectiveDate: '2026-01-01', terms: expect.objectContaining({ contractId: 'c-unit' }), cancelled: [] }]);
    expect(s.timers).toEqual([{ seq: 1, kind: 'advance', date: '2026-02-01', purpose: expect.any(String) }]);
    const kwd = engine.initialState(terms([ms('a', { amount: '1.000' })], { currency: 'KWD', obligations: [obligation('impl', { method: 'milestones' }, '1.000')] }), '2026-01-01');
    expect([kwd.billed, kwd.advance]).toEqual(['0.000', undefined]);
  });
});
