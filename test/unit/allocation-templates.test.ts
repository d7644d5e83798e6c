/**
 * Terms built from a schedule template (services/gateway/templates.ts `termsFromTemplate`) and the
 * `contractValue` rule of the terms (libs/domain/terms.ts), without a running system.
 */
import { contractTermsSchema, contractValueProblem, groupedMoney } from '../../libs/domain/terms';
import { mergeAmendment } from '../../libs/domain/amendment';
import { amendBodyOf } from '../../libs/domain/inputs';
import { Dec } from '../../libs/money';
import { templateBody, termsFromTemplate } from '../../services/gateway/templates';

const template = templateBody.parse({
  name: 'impl-30-40-30',
  paymentTerms: 'NET_30',
  obligations: [
    { id: 'impl', name: 'Implementation', recognition: { method: 'milestones' } },
    { id: 'support', name: 'Support', recognition: { method: 'ratable', startAfterDays: 0, endAfterDays: 364 } },
  ],
  milestones: [
    { id: 'kickoff', name: 'Kick-off', description: 'Project kick-off', obligationId: 'impl', percent: '30', trigger: { type: 'date', daysAfterSigning: 0 } },
    { id: 'uat', name: 'UAT', description: 'User acceptance', obligationId: 'impl', percent: '40', trigger: { type: 'event', completion: 'customer_signoff', deemedAcceptanceDays: 10 }, plannedFinishDays: 60 },
    { id: 'golive', name: 'Go-live', description: 'Go-live and hypercare', obligationId: 'support', percent: '30', trigger: { type: 'event', completion: 'external_event' }, invoiceTiming: { type: 'days_after_acceptance', days: 5 } },
  ],
});

const build = { contractId: 'c-1', customer: { id: 'cust-1', name: 'Kanto' }, currency: 'JPY', signedDate: '2025-04-01', fee: '1000001' };

describe('termsFromTemplate', () => {
  it('splits JPY 1,000,001 by 30/40/30 into 300000, 400001, 300000 and dates everything from signing', () => {
    const terms = termsFromTemplate(template, build);
    expect(terms.milestones.map((m) => [m.id, m.amount, m.sequence])).toEqual([['kickoff', '300000', 1], ['uat', '400001', 2], ['golive', '300000', 3]]);
    expect(terms.milestones[0]!.trigger).toEqual({ type: 'date', date: '2025-04-01' });
    expect(terms.milestones[1]).toMatchObject({ trigger: { type: 'event', completion: 'customer_signoff', deemedAcceptanceDays: 10 }, plannedFinishDate: '2025-05-31' });
    expect(terms.milestones[2]!.invoiceTiming).toEqual({ type: 'days_after_acceptance', days: 5 });
    // SSPs: each obligation's share of the fee (700001 = 300000 + 400001); ratable dates from signing.
    expect(terms.obligations).toEqual([
      { id: 'impl', name: 'Implementation', ssp: '700001', recognition: { method: 'milestones' } },
      { id: 'support', name: 'Support', ssp: '300000', recognition: { method: 'ratable', startDate: '2025-04-01', endDate: '2026-03-31' } },
    ]);
    expect(terms).toMatchObject({ paymentTerms: 'NET_30', enforceSequence: false, contractValue: '1000001' });
    expect(contractTermsSchema.safeParse(terms).success).toBe(true);
  });

  it('takes SSPs, payment terms and costs from the body, and names what it lacks', () => {
    const terms = termsFromTemplate(template, { ...build, currency: 'USD', fee: '100000.00', paymentTerms: 'NET_45', sspByObligation: { support: '50000.00' } });
    expect(terms.milestones.map((m) => m.amount)).toEqual(['30000.00', '40000.00', '30000.00']);
    expect(terms.obligations.map((o) => o.ssp)).toEqual(['70000.00', '50000.00']);
    expect(terms.paymentTerms).toBe('NET_45');
    expect(() => termsFromTemplate(template, { ...build, sspByObligation: { nope: '1' } })).toThrow('body.sspByObligation.nope the template has no obligation nope');
    const costed = templateBody.parse({ ...template, obligations: [{ id: 'impl', name: 'I', recognition: { method: 'cost_input' } }, template.obligations[1]] });
    expect(() => termsFromTemplate(costed, build)).toThrow('body.estimatedTotalCostByObligation.impl obligation impl is cost_input');
    expect(termsFromTemplate(costed, { ...build, estimatedTotalCostByObligation: { impl: '500000' } }).obligations[0]!.recognition)
      .toEqual({ method: 'cost_input', estimatedTotalCost: '500000' });
    const { paymentTerms, ...noTerms } = template;
    void paymentTerms;
    expect(() => termsFromTemplate(noTerms, build)).toThrow('body.paymentTerms the template names no payment terms');
  });
});

describe('a template body', () => {
  it('refuses percents that do not sum to exactly 100, naming the sum', () => {
    const bad = templateBody.safeParse({ ...template, milestones: template.milestones.map((m, i) => (i === 2 ? { ...m, percent: '29.99' } : m)) });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues).toEqual([expect.objectContaining({ path: ['milestones'], message: 'the milestones\' percents sum to 99.99; they must sum to exactly 100' })]);
  });

  it('refuses a zero percent, an unknown obligation and a satisfiedBy outside its obligation', () => {
    const bad = templateBody.safeParse({
      ...template,
      obligations: [{ id: 'impl', name: 'I', recognition: { method: 'point_in_time', satisfiedBy: 'golive' } }],
      milestones: template.milestones.map((m, i) => (i === 0 ? { ...m, percent: '0' } : m)),
    });
    expect(bad.error!.issues.map((i) => [i.path.join('.'), i.message])).toEqual(expect.arrayContaining([
      ['milestones.0.percent', 'must be more than zero'],
      ['milestones.2.obligationId', 'unknown obligation support'],
      ['obligations.0.recognition.satisfiedBy', 'no milestone golive in obligation impl'],
    ]));
  });
});

describe('progress billing in a template (docs/progressive-billing.md)', () => {
  it('a milestone billed by progress stays so in the terms built; a date-triggered one is refused at save, naming the field', () => {
    const progressive = templateBody.parse({ ...template, milestones: template.milestones.map((m, i) => (i === 1 ? { ...m, progressBilling: true } : m)) });
    const terms = termsFromTemplate(progressive, build);
    expect(terms.milestones.map((m) => [m.id, m.progressBilling])).toEqual([['kickoff', undefined], ['uat', true], ['golive', undefined]]);
    expect(contractTermsSchema.safeParse(terms).success).toBe(true);
    const bad = templateBody.safeParse({ ...template, milestones: template.milestones.map((m, i) => (i === 0 ? { ...m, progressBilling: true } : m)) });
    expect(bad.error!.issues).toEqual([expect.objectContaining({ path: ['milestones', 0, 'progressBilling'], message: expect.stringContaining('date-triggered') })]);
  });
});

describe('contractValue', () => {
  const terms = (amounts: string[], contractValue: string, extra: object = {}) => ({
    contractId: 'c-2', customer: { id: 'c', name: 'C' }, currency: 'USD', signedDate: '2025-01-01', paymentTerms: 'NET_30',
    obligations: [{ id: 'impl', name: 'I', ssp: '1.00', recognition: { method: 'milestones' } }],
    milestones: amounts.map((amount, i) => ({ id: `m${i + 1}`, name: 'M', description: 'M', obligationId: 'impl', amount, sequence: i + 1, trigger: { type: 'event', completion: 'external_event' } })),
    contractValue, ...extra,
  });

  it('is refused on creation when the billable milestones do not sum to it, naming the difference', () => {
    const bad = contractTermsSchema.safeParse(terms(['49999.00', '50000.00'], '100000.00'));
    expect(bad.error!.issues).toEqual([expect.objectContaining({ path: ['contractValue'], message: 'milestones sum to 99,999.00; contractValue is 100,000.00 (difference -1.00)' })]);
    expect(contractTermsSchema.safeParse(terms(['50000.00', '50000.00'], '100000.00')).success).toBe(true);
    // A non-billable milestone does not count.
    const nonBillable = terms(['50000.00', '50000.00', '7.00'], '100000.00');
    (nonBillable.milestones[2] as { billable?: boolean }).billable = false;
    expect(contractTermsSchema.safeParse(nonBillable).success).toBe(true);
    // Money of the currency: a JPY contract value has no decimals.
    const yen = contractTermsSchema.safeParse(terms(['1'], '1.5', { currency: 'JPY' }));
    expect(yen.error!.issues.map((i) => [i.path.join('.'), i.message])).toContainEqual(['contractValue', 'JPY amounts have no decimals']);
  });

  it('counts neither cancelled milestones nor malformed figures, and writes a positive difference with +', () => {
    const t = { currency: 'KWD', contractValue: '1000.000', milestones: [{ id: 'a', amount: '600.000' }, { id: 'b', amount: '400.500' }] };
    expect(contractValueProblem(t)).toBe('milestones sum to 1,000.500; contractValue is 1,000.000 (difference +0.500)');
    expect(contractValueProblem(t, ['b'])).toBe('milestones sum to 600.000; contractValue is 1,000.000 (difference -400.000)');
    expect(contractValueProblem({ ...t, milestones: [{ id: 'a', amount: '-1' }] })).toBeNull();
    expect(contractValueProblem({ currency: 'KWD', milestones: t.milestones })).toBeNull();
    expect(groupedMoney(new Dec('-1234567.891'), 'KWD')).toBe('-1,234,567.891');
    expect(groupedMoney(new Dec('999'), 'JPY')).toBe('999');
  });

  it('may be changed by an amendment: the merge takes the new value, the body checks its minor units', () => {
    const base = contractTermsSchema.parse(terms(['50000.00', '50000.00'], '100000.00'));
    const merged = mergeAmendment(base, { milestones: [{ id: 'm3', name: 'M', description: 'M', obligationId: 'impl', amount: '20000.00', sequence: 3, trigger: { type: 'event', completion: 'external_event' } }], contractValue: '120000.00' });
    expect(merged.contractValue).toBe('120000.00');
    expect(contractValueProblem(merged)).toBeNull();
    expect(mergeAmendment(base, { cancel: ['m2'] }).contractValue).toBe('100000.00');
    expect(amendBodyOf('JPY').safeParse({ baseVersion: 1, changes: { contractValue: '1.5' } }).success).toBe(false);
  });
});
