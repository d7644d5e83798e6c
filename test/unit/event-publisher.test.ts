/**
 * The worker's and AR's event publisher (libs/event-publisher.ts `coalescing`): concurrent
 * publishes share intake requests — the first at once, the rest together while one is in flight —
 * each caller answered with the fate of the request that carried its events.
 */
import type { EventInput } from '../../libs/domain/events';
import { coalescing, MAX_EVENTS_PER_REQUEST, type EventPublisher } from '../../libs/event-publisher';

const event = (id: string): EventInput => ({ id, type: 'invoice.issued', contractId: 'c', customerId: 'cust', sandbox: false, occurredOn: '2026-01-01', data: {} });
const ids = (list: EventInput[]) => list.map((e) => e.id);

/** An intake whose requests answer when the test says so. */
function slowIntake() {
  const requests: Array<{ events: EventInput[]; answer: (err?: Error) => void }> = [];
  const inner: EventPublisher = {
    publish: (events) => new Promise<void>((resolve, reject) => {
      requests.push({ events, answer: (err) => (err ? reject(err) : resolve()) });
    }),
  };
  return { inner, requests };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('coalescing publishes', () => {
  it('sends the first at once and what arrives meanwhile in one next request, in arrival order', async () => {
    const { inner, requests } = slowIntake();
    const p = coalescing(inner);
    const done: string[] = [];
    const a = p.publish([event('a1'), event('a2')]).then(() => done.push('a'));
    await tick();
    expect(requests.map((r) => ids(r.events))).toEqual([['a1', 'a2']]);
    const b = p.publish([event('b1')]).then(() => done.push('b'));
    const c = p.publish([event('c1'), event('c2')]).then(() => done.push('c'));
    await tick();
    expect(requests).toHaveLength(1);
    requests[0]!.answer();
    await a;
    await tick();
    expect(requests.map((r) => ids(r.events))).toEqual([['a1', 'a2'], ['b1', 'c1', 'c2']]);
    expect(done).toEqual(['a']);
    requests[1]!.answer();
    await Promise.all([b, c]);
    expect(done).toEqual(['a', 'b', 'c']);
  });

  it('a failed request fails every caller it carried, and only those; the next request goes on', async () => {
    const { inner, requests } = slowIntake();
    const p = coalescing(inner);
    const a = p.publish([event('a')]);
    await tick();
    const b = p.publish([event('b')]);
    const c = p.publish([event('c')]);
    requests[0]!.answer();
    await a;
    await tick();
    requests[1]!.answer(new Error('gateway down'));
    await expect(b).rejects.toThrow('gateway down');
    await expect(c).rejects.toThrow('gateway down');
    const d = p.publish([event('d')]);
    await tick();
    expect(ids(requests[2]!.events)).toEqual(['d']);
    requests[2]!.answer();
    await expect(d).resolves.toBeUndefined();
  });

  it('never puts more than the intake takes in one request, nor splits a caller\'s events; nothing to publish sends nothing', async () => {
    const { inner, requests } = slowIntake();
    const p = coalescing(inner);
    await p.publish([]);
    expect(requests).toHaveLength(0);
    const first = p.publish([event('x')]);
    await tick();
    const many = Array.from({ length: 60 }, (_, i) => event(`m${i}`));
    const more = Array.from({ length: 60 }, (_, i) => event(`n${i}`));
    const waiting = [p.publish(many), p.publish(more)];
    requests[0]!.answer();
    await first;
    await tick();
    expect(requests[1]!.events).toHaveLength(60);
    expect(requests[1]!.events.length).toBeLessThanOrEqual(MAX_EVENTS_PER_REQUEST);
    requests[1]!.answer();
    await waiting[0];
    await tick();
    expect(ids(requests[2]!.events)).toEqual(ids(more));
    requests[2]!.answer();
    await waiting[1];
  });
});
