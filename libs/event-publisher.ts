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
  return {
    async publish(events) {
      if (events.length === 0) return;
      try {
        await client.post('/internal/events', { events });
      } catch (err) {
        const detail = err instanceof ServiceError ? `${err.status} ${err.code}: ${err.message}` : (err as Error).message;
        throw new Error(`publishing ${events.map((e) => e.id).join(', ')} to the gateway failed: ${detail}`);
      }
    },
  };
}
