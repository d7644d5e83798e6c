/**
 * The accounts-receivable service: owns receivables, payments and customer credit, in its own
 * database. It calls the revenue service (one ledger entry per payment), the invoicing service (the
 * invoice's payment status) and, when given a Temporal client, signals `invoicePaid` to the contract
 * workflow. Without a Temporal client (service-only tests) those signals wait, marked pending.
 */
import type { Client } from '@temporalio/client';
import { requireServiceToken, type Config } from '../../libs/config';
import { createApp, finishApp } from '../../libs/http';
import type { Logger } from '../../libs/logger';
import { connectDatabase, databaseName, ensureIndexes } from '../../libs/mongo';
import { createServiceClient, type ServiceClient } from '../../libs/service-client';
import { runHttpService, type RunningService } from '../../libs/service-runtime';
import type { EventPublisher } from '../../libs/event-publisher';
import { overdueScanRepository } from './data/overdue';
import { receivableRepository } from './data/receivables';
import { createOverdueAnnouncer } from './events';
import { createReceivableUseCases, type ReceivableUseCases } from './receivables';
import { receivableRoutes } from './routes';

export interface ArServiceDeps {
  /** Signals the contract workflows; optional (see above). */
  temporal?: Client;
  /** Defaults: clients to REVENUE_URL and INVOICING_URL. */
  revenue?: ServiceClient;
  invoicing?: ServiceClient | null;
  /** The gateway's event intake (`payment.applied`, `invoice.overdue`); without it AR publishes no events. */
  events?: EventPublisher;
  /** How often unfinished effects are retried (ms); 0 turns the sweep off. Default 5000. */
  sweepIntervalMs?: number;
}

export interface RunningArService extends RunningService {
  /** Runs one sweep now (what the timer does): finishes postings, status reports and signals left undone. */
  resumePending: ReceivableUseCases['resumePending'];
}

export async function startArService(
  config: Pick<Config, 'MONGO_URL' | 'MONGO_DB_PREFIX' | 'HOST' | 'AR_PORT' | 'BODY_LIMIT' | 'REVENUE_URL' | 'INVOICING_URL' | 'TOLLGATE_SERVICE_TOKEN' | 'TOLLGATE_SHUTDOWN_GRACE_MS'>,
  logger: Logger,
  deps: ArServiceDeps = {},
): Promise<RunningArService> {
  const log = logger.child({ service: 'ar' });
  // Internal: checks its callers' credential, and sends the same one to revenue and invoicing.
  const serviceToken = requireServiceToken(config, 'ar');
  const conn = await connectDatabase({ url: config.MONGO_URL, dbName: databaseName(config.MONGO_DB_PREFIX, 'ar'), logger: log });
  const repo = receivableRepository(conn);
  const scans = overdueScanRepository(conn);
  await ensureIndexes(conn);
  const useCases = createReceivableUseCases(repo, {
    revenue: deps.revenue ?? createServiceClient('revenue', config.REVENUE_URL, { token: serviceToken }),
    invoicing: deps.invoicing === null ? undefined : (deps.invoicing ?? createServiceClient('invoicing', config.INVOICING_URL, { token: serviceToken })),
    temporal: deps.temporal,
    events: deps.events,
    overdue: createOverdueAnnouncer({ receivables: repo.receivables, scans, events: deps.events, logger: log }),
    logger: log,
  });
  const app = createApp({ name: 'ar', logger: log, bodyLimit: config.BODY_LIMIT, serviceToken, ready: async () => void (await conn.db!.command({ ping: 1 })) });
  app.use(receivableRoutes(useCases));
  finishApp(app);

  let sweeping: Promise<unknown> = Promise.resolve();
  const interval = deps.sweepIntervalMs ?? 5_000;
  const timer = interval > 0
    ? setInterval(() => {
      sweeping = sweeping.then(() => useCases.resumePending()).catch((err) => log.error({ err }, 'AR sweep failed'));
    }, interval)
    : undefined;
  timer?.unref();

  const running = await runHttpService({
    name: 'ar', app, host: config.HOST, port: config.AR_PORT, logger: log, connection: conn, graceMs: config.TOLLGATE_SHUTDOWN_GRACE_MS,
    // No new sweep once stopping; the one running finishes before the database closes.
    beforeClose: () => { if (timer) clearInterval(timer); },
    onStop: async () => { await sweeping; },
  });
  return { ...running, resumePending: () => useCases.resumePending() };
}
