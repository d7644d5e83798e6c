/** The gateway: the public HTTP API in front of the contract workflows and the services. */
import type { Client } from '@temporalio/client';
import { createAuthenticator, loadApiKeys, loadWebhookSources } from '../../libs/auth';
import { requireServiceToken, type Config } from '../../libs/config';
import { createApp, drainGate, finishApp, UnavailableError } from '../../libs/http';
import type { Logger } from '../../libs/logger';
import { connectDatabase, databaseName, ensureIndexes } from '../../libs/mongo';
import { createServiceClient } from '../../libs/service-client';
import { runHttpService, type RunningService } from '../../libs/service-runtime';
import { createContractUseCases } from './contracts';
import { eventRepository } from './data/events';
import { idempotencyRepository } from './data/idempotency';
import { createDispatcher } from './dispatcher';
import { createEventUseCases, eventOperations, internalEventRouter } from './events';
import { gatewayDocs } from './openapi';
import { consoleRoutes } from './console';
import { gatewayOperations, gatewayRouter } from './routes';
import { documentOperations } from './documents';
import { consoleOperations, createActivityRecorder, temporalContractLookup } from './console-api';
import { activityRepository } from './data/activity';
import { templateRepository } from './data/templates';
import { templateOperations } from './templates';
import { renewalRepository } from './data/renewals';
import { createRenewalUseCases, renewalOperations } from './renewals';
import { sellerFromConfig } from '../invoicing/printable';

export type GatewayConfig = Pick<Config,
  | 'HOST' | 'GATEWAY_PORT' | 'BODY_LIMIT' | 'TEMPORAL_TASK_QUEUE' | 'INVOICING_URL' | 'REVENUE_URL' | 'AR_URL' | 'CONTRACT_MESSAGES_PER_RUN'
  | 'MONGO_URL' | 'MONGO_DB_PREFIX' | 'TOLLGATE_API_KEYS' | 'TOLLGATE_API_KEYS_FILE' | 'TOLLGATE_REQUIRE_API_KEYS'
  | 'TOLLGATE_WEBHOOK_SECRETS' | 'TOLLGATE_WEBHOOK_TOLERANCE_SECONDS' | 'TOLLGATE_IDEMPOTENCY_TTL_HOURS'
  | 'TOLLGATE_SERVICE_TOKEN' | 'TOLLGATE_TEMPORAL_QUERY_TIMEOUT_MS' | 'TOLLGATE_TEMPORAL_UPDATE_TIMEOUT_MS' | 'TOLLGATE_RETRY_AFTER_SECONDS'
  | 'TOLLGATE_SHUTDOWN_GRACE_MS' | 'TOLLGATE_EVENTS_POLL_MS' | 'TOLLGATE_EVENTS_RETRY_BASE_MS' | 'TOLLGATE_EVENTS_RETRY_MAX_MS'
  | 'TOLLGATE_EVENTS_TIMEOUT_MS' | 'TOLLGATE_EVENTS_CONCURRENCY'
  | 'TOLLGATE_SELLER_NAME' | 'TOLLGATE_SELLER_ADDRESS' | 'TOLLGATE_SELLER_TAX_ID' | 'TOLLGATE_SELLER_EMAIL'>;

const PURGE_EVERY_MS = 60 * 60_000;

export async function startGateway(config: GatewayConfig, deps: { client: Client; logger: Logger }): Promise<RunningService> {
  const log = deps.logger.child({ service: 'gateway' });
  // The gateway calls the internal services as a Tollgate component.
  const serviceToken = requireServiceToken(config, 'gateway');
  const keys = loadApiKeys(config);
  const webhookSources = loadWebhookSources(config);
  if (keys.length === 0) {
    if (config.TOLLGATE_REQUIRE_API_KEYS) throw new Error('gateway: TOLLGATE_REQUIRE_API_KEYS is true but no API keys are configured (TOLLGATE_API_KEYS or TOLLGATE_API_KEYS_FILE)');
    log.warn('NO API KEYS CONFIGURED: the gateway is OPEN — every caller is admin. For local development only; set TOLLGATE_API_KEYS or TOLLGATE_API_KEYS_FILE (docs/api.md).');
  } else {
    log.info({ keys: keys.length, webhookSources: webhookSources.size }, 'API keys loaded');
  }

  const conn = await connectDatabase({ url: config.MONGO_URL, dbName: databaseName(config.MONGO_DB_PREFIX, 'gateway'), logger: log });
  const idempotency = idempotencyRepository(conn, { ttlMs: config.TOLLGATE_IDEMPOTENCY_TTL_HOURS * 3_600_000 });
  const eventStore = eventRepository(conn);
  const activityStore = activityRepository(conn);
  const templateStore = templateRepository(conn);
  const renewalStore = renewalRepository(conn);
  await ensureIndexes(conn);
  // Outbound events (docs/events.md): delivered by every gateway process from the shared store.
  const dispatcher = createDispatcher(eventStore, {
    pollMs: config.TOLLGATE_EVENTS_POLL_MS,
    retryBaseMs: config.TOLLGATE_EVENTS_RETRY_BASE_MS,
    retryMaxMs: config.TOLLGATE_EVENTS_RETRY_MAX_MS,
    timeoutMs: config.TOLLGATE_EVENTS_TIMEOUT_MS,
    concurrency: config.TOLLGATE_EVENTS_CONCURRENCY,
  }, log);
  const events = createEventUseCases(eventStore, { dispatcher, logger: log });
  // The purge running now, if any: awaited before the database closes at shutdown.
  let purging: Promise<unknown> = Promise.resolve();
  const purge = (all: boolean) => {
    purging = (all ? idempotency.purgeAll() : idempotency.purgeExpired()).then(
      (n) => n > 0 && log.info({ purged: n }, 'expired idempotency records purged'),
      (err: unknown) => log.warn({ err }, 'purging expired idempotency records failed'),
    );
  };
  // Once at start by a scan (records older than the hourly look-back), then by expiry hour.
  purge(true);
  const purgeTimer = setInterval(() => purge(false), PURGE_EVERY_MS);
  purgeTimer.unref();

  const app = createApp({
    name: 'gateway',
    logger: log,
    bodyLimit: config.BODY_LIMIT,
    helmet: true,
    rawBody: true,
    retryAfterSeconds: config.TOLLGATE_RETRY_AFTER_SECONDS,
    ready: async () => {
      if (gate.draining) throw new UnavailableError('the gateway is shutting down', { reason: 'shutting_down' });
      await gatewayDeps.contracts.ping();
      await conn.db!.command({ ping: 1 });
    },
  });
  // Stopping: new public requests answer 503 while those in flight finish; the event intake stays
  // open until the server closes, because an update in flight waits for its workflow's effects,
  // and those publish their events here.
  const gate = drainGate((req) => req.path.startsWith('/internal/') || req.path === '/healthz' || req.path === '/readyz');
  app.use(gate.middleware);
  const gatewayDeps = {
    contracts: createContractUseCases({
      client: deps.client,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      messagesPerRun: config.CONTRACT_MESSAGES_PER_RUN,
      limits: {
        queryTimeoutMs: config.TOLLGATE_TEMPORAL_QUERY_TIMEOUT_MS,
        updateTimeoutMs: config.TOLLGATE_TEMPORAL_UPDATE_TIMEOUT_MS,
        retryAfterSeconds: config.TOLLGATE_RETRY_AFTER_SECONDS,
      },
    }),
    services: {
      invoicing: createServiceClient('invoicing', config.INVOICING_URL, { token: serviceToken }),
      revenue: createServiceClient('revenue', config.REVENUE_URL, { token: serviceToken }),
      ar: createServiceClient('ar', config.AR_URL, { token: serviceToken }),
    },
    auth: createAuthenticator(keys),
    idempotency,
    webhooks: { sources: webhookSources, toleranceSeconds: config.TOLLGATE_WEBHOOK_TOLERANCE_SECONDS },
    // What the console's KPIs count: ignored/refused contract events, reconciliation checks (console-api.ts).
    activity: createActivityRecorder({ repo: activityStore, lookup: temporalContractLookup(deps.client), logger: log }),
  };
  // Renewals and the visual schedule (renewals.ts): GET /contracts/:id also shows who renewed it.
  const renewals = createRenewalUseCases({ contracts: gatewayDeps.contracts, renewals: renewalStore });
  const operations = [...gatewayOperations({ ...gatewayDeps, renewedBy: (id) => renewals.renewedBy(id) }),
    ...renewalOperations({ contracts: gatewayDeps.contracts, renewals }), ...eventOperations(events), ...documentOperations(gatewayDeps, { seller: sellerFromConfig(config) }),
    ...consoleOperations(gatewayDeps, { events: eventStore, activity: activityStore }),
    // Schedule templates (templates.ts, docs/templates.md).
    ...templateOperations({ templates: templateStore, contracts: gatewayDeps.contracts })];
  // GET /openapi.json and GET /docs (Swagger UI, its assets under /docs/assets/) from the same list.
  const docs = gatewayDocs(operations);
  app.use(docs.assets);
  // The console (docs/console.md): GET / and its assets under /console/assets/.
  app.use(consoleRoutes({ logger: log }));
  app.use(internalEventRouter(events, serviceToken));
  app.use(gatewayRouter([...operations, ...docs.pages], gatewayDeps));
  finishApp(app);
  dispatcher.start();
  return runHttpService({
    name: 'gateway', app, host: config.HOST, port: config.GATEWAY_PORT, logger: log, connection: conn, graceMs: config.TOLLGATE_SHUTDOWN_GRACE_MS,
    beforeClose: async (graceMs) => {
      clearInterval(purgeTimer);
      await gate.drain(graceMs);
    },
    onStop: async () => {
      await purging;
      // Sends in flight finish and are recorded before the database closes (nothing sent twice after a restart).
      await dispatcher.stop();
      // The KPI records of the last answers are written before the database closes.
      await gatewayDeps.activity.drain();
      // Calls to Temporal given up on (503) may still be retrying in the SDK until their deadline.
      await gatewayDeps.contracts.drain();
    },
  });
}
