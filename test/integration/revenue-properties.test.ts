/**
 * The ledger invariants over random contracts and event sequences, through HTTP on the real
 * FerretDB (fewer runs than the in-memory unit properties: each run is a few dozen writes).
 */
import fc from 'fast-check';
import type { RunningService } from '../../libs/service-runtime';
import { http, uniqueId } from '../support/system';
import { post, startRevenue } from '../support/revenue';
import { callsFor, checkInvariants, contractSpec, eventSpec } from '../support/revenue-model';

let svc: RunningService;

beforeAll(async () => {
  svc = await startRevenue();
});

afterAll(async () => {
  await svc?.stop();
});

it('on the real store, random event sequences keep every invariant, and replays post nothing', async () => {
  await fc.assert(
    fc.asyncProperty(contractSpec, fc.array(eventSpec, { maxLength: 8 }), async (spec, events) => {
      const contractId = uniqueId('prop');
      const calls = callsFor(spec, events, contractId);
      for (const call of calls) {
        const res = await post(svc.url, call.route, call.body, call.key);
        if (res.status !== 201) throw new Error(`${call.route} → ${res.status} ${res.text}`);
      }
      const replay = calls[calls.length - 1]!;
      expect((await post(svc.url, replay.route, replay.body, replay.key)).status).toBe(200);
      const entries = (await http('GET', `${svc.url}/entries?contractId=${contractId}&sandbox=true`)).body.data;
      const plans = (await http('GET', `${svc.url}/plans?contractId=${contractId}&sandbox=true`)).body.data;
      checkInvariants([...entries].sort((a, b) => a.seq - b.seq), plans[plans.length - 1]);
      const tb = await http('GET', `${svc.url}/reports/trial-balance?contractId=${contractId}&sandbox=true`);
      expect(tb.body.balanced).toBe(true);
    }),
    { numRuns: 25 },
  );
});
