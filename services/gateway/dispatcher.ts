/**
 * Delivers outbound events to subscribed endpoints (docs/events.md). Runs in every gateway process:
 * it polls the deliveries due (`undelivered`, `nextAttemptAt` passed), claims each attempt by a
 * unique insert (so two gateways never send the same attempt), POSTs the signed event, and records
 * what the endpoint answered: 2xx is delivered; anything else (or no answer) is retried with
 * exponential backoff and jitter, without end. Stopping lets the sends in flight finish, so a
 * graceful restart loses and repeats nothing; a process killed mid-send leaves an unfinished claim
 * that another process takes over after a lease (the event is then sent again: at least once).
 */
import { randomUUID } from 'node:crypto';
import { signWebhook } from '../../libs/auth';
import type { Logger } from '../../libs/logger';
import type { DeliveryDoc, EventDoc, EventRepository, SubscriptionDoc } from './data/events';

/** The body a subscriber receives. */
export interface EventEnvelope {
  id: string;
  type: string;
  createdAt: string;
  occurredOn: string;
  contractId: string;
  customerId: string;
  sandbox: boolean;
  data: Record<string, unknown>;
}

export function envelopeOf(e: EventDoc): EventEnvelope {
  return {
    id: e.eventId, type: e.type, createdAt: new Date(e.createdAt).toISOString(), occurredOn: e.occurredOn,
    contractId: e.contractId, customerId: e.customerId, sandbox: e.sandbox, data: e.data,
  };
}

/** The headers of one attempt: the signature is the inbound webhooks' (HMAC-SHA256 hex of `<timestamp>.<raw body>`). */
export function signedHeaders(secret: string, body: string, meta: { eventId: string; type: string; deliveryId: string; attempt: number }, nowMs = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  return {
    'content-type': 'application/json',
    'user-agent': 'Tollgate-Webhooks/1',
    'x-tollgate-timestamp': timestamp,
    'x-tollgate-signature': signWebhook(secret, timestamp, body),
    'x-tollgate-event-id': meta.eventId,
    'x-tollgate-event-type': meta.type,
    'x-tollgate-delivery-id': meta.deliveryId,
    'x-tollgate-attempt': String(meta.attempt),
  };
}

/**
 * The wait before the attempt after `attempts` failed ones: base × 2^(attempts−1), at most `maxMs`,
 * scaled by a jitter in [0.5, 1) so endpoints that failed together are not retried together.
 */
export function backoffMs(attempts: number, opts: { baseMs: number; maxMs: number }, random: () => number = Math.random): number {
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 40));
  return Math.max(1, Math.round(exp * (0.5 + random() / 2)));
}

/** Whether a subscription receives an event: active, the event's type, its customer (if it names one), live or sandbox, and subscribed before the event. */
export function subscriptionMatches(s: SubscriptionDoc, e: Pick<EventDoc, 'type' | 'customerId' | 'sandbox' | 'createdAt'>): boolean {
  return s.active
    && s.events.includes(e.type)
    && (s.customerId === undefined || s.customerId === e.customerId)
    && s.sandbox === e.sandbox
    && new Date(s.createdAt).getTime() <= new Date(e.createdAt).getTime();
}

export interface DispatcherOptions {
  pollMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  timeoutMs: number;
  concurrency: number;
}

export interface Dispatcher {
  start(): void;
  /** Looks for due deliveries now (after new events were taken in). */
  wake(): void;
  /** Stops polling and waits for the sends in flight. */
  stop(): Promise<void>;
}

export function createDispatcher(repo: EventRepository, opts: DispatcherOptions, logger: Logger): Dispatcher {
  const log = logger.child({ component: 'event-dispatcher' });
  const me = `gateway-${process.pid}-${randomUUID().slice(0, 8)}`;
  /** An unfinished claim older than this was lost with its process: its attempt is given up and the next one made. */
  const leaseMs = Math.max(opts.timeoutMs * 3, 30_000);
  const inFlight = new Set<string>();
  const sends = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let polling: Promise<void> | undefined;
  let again = false;

  async function attempt(d: DeliveryDoc, sub: SubscriptionDoc): Promise<void> {
    const attemptNo = d.attempts + 1;
    const dlog = log.child({ deliveryId: d.deliveryId, eventId: d.eventId, contractId: d.contractId, subscriptionId: d.subscriptionId, attempt: attemptNo });
    if (!(await repo.attempts.claim({ deliveryId: d.deliveryId, attemptNo, claimedAt: new Date(), by: me }))) {
      await heal(d, attemptNo);
      return;
    }
    const event = await repo.events.find(d.eventId);
    if (!event) {
      dlog.error('delivery of an event that is not stored; left undelivered');
      return;
    }
    const body = JSON.stringify(envelopeOf(event));
    const started = Date.now();
    let status: number | undefined;
    let error: string | undefined;
    try {
      const res = await fetch(sub.url, {
        method: 'POST',
        body,
        headers: signedHeaders(sub.secret, body, { eventId: event.eventId, type: event.type, deliveryId: d.deliveryId, attempt: attemptNo }),
        redirect: 'manual',
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
      status = res.status;
      const text = await res.text().catch(() => '');
      if (status < 200 || status >= 300) error = `endpoint answered ${status}${text ? `: ${text.slice(0, 200)}` : ''}`;
    } catch (err) {
      error = `no answer: ${(err as Error).message}`;
    }
    const ms = Date.now() - started;
    const finishedAt = new Date();
    const delivered = error === undefined;
    await repo.attempts.finish(d.deliveryId, attemptNo, { finishedAt, outcome: delivered ? 'delivered' : 'failed', ...(status !== undefined ? { status } : {}), ...(error ? { error } : {}), ms });
    await record(d.deliveryId, attemptNo, { delivered, status, error, at: finishedAt });
    if (delivered) dlog.info({ status, ms }, 'event delivered');
    else dlog.warn({ status, ms, error }, 'event delivery failed; will retry');
  }

  /** Writes an attempt's outcome into its delivery (a cache of the last attempt). */
  async function record(deliveryId: string, attemptNo: number, r: { delivered: boolean; status?: number; error?: string; at: Date }): Promise<void> {
    const set: Partial<DeliveryDoc> = {
      attempts: attemptNo,
      lastAttemptAt: r.at,
      ...(r.status !== undefined ? { lastStatus: r.status } : {}),
      ...(r.error ? { lastError: r.error } : {}),
    };
    if (r.delivered) Object.assign(set, { status: 'delivered', undelivered: false, deliveredAt: r.at });
    else Object.assign(set, { status: 'retrying', undelivered: true, nextAttemptAt: new Date(r.at.getTime() + backoffMs(attemptNo, { baseMs: opts.retryBaseMs, maxMs: opts.retryMaxMs })) });
    await repo.deliveries.update(deliveryId, set);
  }

  /**
   * The attempt was claimed already: by a process sending it now (leave it), by one whose record
   * of the outcome was lost (write it again), or by one that died mid-send (give it up after the
   * lease, so the next attempt is made).
   */
  async function heal(d: DeliveryDoc, attemptNo: number): Promise<void> {
    const claim = await repo.attempts.find(d.deliveryId, attemptNo);
    const fresh = await repo.deliveries.find(d.deliveryId);
    if (!claim || !fresh || fresh.attempts >= attemptNo) return;
    if (claim.finishedAt) {
      await record(d.deliveryId, attemptNo, { delivered: claim.outcome === 'delivered', status: claim.status, error: claim.error, at: new Date(claim.finishedAt) });
    } else if (Date.now() - new Date(claim.claimedAt).getTime() > leaseMs) {
      const at = new Date();
      const error = `abandoned: the gateway process ${claim.by} stopped while sending`;
      await repo.attempts.finish(d.deliveryId, attemptNo, { finishedAt: at, outcome: 'abandoned', error });
      await repo.deliveries.update(d.deliveryId, { attempts: attemptNo, lastAttemptAt: at, lastError: error, status: 'retrying', undelivered: true, nextAttemptAt: at });
      log.warn({ deliveryId: d.deliveryId, eventId: d.eventId, attempt: attemptNo, by: claim.by }, 'delivery attempt abandoned by a stopped gateway; retrying');
    }
  }

  async function poll(): Promise<void> {
    const free = opts.concurrency - inFlight.size;
    if (free <= 0) return;
    const now = new Date();
    const due = (await repo.deliveries.due(now, opts.concurrency * 4)).filter((d) => !inFlight.has(d.deliveryId));
    if (due.length === 0) return;
    // The subscriptions of this batch, each by its unique id (fresh each poll: a disable shows at once).
    const ids = [...new Set(due.map((d) => d.subscriptionId))];
    const found = await Promise.all(ids.map((id) => repo.subscriptions.find(id)));
    const subs = new Map(ids.map((id, i) => [id, found[i]] as const));
    let started = 0;
    for (const d of due) {
      if (started >= free) break;
      const sub = subs.get(d.subscriptionId);
      if (!sub || !sub.active) {
        // Paused with its subscription: looked at again in a minute (enabling wakes it at once).
        await repo.deliveries.update(d.deliveryId, { nextAttemptAt: new Date(now.getTime() + 60_000) });
        continue;
      }
      started += 1;
      inFlight.add(d.deliveryId);
      const p = attempt(d, sub)
        .catch((err: unknown) => log.error({ err, deliveryId: d.deliveryId, eventId: d.eventId, contractId: d.contractId }, 'delivery attempt failed to run; will retry'))
        .finally(() => {
          inFlight.delete(d.deliveryId);
          sends.delete(p);
          if (running) wake();
        });
      sends.add(p);
    }
  }

  function schedule(ms: number): void {
    if (!running) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => wake(), ms);
    timer.unref();
  }

  function wake(): void {
    if (!running) return;
    if (polling) {
      again = true;
      return;
    }
    polling = (async () => {
      do {
        again = false;
        try {
          await poll();
        } catch (err) {
          log.warn({ err }, 'polling deliveries failed; will retry');
        }
      } while (again && running);
    })().finally(() => {
      polling = undefined;
      schedule(opts.pollMs);
    });
  }

  return {
    start() {
      if (running) return;
      running = true;
      wake();
    },
    wake,
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      await polling;
      await Promise.allSettled([...sends]);
    },
  };
}
