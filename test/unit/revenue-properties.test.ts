/**
 * Property tests of the revenue ledger: the service's own use cases (createLedgerUseCases) on
 * in-memory repositories, over random contracts and random event sequences (fast-check).
 */
import fc from 'fast-check';
import { dec } from '../../libs/money';
import { postPlanSchema, postingSchema, ledgerFor } from '../../services/revenue/api';
import { createLedgerUseCases } from '../../services/revenue/ledger';
import { callsFor, checkInvariants, contractSpec, eventSpec, memoryRepos, type Call } from '../support/revenue-model';

async function play(calls: readonly Call[]) {
  const repos = memoryRepos();
  const ledger = createLedgerUseCases(repos, () => new Date('2030-01-01T00:00:00Z'));
  const results: unknown[] = [];
  for (const call of calls) {
    results.push(call.route === '/plans'
      ? await ledger.plan(postPlanSchema.parse(call.body), call.key)
      : await ledger.post(postingSchema.parse(call.body), call.key));
  }
  return { repos, ledger, results };
}

describe('revenue ledger properties (random contracts and event sequences)', () => {
  it('every entry balances; position = unbilled AR − deferred revenue with only one non-zero; recognized within [0, allocated]; shares sum to the price', async () => {
    await fc.assert(
      fc.asyncProperty(contractSpec, fc.array(eventSpec, { maxLength: 25 }), async (spec, events) => {
        const calls = callsFor(spec, events, 'c1');
        const { repos } = await play(calls);
        const entries = (await repos.entries.list({ ledger: ledgerFor('c1', true), contractId: 'c1' })).sort((a, b) => a.seq - b.seq);
        const plan = await repos.plans.latest(ledgerFor('c1', true), 'c1');
        checkInvariants(entries, plan!);
      }),
      { numRuns: 300 },
    );
  });

  it('replaying every request changes nothing and returns the original results', async () => {
    await fc.assert(
      fc.asyncProperty(contractSpec, fc.array(eventSpec, { maxLength: 12 }), async (spec, events) => {
        const calls = callsFor(spec, events, 'c2');
        const { repos, ledger, results } = await play(calls);
        const before = await repos.entries.list({});
        for (const [i, call] of calls.entries()) {
          const again = call.route === '/plans'
            ? await ledger.plan(postPlanSchema.parse(call.body), call.key)
            : await ledger.post(postingSchema.parse(call.body), call.key);
          expect(again.created).toBe(false);
          const first = results[i] as { entry?: unknown; result?: unknown };
          const second = again as { entry?: unknown; result?: unknown };
          expect(second.entry ?? second.result).toEqual(first.entry ?? first.result);
        }
        expect(await repos.entries.list({})).toEqual(before);
      }),
      { numRuns: 100 },
    );
  });

  it('the recognized total never exceeds the transaction price whatever the progress reported', async () => {
    await fc.assert(
      fc.asyncProperty(contractSpec, fc.array(eventSpec, { maxLength: 25 }), async (spec, events) => {
        const { repos } = await play(callsFor(spec, events, 'c3'));
        const entries = await repos.entries.list({ ledger: ledgerFor('c3', true), contractId: 'c3' });
        const last = await repos.entries.latest(ledgerFor('c3', true), 'c3');
        const plan = await repos.plans.latest(ledgerFor('c3', true), 'c3');
        expect(plan).not.toBeNull();
        // No entry at all (no event, or none that changed a balance) means nothing recognized yet.
        expect(last === null).toBe(entries.length === 0);
        const recognized = dec(last?.position.recognized ?? '0');
        expect(recognized.isNegative()).toBe(false);
        expect(recognized.lessThanOrEqualTo(plan!.transactionPrice)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});
