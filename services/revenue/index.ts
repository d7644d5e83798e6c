/** The revenue service: owns the ASC 606 ledgers (the books and one sandbox ledger per sandbox contract). */
import { requireServiceToken, type Config } from '../../libs/config';
import { createApp, finishApp } from '../../libs/http';
import type { Logger } from '../../libs/logger';
import { connectDatabase, databaseName, ensureIndexes } from '../../libs/mongo';
import { runHttpService, type RunningService } from '../../libs/service-runtime';
import { entryRepository } from './data/entries';
import { periodRepository } from './data/periods';
import { planRepository } from './data/plans';
import { createLedgerUseCases } from './ledger';
import { createReportUseCases } from './reports';
import { ledgerRoutes } from './routes';

export async function startRevenueService(
  config: Pick<Config, 'MONGO_URL' | 'MONGO_DB_PREFIX' | 'HOST' | 'REVENUE_PORT' | 'BODY_LIMIT' | 'TOLLGATE_SERVICE_TOKEN' | 'TOLLGATE_SHUTDOWN_GRACE_MS'>,
  logger: Logger,
  opts: { now?: () => Date } = {},
): Promise<RunningService> {
  const log = logger.child({ service: 'revenue' });
  // Internal: only Tollgate components may call it — closing a period of the books included, which
  // outside callers reach only through the gateway's finance role.
  const serviceToken = requireServiceToken(config, 'revenue');
  const conn = await connectDatabase({ url: config.MONGO_URL, dbName: databaseName(config.MONGO_DB_PREFIX, 'revenue'), logger: log });
  const repos = { entries: entryRepository(conn), plans: planRepository(conn), periods: periodRepository(conn) };
  await ensureIndexes(conn);
  const now = opts.now ?? (() => new Date());
  const app = createApp({ name: 'revenue', logger: log, bodyLimit: config.BODY_LIMIT, serviceToken, ready: async () => void (await conn.db!.command({ ping: 1 })) });
  app.use(ledgerRoutes(createLedgerUseCases(repos, now), createReportUseCases(repos.entries, () => now().toISOString().slice(0, 10))));
  finishApp(app);
  return runHttpService({ name: 'revenue', app, host: config.HOST, port: config.REVENUE_PORT, logger: log, connection: conn, graceMs: config.TOLLGATE_SHUTDOWN_GRACE_MS });
}
