/**
 * The API the console needs (issue 13, docs/console.md): who a key is (`/me`), KPIs computed from
 * real events with dates known in advance (sandbox clocks), ignored and refused events and
 * reconciliation checks counted, ledger-wide reports (not for customer-scoped keys), every KPI read
 * answered from an index; and what the Temporal UI shows of a contract workflow (static summary and
 * details, current details, the business timer's summary).
 */
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { OPEN_PRINCIPAL } from '../../libs/auth';
import { addDays } from '../../libs/dates';
import { consoleOperations, type ConsoleStores } from '../../services/gateway/console-api';
import type { GatewayDeps } from '../../services/gateway/routes';
import { milestone, sandboxTerms } from '../support/contracts';
import { recordQueries, unindexedQueries } from '../support/query-guard';
import { gatewayCalls, http, startTestSystem, testApiKeys, uniqueId, waitFor, type TestSystem } from '../support/system';

const custKpi = uniqueId('cust-kpi');
const custOther = uniqueId('cust-other');
const auth = testApiKeys({ 'kpi-portal': { role: 'support', customerId: custKpi } });
let sys: TestSystem;
let connection: Connection;
let client: Client;

const today = new Date().toISOString().slice(0, 10);
const thisMonth = today.slice(0, 7);

beforeAll(async () => {
  sys = await startTestSystem({ ...auth.env });
  connection = await Connection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
  client = new Client({ connection });
});

afterAll(async () => {
  await connection?.close();
  await sys?.stop();
});

const url = (path: string) => `${sys.gatewayUrl}${path}`;
const { get, post } = gatewayCalls(() => sys.gatewayUrl, auth, { get: 'admin', post: 'admin' });

async function settled(id: string): Promise<any> {
  return (await waitFor(() => get(`/contracts/${id}`), (r) => r.status === 200 && r.body.pendingEffects === 0)).body;
}

/** Advances a sandbox contract's clock, then sends the operation; returns the operation's answer. */
async function on(id: string, date: string, path?: string, body: unknown = {}) {
  const c = await post(`/contracts/${id}/clock`, { to: date }, 'finance');
  expect(c.status).toBe(200);
  return path === undefined ? c : post(`/contracts/${id}${path}`, body);
}

describe('GET /me', () => {
  it('names each role\'s key with the permissions its role grants', async () => {
    const expected: Record<string, string[]> = {
      admin: ['read', 'deliver', 'approve', 'manage'],
      finance: ['read', 'manage'],
      delivery: ['read', 'deliver'],
      approver: ['read', 'approve'],
      support: ['read'],
    };
    for (const [role, permissions] of Object.entries(expected)) {
      const me = await get('/me', role);
      expect({ role, status: me.status, body: me.body }).toEqual({ role, status: 200, body: { name: role, role, permissions } });
    }
  });

  it('gives a customer-scoped key its customer; no key is 401', async () => {
    expect((await get('/me', 'kpi-portal')).body).toEqual({ name: 'kpi-portal', role: 'support', customerId: custKpi, permissions: ['read'] });
    const anonymous = await http('GET', url('/me'));
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe('unauthorized');
  });

  it('answers the open-mode principal (no keys configured) as admin with every permission', () => {
    const me = consoleOperations({} as GatewayDeps, {} as ConsoleStores).find((o) => o.path === '/me')!;
    let body: unknown;
    void me.handler({ principal: OPEN_PRINCIPAL } as never, { json: (b: unknown) => { body = b; } } as never);
    expect(body).toEqual({ name: 'open-mode', role: 'admin', permissions: ['read', 'deliver', 'approve', 'manage'] });
  });
});

describe('KPIs from real events', () => {
  let contractA: string;

  beforeAll(async () => {
    // Contract A (custKpi), five milestones whose acceptance and invoice dates are known:
    //   m1 accepted Mon 01-06, invoiced 01-06 (immediate)            → 0 business days, same day
    //   m2 reported on Fri 01-10 as done Wed 01-08, invoiced 01-10    → 2, late (billable 01-08)
    //   m3 accepted Mon 01-13, 5 days after acceptance → invoiced Sat 01-18 → 4, same day (billable 01-18)
    //   m4 declared Mon 01-20, deemed accepted Thu 01-30, invoiced 01-30 → 0, same day
    //   m5 accepted Tue 02-04 under a hold, released Fri 02-07        → 3, late (billable 02-04)
    const a = sandboxTerms([
      milestone('m1', { amount: '1000.00', sequence: 1 }),
      milestone('m2', { amount: '2000.00', sequence: 2 }),
      milestone('m3', { amount: '3000.00', sequence: 3, invoiceTiming: { type: 'days_after_acceptance', days: 5 } }),
      milestone('m4', { amount: '4000.00', sequence: 4, trigger: { type: 'event', completion: 'vendor_declaration', deemedAcceptanceDays: 10 } }),
      milestone('m5', { amount: '5000.00', sequence: 5, trigger: { type: 'event', completion: 'customer_signoff' } }),
    ], { customer: { id: custKpi, name: 'KPI Corp' }, obligations: [{ id: 'impl', name: 'Implementation', ssp: '15000.00', recognition: { method: 'milestones' } }] });
    contractA = a.contractId;
    expect((await post('/contracts', a, 'finance')).status).toBe(201);

    // Two refusals (a milestone never completed cannot be accepted; a date after the clock) and one duplicate.
    expect((await post(`/contracts/${contractA}/milestones/m5/accept`, {})).body.code).toBe('not_allowed_in_state');
    expect((await post(`/contracts/${contractA}/milestones/m1/complete`, { date: '2030-01-01' })).body.code).toBe('future_date');
    expect((await on(contractA, '2025-01-06', '/milestones/m1/complete')).body.outcome).toBe('applied');
    expect((await post(`/contracts/${contractA}/milestones/m1/complete`, {})).body.outcome).toBe('ignored');

    expect((await on(contractA, '2025-01-10', '/milestones/m2/complete', { date: '2025-01-08' })).body.outcome).toBe('applied');
    expect((await on(contractA, '2025-01-13', '/milestones/m3/complete')).body.outcome).toBe('applied');
    await on(contractA, '2025-01-18');
    expect((await on(contractA, '2025-01-20', '/milestones/m4/declare')).body.outcome).toBe('applied');
    await on(contractA, '2025-01-30');
    expect((await on(contractA, '2025-02-03', '/hold')).body.outcome).toBe('applied');
    expect((await post(`/contracts/${contractA}/milestones/m5/complete`, {})).body.outcome).toBe('applied');
    expect((await on(contractA, '2025-02-04', '/milestones/m5/accept')).body.outcome).toBe('applied');
    expect((await on(contractA, '2025-02-07', '/release')).body.outcome).toBe('applied');

    const state = await settled(contractA);
    expect(state.invoices.map((i: { milestoneIds: string[]; date: string }) => [i.milestoneIds[0], i.date])).toEqual([
      ['m1', '2025-01-06'], ['m2', '2025-01-10'], ['m3', '2025-01-18'], ['m4', '2025-01-30'], ['m5', '2025-02-07'],
    ]);

    // Contract B (another customer): one milestone accepted and invoiced Wed 01-15 → 0, same day.
    const b = sandboxTerms([milestone('m1', { amount: '1000.00' })], { customer: { id: custOther, name: 'Other Corp' } });
    expect((await post('/contracts', b, 'finance')).status).toBe(201);
    expect((await on(b.contractId, '2025-01-15', '/milestones/m1/complete')).body.outcome).toBe('applied');
  });

  it('gives each month the cycle time (median, p90 in business days) and the share invoiced the day it became billable', async () => {
    const r = await get('/kpis?from=2025-01&to=2025-02&sandbox=true');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ from: '2025-01', to: '2025-02', sandbox: true });
    const [jan, feb] = r.body.months;
    expect(jan.month).toBe('2025-01');
    // January: 0 (m1), 2 (m2), 4 (m3), 0 (m4), 0 (B) → sorted 0, 0, 0, 2, 4: median 0, p90 rank 5 → 4.
    expect(jan.cycleTime).toEqual({ count: 5, medianBusinessDays: 0, p90BusinessDays: 4, unmatched: 0 });
    expect(jan.invoicedSameDay).toEqual({ count: 5, sameDay: 4, share: 0.8, unknown: 0 });
    expect(feb.cycleTime).toEqual({ count: 1, medianBusinessDays: 3, p90BusinessDays: 3, unmatched: 0 });
    expect(feb.invoicedSameDay).toEqual({ count: 1, sameDay: 0, share: 0, unknown: 0 });
    // The range: 0, 0, 0, 2, 3, 4 → median 1, p90 rank 6 → 4; 4 of 6 on the day.
    expect(r.body.total.cycleTime).toEqual({ count: 6, medianBusinessDays: 1, p90BusinessDays: 4, unmatched: 0 });
    expect(r.body.total.invoicedSameDay).toEqual({ count: 6, sameDay: 4, share: 0.6667, unknown: 0 });
    expect(jan.events).toMatchObject({ invoicesIssued: 5, invoiced: { USD: '11000.00' } });
    expect(feb.events).toMatchObject({ invoicesIssued: 1, invoiced: { USD: '5000.00' } });
  });

  it('shows a customer-scoped key its own customer\'s figures only', async () => {
    const r = await get('/kpis?from=2025-01&to=2025-02&sandbox=true', 'kpi-portal');
    expect(r.status).toBe(200);
    expect(r.body.customerId).toBe(custKpi);
    // January without B: 0, 0, 2, 4 → median 1, p90 rank 4 → 4; 3 of 4 on the day.
    expect(r.body.months[0].cycleTime).toEqual({ count: 4, medianBusinessDays: 1, p90BusinessDays: 4, unmatched: 0 });
    expect(r.body.months[0].invoicedSameDay.share).toBe(0.75);
    expect(r.body.months[0].events.invoiced).toEqual({ USD: '10000.00' });
    expect((await get(`/kpis?from=2025-01&to=2025-02&sandbox=true&customerId=${custOther}`, 'kpi-portal')).status).toBe(404);
  });

  it('leaves sandbox contracts out of the live figures', async () => {
    const r = await get('/kpis?from=2025-01&to=2025-02');
    expect(r.body.sandbox).toBe(false);
    expect(r.body.total.cycleTime.count).toBe(0);
  });

  it('counts the ignored and refused events of the month they were answered, refusals by code, and the latest reconciliation of each contract', async () => {
    for (let i = 0; i < 2; i += 1) {
      const rec = await get(`/contracts/${contractA}/reconciliation`);
      expect(rec.status).toBe(200);
      expect(rec.body.ok).toBe(true);
    }
    // Records are written after the answer: read until they are all there.
    const r = await waitFor(() => get(`/kpis?from=${thisMonth}&to=${thisMonth}&sandbox=true`), (x) => x.body?.total?.reconciliation?.checked === 1 && x.body.total.signals.refused === 2);
    expect(r.body.total.signals).toEqual({ ignored: 1, refused: 2, refusedByCode: { not_allowed_in_state: 1, future_date: 1 } });
    expect(r.body.total.reconciliation).toEqual({ checked: 1, notOk: 0, absVariance: { USD: '0.00' } });
  });

  it('refuses a range longer than the limit or reversed, naming the field', async () => {
    expect((await get('/kpis?from=2020-01&to=2025-01')).body).toMatchObject({ code: 'validation_failed', details: [{ path: 'query.from' }] });
    expect((await get('/kpis?from=2025-03&to=2025-01')).status).toBe(400);
    expect((await get('/kpis?from=2025-1')).body.details[0].path).toBe('query.from');
  });

  it('answers every KPI read from an index, one month at a time', async () => {
    const recorder = recordQueries();
    try {
      expect((await get('/kpis?from=2025-01&to=2025-02&sandbox=true')).status).toBe(200);
      expect((await get(`/kpis?from=${thisMonth}&to=${thisMonth}`, 'kpi-portal')).status).toBe(200);
    } finally {
      recorder.stop();
    }
    const mine = recorder.queries.filter((q) => /_gateway$/.test(q.db));
    expect(mine.some((q) => q.collection === 'events' && 'occurredMonth' in q.filter)).toBe(true);
    expect(mine.some((q) => q.collection === 'contract_signals')).toBe(true);
    const { checked, unindexed } = await unindexedQueries(sys.config.MONGO_URL, mine, () => false);
    expect(checked.length).toBeGreaterThanOrEqual(4);
    expect(unindexed.map((u) => u.shape)).toEqual([]);
  });
});

describe('ledger-wide reports', () => {
  let live: string[];

  beforeAll(async () => {
    // Two live contracts of today: one with an advance (deferred revenue then released), one plain.
    const withAdvance = sandboxTerms([milestone('go-live', { amount: '50000.00' })], {
      contractId: uniqueId('live'), customer: { id: custKpi, name: 'KPI Corp' }, signedDate: today,
      obligations: [{ id: 'impl', name: 'Implementation', ssp: '50000.00', recognition: { method: 'milestones' } }],
      advanceBilling: { amount: '10000.00', date: today },
    });
    const plain = sandboxTerms([milestone('go-live', { amount: '20000.00' })], {
      contractId: uniqueId('live'), customer: { id: custOther, name: 'Other Corp' }, signedDate: today,
    });
    live = [];
    for (const t of [withAdvance, plain]) {
      const { sandbox, ...terms } = t;
      void sandbox;
      expect((await post('/contracts', terms, 'finance')).status).toBe(201);
      live.push(terms.contractId);
    }
    await waitFor(() => get(`/contracts/${live[0]}`), (r) => r.body?.invoices?.length === 1 && r.body.pendingEffects === 0);
    for (const id of live) expect((await post(`/contracts/${id}/milestones/go-live/complete`, {}, 'delivery')).body.outcome).toBe('applied');
  });

  it('gives the waterfall of the whole books: every live contract, the total by month (default: the last twelve months)', async () => {
    const r = await get('/reports/waterfall', 'support');
    expect(r.status).toBe(200);
    expect(r.body.ledger).toBe('books');
    expect(r.body.contractId).toBeNull();
    expect(r.body.revenueByPeriod).toEqual({ [thisMonth]: '70000.00' });
    expect(r.body.contracts.map((c: { contractId: string }) => c.contractId).sort()).toEqual([...live].sort());
    // The same as the sum of each contract's own report.
    const own = await Promise.all(live.map((id) => get(`/contracts/${id}/reports/waterfall`)));
    expect(own.map((o) => o.body.revenueByPeriod[thisMonth])).toEqual(['50000.00', '20000.00']);
  });

  it('gives the deferred revenue roll-forward of the books over named months', async () => {
    const r = await get(`/reports/roll-forward?from=${thisMonth}&to=${thisMonth}`, 'finance');
    expect(r.status).toBe(200);
    expect(r.body.deferred_revenue).toEqual([{ period: thisMonth, opening: '0.00', additions: '10000.00', releases: '10000.00', closing: '0.00' }]);
    expect(r.body.unbilled_ar).toEqual([{ period: thisMonth, opening: '0.00', additions: '0.00', releases: '0.00', closing: '0.00' }]);
  });

  it('answers CSV with format=csv', async () => {
    const r = await get(`/reports/revenue-by-period?from=${thisMonth}&to=${thisMonth}&format=csv`, 'support');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/csv/);
    expect(r.text).toContain(`TOTAL,70000.00,70000.00`);
  });

  it('refuses a customer-scoped key (403) and names the known reports for an unknown one (404)', async () => {
    const scoped = await get('/reports/waterfall', 'kpi-portal');
    expect(scoped.status).toBe(403);
    expect(scoped.body.code).toBe('forbidden');
    const unknown = await get('/reports/nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toContain('waterfall');
  });

  it('reads the months of a ledger-wide waterfall by (ledger, period), never the whole ledger', async () => {
    const recorder = recordQueries();
    try {
      expect((await get(`/reports/waterfall?from=${thisMonth}&to=${thisMonth}`)).status).toBe(200);
    } finally {
      recorder.stop();
    }
    const reads = recorder.queries.filter((q) => /_revenue$/.test(q.db) && q.collection === 'journal_entries');
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((q) => q.filter.ledger === 'books' && q.filter.period === thisMonth)).toBe(true);
    expect((await unindexedQueries(sys.config.MONGO_URL, reads, () => false)).unindexed).toEqual([]);
  });
});

describe('the Temporal UI', () => {
  it('shows a started contract\'s static summary and details, and its current details', async () => {
    const terms = sandboxTerms([
      milestone('design', { amount: '120000.00', sequence: 1 }),
      milestone('build', { amount: '0.50', sequence: 2, invoiceTiming: { type: 'days_after_acceptance', days: 5 } }),
    ], { customer: { id: custKpi, name: 'KPI Corp' }, obligations: [{ id: 'impl', name: 'Implementation', ssp: '1.00', recognition: { method: 'milestones' } }] });
    expect((await post('/contracts', terms, 'finance')).status).toBe(201);
    expect((await on(terms.contractId, '2025-01-06', '/milestones/design/complete')).body.outcome).toBe('applied');
    await settled(terms.contractId);

    const handle = client.workflow.getHandle(`contract-${terms.contractId}`);
    const desc = await handle.describe();
    expect(await desc.staticSummary()).toBe(`Contract ${terms.contractId} · KPI Corp · USD 120,000.50 · 2 milestones · sandbox from 2025-01-01`);
    const details = await desc.staticDetails();
    expect(details).toContain(`**Customer:** KPI Corp (\`${custKpi}\`)`);
    expect(details).toContain('| 1 | design — Milestone design | 120,000.00 | external event | immediate | — |');
    expect(details).toContain('| 2 | build — Milestone build | 0.50 | external event | 5 days after acceptance | — |');

    const meta = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(meta.currentDetails).toContain('clock 2025-01-06 (sandbox)');
    expect(meta.currentDetails).toMatch(/\| design \| invoiced \| .*accepted 2025-01-06 \(event\) · invoiced 2025-01-06 · (SBX-)?INV-/);
    expect(meta.currentDetails).toContain('| build | planned |');
  });

  it('names the business timer a live contract waits for, in its history and its current details', async () => {
    const { sandbox, ...terms } = sandboxTerms([
      milestone('handover', { amount: '5000.00', trigger: { type: 'event', completion: 'vendor_declaration', deemedAcceptanceDays: 10 } }),
    ], { contractId: uniqueId('live-timer'), customer: { id: custKpi, name: 'KPI Corp' }, signedDate: today });
    void sandbox;
    expect((await post('/contracts', terms, 'finance')).status).toBe(201);
    expect((await post(`/contracts/${terms.contractId}/milestones/handover/declare`, {}, 'delivery')).body.outcome).toBe('applied');
    const fires = addDays(today, 10);

    const handle = client.workflow.getHandle(`contract-${terms.contractId}`);
    const summaries = await waitFor(async () => {
      const history = await handle.fetchHistory();
      return (history.events ?? []).filter((e) => e.timerStartedEventAttributes && e.userMetadata?.summary)
        .map((e) => defaultPayloadConverter.fromPayload<string>(e.userMetadata!.summary as never));
    }, (s) => s.length > 0);
    expect(summaries).toContain(`deem handover accepted on ${fires}`);
    const meta = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(meta.currentDetails).toContain(`- ${fires}: deem handover accepted`);
    expect(meta.currentDetails).toContain('| handover | declared |');

    // The summary is metadata only: the same history without it (what a worker before it recorded)
    // replays on this code, and so does the history as recorded.
    const history = await handle.fetchHistory();
    const without = structuredClone(history);
    let stripped = 0;
    for (const e of without.events ?? []) {
      if (e.timerStartedEventAttributes && e.userMetadata) {
        e.userMetadata = null;
        stripped += 1;
      }
    }
    expect(stripped).toBeGreaterThan(0);
    const bundle = { workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! } };
    await expect(Worker.runReplayHistory(bundle, without, `replay-without-summary-${terms.contractId}`)).resolves.toBeUndefined();
    await expect(Worker.runReplayHistory(bundle, history, `replay-with-summary-${terms.contractId}`)).resolves.toBeUndefined();
  });
});
