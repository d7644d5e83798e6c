/**
 * The acceptance scenarios' books, posted directly to the revenue service (no workflow): every
 * month-end balance and every month's revenue in each file's `expect` must match exactly.
 */
import { periodOf } from '../../libs/dates';
import type { RunningService } from '../../libs/service-runtime';
import { http, uniqueId } from '../support/system';
import { loadScenario, post, scenarioCalls, startRevenue } from '../support/revenue';

let svc: RunningService;

beforeAll(async () => {
  svc = await startRevenue();
});

afterAll(async () => {
  await svc?.stop();
});

async function playAndCompare(file: string) {
  const scenario = loadScenario(file);
  const contractId = uniqueId(scenario.contract.contractId);
  for (const call of scenarioCalls(scenario, contractId)) {
    const res = await post(svc.url, call.route, call.body, call.key);
    if (res.status !== 201) throw new Error(`${call.route} ${JSON.stringify(call.body)} → ${res.status} ${res.text}`);
    const entry = call.route === '/plans' ? res.body.entry : res.body;
    if (entry) expect(entry.lines.length === 0 || entry.lines.some((l: { debit: string }) => l.debit !== '0.00')).toBe(true);
  }
  const expected = scenario.expect;
  const q = `contractId=${contractId}&sandbox=true`;
  const months = Object.keys(expected.balances).sort();
  const series = await http('GET', `${svc.url}/reports/month-end-balances?${q}&to=${periodOf(scenario.until)}&asOf=${scenario.until}`);
  expect(series.status).toBe(200);
  expect(series.body.from).toBe(months[0]);
  expect(series.body.balances).toEqual(expected.balances);
  const revenue = await http('GET', `${svc.url}/reports/revenue-by-period?${q}&asOf=${scenario.until}`);
  expect(revenue.body.revenueByPeriod).toEqual(expected.revenueByPeriod);
  const tb = await http('GET', `${svc.url}/reports/trial-balance?${q}`);
  expect(tb.body.balanced).toBe(true);
}

describe('acceptance scenarios posted straight to the revenue service', () => {
  it('p1 intranet fixed price (date trigger, sign-offs, payment): balances and revenue match', async () => {
    await playAndCompare('p1-intranet-fixed-price.json');
  });

  it('p2 Fox Stores (cost-to-cost, unbilled AR swings): every month-end balance and month of revenue match', async () => {
    await playAndCompare('p2-fox-stores-percent-spent.json');
  });

  it('p3 SSP allocation (point in time + output method): the license books a contract liability, balances match', async () => {
    await playAndCompare('p3-ssp-license-and-services.json');
  });

  it('p5 amendment: the catch-up and the credit memo on the effective date give the expected books', async () => {
    await playAndCompare('p5-amendment-credit-memo.json');
  });

  it('p7 ratable support: month-end postings by days elapsed, payment to cash, balances match', async () => {
    await playAndCompare('p7-ratable-support.json');
  });
});
