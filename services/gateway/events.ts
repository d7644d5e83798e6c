/**
 * Outbound events (DESIGN §9, docs/events.md): the intake of events from Tollgate's own components
 * (`POST /internal/events`, service credential), and the public operations finance uses to manage
 * subscriptions and read the events and the delivery log.
 *
 * Intake stores each event once (its id is unique per fact) and makes one delivery per matching
 * subscription (unique per event and subscription), then wakes the dispatcher. A producer's retry
 * finds the event stored and only makes the deliveries a crash may have left unmade.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { EVENT_TYPES, type EventInput } from '../../libs/domain/events';
import { AppError } from '../../libs/domain/errors';
import { requireServiceCredential, validate } from '../../libs/http';
import type { Logger } from '../../libs/logger';
import { decodeCursor, deliveryIdOf, type AttemptDoc, type DeliveryDoc, type EventDoc, type EventRepository, type SubscriptionDoc } from './data/events';
import { envelopeOf, subscriptionMatches, type Dispatcher } from './dispatcher';
import type { GatewayOperation } from './routes';
import { pageQuery } from './schemas';

const idField = z.string().min(1).max(200);
const dateField = z.string().regex(/^\d{4}-\d{2}-\d{2}$/).meta({ format: 'date' });
const eventType = z.enum(EVENT_TYPES).describe('the kind of fact');

/** What a producer posts to `/internal/events`. */
export const intakeBody = z.object({
  events: z.array(z.object({
    id: z.string().min(1).max(300),
    type: eventType,
    contractId: idField,
    customerId: idField,
    sandbox: z.boolean(),
    occurredOn: dateField,
    data: z.record(z.string(), z.unknown()),
  }).strict()).min(1).max(100),
}).strict();

// ─────────────────────────── public schemas ───────────────────────────

const endpointUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000);

export const createSubscriptionBody = z.object({
  url: endpointUrl.describe('where each event is POSTed (JSON, signed)'),
  events: z.array(eventType).min(1).max(EVENT_TYPES.length).describe('the event types to receive'),
  customerId: idField.optional().describe('only this customer\'s events (a customer-scoped key always gets its own customer)'),
  sandbox: z.boolean().default(false).describe('true: receive the events of sandbox contracts only; false (default): of live contracts only'),
  description: z.string().max(500).optional(),
}).strict();

export const outboundEventSchema = z.object({
  id: z.string().describe('unique per fact, e.g. `invoice.issued:INV-2026-000001`: deduplicate on it'),
  type: eventType,
  createdAt: z.iso.datetime().describe('when Tollgate recorded the fact'),
  occurredOn: dateField.describe('the business date of the fact (the contract\'s clock for a sandbox contract)'),
  contractId: z.string(),
  customerId: z.string(),
  sandbox: z.boolean(),
  data: z.record(z.string(), z.unknown()).describe('the fact; docs/events.md lists the fields of each type'),
}).meta({ id: 'OutboundEvent', description: 'An event as Tollgate sends it to subscribers and lists it.' });

export const subscriptionSchema = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(eventType),
  customerId: z.string().optional(),
  sandbox: z.boolean(),
  description: z.string().optional(),
  active: z.boolean(),
  createdAt: z.iso.datetime(),
  createdBy: z.string().describe('the API key that created it'),
}).meta({ id: 'Subscription', description: 'An endpoint subscribed to events. Its secret is shown once, when it is created.' });

const createdSubscriptionSchema = subscriptionSchema.extend({
  secret: z.string().describe('the signing secret: shown ONLY in this answer — keep it; verify each delivery with it'),
}).meta({ id: 'CreatedSubscription' });

const attemptSchema = z.object({
  attempt: z.number().int(),
  at: z.iso.datetime(),
  outcome: z.enum(['delivered', 'failed', 'abandoned', 'sending']),
  status: z.number().int().optional().describe('the endpoint\'s HTTP status'),
  error: z.string().optional(),
  ms: z.number().int().optional(),
}).meta({ id: 'DeliveryAttempt' });

export const deliverySchema = z.object({
  id: z.string(),
  eventId: z.string(),
  eventType: eventType,
  subscriptionId: z.string(),
  contractId: z.string(),
  status: z.enum(['pending', 'retrying', 'delivered']).describe('pending: not attempted yet; retrying: attempted, failed, retried at nextAttemptAt; delivered: an attempt got a 2xx'),
  attempts: z.number().int(),
  nextAttemptAt: z.iso.datetime().optional().describe('when it is tried next (absent once delivered)'),
  lastAttemptAt: z.iso.datetime().optional(),
  lastStatus: z.number().int().optional(),
  lastError: z.string().optional(),
  deliveredAt: z.iso.datetime().optional(),
  createdAt: z.iso.datetime(),
  attemptLog: z.array(attemptSchema).optional().describe('every attempt (GET /deliveries/:deliveryId only)'),
}).meta({ id: 'Delivery', description: 'The delivery of one event to one subscription: its attempts and their outcome.' });

const page = <T extends z.ZodType>(item: T, id: string) => z.object({
  data: z.array(item),
  nextCursor: z.string().optional().describe('absent on the last page'),
}).meta({ id });
// Named once (a name is registered once per process, and the gateway may be started again).
const subscriptionList = z.object({ data: z.array(subscriptionSchema) }).meta({ id: 'SubscriptionList' });
const deliveryPage = page(deliverySchema, 'DeliveryPage');
const eventPage = page(outboundEventSchema, 'OutboundEventPage');

export const eventsQuery = pageQuery.extend({
  contractId: idField.optional().describe('one contract\'s events'),
  customerId: idField.optional().describe('one customer\'s events (a customer-scoped key: always its own)'),
  type: eventType.optional(),
}).strict();
export const deliveriesQuery = pageQuery.extend({
  status: z.enum(['pending', 'retrying', 'delivered']).optional(),
}).strict();

// ─────────────────────────── use cases ───────────────────────────

const iso = (d: Date | undefined) => (d === undefined ? undefined : new Date(d).toISOString());

function publicSubscription(s: SubscriptionDoc): z.output<typeof subscriptionSchema> {
  return {
    id: s.subscriptionId, url: s.url, events: s.events, ...(s.customerId ? { customerId: s.customerId } : {}), sandbox: s.sandbox,
    ...(s.description ? { description: s.description } : {}), active: s.active, createdAt: iso(s.createdAt)!, createdBy: s.createdBy,
  };
}

function publicAttempt(a: AttemptDoc): z.output<typeof attemptSchema> {
  return {
    attempt: a.attemptNo, at: iso(a.finishedAt ?? a.claimedAt)!, outcome: a.outcome ?? 'sending',
    ...(a.status !== undefined ? { status: a.status } : {}), ...(a.error ? { error: a.error } : {}), ...(a.ms !== undefined ? { ms: a.ms } : {}),
  };
}

function publicDelivery(d: DeliveryDoc, attempts?: AttemptDoc[]): z.output<typeof deliverySchema> {
  return {
    id: d.deliveryId, eventId: d.eventId, eventType: d.eventType, subscriptionId: d.subscriptionId, contractId: d.contractId,
    status: d.status, attempts: d.attempts,
    ...(d.undelivered ? { nextAttemptAt: iso(d.nextAttemptAt) } : {}),
    ...(d.lastAttemptAt ? { lastAttemptAt: iso(d.lastAttemptAt) } : {}),
    ...(d.lastStatus !== undefined ? { lastStatus: d.lastStatus } : {}),
    ...(d.lastError ? { lastError: d.lastError } : {}),
    ...(d.deliveredAt ? { deliveredAt: iso(d.deliveredAt) } : {}),
    createdAt: iso(d.createdAt)!,
    ...(attempts ? { attemptLog: attempts.map(publicAttempt) } : {}),
  };
}

export function createEventUseCases(repo: EventRepository, deps: { dispatcher?: Pick<Dispatcher, 'wake'>; logger: Logger; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  const log = deps.logger.child({ component: 'events' });

  /** Makes the deliveries of a stored event (each once); the subscriptions are those that matched when it was stored. */
  async function fanOut(event: EventDoc, subscriptions: SubscriptionDoc[]): Promise<number> {
    let made = 0;
    for (const s of subscriptions) {
      if (!subscriptionMatches(s, event)) continue;
      const inserted = await repo.deliveries.insert({
        deliveryId: deliveryIdOf(event.eventId, s.subscriptionId), eventId: event.eventId, eventType: event.type, subscriptionId: s.subscriptionId,
        contractId: event.contractId, customerId: event.customerId, status: 'pending', undelivered: true, attempts: 0,
        nextAttemptAt: new Date(event.createdAt), createdAt: new Date(event.createdAt),
      });
      if (inserted) made += 1;
    }
    return made;
  }

  /** The subscription in the caller's scope, or 404 as if it did not exist. */
  async function subscriptionFor(id: string, scope: string | undefined): Promise<SubscriptionDoc> {
    const s = await repo.subscriptions.find(id);
    if (!s || (scope !== undefined && s.ownerCustomerId !== scope && s.customerId !== scope)) throw new AppError('not_found', `no subscription ${id}`);
    return s;
  }

  return {
    /** Stores events from Tollgate's components (each once) and makes their deliveries. */
    async takeIn(events: EventInput[]): Promise<{ stored: number; repeated: number; deliveries: number }> {
      const subscriptions = await repo.subscriptions.active();
      let stored = 0;
      let repeated = 0;
      let deliveries = 0;
      for (const e of events) {
        const doc: EventDoc = {
          eventId: e.id, type: e.type, contractId: e.contractId, customerId: e.customerId, sandbox: e.sandbox, occurredOn: e.occurredOn, data: e.data, createdAt: now(),
        };
        const fresh = await repo.events.insert(doc);
        const event = fresh ? doc : await repo.events.find(e.id);
        if (!event) throw new Error(`event ${e.id} is neither new nor stored`);
        if (fresh) stored += 1;
        else repeated += 1;
        deliveries += await fanOut(event, subscriptions);
        if (fresh) log.info({ eventId: e.id, type: e.type, contractId: e.contractId }, 'event recorded');
      }
      if (deliveries > 0) deps.dispatcher?.wake();
      return { stored, repeated, deliveries };
    },

    async subscribe(input: z.output<typeof createSubscriptionBody>, principal: { name: string; customerId?: string }) {
      if (principal.customerId !== undefined && input.customerId !== undefined && input.customerId !== principal.customerId) {
        throw new AppError('forbidden', `this key may only subscribe to the events of customer ${principal.customerId}`);
      }
      const doc: SubscriptionDoc = {
        subscriptionId: `sub_${randomUUID().replace(/-/g, '')}`,
        url: input.url,
        events: [...new Set(input.events)],
        ...(principal.customerId ?? input.customerId ? { customerId: principal.customerId ?? input.customerId } : {}),
        sandbox: input.sandbox,
        ...(input.description ? { description: input.description } : {}),
        secret: `whsec_${randomBytes(32).toString('hex')}`,
        active: true,
        createdAt: now(),
        createdBy: principal.name,
        ...(principal.customerId ? { ownerCustomerId: principal.customerId } : {}),
      };
      await repo.subscriptions.insert(doc);
      log.info({ subscriptionId: doc.subscriptionId, events: doc.events, by: principal.name }, 'subscription created');
      return { ...publicSubscription(doc), secret: doc.secret };
    },

    async listSubscriptions(scope: string | undefined) {
      const all = await repo.subscriptions.all();
      return all.filter((s) => scope === undefined || s.ownerCustomerId === scope || s.customerId === scope).map(publicSubscription);
    },

    async getSubscription(id: string, scope: string | undefined) {
      return publicSubscription(await subscriptionFor(id, scope));
    },

    async setActive(id: string, active: boolean, scope: string | undefined) {
      const s = await subscriptionFor(id, scope);
      if (s.active !== active) await repo.subscriptions.setActive(id, active);
      if (active) {
        // What waited while it was disabled is tried now.
        const at = now();
        for (const d of await repo.deliveries.undeliveredOf(id)) await repo.deliveries.update(d.deliveryId, { nextAttemptAt: at });
        deps.dispatcher?.wake();
      }
      log.info({ subscriptionId: id, active }, active ? 'subscription enabled' : 'subscription disabled');
      return publicSubscription({ ...s, active });
    },

    async deliveries(id: string, q: z.output<typeof deliveriesQuery>, scope: string | undefined) {
      await subscriptionFor(id, scope);
      const cursor = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      if (q.cursor !== undefined && !cursor) throw new AppError('validation_failed', 'invalid cursor', [{ path: 'query.cursor', message: 'must be the nextCursor of a previous page' }]);
      const p = await repo.deliveries.ofSubscription(id, q.limit, cursor, q.status);
      return { data: p.data.map((d) => publicDelivery(d)), ...(p.nextCursor ? { nextCursor: p.nextCursor } : {}) };
    },

    async delivery(deliveryId: string, scope: string | undefined) {
      const d = await repo.deliveries.find(deliveryId);
      if (!d) throw new AppError('not_found', `no delivery ${deliveryId}`);
      await subscriptionFor(d.subscriptionId, scope).catch(() => {
        throw new AppError('not_found', `no delivery ${deliveryId}`);
      });
      return publicDelivery(d, await repo.attempts.ofDelivery(deliveryId));
    },

    /** Sends a delivery again (also a delivered one): its next attempt is due now. */
    async redeliver(deliveryId: string, scope: string | undefined) {
      const d = await repo.deliveries.find(deliveryId);
      if (!d) throw new AppError('not_found', `no delivery ${deliveryId}`);
      await subscriptionFor(d.subscriptionId, scope).catch(() => {
        throw new AppError('not_found', `no delivery ${deliveryId}`);
      });
      const at = now();
      const set = { status: d.status === 'delivered' ? 'pending' as const : d.status, undelivered: true, nextAttemptAt: at };
      await repo.deliveries.update(deliveryId, set);
      deps.dispatcher?.wake();
      log.info({ deliveryId, eventId: d.eventId }, 'redelivery requested');
      return publicDelivery({ ...d, ...set });
    },

    async listEvents(q: z.output<typeof eventsQuery>, scope: string | undefined) {
      if (scope !== undefined && q.customerId !== undefined && q.customerId !== scope) return { data: [] };
      const customerId = scope ?? q.customerId;
      if (q.contractId === undefined && customerId === undefined) {
        throw new AppError('validation_failed', 'name a contractId or a customerId', [{ path: 'query.contractId', message: 'contractId or customerId is required' }]);
      }
      const cursor = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      if (q.cursor !== undefined && !cursor) throw new AppError('validation_failed', 'invalid cursor', [{ path: 'query.cursor', message: 'must be the nextCursor of a previous page' }]);
      const p = await repo.events.list({ contractId: q.contractId, customerId, type: q.type }, q.limit, cursor);
      return { data: p.data.map(envelopeOf), ...(p.nextCursor ? { nextCursor: p.nextCursor } : {}) };
    },
  };
}

export type EventUseCases = ReturnType<typeof createEventUseCases>;

/** `POST /internal/events`: Tollgate's own components only (the service credential), not in the public API. */
export function internalEventRouter(events: EventUseCases, serviceToken: string): Router {
  const router = Router();
  router.post('/internal/events', requireServiceCredential(serviceToken), async (req, res) => {
    res.json(await events.takeIn(validate(intakeBody, req.body).events));
  });
  return router;
}

// ─────────────────────────── public operations ───────────────────────────

export function eventOperations(events: EventUseCases): GatewayOperation[] {
  const scope = (req: { principal?: { customerId?: string } }) => req.principal?.customerId;
  const subId = (req: Request) => req.params.subscriptionId as string;
  const tags = ['events'];
  const manage = (action: string) => ({ permission: 'manage' as const, action });
  const read = { permission: 'read' as const, action: 'read events and subscriptions' };
  return [
    {
      method: 'post', path: '/subscriptions', operationId: 'createSubscription', tags,
      summary: 'Subscribe an endpoint to events; the answer shows the signing secret, once',
      body: createSubscriptionBody, access: manage('manage event subscriptions'),
      responses: { 201: { description: 'the subscription, with its secret (shown only here)', schema: createdSubscriptionSchema } },
      async handler(req, res) {
        res.status(201).json(await events.subscribe(validate(createSubscriptionBody, req.body ?? {}), req.principal!));
      },
    },
    {
      method: 'get', path: '/subscriptions', operationId: 'listSubscriptions', tags, summary: 'The event subscriptions (without their secrets)', access: read,
      responses: { 200: { description: 'every subscription in the caller\'s scope', schema: subscriptionList } },
      async handler(req, res) {
        res.json({ data: await events.listSubscriptions(scope(req)) });
      },
    },
    {
      method: 'get', path: '/subscriptions/:subscriptionId', operationId: 'getSubscription', tags, summary: 'One subscription', access: read,
      responses: { 200: { description: 'the subscription', schema: subscriptionSchema } },
      async handler(req, res) {
        res.json(await events.getSubscription(subId(req), scope(req)));
      },
    },
    {
      method: 'post', path: '/subscriptions/:subscriptionId/disable', operationId: 'disableSubscription', tags,
      summary: 'Pause a subscription: no new deliveries are made for it, and those waiting are held', access: manage('manage event subscriptions'),
      responses: { 200: { description: 'the subscription', schema: subscriptionSchema } },
      async handler(req, res) {
        res.json(await events.setActive(subId(req), false, scope(req)));
      },
    },
    {
      method: 'post', path: '/subscriptions/:subscriptionId/enable', operationId: 'enableSubscription', tags,
      summary: 'Resume a subscription: the deliveries held are sent now', access: manage('manage event subscriptions'),
      responses: { 200: { description: 'the subscription', schema: subscriptionSchema } },
      async handler(req, res) {
        res.json(await events.setActive(subId(req), true, scope(req)));
      },
    },
    {
      method: 'get', path: '/subscriptions/:subscriptionId/deliveries', operationId: 'listSubscriptionDeliveries', tags,
      summary: 'The delivery log of a subscription: each event, its status, attempts and the last answer', access: read, query: deliveriesQuery,
      responses: { 200: { description: 'a page of deliveries, oldest first', schema: deliveryPage } },
      async handler(req, res) {
        res.json(await events.deliveries(subId(req), validate(deliveriesQuery, req.query, 'query'), scope(req)));
      },
    },
    {
      method: 'get', path: '/deliveries/:deliveryId', operationId: 'getDelivery', tags, summary: 'One delivery with every attempt', access: read,
      responses: { 200: { description: 'the delivery and its attempts', schema: deliverySchema } },
      async handler(req, res) {
        res.json(await events.delivery(req.params.deliveryId as string, scope(req)));
      },
    },
    {
      method: 'post', path: '/deliveries/:deliveryId/redeliver', operationId: 'redeliverDelivery', tags,
      summary: 'Send a delivery again now (also one already delivered)', access: manage('redeliver events'),
      responses: { 200: { description: 'the delivery, due now', schema: deliverySchema } },
      async handler(req, res) {
        res.json(await events.redeliver(req.params.deliveryId as string, scope(req)));
      },
    },
    {
      method: 'get', path: '/events', operationId: 'listEvents', tags,
      summary: 'The events of one contract or one customer, oldest first', access: read, query: eventsQuery,
      responses: { 200: { description: 'a page of events', schema: eventPage } },
      async handler(req, res) {
        res.json(await events.listEvents(validate(eventsQuery, req.query, 'query'), scope(req)));
      },
    },
  ];
}
