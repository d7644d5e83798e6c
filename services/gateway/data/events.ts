/**
 * The outbound-event store, in the gateway's database (docs/events.md):
 * - `events`: each fact once — the event id is derived from the fact and unique, so a producer's
 *   retry inserts nothing new;
 * - `subscriptions`: endpoints, the event types they want, an optional customer, live or sandbox,
 *   and the secret their deliveries are signed with;
 * - `deliveries`: one per (event, subscription), unique, made when the event is taken in; the
 *   dispatcher's work is `undelivered: true` with `nextAttemptAt` passed;
 * - `delivery_attempts`: each attempt claimed by inserting `(deliveryId, attemptNo)` under a unique
 *   index before it is sent, so two gateway processes never send the same attempt; it then holds
 *   what the endpoint answered (the delivery log).
 * FerretDB updates are not atomic: nothing that must happen once relies on an update. An update of
 * a delivery is a cache of its last attempt, healed from the attempts when it was lost.
 */
import { createHash } from 'node:crypto';
import { Schema, type Connection } from 'mongoose';
import type { EventType } from '../../../libs/domain/events';
import { insertUnique } from '../../../libs/mongo';

export interface EventDoc {
  eventId: string;
  type: EventType;
  contractId: string;
  customerId: string;
  sandbox: boolean;
  occurredOn: string;
  /** YYYY-MM of occurredOn, set on insert: the console's KPIs read a month of one type by it (indexed equality). */
  occurredMonth?: string;
  data: Record<string, unknown>;
  createdAt: Date;
}

export interface SubscriptionDoc {
  subscriptionId: string;
  url: string;
  events: EventType[];
  customerId?: string;
  /** A sandbox subscription receives the events of sandbox contracts only; a live one, of live contracts only. */
  sandbox: boolean;
  description?: string;
  secret: string;
  active: boolean;
  createdAt: Date;
  createdBy: string;
  /** Scope of the key that created it (a customer-scoped key sees only its own). */
  ownerCustomerId?: string;
}

export type DeliveryStatus = 'pending' | 'retrying' | 'delivered';

export interface DeliveryDoc {
  deliveryId: string;
  eventId: string;
  eventType: EventType;
  subscriptionId: string;
  contractId: string;
  customerId: string;
  status: DeliveryStatus;
  /** True until delivered: with `nextAttemptAt`, the dispatcher's index. */
  undelivered: boolean;
  attempts: number;
  nextAttemptAt: Date;
  lastAttemptAt?: Date;
  lastStatus?: number;
  lastError?: string;
  deliveredAt?: Date;
  createdAt: Date;
}

export interface AttemptDoc {
  deliveryId: string;
  attemptNo: number;
  claimedAt: Date;
  /** Which gateway process sent it. */
  by: string;
  finishedAt?: Date;
  outcome?: 'delivered' | 'failed' | 'abandoned';
  status?: number;
  error?: string;
  ms?: number;
}

const eventSchema = new Schema<EventDoc>(
  {
    eventId: { type: String, required: true, unique: true },
    type: { type: String, required: true },
    contractId: { type: String, required: true, index: true },
    customerId: { type: String, required: true, index: true },
    sandbox: { type: Boolean, required: true },
    occurredOn: { type: String, required: true },
    occurredMonth: String,
    data: { type: Schema.Types.Mixed, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'events', minimize: false },
);
// The console's KPIs: one type's events of one month, live or sandbox (three equalities, pushed down).
eventSchema.index({ type: 1, occurredMonth: 1, sandbox: 1 });

const subscriptionSchema = new Schema<SubscriptionDoc>(
  {
    subscriptionId: { type: String, required: true, unique: true },
    url: { type: String, required: true },
    events: [String],
    customerId: String,
    sandbox: { type: Boolean, required: true },
    description: String,
    secret: { type: String, required: true },
    // Intake reads the active subscriptions for every event: by this index.
    active: { type: Boolean, required: true, index: true },
    createdAt: { type: Date, required: true },
    createdBy: { type: String, required: true },
    ownerCustomerId: String,
  },
  { versionKey: false, collection: 'subscriptions' },
);

const deliverySchema = new Schema<DeliveryDoc>(
  {
    deliveryId: { type: String, required: true, unique: true },
    eventId: { type: String, required: true },
    eventType: { type: String, required: true },
    subscriptionId: { type: String, required: true, index: true },
    contractId: { type: String, required: true },
    customerId: { type: String, required: true },
    status: { type: String, required: true },
    undelivered: { type: Boolean, required: true },
    attempts: { type: Number, required: true },
    nextAttemptAt: { type: Date, required: true },
    lastAttemptAt: Date,
    lastStatus: Number,
    lastError: String,
    deliveredAt: Date,
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'deliveries' },
);
deliverySchema.index({ eventId: 1, subscriptionId: 1 }, { unique: true });
deliverySchema.index({ undelivered: 1, nextAttemptAt: 1 });

const attemptSchema = new Schema<AttemptDoc>(
  {
    deliveryId: { type: String, required: true },
    attemptNo: { type: Number, required: true },
    claimedAt: { type: Date, required: true },
    by: { type: String, required: true },
    finishedAt: Date,
    outcome: String,
    status: Number,
    error: String,
    ms: Number,
  },
  { versionKey: false, collection: 'delivery_attempts' },
);
attemptSchema.index({ deliveryId: 1, attemptNo: 1 }, { unique: true });

/** The delivery of one event to one subscription: the same id from any process. */
export function deliveryIdOf(eventId: string, subscriptionId: string): string {
  return `dlv_${createHash('sha256').update(`${subscriptionId}\n${eventId}`).digest('hex').slice(0, 32)}`;
}

function strip<T>(doc: T | null): T | null {
  if (!doc) return null;
  const { _id, ...rest } = doc as T & { _id?: unknown };
  void _id;
  return rest as T;
}

/** A page cursor: the sort key of the last item, opaque to callers. */
export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify([at.toISOString(), id])).toString('base64url');
}

export function decodeCursor(cursor: string): { at: Date; id: string } | undefined {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const d = new Date(at);
    return typeof id === 'string' && !Number.isNaN(d.getTime()) ? { at: d, id } : undefined;
  } catch {
    return undefined;
  }
}

/** The items after the cursor, in (createdAt, id) order, at most `limit`, and the next cursor. */
function pageOf<T>(items: T[], key: (t: T) => { at: Date; id: string }, limit: number, cursor?: { at: Date; id: string }): { data: T[]; nextCursor?: string } {
  const after = cursor
    ? items.filter((t) => { const k = key(t); return k.at > cursor.at || (k.at.getTime() === cursor.at.getTime() && k.id > cursor.id); })
    : items;
  const data = after.slice(0, limit);
  const last = data[data.length - 1];
  return after.length > limit && last ? { data, nextCursor: encodeCursor(key(last).at, key(last).id) } : { data };
}

export function eventRepository(conn: Connection) {
  const Events = conn.model<EventDoc>('OutboundEvent', eventSchema);
  const Subscriptions = conn.model<SubscriptionDoc>('Subscription', subscriptionSchema);
  const Deliveries = conn.model<DeliveryDoc>('Delivery', deliverySchema);
  const Attempts = conn.model<AttemptDoc>('DeliveryAttempt', attemptSchema);
  const byTime = <T extends { createdAt: Date }>(id: (t: T) => string) => (t: T) => ({ at: new Date(t.createdAt), id: id(t) });

  return {
    events: {
      /** Stores the event; false when its id is already stored (the first one stays). */
      async insert(doc: EventDoc): Promise<boolean> {
        return insertUnique(Events, { ...doc, occurredMonth: doc.occurredOn.slice(0, 7) });
      },
      /** One type's events of one month (YYYY-MM of occurredOn), live or sandbox: an indexed equality. */
      async ofMonth(type: EventType, month: string, sandbox: boolean): Promise<EventDoc[]> {
        return (await Events.find({ type, occurredMonth: month, sandbox }).lean<EventDoc[]>()).map((d) => strip(d)!);
      },
      async find(eventId: string): Promise<EventDoc | null> {
        return strip(await Events.findOne({ eventId }).lean<EventDoc>());
      },
      /** One contract's or one customer's events (an indexed equality), oldest first, a page at a time. */
      async list(filter: { contractId?: string; customerId?: string; type?: string }, limit: number, cursor?: { at: Date; id: string }) {
        const q: Record<string, unknown> = {};
        if (filter.contractId) q.contractId = filter.contractId;
        if (filter.customerId) q.customerId = filter.customerId;
        if (filter.type) q.type = filter.type;
        if (cursor) q.createdAt = { $gte: cursor.at };
        const docs = (await Events.find(q).sort({ createdAt: 1, eventId: 1 }).lean<EventDoc[]>()).map((d) => strip(d)!);
        return pageOf(docs, byTime<EventDoc>((e) => e.eventId), limit, cursor);
      },
    },
    subscriptions: {
      async insert(doc: SubscriptionDoc): Promise<void> {
        if (!(await insertUnique(Subscriptions, doc))) throw new Error(`subscription ${doc.subscriptionId} exists`);
      },
      async find(subscriptionId: string): Promise<SubscriptionDoc | null> {
        return strip(await Subscriptions.findOne({ subscriptionId }).lean<SubscriptionDoc>());
      },
      /** The active subscriptions (what intake fans an event out to). */
      async active(): Promise<SubscriptionDoc[]> {
        return (await Subscriptions.find({ active: true }).lean<SubscriptionDoc[]>()).map((d) => strip(d)!);
      },
      /** Every subscription (a short list of endpoints; the management listing only). */
      async all(): Promise<SubscriptionDoc[]> {
        return (await Subscriptions.find({}).sort({ createdAt: 1, subscriptionId: 1 }).lean<SubscriptionDoc[]>()).map((d) => strip(d)!);
      },
      async setActive(subscriptionId: string, active: boolean): Promise<void> {
        await Subscriptions.updateOne({ subscriptionId }, { $set: { active } });
      },
    },
    deliveries: {
      /** Creates the delivery once per (event, subscription); false when it exists. */
      async insert(doc: DeliveryDoc): Promise<boolean> {
        return insertUnique(Deliveries, doc);
      },
      async find(deliveryId: string): Promise<DeliveryDoc | null> {
        return strip(await Deliveries.findOne({ deliveryId }).lean<DeliveryDoc>());
      },
      /** Undelivered deliveries whose next attempt is due, the most overdue first. */
      async due(now: Date, limit: number): Promise<DeliveryDoc[]> {
        return (await Deliveries.find({ undelivered: true, nextAttemptAt: { $lte: now } }).sort({ nextAttemptAt: 1 }).limit(limit).lean<DeliveryDoc[]>()).map((d) => strip(d)!);
      },
      /** One subscription's deliveries (its delivery log), oldest first, a page at a time. */
      async ofSubscription(subscriptionId: string, limit: number, cursor?: { at: Date; id: string }, status?: DeliveryStatus) {
        const q: Record<string, unknown> = { subscriptionId };
        if (status) q.status = status;
        if (cursor) q.createdAt = { $gte: cursor.at };
        const docs = (await Deliveries.find(q).sort({ createdAt: 1, deliveryId: 1 }).lean<DeliveryDoc[]>()).map((d) => strip(d)!);
        return pageOf(docs, byTime<DeliveryDoc>((d) => d.deliveryId), limit, cursor);
      },
      /** Undelivered deliveries of one subscription (to wake them when it is enabled again). */
      async undeliveredOf(subscriptionId: string): Promise<DeliveryDoc[]> {
        return (await Deliveries.find({ subscriptionId, undelivered: true }).lean<DeliveryDoc[]>()).map((d) => strip(d)!);
      },
      async update(deliveryId: string, set: Partial<DeliveryDoc>): Promise<void> {
        await Deliveries.updateOne({ deliveryId }, { $set: set });
      },
    },
    attempts: {
      /** Claims attempt `attemptNo` of a delivery: true for the one process that may send it. */
      async claim(doc: AttemptDoc): Promise<boolean> {
        return insertUnique(Attempts, doc);
      },
      async find(deliveryId: string, attemptNo: number): Promise<AttemptDoc | null> {
        return strip(await Attempts.findOne({ deliveryId, attemptNo }).lean<AttemptDoc>());
      },
      async ofDelivery(deliveryId: string): Promise<AttemptDoc[]> {
        return (await Attempts.find({ deliveryId }).sort({ attemptNo: 1 }).lean<AttemptDoc[]>()).map((d) => strip(d)!);
      },
      async finish(deliveryId: string, attemptNo: number, set: Pick<AttemptDoc, 'finishedAt' | 'outcome' | 'status' | 'error' | 'ms'>): Promise<void> {
        await Attempts.updateOne({ deliveryId, attemptNo }, { $set: set });
      },
    },
  };
}

export type EventRepository = ReturnType<typeof eventRepository>;
