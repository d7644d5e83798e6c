/**
 * How a Tollgate component (the worker's activities, AR) hands outbound events to the gateway:
 * `POST <GATEWAY_URL>/internal/events` with the service credential. The gateway stores each event
 * once (its id is unique per fact) and delivers it to the subscribed endpoints; so a producer
 * simply publishes again when it is not sure (a retry inserts nothing new).
 *
 * A publish that fails throws a plain Error — never a refusal — so the producer retries it (an
 * activity is retried by Temporal, AR's sweep tries again): an event is never dropped.
 */
import type { EventInput } from './domain/events';
import { createServiceClient, ServiceError } from './service-client';

export interface EventPublisher {
  publish(events: EventInput[]): Promise<void>;
}

export function createEventPublisher(gatewayUrl: string, opts: { token: string; timeoutMs?: number }): EventPublisher {
  const client = createServiceClient('gateway', gatewayUrl, { token: opts.token, timeoutMs: opts.timeoutMs ?? 10_000 });
  return coalescing({
    async publish(events) {
      if (events.length === 0) return;
      try {
        await client.post('/internal/events', { events });
      } catch (err) {
        const detail = err instanceof ServiceError ? `${err.status} ${err.code}: ${err.message}` : (err as Error).message;
        throw new Error(`publishing ${events.map((e) => e.id).join(', ')} to the gateway failed: ${detail}`);
      }
    },
  });
}

/** The most events one intake request carries (the gateway's intake takes at most 100). */
export const MAX_EVENTS_PER_REQUEST = 100;

interface Waiting { events: EventInput[]; resolve: () => void; reject: (err: unknown) => void }

/**
 * Publishes concurrent calls together (docs/performance.md §9): the first goes at once; while a
 * request is in flight, what other callers publish waits and goes in the next request (up to
 * MAX_EVENTS_PER_REQUEST events), so under load many workflows' events cost one intake request.
 * Each caller is answered when the request carrying its events is: taken, or its error (the caller
 * retries, as before). A caller's events stay together and in order; its next call waits for its
 * answer, so one contract's events keep their order.
 */
export function coalescing(inner: EventPublisher): EventPublisher {
  const queue: Waiting[] = [];
  let sending = false;
  async function pump(): Promise<void> {
    sending = true;
    try {
      while (queue.length > 0) {
        const take: Waiting[] = [queue.shift()!];
        let count = take[0]!.events.length;
        while (queue.length > 0 && count + queue[0]!.events.length <= MAX_EVENTS_PER_REQUEST) {
          count += queue[0]!.events.length;
          take.push(queue.shift()!);
        }
        try {
          await inner.publish(take.flatMap((w) => w.events));
          for (const w of take) w.resolve();
        } catch (err) {
          for (const w of take) w.reject(err);
        }
      }
    } finally {
      sending = false;
    }
  }
  return {
    publish(events) {
      if (events.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        queue.push({ events, resolve, reject });
        if (!sending) void pump();
      });
    },
  };
}
