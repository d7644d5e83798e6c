/** Outbound events, the pure parts: signing, backoff, who receives what, ids per fact, paging cursors, the activities' publishing. */
import { ApplicationFailure } from '@temporalio/activity';
import { verifyWebhook } from '../../libs/auth';
import { eventIds, type EventInput } from '../../libs/domain/events';
import { createLogger } from '../../libs/logger';
import type { ServiceClient } from '../../libs/service-client';
import { createActivities, creditMemoIssuedEvent, invoiceIssuedEvent } from '../../activities';
import { decodeCursor, deliveryIdOf, encodeCursor, type SubscriptionDoc } from '../../services/gateway/data/events';
import { backoffMs, envelopeOf, signedHeaders, subscriptionMatches } from '../../services/gateway/dispatcher';
import { earliestToday, invoiceOverdueEvent, paymentAppliedEvents } from '../../services/ar/events';
import type { ApplicationDoc, ReceivableDoc } from '../../services/ar/data/receivables';

const logger = createLogger('test', 'silent');

describe('signing a delivery', () => {
  it('signs `<timestamp>.<raw body>` so the inbound webhook check accepts it with the secret, and refuses another secret or body', () => {
    const body = JSON.stringify({ id: 'invoice.issued:INV-2026-000001', type: 'invoice.issued' });
    const now = 1_800_000_000_000;
    const h = signedHeaders('whsec_abc0123456789abcdef', body, { eventId: 'invoice.issued:INV-2026-000001', type: 'invoice.issued', deliveryId: 'dlv_1', attempt: 2 }, now);
    expect(h['x-tollgate-timestamp']).toBe('1800000000');
    expect(h['x-tollgate-event-id']).toBe('invoice.issued:INV-2026-000001');
    expect(h['x-tollgate-attempt']).toBe('2');
    const check = (secret: string, raw: string) => verifyWebhook({
      source: { name: 'sub', secrets: [secret] }, timestamp: h['x-tollgate-timestamp'], signature: h['x-tollgate-signature'], rawBody: Buffer.from(raw), toleranceSeconds: 300, nowMs: now,
    });
    expect(() => check('whsec_abc0123456789abcdef', body)).not.toThrow();
    expect(() => check('whsec_other0123456789abcd', body)).toThrow(/does not match/);
    expect(() => check('whsec_abc0123456789abcdef', `${body} `)).toThrow(/does not match/);
  });
});

describe('backoff', () => {
  const opts = { baseMs: 1_000, maxMs: 3_600_000 };
  it('doubles from the base with each failed attempt, jittered between half and all of it', () => {
    expect(backoffMs(1, opts, () => 0)).toBe(500);
    expect(backoffMs(1, opts, () => 0.999999)).toBe(1_000);
    expect(backoffMs(2, opts, () => 0)).toBe(1_000);
    expect(backoffMs(4, opts, () => 0.999999)).toBe(8_000);
  });

  it('never waits longer than the cap, however many attempts failed', () => {
    for (const n of [13, 20, 100, 10_000]) {
      expect(backoffMs(n, opts, () => 0.999999)).toBeLessThanOrEqual(3_600_000);
      expect(backoffMs(n, opts, () => 0.999999)).toBeGreaterThan(3_599_000);
      expect(backoffMs(n, opts, () => 0)).toBe(1_800_000);
    }
  });
});

describe('which subscriptions receive an event', () => {
  const sub = (over: Partial<SubscriptionDoc> = {}): SubscriptionDoc => ({
    subscriptionId: 'sub_1', url: 'http://erp.test/hook', events: ['invoice.issued', 'payment.applied'], sandbox: false, secret: 's', active: true,
    createdAt: new Date('2026-01-01T00:00:00Z'), createdBy: 'finance', ...over,
  });
  const event = { type: 'invoice.issued' as const, customerId: 'cust-a', sandbox: false, createdAt: new Date('2026-01-02T00:00:00Z') };

  it('an active subscription of the event\'s type, customer and mode, made before it', () => {
    expect(subscriptionMatches(sub(), event)).toBe(true);
    expect(subscriptionMatches(sub({ customerId: 'cust-a' }), event)).toBe(true);
  });

  it('not: another type, another customer, a disabled one, the other mode (sandbox/live), or one made after the event', () => {
    expect(subscriptionMatches(sub({ events: ['milestone.accepted'] }), event)).toBe(false);
    expect(subscriptionMatches(sub({ customerId: 'cust-b' }), event)).toBe(false);
    expect(subscriptionMatches(sub({ active: false }), event)).toBe(false);
    expect(subscriptionMatches(sub({ sandbox: true }), event)).toBe(false);
    expect(subscriptionMatches(sub({ createdAt: new Date('2026-01-03T00:00:00Z') }), event)).toBe(false);
  });
});

describe('ids', () => {
  it('an event id names its fact, so a retried producer sends the same id', () => {
    expect(eventIds.invoiceIssued('INV-2026-000001')).toBe('invoice.issued:INV-2026-000001');
    expect(eventIds.milestoneAccepted('acme-1', 'go-live')).toBe('milestone.accepted:acme-1:go-live');
    expect(eventIds.paymentApplied('pay_1', 'INV-2026-000001')).toBe('payment.applied:pay_1:INV-2026-000001');
  });

  it('a delivery id is the same from any process for one (event, subscription), and differs otherwise', () => {
    expect(deliveryIdOf('e1', 'sub_1')).toBe(deliveryIdOf('e1', 'sub_1'));
    expect(deliveryIdOf('e1', 'sub_1')).not.toBe(deliveryIdOf('e1', 'sub_2'));
    expect(deliveryIdOf('e1', 'sub_1')).not.toBe(deliveryIdOf('e2', 'sub_1'));
    expect(deliveryIdOf('e1', 'sub_1')).toMatch(/^dlv_[0-9a-f]{32}$/);
  });

  it('a page cursor round-trips and a foreign one is refused', () => {
    const at = new Date('2026-03-04T05:06:07.089Z');
    expect(decodeCursor(encodeCursor(at, 'invoice.issued:INV-1'))).toEqual({ at, id: 'invoice.issued:INV-1' });
    expect(decodeCursor('not-a-cursor')).toBeUndefined();
    expect(encodeCursor(at, 'x')).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});

describe('AR\'s events', () => {
  const receivable: ReceivableDoc = {
    invoiceNumber: 'INV-2026-000009', contractId: 'c-1', customerId: 'cust-a', currency: 'USD', amount: '100.00', openAmount: '100.00',
    paidAmount: '0.00', creditedAmount: '0.00', issueDate: '2026-01-01', dueDate: '2026-01-31', milestoneIds: ['m1'], status: 'open', sandbox: false,
    idempotencyKey: 'k', requestHash: 'h', scope: 'books', revision: 1, syncedRevision: 1, signal: 'none',
  };
  const app = (seq: number, over: Partial<ApplicationDoc>): ApplicationDoc => ({
    invoiceNumber: receivable.invoiceNumber, seq, kind: 'payment', ref: `payment:pay_${seq}`, paymentId: `pay_${seq}`, amount: '40.00', date: '2026-02-0' + seq, createdAt: 'x', ...over,
  });

  it('payment.applied per payment or credit application (not per credit memo), with the invoice as that application left it', () => {
    const apps = [
      app(1, {}),
      app(2, { kind: 'credit_memo', ref: 'cm:CM-1', paymentId: undefined, amount: '10.00' }),
      app(3, { kind: 'credit', ref: 'credit:payment:pay_0', paymentId: undefined, lotId: 'payment:pay_0', amount: '50.00' }),
    ];
    const events = paymentAppliedEvents(receivable, apps, apps);
    expect(events.map((e) => e.id)).toEqual(['payment.applied:pay_1:INV-2026-000009', 'payment.applied:credit:payment:pay_0:INV-2026-000009']);
    expect(events[0]!.data).toMatchObject({ amount: '40.00', source: 'payment', paymentId: 'pay_1', invoice: { status: 'partially_paid', openAmount: '60.00' } });
    expect(events[1]!.data).toMatchObject({ amount: '50.00', source: 'customer_credit', invoice: { status: 'paid', openAmount: '0.00', paidOn: '2026-02-03' } });
    expect(events[1]!.occurredOn).toBe('2026-02-03');
  });

  it('invoice.overdue is dated the day after the due date, and the sweep\'s today is the earliest timezone\'s', () => {
    const e = invoiceOverdueEvent(receivable);
    expect([e.id, e.occurredOn, e.data.overdueSince]).toEqual(['invoice.overdue:INV-2026-000009', '2026-02-01', '2026-02-01']);
    expect(earliestToday(new Date('2026-02-01T11:59:00Z'))).toBe('2026-01-31');
    expect(earliestToday(new Date('2026-02-01T12:00:00Z'))).toBe('2026-02-01');
  });
});

describe('publishing from the activities', () => {
  const invoice = {
    number: 'INV-2026-000001', kind: 'milestone', contractId: 'c-1', customer: { id: 'cust-a', name: 'A' }, currency: 'USD', termsVersion: 1, date: '2026-01-05',
    dueDate: '2026-02-04', paymentTerms: 'NET_30', lines: [{ milestoneId: 'm1', description: 'M1', amount: '10.00' }], total: '10.00', status: 'issued', sandbox: true, createdAt: 'x',
  };
  const fake = (name: string, answer: () => unknown): ServiceClient => ({
    name, baseUrl: `http://${name}.test`, get: async () => { throw new Error('no'); }, getRaw: async () => { throw new Error('no'); }, post: async <T>() => answer() as T,
  });

  it('an issued invoice (also a replayed one) is published as invoice.issued with its number as id', async () => {
    const published: EventInput[][] = [];
    const acts = createActivities({
      invoicing: fake('invoicing', () => invoice), ar: fake('ar', () => ({})), revenue: fake('revenue', () => ({})), logger,
      events: { publish: async (e) => void published.push(e) },
    });
    await acts.issueInvoice({} as never, 'k');
    await acts.issueInvoice({} as never, 'k');
    expect(published.map((p) => p.map((e) => e.id))).toEqual([['invoice.issued:INV-2026-000001'], ['invoice.issued:INV-2026-000001']]);
    expect(published[0]![0]).toMatchObject({ type: 'invoice.issued', contractId: 'c-1', customerId: 'cust-a', sandbox: true, occurredOn: '2026-01-05', data: { total: '10.00', dueDate: '2026-02-04' } });
  });

  it('a failed publish fails the activity retryably (never as a refusal: the invoice is issued)', async () => {
    const acts = createActivities({
      invoicing: fake('invoicing', () => invoice), ar: fake('ar', () => ({})), revenue: fake('revenue', () => ({})), logger,
      events: { publish: async () => { throw new Error('gateway unreachable'); } },
    });
    const err = await acts.issueInvoice({} as never, 'k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(ApplicationFailure);
    expect((err as Error).message).toMatch(/gateway unreachable/);
  });

  it('the envelope a subscriber receives carries the id, type, dates, contract, customer and the fact', () => {
    const e = invoiceIssuedEvent(invoice as never);
    const memo = creditMemoIssuedEvent({ contractId: 'c-1', customer: { id: 'cust-a', name: 'A' }, currency: 'USD', originalInvoiceNumber: 'INV-2026-000001', amendmentVersion: 2, date: '2026-03-01', paymentTerms: 'NET_30', lines: [], sandbox: false }, { number: 'CM-2026-000001', originalInvoiceNumber: 'INV-2026-000001', date: '2026-03-01', total: '5.00' });
    expect(memo).toMatchObject({ id: 'credit_memo.issued:CM-2026-000001', data: { total: '5.00', originalInvoiceNumber: 'INV-2026-000001', amendmentVersion: 2 } });
    const env = envelopeOf({ eventId: e.id, type: e.type, contractId: e.contractId, customerId: e.customerId, sandbox: e.sandbox, occurredOn: e.occurredOn, data: e.data, createdAt: new Date('2026-01-05T10:00:00Z') });
    expect(Object.keys(env).sort()).toEqual(['contractId', 'createdAt', 'customerId', 'data', 'id', 'occurredOn', 'sandbox', 'type']);
    expect(env.createdAt).toBe('2026-01-05T10:00:00.000Z');
  });
});
