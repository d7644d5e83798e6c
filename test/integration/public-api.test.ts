/**
 * The public API's shapes (issue 12): answers list what the call caused, the state carries no
 * workflow machinery, the log names its actors and pages by cursor, errors have one shape.
 */
import { milestone, sandboxTerms } from '../support/contracts';
import { gatewayCalls, startTestSystem, testApiKeys, waitFor, type TestSystem } from '../support/system';

const auth = testApiKeys();
let sys: TestSystem;

beforeAll(async () => {
  sys = await startTestSystem({ ...auth.env });
});

afterAll(async () => {
  await sys?.stop();
});

const { get, post } = gatewayCalls(() => sys.gatewayUrl, auth, { get: 'admin', post: 'admin' });

async function create(...args: Parameters<typeof sandboxTerms>) {
  const terms = sandboxTerms(...args);
  const res = await post('/contracts', terms, 'finance');
  expect(res.status).toBe(201);
  return { id: terms.contractId };
}

/** The state once no effect is pending. */
async function settled(id: string): Promise<any> {
  return (await waitFor(() => get(`/contracts/${id}`), (r) => r.status === 200 && r.body.pendingEffects === 0)).body;
}

describe('answers list what the call caused', () => {
  it('a release that issues three invoices names the three, numbered; a declaration names the deemed-acceptance timer it planned', async () => {
    const { id } = await create([
      milestone('m1'), milestone('m2', { sequence: 2 }), milestone('m3', { sequence: 3 }),
      milestone('m4', { sequence: 4, trigger: { type: 'event', completion: 'vendor_declaration', deemedAcceptanceDays: 10 } }),
    ]);
    await post(`/contracts/${id}/clock`, { to: '2025-02-01' }, 'finance');
    const hold = await post(`/contracts/${id}/hold`, {}, 'finance');
    expect(hold.body).toEqual({ outcome: 'applied', caused: { invoices: [], creditMemos: [], timers: [] } });
    for (const m of ['m1', 'm2', 'm3']) expect((await post(`/contracts/${id}/milestones/${m}/complete`, {}, 'delivery')).body.caused.invoices).toEqual([]);

    const release = await post(`/contracts/${id}/release`, {}, 'finance');
    expect(release.status).toBe(200);
    expect(release.body.caused.invoices.map((i: { milestoneIds: string[] }) => i.milestoneIds[0])).toEqual(['m1', 'm2', 'm3']);
    for (const i of release.body.caused.invoices) expect(i).toMatchObject({ number: expect.any(String), amount: '10000.00', date: '2025-02-01', kind: 'milestone' });

    const declared = await post(`/contracts/${id}/milestones/m4/declare`, {}, 'delivery');
    expect(declared.body.caused.timers).toEqual([expect.objectContaining({ kind: 'acceptance', milestoneId: 'm4', date: '2025-02-11', deemed: true })]);
    expect(declared.body.caused.timers[0].seq).toBeUndefined();
  });

  it('an amendment that lowers an invoiced milestone names its credit memo and the supplementary invoice', async () => {
    const { id } = await create([milestone('m1'), milestone('m2', { sequence: 2 })]);
    await post(`/contracts/${id}/clock`, { to: '2025-02-01' }, 'finance');
    await post(`/contracts/${id}/milestones/m1/complete`, {}, 'delivery');
    await post(`/contracts/${id}/milestones/m2/complete`, {}, 'delivery');
    const res = await post(`/contracts/${id}/amendments`, { baseVersion: 1, changes: { milestones: [{ id: 'm1', amount: '8000.00' }, { id: 'm2', amount: '13000.00' }] } }, 'finance');
    expect(res.body).toMatchObject({ outcome: 'applied', version: 2 });
    expect(res.body.caused.creditMemos).toEqual([expect.objectContaining({ milestoneId: 'm1', amount: '2000.00', number: expect.any(String) })]);
    expect(res.body.caused.invoices).toEqual([expect.objectContaining({ kind: 'supplementary', milestoneIds: ['m2'], amount: '3000.00', number: expect.any(String) })]);

    // Its journal entries page by cursor like every list.
    const all = (await get(`/contracts/${id}/entries?limit=200`)).body;
    expect(all.nextCursor).toBeUndefined();
    expect(all.data.length).toBeGreaterThan(3);
    const seen: unknown[] = [];
    let pages = 0;
    for (let cursor: string | undefined; pages === 0 || cursor; pages += 1) {
      const page = await get(`/contracts/${id}/entries?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.data);
      cursor = page.body.nextCursor;
    }
    expect(seen).toEqual(all.data);
    expect(pages).toBe(Math.ceil(all.data.length / 2));
    expect((await get(`/contracts/${id}/entries?cursor=bm9wZQ`)).body.details).toEqual([{ path: 'query.cursor', message: 'must be the nextCursor of a previous page' }]);
  });
});

describe('the public state and the log', () => {
  it('shows facts, not the workflow machinery; the log names who did what and pages by cursor', async () => {
    const { id } = await create([
      milestone('m1', { trigger: { type: 'event', completion: 'vendor_declaration', deemedAcceptanceDays: 5 } }),
      milestone('m2', { sequence: 2 }),
    ]);
    await post(`/contracts/${id}/clock`, { to: '2025-02-01' }, 'finance');
    await post(`/contracts/${id}/milestones/m1/declare`, {}, 'delivery');
    await post(`/contracts/${id}/clock`, { to: '2025-02-10' }, 'finance'); // the window lapses: deemed acceptance
    await post(`/contracts/${id}/milestones/m2/complete`, {}, 'delivery');
    const s = await settled(id);
    for (const internal of ['outbox', 'effectsDone', 'effectsQueued', 'timerSeq', 'progressSeq', 'runs', 'logSeq']) expect(s).not.toHaveProperty(internal);
    expect(s).toMatchObject({ contractId: id, pendingEffects: 0, openFailures: 0, status: 'active' });
    expect(s.milestones.m1).toMatchObject({ status: 'invoiced', acceptance: 'deemed' });

    const log = (await get(`/contracts/${id}/log`)).body.data as Array<{ kind: string; actor?: { type: string; name?: string; role?: string } }>;
    const actorOf = (kind: string) => log.find((e) => e.kind === kind)?.actor;
    expect(actorOf('declare')).toEqual({ type: 'key', name: 'delivery', role: 'delivery' });
    expect(actorOf('complete')).toEqual({ type: 'key', name: 'delivery', role: 'delivery' });
    expect(log.filter((e) => e.actor?.type === 'timer').length).toBeGreaterThan(0);
    expect(log.every((e) => e.actor !== undefined)).toBe(true);

    const page1 = await get(`/contracts/${id}/log?limit=2`);
    expect(page1.body.data).toHaveLength(2);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const rest: unknown[] = [];
    for (let cursor: string | undefined = page1.body.nextCursor; cursor;) {
      const page = await get(`/contracts/${id}/log?limit=2&cursor=${cursor}`);
      rest.push(...page.body.data);
      cursor = page.body.nextCursor;
    }
    expect([...page1.body.data, ...rest]).toEqual(log);
  });
});

describe('one error shape', () => {
  it('details is always an array of {path, message}', async () => {
    const { id } = await create([milestone('m1')]);
    const cases = [
      await get('/contracts/no-such-contract'),
      await get('/no/such/route'),
      await post(`/contracts/${id}/amendments`, { baseVersion: 7, changes: {} }, 'finance'),
      await post(`/contracts/${id}/milestones/m1/reject`, {}, 'approver'),
      await get(`/contracts/${id}/log?cursor=$$`),
      await post('/contracts', {}, 'support'),
    ];
    expect(cases.map((r) => [r.status, r.body.code])).toEqual([
      [404, 'not_found'], [404, 'not_found'], [409, 'stale_version'], [400, 'validation_failed'], [400, 'validation_failed'], [403, 'forbidden'],
    ]);
    for (const r of cases) {
      expect(Object.keys(r.body).sort()).toEqual(['code', 'details', 'message', 'requestId']);
      expect(Array.isArray(r.body.details)).toBe(true);
      for (const d of r.body.details) expect(d).toEqual({ path: expect.any(String), message: expect.any(String) });
    }
    expect(cases[2]!.body.details).toEqual([{ path: 'currentVersion', message: '1' }]);
  });
});
