/**
 * The revenue service on the real FerretDB: each rule of DESIGN §6 through its HTTP API, period
 * closes, idempotent replays of every kind of posting, ledgers, reports and the OpenAPI document.
 */
import type { RunningService } from '../../libs/service-runtime';
import { http, uniqueId } from '../support/system';
import { post, startRevenue } from '../support/revenue';

let svc: RunningService;

beforeAll(async () => {
  svc = await startRevenue({ now: () => new Date('2026-06-15T12:00:00Z') });
});

afterAll(async () => {
  await svc?.stop();
});

const USD = 'USD';
const Dr = (account: string, amount: string) => ({ account, debit: amount, credit: '0.00' });
const Cr = (account: string, amount: string) => ({ account, debit: '0.00', credit: amount });

type Recognition = Record<string, unknown>;

/** A contract with one obligation and its milestones, and its plan v1 posted. */
async function contract(opts: {
  recognition?: Recognition;
  milestones?: Array<{ id: string; amount: string; billable?: boolean; weight?: string }>;
  obligations?: Array<{ id: string; ssp: string; recognition: Recognition }>;
  sandbox?: boolean;
} = {}) {
  const contractId = uniqueId('rev');
  const sandbox = opts.sandbox ?? true;
  const obligations = opts.obligations ?? [{ id: 'impl', ssp: '1000.00', recognition: opts.recognition ?? { method: 'milestones' } }];
  const milestones = (opts.milestones ?? [{ id: 'm1', amount: '1000.00' }]).map((m, i) => ({
    obligationId: obligations[0]!.id, billable: true, sequence: i + 1, ...m,
  }));
  const plan = { contractId, sandbox, currency: USD, version: 1, effectiveDate: '2025-01-01', obligations, milestones, cancelled: [] as string[] };
  const res = await post(svc.url, '/plans', plan);
  expect(res.status).toBe(201);
  const event = (eventDate: string, body: Record<string, unknown>, key?: string) =>
    post(svc.url, '/postings', { kind: 'contract_event', contractId, sandbox, currency: USD, eventDate, source: { type: 'milestone', ref: 'x' }, ...body }, key);
  const balances = async (asOf?: string) =>
    (await http('GET', `${svc.url}/reports/balances?contractId=${contractId}&sandbox=${sandbox}${asOf ? `&asOf=${asOf}` : ''}`)).body.balances;
  return { contractId, sandbox, plan, planResponse: res.body, event, balances };
}

describe('a posting that changes no balance (DESIGN §11)', () => {
  it('stores no journal entry, keeps its facts, and month-end balances start at the first non-zero posting', async () => {
    const c = await contract({ recognition: { method: 'cost_input', estimatedTotalCost: '100.00' }, obligations: [
      { id: 'impl', ssp: '1000.00', recognition: { method: 'cost_input', estimatedTotalCost: '100.00' } },
    ] });
    // January: a milestone event that bills nothing and moves no revenue.
    const nothing = await c.event('2025-01-15', { billed: '0.00' });
    expect(nothing.status).toBe(201);
    expect(nothing.body).toMatchObject({ lines: [], journal: false });
    // February: a cost of 0 changes nothing either, but a later cost must still count from the facts.
    expect((await c.event('2025-02-03', { progress: { cost: { obligationId: 'impl', amount: '0.00' } } })).body.journal).toBe(false);
    const march = await c.event('2025-03-10', { progress: { cost: { obligationId: 'impl', amount: '25.00' } } });
    expect(march.body.lines).toEqual([Dr('unbilled_ar', '250.00'), Cr('revenue', '250.00')]);

    const entries = (await http('GET', `${svc.url}/entries?contractId=${c.contractId}&sandbox=true`)).body.data as Array<{ postingDate: string }>;
    expect(entries.map((e) => e.postingDate)).toEqual(['2025-03-10']);
    const series = (await http('GET', `${svc.url}/reports/month-end-balances?contractId=${c.contractId}&sandbox=true&asOf=2025-03-31`)).body.balances;
    expect(Object.keys(series)).toEqual(['2025-03']);
    // The same request again answers the same (nothing stored twice).
    const again = await c.event('2025-01-15', { billed: '0.00' }, undefined);
    expect(again.body.journal).toBe(false);
  });
});

describe('contract-position journal rules (DESIGN §6)', () => {
  it('an invoice ahead of revenue debits ar and credits deferred revenue', async () => {
    const c = await contract();
    const res = await c.event('2025-02-01', { billed: '1000.00' });
    expect(res.status).toBe(201);
    expect(res.body.lines).toEqual([Dr('ar', '1000.00'), Cr('deferred_revenue', '1000.00')]);
    expect(res.body.position).toEqual({ billed: '1000.00', recognized: '0.00' });
  });

  it('an invoice credits unbilled AR up to its balance and the rest deferred revenue', async () => {
    const c = await contract({ recognition: { method: 'cost_input', estimatedTotalCost: '100.00' } });
    await c.event('2025-02-01', { progress: { cost: { obligationId: 'impl', amount: '40.00' } } }); // 400 unbilled
    const res = await c.event('2025-02-10', { billed: '700.00' });
    expect(res.body.lines).toEqual([Dr('ar', '700.00'), Cr('unbilled_ar', '400.00'), Cr('deferred_revenue', '300.00')]);
  });

  it('revenue ahead of billing credits revenue and debits unbilled AR', async () => {
    const c = await contract({ recognition: { method: 'cost_input', estimatedTotalCost: '100.00' } });
    const res = await c.event('2025-02-01', { progress: { cost: { obligationId: 'impl', amount: '25.00' } } });
    expect(res.body.lines).toEqual([Dr('unbilled_ar', '250.00'), Cr('revenue', '250.00')]);
    expect(res.body.revenue).toBe('250.00');
  });

  it('revenue debits deferred revenue up to its balance and the rest unbilled AR', async () => {
    const c = await contract({ recognition: { method: 'cost_input', estimatedTotalCost: '100.00' } });
    await c.event('2025-02-01', { billed: '300.00' });
    const res = await c.event('2025-02-20', { progress: { cost: { obligationId: 'impl', amount: '50.00' } } });
    expect(res.body.lines).toEqual([Dr('unbilled_ar', '200.00'), Dr('deferred_revenue', '300.00'), Cr('revenue', '500.00')]);
  });

  it('invoice and revenue from one event net into one entry: a plain arrears milestone is Dr ar / Cr revenue', async () => {
    const c = await contract();
    const res = await c.event('2025-03-03', { billed: '1000.00', progress: { accepted: ['m1'] } });
    expect(res.body.lines).toEqual([Dr('ar', '1000.00'), Cr('revenue', '1000.00')]);
    expect(res.body.recognized).toEqual({ impl: '1000.00' });
    const entries = await http('GET', `${svc.url}/entries?contractId=${c.contractId}&sandbox=true`);
    expect(entries.body.data).toHaveLength(1);
  });

  it('a credit memo is the mirror of an invoice: Cr ar, Dr deferred revenue up to its balance, the rest unbilled AR', async () => {
    const c = await contract();
    await c.event('2025-02-01', { billed: '600.00' }); // deferred 600
    const res = await c.event('2025-02-05', { billed: '-800.00', source: { type: 'credit_memo', ref: 'INV-1' } });
    expect(res.body.lines).toEqual([Cr('ar', '800.00'), Dr('unbilled_ar', '200.00'), Dr('deferred_revenue', '600.00')]);
    expect(await c.balances()).toMatchObject({ ar: '-200.00', unbilled_ar: '200.00', deferred_revenue: '0.00' });
  });

  it('negative revenue (a downward catch-up) debits revenue and credits unbilled AR, then deferred revenue', async () => {
    const c = await contract({ milestones: [{ id: 'a', amount: '500.00' }, { id: 'b', amount: '500.00' }] });
    await c.event('2025-02-01', { progress: { accepted: ['a'] } }); // unbilled 500
    const v2 = { ...c.plan, version: 2, effectiveDate: '2025-03-01', milestones: c.plan.milestones.map((m) => (m.id === 'b' ? { ...m, amount: '1500.00' } : m)) };
    const res = await post(svc.url, '/plans', v2);
    expect(res.status).toBe(201);
    // a is now 500/2000 of 2000 = 500: no change; give b weight to make a smaller share instead
    expect(res.body.entry).toBeNull();
    const v3 = { ...v2, version: 3, effectiveDate: '2025-03-05', milestones: v2.milestones.map((m) => (m.id === 'a' ? { ...m, weight: '100.00' } : m)) };
    const down = await post(svc.url, '/plans', v3);
    // a: 2000 × 100/1600 = 125 → catch-up −375: Dr revenue / Cr unbilled_ar
    expect(down.body.entry.lines).toEqual([Cr('unbilled_ar', '375.00'), Dr('revenue', '375.00')]);
    expect(down.body.entry.source).toEqual({ type: 'amendment', ref: 'v3' });
    expect(down.body.recognized).toEqual({ impl: '125.00' });
  });

  it('a payment debits cash and credits ar on the payment date, and needs no plan', async () => {
    const contractId = uniqueId('pay');
    const res = await post(svc.url, '/postings', { kind: 'payment', contractId, sandbox: false, currency: USD, eventDate: '2025-04-02', source: { type: 'payment', ref: 'P-1' }, amount: '250.00' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ kind: 'payment', postingDate: '2025-04-02', lines: [Dr('cash', '250.00'), Cr('ar', '250.00')] });
  });

  it('an event that neither bills nor recognizes is no journal entry, but its facts count', async () => {
    const c = await contract({ recognition: { method: 'point_in_time' }, milestones: [{ id: 'a', amount: '100.00' }, { id: 'b', amount: '900.00' }] });
    const res = await c.event('2025-02-01', { progress: { accepted: ['a'] } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ lines: [], journal: false });
    expect(res.body.facts.accepted).toEqual(['a']);
    expect((await http('GET', `${svc.url}/entries?contractId=${c.contractId}&sandbox=true`)).body.data).toEqual([]);
  });
});

describe('revenue plan and recognition methods', () => {
  it('allocates the price by relative SSP, rounding down and giving leftover cents to the largest remainders', async () => {
    const c = await contract({
      obligations: [
        { id: 'o1', ssp: '1.00', recognition: { method: 'milestones' } },
        { id: 'o2', ssp: '1.00', recognition: { method: 'milestones' } },
        { id: 'o3', ssp: '1.00', recognition: { method: 'milestones' } },
      ],
      milestones: [{ id: 'm', amount: '100.00' }],
    });
    expect(c.planResponse.plan).toMatchObject({ version: 1, transactionPrice: '100.00', allocated: { o1: '33.34', o2: '33.33', o3: '33.33' } });
    expect(c.planResponse.entry).toBeNull();
  });

  it('point_in_time recognizes the whole share when its satisfiedBy milestone is accepted, not before', async () => {
    const c = await contract({ recognition: { method: 'point_in_time', satisfiedBy: 'deliver' }, milestones: [{ id: 'deliver', amount: '400.00' }, { id: 'later', amount: '600.00' }] });
    expect((await c.event('2025-02-01', { progress: { accepted: ['later'] } })).body.revenue).toBe('0.00');
    const res = await c.event('2025-02-03', { progress: { accepted: ['deliver'] } });
    expect(res.body.revenue).toBe('1000.00');
    expect(res.body.postingDate).toBe('2025-02-03');
  });

  it('the output method weighs every non-cancelled milestone, billable or not', async () => {
    const c = await contract({ milestones: [{ id: 'a', amount: '600.00' }, { id: 'b', amount: '400.00' }, { id: 'free', amount: '0.00', billable: false, weight: '1000.00' }] });
    const res = await c.event('2025-02-01', { progress: { accepted: ['a'] } });
    expect(res.body.recognized).toEqual({ impl: '300.00' }); // 1000 × 600/2000
  });

  it('cost_input recognizes cost to date over the estimate, capped at the allocated price', async () => {
    const c = await contract({ recognition: { method: 'cost_input', estimatedTotalCost: '300.00' } });
    expect((await c.event('2025-02-01', { progress: { cost: { obligationId: 'impl', amount: '100.00' } } })).body.recognized).toEqual({ impl: '333.33' });
    expect((await c.event('2025-03-01', { progress: { cost: { obligationId: 'impl', amount: '100.00' } } })).body.revenue).toBe('333.34');
    const over = await c.event('2025-04-01', { progress: { cost: { obligationId: 'impl', amount: '500.00' } } });
    expect(over.body.recognized).toEqual({ impl: '1000.00' });
    expect(over.body.facts.costToDate).toEqual({ impl: '700.00' });
  });

  it('ratable recognizes by days elapsed through each month end, 31/365 on 31 January', async () => {
    const c = await contract({ recognition: { method: 'ratable', startDate: '2025-01-01', endDate: '2025-12-31' }, milestones: [{ id: 'fee', amount: '36500.00' }] });
    const jan = await c.event('2025-01-31', { source: { type: 'ratable_month', ref: '2025-01' }, progress: { ratableThrough: '2025-01-31' } });
    expect(jan.body.revenue).toBe('3100.00');
    const feb = await c.event('2025-02-28', { source: { type: 'ratable_month', ref: '2025-02' }, progress: { ratableThrough: '2025-02-28' } });
    expect(feb.body.revenue).toBe('2800.00');
    const end = await c.event('2025-12-31', { source: { type: 'ratable_month', ref: 'end' }, progress: { ratableThrough: '2025-12-31' } });
    expect(end.body.recognized).toEqual({ impl: '36500.00' });
  });

  it('an amendment posts the per-obligation cumulative catch-up on its effective date as one entry', async () => {
    const c = await contract({
      obligations: [
        { id: 'lic', ssp: '500.00', recognition: { method: 'point_in_time', satisfiedBy: 'l' } },
        { id: 'svc', ssp: '500.00', recognition: { method: 'milestones' } },
      ],
      milestones: [{ id: 'l', amount: '500.00' }],
    });
    // plan milestones all belong to the first obligation; give svc one milestone too
    const plan2 = { ...c.plan, version: 2, effectiveDate: '2025-03-01', milestones: [...c.plan.milestones, { id: 's', obligationId: 'svc', amount: '500.00', billable: true, sequence: 2 }] };
    await c.event('2025-02-01', { billed: '500.00', progress: { accepted: ['l'] } }); // price 500: lic 250 recognized
    const res = await post(svc.url, '/plans', plan2);
    expect(res.status).toBe(201);
    expect(res.body.plan.allocated).toEqual({ lic: '500.00', svc: '500.00' });
    // lic 250 → 500: Dr deferred revenue / Cr revenue 250, dated on the effective date
    expect(res.body.entry).toMatchObject({ eventDate: '2025-03-01', postingDate: '2025-03-01', kind: 'amendment', source: { type: 'amendment', ref: 'v2' } });
    expect(res.body.entry.lines).toEqual([Dr('deferred_revenue', '250.00'), Cr('revenue', '250.00')]);
    expect(res.body.recognized).toEqual({ lic: '500.00', svc: '0.00' });
    await c.event('2025-03-10', { progress: { accepted: ['s'] } });
    const plan3 = { ...plan2, version: 3, effectiveDate: '2025-04-01', obligations: plan2.obligations.map((o) => (o.id === 'lic' ? { ...o, ssp: '1500.00' } : o)) };
    const up = await post(svc.url, '/plans', plan3);
    // price 1000 split 750/250: lic +250, svc −250 → net zero revenue but a recorded catch-up
    expect(up.body.entry).toMatchObject({ kind: 'amendment', revenue: '0.00', lines: [] });
    expect(up.body.recognized).toEqual({ lic: '750.00', svc: '250.00' });
    const same = await post(svc.url, '/plans', { ...plan3, version: 4, effectiveDate: '2025-04-05' });
    expect(same.status).toBe(201);
    expect(same.body.entry).toBeNull(); // zero catch-ups post nothing
    expect(same.body.position).toEqual({ billed: '500.00', recognized: '1000.00' });
    const stale = await post(svc.url, '/plans', { ...plan3, version: 4, effectiveDate: '2025-04-02' });
    expect([stale.status, stale.body.code]).toEqual([409, 'stale_version']);
  });

  it('refuses a contract event without a plan (404) and progress naming an unknown milestone (400)', async () => {
    const none = await post(svc.url, '/postings', { kind: 'contract_event', contractId: uniqueId('none'), sandbox: true, currency: USD, eventDate: '2025-01-01', source: { type: 'milestone', ref: 'x' }, billed: '1.00' });
    expect([none.status, none.body.code]).toEqual([404, 'not_found']);
    const c = await contract();
    const bad = await c.event('2025-01-02', { progress: { accepted: ['nope'] } });
    expect([bad.status, bad.body.code, bad.body.details[0].path]).toEqual([400, 'validation_failed', 'body.progress.accepted.0']);
    const cents = await c.event('2025-01-02', { billed: '1.001' });
    expect([cents.status, cents.body.details[0].path]).toEqual([400, 'body.billed']);
  });
});

describe('periods', () => {
  it('an event dated in a closed month posts on the first day of the first open month, keeping its event date', async () => {
    const c = await contract();
    const close = (period: string, asOf = '2025-05-10') => post(svc.url, '/periods/close', { period, sandbox: true, contractId: c.contractId, asOf });
    expect((await close('2025-02')).body).toMatchObject({ outcome: 'closed', period: '2025-02' });
    expect((await close('2025-03')).status).toBe(201);
    const again = await close('2025-02');
    expect([again.status, again.body.outcome]).toEqual([200, 'ignored']);
    const res = await c.event('2025-02-14', { billed: '1000.00', progress: { accepted: ['m1'] } });
    expect(res.body).toMatchObject({ eventDate: '2025-02-14', postingDate: '2025-04-01' });
    const byPeriod = await http('GET', `${svc.url}/reports/revenue-by-period?contractId=${c.contractId}&sandbox=true`);
    expect(byPeriod.body.revenueByPeriod).toEqual({ '2025-04': '1000.00' });
    const books = await c.event('2025-04-02', { billed: '5.00' });
    expect(books.body.postingDate).toBe('2025-04-02');
  });

  it('only a month that has ended can be closed, and closing one ledger leaves the others open', async () => {
    const c = await contract();
    const early = await post(svc.url, '/periods/close', { period: '2025-05', sandbox: true, contractId: c.contractId, asOf: '2025-05-31' });
    expect([early.status, early.body.code]).toEqual([409, 'not_allowed_in_state']);
    const today = await post(svc.url, '/periods/close', { period: '2026-06', sandbox: true, contractId: c.contractId });
    expect(today.status).toBe(409); // the service's today is 2026-06-15
    expect((await post(svc.url, '/periods/close', { period: '2025-05', sandbox: true, contractId: c.contractId, asOf: '2025-06-01' })).status).toBe(201);
    const other = await contract();
    expect((await other.event('2025-05-20', { billed: '1.00' })).body.postingDate).toBe('2025-05-20');
    const missing = await post(svc.url, '/periods/close', { period: '2025-05', sandbox: true });
    expect(missing.body.details[0].path).toBe('body.contractId');
  });
});

describe('idempotency: every kind of posting, replayed', () => {
  it('a replayed contract event, payment and plan return the original (200) and post nothing more; another body is a conflict', async () => {
    const c = await contract();
    const v2 = { ...c.plan, version: 2, effectiveDate: '2025-03-01', milestones: [...c.plan.milestones, { id: 'm2', obligationId: 'impl', amount: '0.00', weight: '1000.00', billable: false, sequence: 2 }] };
    const ev = { kind: 'contract_event', contractId: c.contractId, sandbox: true, currency: USD, eventDate: '2025-02-01', source: { type: 'milestone', ref: 'm1' }, billed: '1000.00', progress: { accepted: ['m1'] } };
    const pay = { kind: 'payment', contractId: c.contractId, sandbox: true, currency: USD, eventDate: '2025-02-20', source: { type: 'payment', ref: 'P1' }, amount: '1000.00' };
    const calls: Array<[string, Record<string, unknown>, string]> = [['/postings', ev, uniqueId('ev')], ['/postings', pay, uniqueId('pay')], ['/plans', v2, uniqueId('plan')]];
    for (const [route, body, key] of calls) {
      const first = await post(svc.url, route, body, key);
      expect(first.status).toBe(201);
      const replay = await post(svc.url, route, body, key);
      expect(replay.status).toBe(200);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.body).toEqual(first.body);
      const conflict = await post(svc.url, route, { ...body, eventDate: '2025-02-02', effectiveDate: '2025-03-02' }, key);
      expect([conflict.status, conflict.body.code]).toEqual([409, 'idempotency_conflict']);
    }
    const entries = await http('GET', `${svc.url}/entries?contractId=${c.contractId}&sandbox=true`);
    expect(entries.body.data.map((e: { seq: number; kind: string }) => [e.seq, e.kind])).toEqual([[1, 'contract_event'], [2, 'payment'], [3, 'amendment']]);
    expect(await c.balances()).toEqual({ ar: '0.00', unbilled_ar: '0.00', deferred_revenue: '500.00', revenue: '500.00', cash: '1000.00' });
  });

  it('concurrent postings to one contract each land once, in sequence, and the ledger still balances', async () => {
    const c = await contract({ recognition: { method: 'cost_input', estimatedTotalCost: '1000.00' } });
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => c.event('2025-02-01', { billed: '10.00', progress: { cost: { obligationId: 'impl', amount: '10.00' } } }, `conc-${c.contractId}-${i}`)),
    );
    expect(results.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    const ok = results.filter((r) => r.status === 201).length;
    const entries = (await http('GET', `${svc.url}/entries?contractId=${c.contractId}&sandbox=true`)).body.data;
    expect(entries.map((e: { seq: number }) => e.seq)).toEqual(Array.from({ length: ok }, (_, i) => i + 1));
    expect(await c.balances()).toMatchObject({ ar: `${ok * 10}.00`, revenue: `${ok * 10}.00`, unbilled_ar: '0.00', deferred_revenue: '0.00' });
  });
});

describe('ledgers and reports', () => {
  it('keeps the books and each sandbox ledger apart', async () => {
    const books = await contract({ sandbox: false });
    await books.event('2025-02-01', { billed: '1000.00', progress: { accepted: ['m1'] } });
    const sandboxed = await post(svc.url, '/postings', { kind: 'contract_event', contractId: books.contractId, sandbox: true, currency: USD, eventDate: '2025-02-01', source: { type: 'milestone', ref: 'm1' }, billed: '1.00' });
    expect([sandboxed.status, sandboxed.body.message]).toEqual([404, `no revenue plan for contract ${books.contractId}`]);
    const tb = await http('GET', `${svc.url}/reports/trial-balance?contractId=${books.contractId}&sandbox=false`);
    expect(tb.body).toMatchObject({ ledger: 'books', balanced: true, totals: { debit: '1000.00', credit: '1000.00' } });
    const overall = await http('GET', `${svc.url}/reports/trial-balance`);
    expect(overall.body.ledger).toBe('books');
    expect(overall.body.balanced).toBe(true);
    const contracts = await http('GET', `${svc.url}/reports/contract-balances`);
    expect(contracts.body.contracts.map((r: { contractId: string }) => r.contractId)).toContain(books.contractId);
    expect(contracts.body.contracts.every((r: { contractId: string }) => !r.contractId.startsWith('sandbox'))).toBe(true);
    const needsContract = await http('GET', `${svc.url}/reports/trial-balance?sandbox=true`);
    expect(needsContract.status).toBe(400);
  });

  it('rolls deferred revenue and unbilled AR forward by month, and answers CSV', async () => {
    const c = await contract({ recognition: { method: 'ratable', startDate: '2025-01-01', endDate: '2025-03-31' }, milestones: [{ id: 'fee', amount: '900.00' }] });
    await c.event('2025-01-01', { billed: '900.00', progress: { accepted: ['fee'] } });
    await c.event('2025-01-31', { progress: { ratableThrough: '2025-01-31' } });
    await c.event('2025-02-28', { progress: { ratableThrough: '2025-02-28' } });
    const q = `contractId=${c.contractId}&sandbox=true`;
    const rf = await http('GET', `${svc.url}/reports/roll-forward?${q}&from=2025-01&to=2025-03`);
    expect(rf.body.deferred_revenue).toEqual([
      { period: '2025-01', opening: '0.00', additions: '900.00', releases: '310.00', closing: '590.00' },
      { period: '2025-02', opening: '590.00', additions: '0.00', releases: '280.00', closing: '310.00' },
      { period: '2025-03', opening: '310.00', additions: '0.00', releases: '0.00', closing: '310.00' },
    ]);
    expect(rf.body.unbilled_ar.every((r: { closing: string }) => r.closing === '0.00')).toBe(true);
    const csv = await http('GET', `${svc.url}/reports/month-end-balances?${q}&format=csv`);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.text.split('\r\n').slice(0, 3)).toEqual(['period,ar,unbilled_ar,deferred_revenue,revenue,cash', '2025-01,900.00,0.00,590.00,310.00,0.00', '2025-02,900.00,0.00,310.00,590.00,0.00']);
    const asOf = await http('GET', `${svc.url}/reports/balances?${q}&asOf=2025-01-31`);
    expect(asOf.body.balances).toMatchObject({ revenue: '310.00', deferred_revenue: '590.00' });
    const waterfall = await http('GET', `${svc.url}/reports/revenue-by-period?${q}&format=csv`);
    expect(waterfall.text).toBe(`contractId,2025-01,2025-02,total\r\n${c.contractId},310.00,280.00,590.00\r\nTOTAL,310.00,280.00,590.00\r\n`);
    const journal = await http('GET', `${svc.url}/reports/journal?${q}&from=2025-02-01&account=revenue`);
    expect(journal.body.data).toHaveLength(1);
    expect(journal.body.data[0]).toMatchObject({ postingDate: '2025-02-28', revenue: '280.00' });
  });

  it('serves an OpenAPI 3 document generated from the schemas', async () => {
    const res = await http('GET', `${svc.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/plans', '/postings', '/periods/close', '/reports/month-end-balances']));
    const body = res.body.paths['/plans'].post.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(expect.arrayContaining(['contractId', 'currency', 'version', 'effectiveDate', 'obligations', 'milestones']));
  });
});
