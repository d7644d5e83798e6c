/**
 * Pure helpers of `npm run chaos`: the fault schedule, the status × code tally, and the recovery
 * times (worker kill → next invoice, kill → progress of the requests in flight). No I/O.
 */

export type ChaosAction =
  | { kind: 'kill-worker'; target: string }
  | { kind: 'restart'; target: string }
  | { kind: 'outage-start'; target: string }
  | { kind: 'outage-end'; target: string };

export interface ChaosEvent {
  /** Seconds after the load started. */
  at: number;
  action: ChaosAction;
}

export const WORKER_KILL_EVERY_S = 30;
export const OUTAGE_S = 30;

/**
 * The faults of a run of `durationS` seconds: a worker SIGKILLed (and started again) every 30 s,
 * alternating between the workers so one always polls; each service SIGTERMed and started again
 * once, spread over the run; one service SIGKILLed and down for 30 s, ending at least 5 s before the
 * load stops. Sorted by time; ties in the order listed.
 */
export function chaosSchedule(durationS: number, opts: { workers: string[]; services: string[]; outage: string }): ChaosEvent[] {
  const events: ChaosEvent[] = [];
  let w = 0;
  for (let t = WORKER_KILL_EVERY_S; t < durationS; t += WORKER_KILL_EVERY_S) {
    events.push({ at: t, action: { kind: 'kill-worker', target: opts.workers[w % opts.workers.length]! } });
    w += 1;
  }
  // Restarts between 15% and 60% of the run, offset from the worker kills.
  const n = opts.services.length;
  opts.services.forEach((s, i) => {
    const at = Math.round(durationS * (0.15 + (0.45 * i) / Math.max(1, n - 1)));
    events.push({ at: at % WORKER_KILL_EVERY_S === 0 ? at + 3 : at, action: { kind: 'restart', target: s } });
  });
  const outageStart = Math.max(Math.round(durationS * 0.65), 1);
  const latestStart = Math.max(0, durationS - OUTAGE_S - 5);
  const start = Math.min(outageStart, latestStart);
  events.push({ at: start, action: { kind: 'outage-start', target: opts.outage } });
  events.push({ at: start + OUTAGE_S, action: { kind: 'outage-end', target: opts.outage } });
  return events.map((e, i) => ({ e, i })).sort((a, b) => a.e.at - b.e.at || a.i - b.i).map(({ e }) => e);
}

/** Nearest-rank percentile (p in 0..1); undefined when empty. */
export function pct(xs: readonly number[], p: number): number | undefined {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
}

/** Counts answers by status and code: `{ "400": { "validation_failed": 12 }, … }`. */
export class StatusCodeTally {
  readonly counts: Record<string, Record<string, number>> = {};

  add(status: number | 'no answer', code: string | undefined): void {
    const s = String(status);
    const c = code ?? '(none)';
    this.counts[s] ??= {};
    this.counts[s][c] = (this.counts[s][c] ?? 0) + 1;
  }

  total(filter: (status: string) => boolean = () => true): number {
    return Object.entries(this.counts).filter(([s]) => filter(s)).reduce((n, [, codes]) => n + Object.values(codes).reduce((a, b) => a + b, 0), 0);
  }

  /** Rows `status | code | count`, by status then count (descending). */
  rows(): Array<[string, string, number]> {
    return Object.entries(this.counts)
      .sort(([a], [b]) => a.localeCompare(b))
      .flatMap(([s, codes]) => Object.entries(codes).sort((x, y) => y[1] - x[1]).map(([c, n]): [string, string, number] => [s, c, n]));
  }
}

export interface Sample {
  /** ms since epoch */
  t: number;
  /** invoices the invoicing service holds */
  total: number;
}

/**
 * ms from `at` to the first sample after it that shows more invoices than the last sample at or
 * before `at`; undefined when none did (the load had stopped, or no sample before `at`).
 */
export function nextInvoiceAfter(samples: readonly Sample[], at: number): number | undefined {
  let before: Sample | undefined;
  for (const s of samples) {
    if (s.t <= at) before = s;
    else if (before === undefined) return undefined;
    else if (s.total > before.total) return s.t - at;
  }
  return undefined;
}

export interface Span {
  begin: number;
  /** undefined: never accepted */
  end?: number;
}

/** The spans in flight at `at` (begun before, not ended by then) and the longest wait from `at` to their end. */
export function inFlightAt<S extends Span>(spans: readonly S[], at: number): { count: number; worstMs?: number; worst?: S; unfinished: number } {
  let count = 0;
  let unfinished = 0;
  let worst: S | undefined;
  for (const s of spans) {
    if (s.begin > at || (s.end !== undefined && s.end <= at)) continue;
    count += 1;
    if (s.end === undefined) unfinished += 1;
    else if (worst === undefined || s.end > worst.end!) worst = s;
  }
  return { count, unfinished, ...(worst !== undefined ? { worstMs: worst.end! - at, worst } : {}) };
}

/** A component was down (or restarting) in [from, to] given its down intervals. */
export function overlaps(intervals: ReadonlyArray<{ from: number; to?: number }>, from: number, to: number): boolean {
  return intervals.some((i) => i.from <= to && (i.to ?? Infinity) >= from);
}

/** Money as integer minor units (2 decimals for the load's USD contracts): exact compare without floats. */
export function cents(amount: string): bigint {
  const m = /^(-)?(\d+)(?:\.(\d{1,2}))?$/.exec(amount.trim());
  if (!m) throw new Error(`not a USD amount: ${amount}`);
  const v = BigInt(m[2]!) * 100n + BigInt((m[3] ?? '').padEnd(2, '0') || '0');
  return m[1] ? -v : v;
}

/** Multisets equal (order ignored). */
export function sameMultiset(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const x = [...a].sort();
  const y = [...b].sort();
  return x.every((v, i) => v === y[i]);
}
