/**
 * Progressive billing on workflows/engine.ts alone (docs/progressive-billing.md): which milestones,
 * the checks of a report in order, parts rounded down, completion at 100 %, the rest on acceptance,
 * holds, sequence, the advance, payments, and amendments of a partly billed milestone.
 */
import fc from 'fast-check';
import type { ContractState } from '../../libs/domain/contract';
import { contractTermsSchema } from '../../libs/domain/terms';
import { minorUnits } from '../../libs/money';
import * as engine from '../../workflows/engine';
import {
  advanceClock, afterDays, codeOf, declaration, drain, external, facts, invoiceRows, ms, obligation, onDate, refusalOf, runs, signoff, start, statusOf, terms,
} from '../support/engine-fixtures';

const { progress, complete, accept, reject, hold, release, pay, amend } = facts;

/** A contract whose milestone `p` (1000.00, customer sign-off, immediate) is billed by progress. */
const contract = (p: Parameters<typeof ms>[1] = {}, extra: Parameters<typeof terms>[1] = {}, others: Array<ReturnType<typeof ms>> = []) =>
  start(terms([ms('p', { trigger: signoff, progressBilling: true, sequence: 1, ...p }), ...others], extra));

const amounts = (s: ContractState) => s.invoices.map((i) => i.amount);

describe('which milestones (docs/progressive-billing.md)', () => {
  const parse = (m: object) => contractTermsSchema.safeParse({
    contractId: 'c', customer: { id: 'x', name: 'X' }, currency: 'USD', signedDate: '2026-01-01', paymentTerms: 'NET_30',
    obligations: [obligation('impl')], milestones: [ms('p', { progressBilling: true, ...m })],
  });

  it('a date-triggered or non-billable milestone cannot be billed by progress; an event milestone can', () => {
    const onItsDate = parse({ trigger: onDate('2026-03-01') });
    expect(onItsDate.success).toBe(false);
    expect(onItsDate.error!.issues).toEqual([expect.objectContaining({ path: ['milestones', 0, 'progressBilling'], message: expect.stringContaining('date-triggered') })]);
    const notBilled = parse({ billable: false });
    expect(notBilled.error!.issues).toEqual([expect.objectContaining({ path: ['milestones', 0, 'progressBilling'], message: expect.stringContaining('does not bill') })]);
    expect(parse({ trigger: declaration(5) }).success).toBe(true);
  });

  it('a report on a milestone not billed by progress, or cancelled, is refused; on an unknown one, not_found', () => {
    const s = start(terms([ms('a', { trigger: signoff }), ms('p', { trigger: signoff, progressBilling: true, sequence: 2 })]));
    expect(codeOf(() => progress(s, 'a', '10'))).toBe('not_allowed_in_state');
    expect(codeOf(() => progress(s, 'nope', '10'))).toBe('not_found');
    amend(s, { cancel: ['p'] });
    expect(codeOf(() => progress(s, 'p', '10'))).toBe('not_allowed_in_state');
  });

  it('the percent is above 0, at most 100, at most 2 decimals; a future date is refused', () => {
    const s = contract();
    for (const bad of ['0', '100.01', '101', '-5', '12.345', 'ten', '']) expect(codeOf(() => progress(s, 'p', bad))).toBe('validation_failed');
    expect(codeOf(() => progress(s, 'p', '10', '2026-01-02'))).toBe('future_date');
    expect(s.invoices).toEqual([]);
  });
});

describe('parts (docs/progressive-billing.md)', () => {
  it('each report bills the newly reached share, dated the report, at once whatever the invoice timing; the milestone stays planned', () => {
    const s = contract({ invoiceTiming: afterDays(10) });
    advanceClock(s, '2026-03-02');
    progress(s, 'p', '30');
    advanceClock(s, '2026-03-16');
    progress(s, 'p', '62.5');
    expect(invoiceRows(s)).toEqual([
      ['milestone', 'p', '300.00', '2026-03-02', '2026-04-01'],
      ['milestone', 'p', '325.00', '2026-03-16', '2026-04-15'],
    ]);
    expect(s.invoices.map((i) => [i.part, i.progress])).toEqual([
      [1, { percent: '30', cumulative: '300.00', previouslyBilled: '0.00' }],
      [2, { percent: '62.5', cumulative: '625.00', previouslyBilled: '300.00' }],
    ]);
    expect(s.milestones.p).toMatchObject({ status: 'planned', invoicedOn: '2026-03-02', progress: { percent: '62.5', billed: '625.00', parts: 2 } });
    expect(s.billed).toBe('625.00');
  });

  it('the same percent again is ignored (a duplicate); a lower one is refused, changing nothing', () => {
    const s = contract();
    progress(s, 'p', '40');
    expect(progress(s, 'p', '40')).toMatchObject({ outcome: 'ignored', reason: expect.stringContaining('already at 40 %') });
    expect(codeOf(() => progress(s, 'p', '39.99'))).toBe('not_allowed_in_state');
    expect(amounts(s)).toEqual(['400.00']);
    expect(s.milestones.p!.progress!.percent).toBe('40');
  });

  it('a share is rounded down to the minor unit: never billed ahead of the progress; a step too small to bill a unit bills nothing', () => {
    const s = start(terms([ms('p', { amount: '1000', trigger: signoff, progressBilling: true })], { currency: 'JPY', obligations: [obligation('impl', { method: 'milestones' }, '1000')] }));
    progress(s, 'p', '33.33');
    progress(s, 'p', '33.38');
    progress(s, 'p', '66.67');
    expect(amounts(s)).toEqual(['333', '333']);
    expect(s.milestones.p!.progress).toMatchObject({ percent: '66.67', billed: '666', parts: 2 });
    complete(s, 'p');
    accept(s, 'p');
    expect(amounts(s)).toEqual(['333', '333', '334']);
  });

  it('property: parts and the rest sum exactly to the amount, each part never ahead of its progress', () => {
    const currencies = ['USD', 'JPY', 'KWD'];
    fc.assert(fc.property(
      fc.constantFrom(...currencies),
      fc.bigInt({ min: 1n, max: 10n ** 12n }),
      fc.uniqueArray(fc.integer({ min: 1, max: 9999 }), { maxLength: 8 }),
      (currency, units, steps) => {
        const digits = minorUnits(currency);
        const amount = digits === 0 ? units.toString() : `${units / 10n ** BigInt(digits)}.${(units % 10n ** BigInt(digits)).toString().padStart(digits, '0')}`;
        const s = start(terms([ms('p', { amount, trigger: external, progressBilling: true })], { currency, obligations: [obligation('impl', { method: 'milestones' }, '1')] }));
        for (const step of [...steps].sort((a, b) => a - b)) {
          const percent = (step / 100).toString();
          progress(s, 'p', percent);
          const billed = s.milestones.p!.progress!.billed;
          expect(Number(billed)).toBeLessThanOrEqual((Number(amount) * step) / 10000 + 1e-9);
        }
        progress(s, 'p', '100');
        const total = s.invoices.reduce((a, i) => a + BigInt(i.amount.replace('.', '')), 0n);
        expect(total).toBe(units);
        expect(statusOf(s, 'p')).toBe('invoiced');
      },
    ), { numRuns: runs(200) });
  });
});

describe('completion and the rest (docs/progressive-billing.md)', () => {
  it('100 completes by the completion kind: sign-off waits for the accept, which bills exactly the rest with percent 100', () => {
    const s = contract();
    progress(s, 'p', '30');
    progress(s, 'p', '100');
    expect(statusOf(s, 'p')).toBe('completed');
    expect(amounts(s)).toEqual(['300.00']);
    expect(progress(s, 'p', '100')).toMatchObject({ outcome: 'ignored', reason: expect.stringContaining('already completed') });
    accept(s, 'p');
    expect(amounts(s)).toEqual(['300.00', '700.00']);
    expect(s.invoices[1]).toMatchObject({ kind: 'milestone', progress: { percent: '100', cumulative: '1000.00', previouslyBilled: '300.00' } });
    expect(s.invoices[1]!.part).toBeUndefined();
    expect(s.milestones.p).toMatchObject({ status: 'invoiced', acceptedOn: '2026-01-01', invoicedOn: '2026-01-01' });
  });

  it('external event: 100 accepts and bills the rest at once; a plain complete does the same', () => {
    const s = start(terms([ms('p', { trigger: external, progressBilling: true }), ms('q', { trigger: external, progressBilling: true, sequence: 2, amount: '500.00' })]));
    progress(s, 'p', '25');
    progress(s, 'p', '100');
    complete(s, 'q');
    expect(invoiceRows(s).map((r) => [r[1], r[2]])).toEqual([['p', '250.00'], ['p', '750.00'], ['q', '500.00']]);
    expect(s.milestones.q!.progress).toMatchObject({ percent: '100', parts: 0 });
  });

  it('vendor declaration: 100 declares, the deemed window runs, the rest is billed on deemed acceptance', () => {
    const s = contract({ trigger: declaration(5) });
    progress(s, 'p', '50');
    progress(s, 'p', '100');
    expect(statusOf(s, 'p')).toBe('declared');
    advanceClock(s, '2026-01-06');
    expect(s.milestones.p).toMatchObject({ status: 'invoiced', acceptance: 'deemed' });
    expect(amounts(s)).toEqual(['500.00', '500.00']);
  });

  it('the rest follows the invoice timing; a report after completion is a duplicate', () => {
    const s = contract({ invoiceTiming: afterDays(10) });
    progress(s, 'p', '60');
    progress(s, 'p', '100');
    accept(s, 'p');
    expect(progress(s, 'p', '80').outcome).toBe('ignored');
    expect(amounts(s)).toEqual(['600.00']);
    advanceClock(s, '2026-01-11');
    expect(invoiceRows(s)[1]).toEqual(['milestone', 'p', '400.00', '2026-01-11', '2026-02-10']);
  });

  it('a rejected completion: the parts stay billed; only 100 completes it again', () => {
    const s = contract();
    progress(s, 'p', '70');
    progress(s, 'p', '100');
    reject(s, 'p');
    expect(codeOf(() => progress(s, 'p', '90'))).toBe('not_allowed_in_state');
    progress(s, 'p', '100');
    expect(statusOf(s, 'p')).toBe('completed');
    accept(s, 'p');
    expect(amounts(s)).toEqual(['700.00', '300.00']);
  });

  it('completing after the planned finish date (no date change allowed) needs an amendment; a part does not', () => {
    const s = contract({ plannedFinishDate: '2026-01-10', allowDateChange: false });
    advanceClock(s, '2026-01-20');
    progress(s, 'p', '90');
    expect(codeOf(() => progress(s, 'p', '100'))).toBe('requires_amendment');
    expect(amounts(s)).toEqual(['900.00']);
  });

  it('paid once the rest and every part are paid, in any order', () => {
    const s = contract();
    progress(s, 'p', '50');
    progress(s, 'p', '100');
    accept(s, 'p');
    drain(s);
    pay(s, s.invoices[1]!.number!);
    expect(statusOf(s, 'p')).toBe('invoiced');
    pay(s, s.invoices[0]!.number!);
    expect(statusOf(s, 'p')).toBe('paid');
  });
});

describe('holds, sequence, advance (docs/progressive-billing.md)', () => {
  it('a hold queues the parts once; the release bills the share reached then, as one invoice dated on the release', () => {
    const s = contract();
    hold(s);
    progress(s, 'p', '20');
    advanceClock(s, '2026-01-05');
    progress(s, 'p', '45');
    expect(s.invoices).toEqual([]);
    expect(s.heldInvoices).toEqual(['p']);
    expect(s.milestones.p!.waiting).toBe('customer_hold');
    advanceClock(s, '2026-01-09');
    release(s);
    expect(invoiceRows(s)).toEqual([['milestone', 'p', '450.00', '2026-01-09', '2026-02-08']]);
    expect(s.invoices[0]!.progress).toEqual({ percent: '45', cumulative: '450.00', previouslyBilled: '0.00' });
  });

  it('held parts and a rest that fell due in the hold: one invoice of the whole on release', () => {
    const s = contract();
    progress(s, 'p', '20');
    hold(s);
    progress(s, 'p', '60');
    progress(s, 'p', '100');
    accept(s, 'p');
    expect(amounts(s)).toEqual(['200.00']);
    release(s);
    expect(amounts(s)).toEqual(['200.00', '800.00']);
    expect(statusOf(s, 'p')).toBe('invoiced');
  });

  it('with enforceSequence a part waits while an earlier milestone is not invoiced; a partly billed milestone still blocks later ones', () => {
    const s = start(terms([
      ms('first', { sequence: 1, trigger: signoff, amount: '100.00' }),
      ms('p', { sequence: 2, trigger: signoff, progressBilling: true }),
      ms('later', { sequence: 3, amount: '50.00' }),
    ], { enforceSequence: true }));
    progress(s, 'p', '40');
    expect(s.milestones.p!.waiting).toBe('awaiting_sequence');
    expect(s.invoices).toEqual([]);
    complete(s, 'first');
    accept(s, 'first');
    expect(invoiceRows(s).map((r) => [r[1], r[2]])).toEqual([['first', '100.00'], ['p', '400.00']]);
    complete(s, 'later');
    expect(s.milestones.later!.waiting).toBe('awaiting_sequence');
    progress(s, 'p', '100');
    accept(s, 'p');
    expect(invoiceRows(s).map((r) => [r[1], r[2]])).toEqual([['first', '100.00'], ['p', '400.00'], ['p', '600.00'], ['later', '50.00']]);
  });

  it('the unapplied advance reduces each part and the rest in issue order; a part it covers entirely issues no invoice', () => {
    const s = contract({}, { advanceBilling: { amount: '350.00', date: '2026-01-01' } });
    expect(amounts(s)).toEqual(['350.00']);
    progress(s, 'p', '30');
    expect(amounts(s)).toEqual(['350.00']);
    expect(s.milestones.p!.progress).toMatchObject({ billed: '300.00', parts: 0 });
    progress(s, 'p', '80');
    expect(amounts(s)).toEqual(['350.00', '450.00']);
    expect(s.invoices[1]).toMatchObject({ part: 1, progress: { percent: '80', cumulative: '800.00', previouslyBilled: '300.00' } });
    progress(s, 'p', '100');
    accept(s, 'p');
    expect(amounts(s)).toEqual(['350.00', '450.00', '200.00']);
    expect(s.advance!.applied).toBe('350.00');
  });

  it('covered when the advance covers every part and the rest', () => {
    const s = contract({ trigger: external }, { advanceBilling: { amount: '1000.00', date: '2026-01-01' } });
    progress(s, 'p', '50');
    progress(s, 'p', '100');
    expect(amounts(s)).toEqual(['1000.00']);
    expect(s.milestones.p).toMatchObject({ status: 'covered' });
    expect(s.milestones.p!.invoicedOn).toBeUndefined();
  });
});

describe('amendments of a milestone billed by progress (docs/progressive-billing.md)', () => {
  it('below 100 %, a higher amount re-targets the parts: a supplementary invoice for the share of the new amount', () => {
    const s = contract();
    progress(s, 'p', '50');
    drain(s);
    advanceClock(s, '2026-02-01');
    amend(s, { milestones: [{ id: 'p', amount: '1200.00' }] });
    expect(invoiceRows(s)[1]).toEqual(['supplementary', 'p', '100.00', '2026-02-01', '2026-03-03']);
    expect(s.invoices[1]).toMatchObject({ originalInvoiceNumber: s.invoices[0]!.number, progress: { percent: '50', cumulative: '600.00', previouslyBilled: '500.00' } });
    progress(s, 'p', '100');
    accept(s, 'p');
    expect(amounts(s)).toEqual(['500.00', '100.00', '600.00']);
  });

  it('a part still queued by a hold is not billed by the amendment: it is billed on release, at the new amount', () => {
    const s = contract();
    progress(s, 'p', '20');
    hold(s);
    progress(s, 'p', '50');
    amend(s, { milestones: [{ id: 'p', amount: '2000.00' }] });
    // The parts billed 20 %: re-targeted to 20 % of 2000.00 = 400.00 (a supplementary of 200.00); the queued 50 % waits.
    expect(s.invoices.map((i) => [i.kind, i.amount])).toEqual([['milestone', '200.00'], ['supplementary', '200.00']]);
    release(s);
    expect(s.invoices.map((i) => [i.kind, i.amount])).toEqual([['milestone', '200.00'], ['supplementary', '200.00'], ['milestone', '600.00']]);
    expect(s.milestones.p!.progress).toMatchObject({ percent: '50', billed: '1000.00' });
  });

  it('a milestone whose only part is still queued may be cancelled: nothing is ever billed for it', () => {
    const s = start(terms([ms('p', { trigger: signoff, progressBilling: true }), ms('q', { trigger: signoff, sequence: 2 })]));
    hold(s);
    progress(s, 'p', '40');
    amend(s, { cancel: ['p'] });
    release(s);
    expect(s.invoices).toEqual([]);
    expect(s.creditMemos).toEqual([]);
    expect(statusOf(s, 'p')).toBe('cancelled');
  });

  it('a lower amount credits the parts newest first, each memo at most what its invoice still bills', () => {
    const s = contract();
    progress(s, 'p', '30');
    progress(s, 'p', '60');
    drain(s);
    advanceClock(s, '2026-02-01');
    amend(s, { milestones: [{ id: 'p', amount: '250.00' }] });
    // Target: 60 % of 250.00 = 150.00; billed 600.00 (300 + 300): credit 450.00 = 300 on part 2, 150 on part 1.
    expect(s.creditMemos.map((c) => [c.originalInvoiceNumber, c.amount, c.seq])).toEqual([
      [s.invoices[1]!.number, '300.00', 1], [s.invoices[0]!.number, '150.00', 2],
    ]);
    expect(s.billed).toBe('150.00');
    expect(s.milestones.p!.progress!.billed).toBe('150.00');
    progress(s, 'p', '100');
    accept(s, 'p');
    expect(s.invoices.at(-1)!.amount).toBe('100.00');
  });

  it('completed, rest not out: parts stay unless above the new amount (then credited); the rest is the new amount minus them', () => {
    const s = contract({ invoiceTiming: afterDays(30) });
    progress(s, 'p', '80');
    progress(s, 'p', '100');
    accept(s, 'p');
    amend(s, { milestones: [{ id: 'p', amount: '1500.00' }] });
    expect(s.invoices).toHaveLength(1);
    amend(s, { milestones: [{ id: 'p', amount: '700.00' }] });
    expect(s.creditMemos.map((c) => c.amount)).toEqual(['100.00']);
    advanceClock(s, '2026-01-31');
    expect(amounts(s)).toEqual(['800.00']);
    expect(statusOf(s, 'p')).toBe('invoiced');
  });

  it('after its final invoice an amount change is corrected as any milestone, credits newest first', () => {
    const s = contract();
    progress(s, 'p', '50');
    progress(s, 'p', '100');
    accept(s, 'p');
    drain(s);
    amend(s, { milestones: [{ id: 'p', amount: '400.00' }] });
    expect(s.creditMemos.map((c) => [c.originalInvoiceNumber, c.amount])).toEqual([[s.invoices[1]!.number, '500.00'], [s.invoices[0]!.number, '100.00']]);
    amend(s, { milestones: [{ id: 'p', amount: '450.00' }] });
    expect(s.invoices.at(-1)).toMatchObject({ kind: 'supplementary', amount: '50.00' });
  });

  it('a credit beyond what the invoices bill goes back to the advance', () => {
    const s = contract({}, { advanceBilling: { amount: '200.00', date: '2026-01-01' } });
    progress(s, 'p', '50');
    expect(amounts(s)).toEqual(['200.00', '300.00']);
    amend(s, { milestones: [{ id: 'p', amount: '100.00' }] });
    // Target 50.00; billed 500.00 (300 invoiced + 200 advance): credit 300 on the part, 150 back to the advance.
    expect(s.creditMemos.map((c) => c.amount)).toEqual(['300.00']);
    expect(s.advance!.applied).toBe('50.00');
  });

  it('cancelling a partly billed milestone or turning progress billing off is invalid; on before completion is fine, after it invalid', () => {
    const s = start(terms([
      ms('p', { trigger: signoff, progressBilling: true }),
      ms('q', { trigger: signoff, sequence: 2 }),
      ms('r', { trigger: signoff, sequence: 3 }),
    ]));
    progress(s, 'p', '10');
    complete(s, 'r');
    expect(codeOf(() => amend(s, { cancel: ['p'] }))).toBe('invalid_amendment');
    expect(codeOf(() => amend(s, { milestones: [{ id: 'p', progressBilling: false }] }))).toBe('invalid_amendment');
    expect(codeOf(() => amend(s, { milestones: [{ id: 'r', progressBilling: true }] }))).toBe('invalid_amendment');
    expect(s.version).toBe(1);
    amend(s, { milestones: [{ id: 'q', progressBilling: true }] });
    progress(s, 'q', '50');
    expect(invoiceRows(s).map((r) => [r[1], r[2]])).toEqual([['p', '100.00'], ['q', '500.00']]);
    amend(s, { milestones: [{ id: 'p', amount: '0.00' }] });
    expect(s.creditMemos.map((c) => c.amount)).toEqual(['100.00']);
    amend(s, { cancel: ['p'] });
    expect(statusOf(s, 'p')).toBe('cancelled');
  });
});

describe('from mutation testing of the progress rules (docs/testing.md)', () => {
  const effects = (s: ContractState) => s.outbox.map((e) => (e.kind === 'issue_invoice' ? `invoice:${e.invoiceIndex}${e.progress ? '+progress' : ''}` : e.kind === 'issue_credit_memo' ? `memo:${e.memoIndex}` : e.kind));

  it('a report is logged as progress; a percent that is not a decimal string is refused naming the field', () => {
    const s = contract();
    progress(s, 'p', '25');
    expect(s.log.at(-1)).toMatchObject({ kind: 'progress', milestoneId: 'p', outcome: 'applied' });
    const failure = refusalOf(() => engine.reportProgress(s, { milestoneId: 'p', percent: 30 as unknown as string }, s.clock, 'signal'));
    expect(failure.type).toBe('validation_failed');
    expect(failure.details).toEqual([[{ path: 'percent', message: expect.stringContaining('at most 100') }]]);
  });

  it('the rest carries the acceptance\'s revenue progress on its invoice (one event, one date): no separate posting; with nothing left to bill it is posted alone', () => {
    const s = contract({ trigger: external });
    progress(s, 'p', '40');
    s.outbox = [];
    progress(s, 'p', '100');
    expect(effects(s)).toEqual(['invoice:1+progress']);
    const t = contract({ trigger: external, amount: '0.01' }, { currency: 'USD' });
    progress(t, 'p', '99.99');
    expect(t.invoices).toEqual([]);
    t.outbox = [];
    progress(t, 'p', '100');
    expect(effects(t)).toEqual(['invoice:0+progress']);
    // Parts that billed the whole amount (an amendment lowered it): the acceptance's progress is posted alone.
    const u = contract({ trigger: signoff });
    progress(u, 'p', '80');
    progress(u, 'p', '100');
    amend(u, { milestones: [{ id: 'p', amount: '800.00' }] });
    u.outbox = [];
    accept(u, 'p');
    expect(effects(u)).toEqual(['post_progress']);
    expect(statusOf(u, 'p')).toBe('invoiced');
  });

  it('credit memos are issued as effects, one per invoice credited; a second decrease takes what is left of the same invoice, skipping one credited in full', () => {
    const s = contract();
    progress(s, 'p', '30');
    progress(s, 'p', '60');
    drain(s);
    amend(s, { milestones: [{ id: 'p', amount: '800.00' }] });
    // 60 % of 800.00 = 480.00: credit 120.00 on part 2.
    expect(effects(s)).toEqual(['register_plan', 'memo:0']);
    drain(s);
    amend(s, { milestones: [{ id: 'p', amount: '300.00' }] });
    // 60 % of 300.00 = 180.00: credit 300.00 — part 2 has 180.00 left, then 120.00 on part 1.
    expect(s.creditMemos.map((c) => [c.invoiceIndex, c.amount])).toEqual([[1, '120.00'], [1, '180.00'], [0, '120.00']]);
    drain(s);
    amend(s, { milestones: [{ id: 'p', amount: '200.00' }] });
    // 60 % of 200.00 = 120.00: credit 60.00, part 2 credited in full: from part 1.
    expect(s.creditMemos.at(-1)).toMatchObject({ invoiceIndex: 0, amount: '60.00' });
  });

  it('a supplementary invoice references the milestone\'s first part, not the advance invoice; dated first invoice when the advance covered the parts', () => {
    const s = contract({}, { advanceBilling: { amount: '300.00', date: '2026-01-01' } });
    progress(s, 'p', '30');
    drain(s);
    expect(s.milestones.p!.invoicedOn).toBeUndefined();
    advanceClock(s, '2026-02-01');
    amend(s, { milestones: [{ id: 'p', amount: '1500.00' }] });
    expect(s.invoices[1]).toMatchObject({ kind: 'supplementary', amount: '150.00' });
    expect(s.invoices[1]!.originalInvoiceNumber).toBeUndefined();
    expect(s.milestones.p!.invoicedOn).toBe('2026-02-01');
    const t = contract({}, { advanceBilling: { amount: '100.00', date: '2026-01-01' } });
    progress(t, 'p', '30');
    drain(t);
    amend(t, { milestones: [{ id: 'p', amount: '2000.00' }] });
    expect(t.invoices.at(-1)).toMatchObject({ kind: 'supplementary', originalInvoiceNumber: t.invoices[1]!.number });
  });

  it('credits on one part never settle another: a milestone with an unpaid part is not paid', () => {
    const s = contract({ trigger: external });
    progress(s, 'p', '30');
    progress(s, 'p', '60');
    drain(s);
    amend(s, { milestones: [{ id: 'p', amount: '500.00' }] });
    // 60 % of 500.00 = 300.00: part 2 (300.00) credited in full, part 1 open.
    expect(s.creditMemos.map((c) => [c.invoiceIndex, c.amount])).toEqual([[1, '300.00']]);
    progress(s, 'p', '100');
    drain(s);
    pay(s, s.invoices.at(-1)!.number!);
    expect(statusOf(s, 'p')).toBe('invoiced');
    pay(s, s.invoices[0]!.number!);
    expect(statusOf(s, 'p')).toBe('paid');
  });

  it('an amendment crediting the last open part in full makes a milestone whose other invoices are paid paid at once', () => {
    const s = contract({ trigger: external });
    progress(s, 'p', '50');
    progress(s, 'p', '100');
    drain(s);
    pay(s, s.invoices[0]!.number!);
    expect(statusOf(s, 'p')).toBe('invoiced');
    amend(s, { milestones: [{ id: 'p', amount: '500.00' }] });
    expect(s.creditMemos.map((c) => [c.invoiceIndex, c.amount])).toEqual([[1, '500.00']]);
    expect(statusOf(s, 'p')).toBe('paid');
  });

  it('runs begun under credited-invoices-settle (creditsSettle "all") settle any milestone\'s fully credited invoice', () => {
    const s = start(terms([ms('a', { trigger: external })]));
    s.creditsSettle = 'all';
    complete(s, 'a');
    drain(s);
    amend(s, { milestones: [{ id: 'a', amount: '0.00' }] });
    expect(statusOf(s, 'a')).toBe('paid');
  });
});
