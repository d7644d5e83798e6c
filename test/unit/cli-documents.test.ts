/** `tollgate invoices`, `reports` and `aging`: what they send to the gateway and what they print. */
import { renderAging } from '../../cli/tollgate';
import { jsonAnswer, runCli } from '../support/cli';

const run = (argv: string[]) => runCli(argv);

let fetch: jest.SpiedFunction<typeof globalThis.fetch>;
beforeEach(() => {
  fetch = jest.spyOn(globalThis, 'fetch').mockImplementation(async () => jsonAnswer({ data: [] }));
});
afterEach(() => jest.restoreAllMocks());
const sent = (i: number) => new URL(String(fetch.mock.calls[i]![0]));

const inv = (number: string) => ({
  number, kind: 'milestone', lines: [{ milestoneId: 'm1' }], date: '2026-03-01', dueDate: '2026-03-31', total: '100.00',
  creditedAmount: '0.00', paidAmount: '0.00', openAmount: '100.00', status: 'issued',
});

describe('tollgate invoices', () => {
  it('reads a contract\'s invoices page by page with --all', async () => {
    fetch.mockImplementationOnce(async () => jsonAnswer({ data: [inv('INV-2026-000001')], nextCursor: 'c2' }))
      .mockImplementationOnce(async () => jsonAnswer({ data: [inv('INV-2026-000002')] }));
    const r = await run(['invoices', 'acme 1', '--limit', '1', '--all']);
    expect(r.code).toBe(0);
    expect(sent(0).pathname).toBe('/contracts/acme%201/invoices');
    expect(sent(0).searchParams.toString()).toBe('limit=1');
    expect(sent(1).searchParams.get('cursor')).toBe('c2');
    expect(r.stdout.split('\n').slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['INV-2026-000001', 'INV-2026-000002']);
  });

  it('reads a customer\'s invoices with --customer, and says when there are more pages', async () => {
    fetch.mockImplementationOnce(async () => jsonAnswer({ data: [inv('INV-2026-000001')], nextCursor: 'c2' }));
    const r = await run(['invoices', '--customer', 'cust-1', '--status', 'issued', '--json']);
    expect(r.code).toBe(0);
    expect(sent(0).pathname).toBe('/customers/cust-1/invoices');
    expect(sent(0).searchParams.get('status')).toBe('issued');
    expect(JSON.parse(r.stdout).data).toHaveLength(1);
    expect(r.stderr).toContain('more: --all');
  });

  it('needs a contract or --customer, not both, and calls nothing otherwise', async () => {
    expect((await run(['invoices'])).code).toBe(2);
    expect((await run(['invoices', 'c-1', '--customer', 'x'])).code).toBe(2);
    expect(fetch).not.toHaveBeenCalled();
  });
});

describe('tollgate reports', () => {
  it('prints a CSV report as it came', async () => {
    fetch.mockImplementationOnce(async () => new Response('account,debit,credit\r\nar,100.00,0.00\r\n', { status: 200, headers: { 'content-type': 'text/csv' } }));
    const r = await run(['reports', 'acme-001', 'trial-balance', '--format', 'csv']);
    expect(r.code).toBe(0);
    expect(sent(0).pathname).toBe('/contracts/acme-001/reports/trial-balance');
    expect(sent(0).searchParams.get('format')).toBe('csv');
    expect(r.stdout).toBe('account,debit,credit\nar,100.00,0.00');
  });

  it('prints JSON by default, and exits 4 for an unknown report', async () => {
    fetch.mockImplementationOnce(async () => jsonAnswer({ revenueByPeriod: { '2026-03': '100.00' } }))
      .mockImplementationOnce(async () => jsonAnswer({ code: 'not_found', message: 'no report nope', details: [] }, 404));
    const ok = await run(['reports', 'acme-001', 'waterfall']);
    expect(JSON.parse(ok.stdout)).toEqual({ revenueByPeriod: { '2026-03': '100.00' } });
    const missing = await run(['reports', 'acme-001', 'nope']);
    expect(missing).toMatchObject({ code: 4, stderr: 'not_found: no report nope' });
  });

  it('refuses a format it does not know before calling', async () => {
    expect((await run(['reports', 'acme-001', 'waterfall', '--format', 'xml'])).code).toBe(2);
    expect(fetch).not.toHaveBeenCalled();
  });
});

describe('tollgate aging', () => {
  const aging = {
    asOf: '2026-06-30', currency: 'USD',
    total: { current: '0.00', days_1_30: '100.00', days_31_60: '0.00', days_61_90: '0.00', days_over_90: '0.00', total: '100.00', credit: '5.00' },
    customers: [{ customerId: 'cust-1', current: '0.00', days_1_30: '100.00', days_31_60: '0.00', days_61_90: '0.00', days_over_90: '0.00', total: '100.00', credit: '5.00' }],
  };

  it('sends as-of, customer and currency, and prints a row per customer and the total', async () => {
    fetch.mockImplementationOnce(async () => jsonAnswer(aging));
    const r = await run(['aging', '--as-of', '2026-06-30', '--customer', 'cust-1']);
    expect(r.code).toBe(0);
    expect(sent(0).pathname).toBe('/aging');
    expect(Object.fromEntries(sent(0).searchParams)).toEqual({ currency: 'USD', asOf: '2026-06-30', customer: 'cust-1' });
    expect(r.stdout.split('\n')).toEqual(renderAging(aging));
    expect(renderAging(aging)).toEqual([
      'Aging as of 2026-06-30 (USD)',
      'CUSTOMER  CURRENT  1-30    31-60  61-90  90+   TOTAL   CREDIT',
      'cust-1    0.00     100.00  0.00   0.00   0.00  100.00  5.00',
      'TOTAL     0.00     100.00  0.00   0.00   0.00  100.00  5.00',
    ]);
  });

  it('exits 6 when the key may not read', async () => {
    fetch.mockImplementationOnce(async () => jsonAnswer({ code: 'unauthorized', message: 'no API key', details: [] }, 401));
    expect((await run(['aging'])).code).toBe(6);
  });
});
