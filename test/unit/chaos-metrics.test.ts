import {
  cents, chaosSchedule, inFlightAt, nextInvoiceAfter, OUTAGE_S, overlaps, pct, sameMultiset, StatusCodeTally,
} from '../../deploy/chaos/metrics';

const services = ['gateway', 'invoicing', 'revenue', 'ar'];
const workers = ['worker-1', 'worker-2'];

describe('the chaos schedule', () => {
  it('kills a worker every 30 s, alternating, so one always polls', () => {
    const kills = chaosSchedule(120, { workers, services, outage: 'invoicing' }).filter((e) => e.action.kind === 'kill-worker');
    expect(kills.map((e) => [e.at, e.action.target])).toEqual([[30, 'worker-1'], [60, 'worker-2'], [90, 'worker-1']]);
  });

  it('restarts each service once, inside the run and not at the same second as a worker kill', () => {
    const events = chaosSchedule(120, { workers, services, outage: 'invoicing' });
    const restarts = events.filter((e) => e.action.kind === 'restart');
    expect(restarts.map((e) => e.action.target).sort()).toEqual([...services].sort());
    for (const r of restarts) {
      expect(r.at).toBeGreaterThan(0);
      expect(r.at).toBeLessThan(120);
      expect(r.at % 30).not.toBe(0);
    }
  });

  it('takes one service down for 30 s, back at least 5 s before the load stops, even in a short run', () => {
    for (const duration of [60, 120, 600]) {
      const events = chaosSchedule(duration, { workers, services, outage: 'revenue' });
      const start = events.find((e) => e.action.kind === 'outage-start')!;
      const end = events.find((e) => e.action.kind === 'outage-end')!;
      expect(start.action.target).toBe('revenue');
      expect(end.at - start.at).toBe(OUTAGE_S);
      expect(end.at).toBeLessThanOrEqual(duration - 5);
    }
  });

  it('is sorted by time', () => {
    const ats = chaosSchedule(600, { workers, services, outage: 'ar' }).map((e) => e.at);
    expect(ats).toEqual([...ats].sort((a, b) => a - b));
  });
});

describe('recovery times', () => {
  const samples = [
    { t: 1_000, total: 3 }, { t: 1_500, total: 3 }, { t: 2_000, total: 3 }, { t: 2_500, total: 4 }, { t: 3_000, total: 5 },
  ];

  it('measures a kill to the first sample with more invoices than just before it', () => {
    expect(nextInvoiceAfter(samples, 1_200)).toBe(1_300);
    expect(nextInvoiceAfter(samples, 2_600)).toBe(400);
  });

  it('has no figure when no invoice came after the kill, or nothing was sampled before it', () => {
    expect(nextInvoiceAfter(samples, 3_100)).toBeUndefined();
    expect(nextInvoiceAfter(samples, 500)).toBeUndefined();
  });

  it('counts the requests in flight at a kill and the longest wait for their answers', () => {
    const spans = [{ begin: 0, end: 900 }, { begin: 500, end: 4_000 }, { begin: 800, end: 1_500 }, { begin: 1_100, end: 9_000 }, { begin: 700 }];
    expect(inFlightAt(spans, 1_000)).toEqual({ count: 3, unfinished: 1, worstMs: 3_000, worst: { begin: 500, end: 4_000 } });
  });

  it('knows whether a component was down in a window', () => {
    expect(overlaps([{ from: 10, to: 20 }], 15, 30)).toBe(true);
    expect(overlaps([{ from: 10, to: 20 }], 21, 30)).toBe(false);
    expect(overlaps([{ from: 10 }], 1_000, 2_000)).toBe(true);
  });
});

describe('tallies and money', () => {
  it('tallies answers by status and code', () => {
    const t = new StatusCodeTally();
    t.add(400, 'validation_failed');
    t.add(400, 'validation_failed');
    t.add(401, 'unauthorized');
    t.add(500, undefined);
    expect(t.rows()).toEqual([['400', 'validation_failed', 2], ['401', 'unauthorized', 1], ['500', '(none)', 1]]);
    expect(t.total()).toBe(4);
    expect(t.total((s) => s.startsWith('5'))).toBe(1);
  });

  it('compares amounts exactly in cents', () => {
    expect(cents('1300.00')).toBe(130000n);
    expect(cents('-200.5')).toBe(-20050n);
    expect(cents('7')).toBe(700n);
    expect(() => cents('1.001')).toThrow();
  });

  it('percentiles by nearest rank', () => {
    expect(pct([5, 1, 3, 2, 4], 0.5)).toBe(3);
    expect(pct([5, 1, 3, 2, 4], 1)).toBe(5);
    expect(pct([], 0.5)).toBeUndefined();
  });

  it('compares multisets', () => {
    expect(sameMultiset(['a', 'b', 'a'], ['a', 'a', 'b'])).toBe(true);
    expect(sameMultiset(['a', 'b'], ['a', 'a'])).toBe(false);
  });
});
