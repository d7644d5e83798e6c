/**
 * The service credential in the whole system (DESIGN §9: the internal services refuse any caller
 * that is not a Tollgate component). Without it — or with a wrong one — a forged invoice, marking an
 * invoice paid, a payment, a ledger posting and closing a month of the real books are all refused
 * 401 `unauthorized` and nothing changes; the Tollgate components (the worker's activities, the
 * gateway, AR's calls to invoicing and revenue) carry it and everything works; closing a period is
 * reachable from outside only through the gateway's finance role.
 */
import { Connection } from '@temporalio/client';
import { createLogger } from '../../libs/logger';
import type { RunningService } from '../../libs/service-runtime';
import { createTemporalClient } from '../../libs/temporal';
import { startGateway } from '../../services/gateway';
import { simpleContract } from '../support/fixtures';
import { http, serviceHeaders, startTestSystem, testApiKeys, uniqueId, type TestSystem } from '../support/system';

const auth = testApiKeys();
let sys: TestSystem;

beforeAll(async () => {
  sys = await startTestSystem(auth.env);
});

afterAll(async () => {
  await sys?.stop();
});

/** A request with exactly these headers (no credential added by the test helper). */
async function raw(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const previousMonth = () => {
  const d = new Date();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - 1);
  return d.toISOString().slice(0, 7);
};

describe('the internal services', () => {
  it('refuse callers without the service credential, or with a wrong one: nothing reaches the books', async () => {
    const forgedContract = uniqueId('forged');
    const today = new Date().toISOString().slice(0, 10);
    const attempts: Array<[string, string, unknown?]> = [
      ['POST', `${sys.invoicingUrl}/invoices`, {
        kind: 'milestone', contractId: forgedContract, customer: { id: 'cust-acme', name: 'Acme Corp' }, currency: 'USD', termsVersion: 1,
        date: today, paymentTerms: 'NET_30', lines: [{ milestoneId: 'go-live', description: 'Forged', amount: '99999.00' }],
      }],
      ['POST', `${sys.invoicingUrl}/invoices/INV-2026-000001/status`, { status: 'paid', paidAmount: '99999.00', revision: 1, date: today }],
      ['POST', `${sys.arUrl}/payments`, { customerId: 'cust-acme', currency: 'USD', date: today, amount: '99999.00', invoiceNumbers: ['INV-2026-000001'] }],
      ['POST', `${sys.revenueUrl}/postings`, {
        kind: 'payment', contractId: forgedContract, sandbox: false, currency: 'USD', eventDate: today, source: { type: 'payment', ref: 'P-forged' }, amount: '99999.00',
      }],
      ['POST', `${sys.revenueUrl}/periods/close`, { period: previousMonth() }],
      ['GET', `${sys.invoicingUrl}/invoices?contractId=${forgedContract}`],
      ['GET', `${sys.revenueUrl}/entries`],
      ['GET', `${sys.arUrl}/receivables?customerId=cust-acme`],
      ['GET', `${sys.invoicingUrl}/openapi.json`],
    ];
    for (const headers of [{}, { authorization: 'Bearer not-the-service-credential-0123456789abcdef' }, auth.headers('admin')]) {
      for (const [method, url, body] of attempts) {
        const res = await raw(method, url, body, { ...headers, 'idempotency-key': uniqueId('k') });
        expect({ method, url, status: res.status, code: res.body?.code }).toEqual({ method, url, status: 401, code: 'unauthorized' });
      }
    }

    // Nothing was created, posted or closed (read as a Tollgate component).
    expect((await raw('GET', `${sys.invoicingUrl}/invoices?contractId=${forgedContract}`, undefined, serviceHeaders())).body.data).toEqual([]);
    expect((await raw('GET', `${sys.revenueUrl}/entries?contractId=${forgedContract}`, undefined, serviceHeaders())).body.data).toEqual([]);
    expect((await raw('GET', `${sys.arUrl}/payments?customerId=cust-acme`, undefined, serviceHeaders())).body.data).toEqual([]);
    expect((await raw('GET', `${sys.revenueUrl}/periods`, undefined, serviceHeaders())).body).toMatchObject({ ledger: 'books', closed: [] });
  });

  it('keep /healthz and /readyz open to probes', async () => {
    for (const [name, url] of [['invoicing', sys.invoicingUrl], ['revenue', sys.revenueUrl], ['ar', sys.arUrl]] as const) {
      expect(await raw('GET', `${url}/healthz`)).toMatchObject({ status: 200, body: { status: 'ok', service: name } });
      expect(await raw('GET', `${url}/readyz`)).toMatchObject({ status: 200, body: { status: 'ready', service: name } });
    }
  });
});

describe('Tollgate components', () => {
  it('call the services with it: the worker invoices, the gateway and AR pay, and only finance closes a month of the books', async () => {
    const terms = simpleContract();
    expect((await http('POST', `${sys.gatewayUrl}/contracts`, terms, auth.headers('finance'))).status).toBe(201);
    const done = await http('POST', `${sys.gatewayUrl}/contracts/${terms.contractId}/milestones/go-live/complete`, {}, auth.headers('delivery'));
    expect(done.body.outcome).toBe('applied');
    const invoices = await http('GET', `${sys.gatewayUrl}/contracts/${terms.contractId}/invoices`, undefined, auth.headers('support'));
    expect(invoices.status).toBe(200);
    expect(invoices.body.data).toHaveLength(1);
    const number = invoices.body.data[0].number as string;

    // Gateway → AR, then AR → invoicing (payment status) and AR → revenue (the payment entry).
    const paid = await http('POST', `${sys.gatewayUrl}/contracts/${terms.contractId}/payments`, { amount: '50000.00' }, auth.headers('finance'));
    expect(paid.status).toBe(201);
    expect(paid.body).toMatchObject({ postedToLedger: true, allocations: [{ invoiceNumber: number, amount: '50000.00' }] });
    expect((await raw('GET', `${sys.invoicingUrl}/invoices/${number}`, undefined, serviceHeaders())).body.status).toBe('paid');
    const entries = (await raw('GET', `${sys.revenueUrl}/entries?contractId=${terms.contractId}`, undefined, serviceHeaders())).body.data;
    expect(entries.map((e: { source: { type: string } }) => e.source.type)).toEqual(['milestone', 'payment']);

    // Closing a month of the real books: through the gateway, finance only.
    const period = previousMonth();
    const close = (headers: Record<string, string>) => http('POST', `${sys.gatewayUrl}/contracts/${terms.contractId}/periods/close`, { period }, headers);
    expect((await raw('POST', `${sys.gatewayUrl}/contracts/${terms.contractId}/periods/close`, { period })).status).toBe(401);
    expect((await close(auth.headers('support'))).body.code).toBe('forbidden');
    expect((await close(auth.headers('delivery'))).body.code).toBe('forbidden');
    const closed = await close(auth.headers('finance'));
    expect(closed.status).toBeLessThan(300);
    const periods = (await raw('GET', `${sys.revenueUrl}/periods`, undefined, serviceHeaders())).body.closed as Array<{ period: string }>;
    expect(periods.map((p) => p.period)).toEqual([period]);
  });

  it('a component with another credential is refused by the services; its own caller gets 500 internal, not a 401 about their key', async () => {
    const connection = await Connection.connect({ address: sys.config.TEMPORAL_ADDRESS });
    let gateway: RunningService | undefined;
    try {
      gateway = await startGateway(
        { ...sys.config, TOLLGATE_SERVICE_TOKEN: 'a-different-credential-0123456789abcdefABCDEF', INVOICING_URL: sys.invoicingUrl, REVENUE_URL: sys.revenueUrl, AR_URL: sys.arUrl },
        { client: createTemporalClient(connection, sys.config), logger: createLogger('test', sys.config.LOG_LEVEL) },
      );
      const terms = simpleContract();
      expect((await http('POST', `${sys.gatewayUrl}/contracts`, terms, auth.headers('finance'))).status).toBe(201);
      const res = await http('GET', `${gateway.url}/contracts/${terms.contractId}/invoices`, undefined, auth.headers('support'));
      expect(res.status).toBe(500);
      expect(res.body).toMatchObject({ code: 'internal' });
      expect(res.body.message).toMatch(/invoicing service refused this component's service credential/);
    } finally {
      await gateway?.stop();
      await connection.close();
    }
  });
});
