/**
 * Activities in isolation (MockActivityEnvironment, a fake service client): the idempotency key is
 * sent, a service refusal becomes a non-retryable failure typed with its code, and a transient
 * failure stays retryable.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../activities';
import { createLogger } from '../../libs/logger';
import { ServiceError, type ServiceClient } from '../../libs/service-client';

function fakeClient(name: string, answer: (path: string, body: unknown, key?: string) => unknown): ServiceClient & { calls: Array<{ path: string; key?: string }> } {
  const calls: Array<{ path: string; key?: string }> = [];
  return {
    name,
    baseUrl: 'http://fake',
    calls,
    async get() { throw new Error('not used'); },
    async getRaw() { throw new Error('not used'); },
    async post<T>(path: string, body: unknown, opts?: { idempotencyKey?: string }) {
      calls.push({ path, key: opts?.idempotencyKey });
      return answer(path, body, opts?.idempotencyKey) as T;
    },
  };
}

const invoiceRequest = {
  kind: 'milestone' as const, contractId: 'c1', customer: { id: 'k', name: 'K' }, currency: 'USD', termsVersion: 1,
  date: '2025-01-01', paymentTerms: 'NET_30', lines: [{ milestoneId: 'm1', description: 'd', amount: '1.00' }], sandbox: false,
};

describe('activities', () => {
  const logger = createLogger('test', 'silent');

  it('sends the idempotency key the workflow derived', async () => {
    const invoicing = fakeClient('invoicing', () => ({ number: 'INV-2025-000001', total: '1.00' }));
    const acts = createActivities({ invoicing, ar: fakeClient('ar', () => ({})), revenue: fakeClient('revenue', () => ({})), logger });
    const env = new MockActivityEnvironment();
    const invoice = (await env.run(acts.issueInvoice, invoiceRequest, 'c1:m1:v1:milestone:invoice')) as { number: string };
    expect(invoice.number).toBe('INV-2025-000001');
    expect(invoicing.calls).toEqual([{ path: '/invoices', key: 'c1:m1:v1:milestone:invoice' }]);
  });

  it('turns a service refusal (4xx) into a non-retryable failure typed with its code', async () => {
    const invoicing = fakeClient('invoicing', () => { throw new ServiceError('invoicing', 409, 'idempotency_conflict', 'key reused'); });
    const acts = createActivities({ invoicing, ar: fakeClient('ar', () => ({})), revenue: fakeClient('revenue', () => ({})), logger });
    const err = await new MockActivityEnvironment().run(acts.issueInvoice, invoiceRequest, 'k').catch((e) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'idempotency_conflict', nonRetryable: true });
  });

  it('leaves a transient failure (unreachable, 5xx) retryable', async () => {
    const revenue = fakeClient('revenue', () => { throw new ServiceError('revenue', 503, 'unavailable', 'down'); });
    const acts = createActivities({ invoicing: fakeClient('invoicing', () => ({})), ar: fakeClient('ar', () => ({})), revenue, logger });
    const err = await new MockActivityEnvironment().run(acts.postToLedger, {
      kind: 'contract_event' as const, contractId: 'c1', sandbox: false, currency: 'USD', eventDate: '2025-01-01', source: { type: 'milestone', ref: 'm1' }, billed: '1.00',
    }, 'k').catch((e) => e);
    expect(err).toBeInstanceOf(ServiceError);
    expect(err).not.toBeInstanceOf(ApplicationFailure);
  });
});
