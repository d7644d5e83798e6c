/**
 * The scenario runner's progress step and progressive-billing expectations (cli/scenarios.ts), on a
 * fake API: what each step sends, and the differences it lists. The real stack: scenario-runner.test.ts.
 */
import { runScenario, type Scenario } from '../../cli/scenarios';

interface Call { method: string; path: string; body?: unknown; idempotencyKey?: string }

/** An API answering the state to a read of it, `refuse` to calls ending "METHOD …suffix", 200 applied otherwise; every call recorded. */
function fakeApi(state: unknown, refuse: Record<string, { status: number; body: unknown }> = {}) {
  const calls: Call[] = [];
  return {
    calls,
    async call(method: string, path: string, body?: unknown, idempotencyKey?: string) {
      calls.push({ method, path, body, idempotencyKey });
      const refused = Object.entries(refuse).find(([suffix]) => `${method} ${path}`.endsWith(suffix));
      if (refused) return refused[1];
      if (method === 'GET' && /^\/contracts\/[^/]+$/.test(path)) return { status: 200, body: state };
      return { status: 200, body: { outcome: 'applied' } };
    },
  };
}

const part1 = { milestoneIds: ['build'], date: '2026-03-02', dueDate: '2026-04-01', amount: '300.00', kind: 'milestone', part: 1, progress: { percent: '30', cumulative: '300.00', previouslyBilled: '0.00' } };
const state = {
  version: 1,
  invoices: [part1],
  creditMemos: [],
  milestones: { build: { id: 'build', status: 'planned', invoiceNumbers: ['INV-1'], invoicedOn: '2026-03-02', progress: { percent: '30', billed: '300.00', parts: 1, finalDue: false } } },
};

function scenario(steps: Scenario['steps'], expect: Scenario['expect']): Scenario {
  return { name: 't', contract: { contractId: 'c', sandbox: { clockStart: '2026-03-01' } }, steps, until: '2026-03-31', expect };
}

describe('the progress step', () => {
  it('advances the clock, then posts the percent and the business date to the milestone\'s progress, with an idempotency key', async () => {
    const api = fakeApi(state);
    const result = await runScenario(api, scenario([
      { on: '2026-03-02', do: 'progress', milestone: 'build', percent: '30' },
      { on: '2026-03-17', do: 'progress', milestone: 'build', percent: '62.5', date: '2026-03-16' },
    ], {}));
    expect(result.differences).toEqual([]);
    const base = `/contracts/${encodeURIComponent(result.contractId)}`;
    const posts = api.calls.filter((c) => c.path.endsWith('/progress'));
    expect(posts).toEqual([
      { method: 'POST', path: `${base}/milestones/build/progress`, body: { percent: '30', date: '2026-03-02' }, idempotencyKey: `${result.contractId}:step-1` },
      { method: 'POST', path: `${base}/milestones/build/progress`, body: { percent: '62.5', date: '2026-03-16' }, idempotencyKey: `${result.contractId}:step-2` },
    ]);
    const i = api.calls.indexOf(posts[0]!);
    expect(api.calls[i - 1]).toMatchObject({ method: 'POST', path: `${base}/clock`, body: { to: '2026-03-02' } });
  });

  it('lists a refused report, naming the step and its percent; passes an expected refusal with its code', async () => {
    const refusal = { status: 409, body: { code: 'not_allowed_in_state', message: 'below the last percent' } };
    const refused = await runScenario(fakeApi(state, { '/progress': refusal }), scenario([{ on: '2026-03-20', do: 'progress', milestone: 'build', percent: '50' }], {}));
    expect(refused.differences).toEqual(['step 1 (2026-03-20 progress build 50 %): refused not_allowed_in_state: below the last percent']);
    const expected = await runScenario(fakeApi(state, { '/progress': refusal }), scenario([{ on: '2026-03-20', do: 'progress', milestone: 'build', percent: '50', expectError: 'not_allowed_in_state' }], {}));
    expect(expected.differences).toEqual([]);
    const other = await runScenario(fakeApi(state, { '/progress': refusal }), scenario([{ on: '2026-03-20', do: 'progress', milestone: 'build', percent: '50', expectError: 'future_date' }], {}));
    expect(other.differences).toEqual(['step 1 (2026-03-20 progress build 50 %): expected refusal future_date, got not_allowed_in_state (below the last percent)']);
  });
});

describe('progressive-billing expectations', () => {
  const invoice = { for: ['build'], date: '2026-03-02', due: '2026-04-01', amount: '300.00', kind: 'milestone' };

  it('compares an invoice\'s part and progress when listed, whatever the key order', async () => {
    const ok = await runScenario(fakeApi(state), scenario([], {
      invoices: [{ ...invoice, part: 1, progress: { previouslyBilled: '0.00', cumulative: '300.00', percent: '30' } }],
    }));
    expect(ok.differences).toEqual([]);
    const wrong = await runScenario(fakeApi(state), scenario([], {
      invoices: [{ ...invoice, part: 2, progress: { percent: '30', cumulative: '300.00', previouslyBilled: '1.00' } }],
    }));
    expect(wrong.differences).toEqual([
      'invoice #1 part: expected 2, got 1',
      'invoice #1 progress: expected {"percent":"30","cumulative":"300.00","previouslyBilled":"1.00"}, got {"percent":"30","cumulative":"300.00","previouslyBilled":"0.00"}',
    ]);
  });

  it('does not compare part or progress when the file does not list them (the shared format)', async () => {
    expect((await runScenario(fakeApi(state), scenario([], { invoices: [invoice] }))).differences).toEqual([]);
  });

  it('compares the keys a milestone\'s expected progress lists, each exactly', async () => {
    const milestone = { status: 'planned', invoicedOn: '2026-03-02' };
    const ok = await runScenario(fakeApi(state), scenario([], { milestones: { build: { ...milestone, progress: { percent: '30', parts: 1 } } } }));
    expect(ok.differences).toEqual([]);
    const wrong = await runScenario(fakeApi(state), scenario([], { milestones: { build: { ...milestone, progress: { percent: '30', billed: '300', parts: 2 } } } }));
    expect(wrong.differences).toEqual(['milestone build progress.billed: expected "300", got "300.00"', 'milestone build progress.parts: expected 2, got 1']);
    const none = await runScenario(fakeApi({ ...state, milestones: { build: { ...state.milestones.build, progress: undefined } } }),
      scenario([], { milestones: { build: { ...milestone, progress: { percent: '30' } } } }));
    expect(none.differences).toEqual(['milestone build progress.percent: expected "30", got undefined']);
  });
});
