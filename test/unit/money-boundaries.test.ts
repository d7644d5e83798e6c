/**
 * Money, dates and counts at every boundary (DESIGN §11, issue "Faults and bad input"): the one money
 * check (`checkMoney`), the schema factory built on it (`money`, `refineMoney`), and each service's
 * request schemas refusing what does not fit — never rounding it — with the field's path.
 */
import type { z } from 'zod';
import { AppError } from '../../libs/domain/errors';
import { businessDate, contractTermsSchema, factDate, type ContractTermsInput } from '../../libs/domain/terms';
import { validate } from '../../libs/http';
import { createLogger } from '../../libs/logger';
import { checkMoney, isMoneyString, MAX_INTEGER_DIGITS } from '../../libs/money';
import { arCreditMemoSchema, listReceivablesQuery, openReceivableSchema, recordPaymentSchema } from '../../services/ar/api';
import { createReceivableUseCases, latestToday } from '../../services/ar/receivables';
import type { ReceivableRepository } from '../../services/ar/data/receivables';
import { amendBodyFor, closePeriodBody, costBodyFor, datedBody, deliveryWebhookBody, paymentBodyFor } from '../../services/gateway/schemas';
import { issueCreditMemoSchema, issueInvoiceSchema, listInvoicesQuery, paymentStatusSchema } from '../../services/invoicing/api';
import { entriesQuery, postingSchema, postPlanSchema } from '../../services/revenue/api';

const HUGE = '9'.repeat(5000);

/** The `{path, message}` details a request gets for `data`, or [] when it is valid. */
function problems(schema: z.ZodType, data: unknown): Array<{ path: string; message: string }> {
  try {
    validate(schema, data);
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('validation_failed');
    expect((err as AppError).status).toBe(400);
    return (err as AppError).details as Array<{ path: string; message: string }>;
  }
}
const paths = (schema: z.ZodType, data: unknown) => problems(schema, data).map((p) => p.path).sort();

describe('checkMoney: the one check of a money figure', () => {
  it.each([
    ['1000000', 'JPY'], ['100000.00', 'USD'], ['100000', 'USD'], ['1.250', 'KWD'], ['0.5', 'KWD'], ['0', 'JPY'],
    ['999999999999999.99', 'USD'], ['1.2345', 'CLF'],
  ])('accepts %s %s', (value, currency) => {
    expect(checkMoney(value, currency)).toBeNull();
  });

  it.each([
    ['1000000.5', 'JPY', 'JPY amounts have no decimals', '1000000.5'],
    ['0.001', 'USD', 'USD amounts have at most 2 decimals', '0.001'],
    ['1.0001', 'KWD', 'KWD amounts have at most 3 decimals', '1.0001'],
    ['16 integer digits', 'USD', `must have at most ${MAX_INTEGER_DIGITS} integer digits`, '1000000000000000'],
    ['5,000 integer digits', 'USD', 'must have at most 15 integer digits', HUGE],
    ['-1.00', 'USD', 'must be a non-negative decimal string such as "1000.00"', '-1.00'],
    ['1e3', 'USD', 'must be a non-negative decimal string such as "1000.00"', '1e3'],
    ['" 1.00"', 'USD', 'must be a non-negative decimal string such as "1000.00"', ' 1.00'],
    ['1.', 'USD', 'must be a non-negative decimal string such as "1000.00"', '1.'],
  ])('refuses %s %s: %s', (_label, currency, message, value) => {
    expect(checkMoney(value, currency)).toBe(message);
  });

  it('without a currency, allows at most 4 decimals (the most any currency has)', () => {
    expect(checkMoney('1.0001')).toBeNull();
    expect(checkMoney('1.00001')).toBe('must have at most 4 decimals');
  });

  it('knows signed and positive figures', () => {
    expect(checkMoney('-10.00', 'USD', { allowNegative: true })).toBeNull();
    expect(checkMoney('-10.001', 'USD', { allowNegative: true })).toBe('USD amounts have at most 2 decimals');
    expect(checkMoney('0.00', 'USD', { positive: true })).toBe('must be more than zero');
    expect(checkMoney('0.01', 'USD', { positive: true })).toBeNull();
  });

  it('isMoneyString has the integer-digit bound too', () => {
    expect(isMoneyString('1'.repeat(15))).toBe(true);
    expect(isMoneyString('1'.repeat(16))).toBe(false);
    expect(isMoneyString(HUGE, 'USD')).toBe(false);
  });
});

describe('dates within range', () => {
  it('a business date is between 1900-01-01 and 2999-12-31', () => {
    expect(businessDate.safeParse('1900-01-01').success).toBe(true);
    expect(businessDate.safeParse('2999-12-31').success).toBe(true);
    expect(businessDate.safeParse('1899-12-31').success).toBe(false);
    expect(businessDate.safeParse('3000-01-01').success).toBe(false);
    expect(businessDate.safeParse('9999-12-31').success).toBe(false);
    expect(businessDate.safeParse('2025-02-30').success).toBe(false);
  });

  it('a fact date has no upper bound: after today is future_date, decided by who knows today', () => {
    expect(factDate.safeParse('9999-12-31').success).toBe(true);
    expect(factDate.safeParse('1899-12-31').success).toBe(false);
    expect(paths(datedBody, { date: '0001-01-01' })).toEqual(['body.date']);
  });

  it('a period is a month of those years', () => {
    expect(paths(closePeriodBody, { period: '2025-01' })).toEqual([]);
    expect(paths(closePeriodBody, { period: '0000-01' })).toEqual(['body.period']);
    expect(paths(closePeriodBody, { period: '3000-01' })).toEqual(['body.period']);
  });
});

function terms(overrides: Partial<ContractTermsInput> = {}): ContractTermsInput {
  return {
    contractId: 'c-1',
    customer: { id: 'cust', name: 'Customer' },
    currency: 'USD',
    signedDate: '2025-01-01',
    paymentTerms: 'NET_30',
    obligations: [
      { id: 'impl', name: 'Implementation', ssp: '60000.00', recognition: { method: 'milestones' } },
      { id: 'ops', name: 'Operations', ssp: '40000.00', recognition: { method: 'cost_input', estimatedTotalCost: '5000.00' } },
    ],
    milestones: [{
      id: 'm1', name: 'M1', description: 'M1 fee', obligationId: 'impl', amount: '100000.00', sequence: 1,
      trigger: { type: 'event', completion: 'external_event' },
    }],
    ...overrides,
  };
}

describe('contract terms (POST /contracts)', () => {
  it('accepts USD "100000.00", JPY "1000000" and KWD "1.250"', () => {
    expect(paths(contractTermsSchema, terms())).toEqual([]);
    const jpy = terms({ currency: 'JPY' });
    jpy.obligations = jpy.obligations.map((o) => ({ ...o, ssp: '1000000', recognition: o.recognition.method === 'cost_input' ? { method: 'cost_input', estimatedTotalCost: '5000' } : o.recognition }));
    jpy.milestones = [{ ...jpy.milestones[0]!, amount: '1000000' }];
    expect(paths(contractTermsSchema, jpy)).toEqual([]);
    const kwd = terms({ currency: 'KWD', advanceBilling: { amount: '1.250', date: '2025-01-01' } });
    kwd.milestones = [{ ...kwd.milestones[0]!, amount: '1.250' }];
    expect(paths(contractTermsSchema, kwd)).toEqual([]);
  });

  it('refuses 1.001 USD in every money field, naming each, and a 5,000-digit amount', () => {
    const t = terms({ advanceBilling: { amount: '0.001', date: '2025-01-01' } });
    t.milestones = [{ ...t.milestones[0]!, amount: '1.001' }];
    t.obligations = [{ ...t.obligations[0]!, ssp: '1.001' }, { ...t.obligations[1]!, recognition: { method: 'cost_input', estimatedTotalCost: '1.001' } }];
    expect(paths(contractTermsSchema, t)).toEqual([
      'body.advanceBilling.amount', 'body.milestones.0.amount', 'body.obligations.0.ssp', 'body.obligations.1.recognition.estimatedTotalCost',
    ]);
    const huge = terms();
    huge.milestones = [{ ...huge.milestones[0]!, amount: HUGE }];
    expect(problems(contractTermsSchema, huge)).toEqual([{ path: 'body.milestones.0.amount', message: 'must have at most 15 integer digits' }]);
  });

  it('refuses a contract whose SSPs are all 0, naming the ssp fields', () => {
    const t = terms();
    t.obligations = t.obligations.map((o) => ({ ...o, ssp: '0.00' }));
    expect(problems(contractTermsSchema, t)).toEqual([
      { path: 'body.obligations.0.ssp', message: 'at least one obligation needs an SSP above zero' },
      { path: 'body.obligations.1.ssp', message: 'at least one obligation needs an SSP above zero' },
    ]);
    t.obligations[1] = { ...t.obligations[1]!, ssp: '0.01' };
    expect(paths(contractTermsSchema, t)).toEqual([]);
  });

  it('bounds sequence numbers, day counts and dates', () => {
    const t = terms({ signedDate: '9999-12-31' });
    t.milestones = [{
      ...t.milestones[0]!, sequence: 1e12, trigger: { type: 'event', completion: 'external_event', deemedAcceptanceDays: 99999 },
      invoiceTiming: { type: 'days_after_acceptance', days: 1e9 },
    }];
    expect(paths(contractTermsSchema, t)).toEqual([
      'body.milestones.0.invoiceTiming.days', 'body.milestones.0.sequence', 'body.milestones.0.trigger.deemedAcceptanceDays', 'body.signedDate',
    ]);
  });
});

describe('gateway bodies, with the contract\'s currency', () => {
  it('refuses a JPY payment of 1000000.5 and a USD payment of 0.001 naming body.amount (never rounded to 1000001)', () => {
    expect(problems(paymentBodyFor('JPY'), { amount: '1000000.5', invoiceFor: 'm1' })).toEqual([{ path: 'body.amount', message: 'JPY amounts have no decimals' }]);
    expect(problems(paymentBodyFor('USD'), { amount: '0.001' })).toEqual([{ path: 'body.amount', message: 'USD amounts have at most 2 decimals' }]);
    expect(paths(paymentBodyFor('JPY'), { amount: '1000000' })).toEqual([]);
    expect(paths(paymentBodyFor('KWD'), { amount: '1.250' })).toEqual([]);
    expect(paths(paymentBodyFor(), { amount: HUGE })).toEqual(['body.amount']);
    expect(paths(paymentBodyFor('USD'), { amount: '0.00' })).toEqual(['body.amount']);
  });

  it('refuses a USD cost report of 1.001 and a 5,000-digit one naming body.amount', () => {
    expect(problems(costBodyFor('USD'), { obligationId: 'ops', amount: '1.001' })).toEqual([{ path: 'body.amount', message: 'USD amounts have at most 2 decimals' }]);
    expect(paths(costBodyFor(), { obligationId: 'ops', amount: HUGE })).toEqual(['body.amount']);
    expect(paths(costBodyFor('USD'), { obligationId: 'ops', amount: '1.00' })).toEqual([]);
    expect(paths(deliveryWebhookBody, { eventId: 'e', type: 'cost', contractId: 'c', obligationId: 'ops', amount: HUGE })).toEqual(['body.amount']);
  });

  it('refuses an amendment with 1.001 USD as a milestone amount, SSP or estimate, naming each', () => {
    const body = {
      baseVersion: 1,
      changes: {
        milestones: [{ id: 'm1', amount: '1.001' }],
        obligations: [{ id: 'impl', ssp: '1.001' }, { id: 'ops', recognition: { estimatedTotalCost: '1.001' } }, { id: 'x', recognition: { method: 'cost_input', estimatedTotalCost: '0.001' } }],
      },
    };
    expect(paths(amendBodyFor('USD'), body)).toEqual([
      'body.changes.milestones.0.amount', 'body.changes.obligations.0.ssp', 'body.changes.obligations.1.recognition.estimatedTotalCost',
      'body.changes.obligations.2.recognition.estimatedTotalCost',
    ]);
    // The shape alone (before the contract is read) lets 1.001 through: it fits some currency.
    expect(paths(amendBodyFor(), body)).toEqual([]);
    // A negative amount is the workflow's invalid_amendment, not a malformed figure.
    expect(paths(amendBodyFor('USD'), { baseVersion: 1, changes: { milestones: [{ id: 'm1', amount: '-5.00' }] } })).toEqual([]);
  });

  it('bounds the amendment\'s numbers', () => {
    const body = { baseVersion: 1e12, effectiveDate: '1066-10-14', changes: { milestones: [{ id: 'm1', sequence: -1, trigger: { deemedAcceptanceDays: 1e9 }, amount: HUGE }] } };
    expect(paths(amendBodyFor('USD'), body)).toEqual([
      'body.baseVersion', 'body.changes.milestones.0.amount', 'body.changes.milestones.0.sequence', 'body.changes.milestones.0.trigger.deemedAcceptanceDays', 'body.effectiveDate',
    ]);
  });
});

describe('invoicing service bodies', () => {
  const invoice = {
    kind: 'milestone', contractId: 'c', customer: { id: 'x', name: 'X' }, currency: 'USD', termsVersion: 1, date: '2026-02-10', paymentTerms: 'NET_30',
    lines: [{ milestoneId: 'm1', description: 'M1', amount: '1000.00' }],
  };

  it('refuses paymentTerms NET_999999999 (a 500 before) and NET_91 with 400 naming body.paymentTerms', () => {
    expect(paths(issueInvoiceSchema, { ...invoice, paymentTerms: 'NET_999999999' })).toEqual(['body.paymentTerms']);
    expect(paths(issueInvoiceSchema, { ...invoice, paymentTerms: 'NET_91' })).toEqual(['body.paymentTerms']);
    expect(paths(issueInvoiceSchema, { ...invoice, paymentTerms: 'NET_90' })).toEqual([]);
    expect(paths(issueInvoiceSchema, { ...invoice, paymentTerms: 'NET_0' })).toEqual([]);
  });

  it('refuses lines that do not fit the currency, and 5,000 digits', () => {
    expect(problems(issueInvoiceSchema, { ...invoice, lines: [{ milestoneId: 'm1', description: 'M1', amount: '1.001' }] })).toEqual([
      { path: 'body.lines.0.amount', message: 'USD amounts have at most 2 decimals' },
    ]);
    expect(paths(issueInvoiceSchema, { ...invoice, currency: 'JPY', lines: [{ milestoneId: 'm1', description: 'M1', amount: '1000000.5' }] })).toEqual(['body.lines.0.amount']);
    expect(paths(issueInvoiceSchema, { ...invoice, lines: [{ milestoneId: 'm1', description: 'M1', amount: HUGE }] })).toEqual(['body.lines.0.amount']);
    const memo = { contractId: 'c', customer: { id: 'x', name: 'X' }, currency: 'USD', originalInvoiceNumber: 'INV-1', amendmentVersion: 2, date: '2026-02-10' };
    expect(paths(issueCreditMemoSchema, { ...memo, lines: [{ milestoneId: 'm1', description: 'M1', amount: '0.001' }] })).toEqual(['body.lines.0.amount']);
    expect(paths(issueCreditMemoSchema, { ...memo, lines: [{ milestoneId: 'm1', description: 'M1', amount: '1.00' }] })).toEqual([]);
  });

  it('bounds paidAmount/openAmount from AR, versions and offsets', () => {
    expect(paths(paymentStatusSchema, { status: 'paid', paidAmount: HUGE, openAmount: `-${HUGE}`, revision: 1e12 })).toEqual(['body.openAmount', 'body.paidAmount', 'body.revision']);
    expect(paths(paymentStatusSchema, { status: 'paid', paidAmount: '100.00', openAmount: '-5.00', revision: 3 })).toEqual([]);
    expect(paths(issueInvoiceSchema, { ...invoice, termsVersion: 1e12 })).toEqual(['body.termsVersion']);
    expect(problems(listInvoicesQuery, { offset: '1e12' }).map((p) => p.path)).toEqual(['body.offset']);
  });
});

describe('AR service bodies', () => {
  const payment = { customerId: 'cust', currency: 'JPY', date: '2026-01-10', amount: '1000000' };

  it('refuses a JPY payment of 1000000.5, a USD one of 0.001 and 5,000 digits, naming body.amount', () => {
    expect(paths(recordPaymentSchema, payment)).toEqual([]);
    expect(problems(recordPaymentSchema, { ...payment, amount: '1000000.5' })).toEqual([{ path: 'body.amount', message: 'JPY amounts have no decimals' }]);
    expect(paths(recordPaymentSchema, { ...payment, currency: 'USD', amount: '0.001' })).toEqual(['body.amount']);
    expect(paths(recordPaymentSchema, { ...payment, amount: HUGE })).toEqual(['body.amount']);
    expect(paths(recordPaymentSchema, { ...payment, amount: '0' })).toEqual(['body.amount']);
  });

  it('leaves 9999-12-31 to the future_date check and refuses a date before 1900', () => {
    expect(paths(recordPaymentSchema, { ...payment, date: '9999-12-31' })).toEqual([]);
    expect(paths(recordPaymentSchema, { ...payment, date: '1899-12-31' })).toEqual(['body.date']);
  });

  it('refuses receivables and credit memos that do not fit, and unbounded offsets', () => {
    const r = { invoiceNumber: 'INV-1', contractId: 'c', customerId: 'x', currency: 'USD', amount: '1.001', issueDate: '2026-01-10', dueDate: '2026-02-09' };
    expect(paths(openReceivableSchema, r)).toEqual(['body.amount']);
    expect(paths(openReceivableSchema, { ...r, amount: '1.00', dueDate: '3000-03-31' })).toEqual([]);
    expect(paths(arCreditMemoSchema, { creditMemoNumber: 'CM-1', invoiceNumber: 'INV-1', amount: HUGE, date: '2026-01-10' })).toEqual(['body.amount']);
    expect(paths(listReceivablesQuery, { offset: String(10 ** 9) })).toEqual(['body.offset']);
  });

  it('refuses a books payment dated after today (9999-12-31) with future_date, before touching anything', async () => {
    const untouched = new Proxy({}, { get: () => { throw new Error('the repository must not be touched'); } }) as ReceivableRepository;
    const useCases = createReceivableUseCases(untouched, { logger: createLogger('test', 'silent'), now: () => new Date('2026-06-15T12:00:00Z') });
    const input = recordPaymentSchema.parse({ customerId: 'cust', currency: 'USD', date: '9999-12-31', amount: '10.00' });
    await expect(useCases.recordPayment(input, 'k1')).rejects.toMatchObject({ code: 'future_date', status: 422 });
    const tomorrowEverywhere = recordPaymentSchema.parse({ customerId: 'cust', currency: 'USD', date: '2026-06-17', amount: '10.00' });
    await expect(useCases.recordPayment(tomorrowEverywhere, 'k2')).rejects.toMatchObject({ code: 'future_date' });
    // Today where it is latest passes the check (and goes on to the repository).
    const latest = recordPaymentSchema.parse({ customerId: 'cust', currency: 'USD', date: '2026-06-16', amount: '10.00' });
    await expect(useCases.recordPayment(latest, 'k3')).rejects.toThrow('the repository must not be touched');
  });

  it('takes today where it is latest (UTC+14): no contract\'s today is refused', () => {
    expect(latestToday(new Date('2026-06-15T09:59:00Z'))).toBe('2026-06-15');
    expect(latestToday(new Date('2026-06-15T10:00:00Z'))).toBe('2026-06-16');
  });
});

describe('revenue service bodies', () => {
  const plan = {
    contractId: 'c', currency: 'USD', version: 1, effectiveDate: '2025-01-01',
    obligations: [{ id: 'impl', ssp: '100.00', recognition: { method: 'milestones' } }],
    milestones: [{ id: 'm1', obligationId: 'impl', amount: '100.00', sequence: 1 }],
  };

  it('refuses a plan whose SSPs are all zero, or with figures that do not fit', () => {
    expect(paths(postPlanSchema, plan)).toEqual([]);
    expect(paths(postPlanSchema, { ...plan, obligations: [{ ...plan.obligations[0], ssp: '0.00' }] })).toEqual(['body.obligations.0.ssp']);
    expect(paths(postPlanSchema, { ...plan, obligations: [{ id: 'impl', ssp: '1.00', recognition: { method: 'cost_input', estimatedTotalCost: '1.001' } }] }))
      .toEqual(['body.obligations.0.recognition.estimatedTotalCost']);
    expect(paths(postPlanSchema, { ...plan, milestones: [{ ...plan.milestones[0], amount: HUGE }] })).toEqual(['body.milestones.0.amount']);
  });

  it('refuses postings that do not fit, signed or not', () => {
    const event = { kind: 'contract_event', contractId: 'c', currency: 'USD', eventDate: '2025-01-10', source: { type: 'milestone', ref: 'm1' } };
    expect(paths(postingSchema, { ...event, billed: '-10.00' })).toEqual([]);
    expect(paths(postingSchema, { ...event, billed: '-10.001' })).toEqual(['body.billed']);
    expect(paths(postingSchema, { ...event, billed: `-${HUGE}` })).toEqual(['body.billed']);
    expect(paths(postingSchema, { ...event, progress: { cost: { obligationId: 'ops', amount: '1.001' } } })).toEqual(['body.progress.cost.amount']);
    expect(paths(postingSchema, { ...event, kind: 'payment', amount: '1000000.5', currency: 'JPY' })).toEqual(['body.amount']);
    expect(paths(postingSchema, { ...event, eventDate: '9999-12-31' })).toEqual(['body.eventDate']);
    expect(paths(entriesQuery, { offset: '1e12' })).toEqual(['body.offset']);
  });
});
