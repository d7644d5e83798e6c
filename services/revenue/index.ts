/** The revenue service: owns the ASC 606 ledgers (the books and one sandbox ledger per sandbox contract). */
import { requireServiceToken, type Config } from '../../libs/config';
import { createApp, finishApp } from '../../libs/http';
import type { Logger } from '../../libs/logger';
import { connectDatabase, databaseName, ensureIndexes } from '../../libs/mongo';
import { runHttpService, type RunningService } from '../../libs/service-runtime';
import { entryPeriodRepository, entryRepository } from './data/entries';
import { createGlExport, loadGlAccountMap } from './gl';
import { periodRepository } from './data/periods';
import { planRepository } from './data/plans';
import { createLedgerUseCases } from './ledger';
import { createReportUseCases } from './reports';
import { ledgerRoutes } from './routes';

export async function startRevenueService(
  config: Pick<Config, 'MONGO_URL' | 'MONGO_DB_PREFIX' | 'HOST' | 'REVENUE_PORT' | 'BODY_LIMIT' | 'TOLLGATE_SERVICE_TOKEN' | 'TOLLGATE_SHUTDOWN_GRACE_MS'>
    & Partial<Pick<Config, 'TOLLGATE_GL_ACCOUNT_MAP' | 'TOLLGATE_GL_ACCOUNT_MAP_FILE'>>,
  logger: Logger,
  opts: { now?: () => Date } = {},
): Promise<RunningService> {
  const log = logger.child({ service: 'revenue' });
  // Internal: only Tollgate components may call it — closing a period of the books included, which
  // outside callers reach only through the gateway's finance role.
  const serviceToken = requireServiceToken(config, 'revenue');
  // A bad account map refuses to start (like a bad key list), rather than exporting unmapped lines.
  const glMap = loadGlAccountMap(config);
  const conn = await connectDatabase({ url: config.MONGO_URL, dbName: databaseName(config.MONGO_DB_PREFIX, 'revenue'), logger: log });
  const repos = { entries: entryRepository(conn), plans: planRepository(conn), periods: periodRepository(conn) };
  await ensureIndexes(conn);
  const now = opts.now ?? (() => new Date());
  const app = createApp({ name: 'revenue', logger: log, bodyLimit: config.BODY_LIMIT, serviceToken, ready: async () => void (await conn.db!.command({ ping: 1 })) });
  const byPeriod = entryPeriodRepository(conn);
  const glExport = createGlExport({ entries: byPeriod, periods: repos.periods, map: glMap });
  app.use(ledgerRoutes(createLedgerUseCases(repos, now), createReportUseCases(repos.entries, () => now().toISOString().slice(0, 10), byPeriod), glExport));
  // Entries stored before the posting month was recorded get it once, in the background (the GL
  // export reads a month by it; until then such an entry is missing from its month's export).
  byPeriod.backfillPeriods().then(
    (n) => n > 0 && log.info({ entries: n }, 'posting month backfilled on older journal entries'),
    (err: unknown) => log.warn({ err }, 'backfilling the posting month failed; it is tried again at the next start'),
  );
  finishApp(app);
  return runHttpService({ name: 'revenue', app, host: config.HOST, port: config.REVENUE_PORT, logger: log, connection: conn, graceMs: config.TOLLGATE_SHUTDOWN_GRACE_MS });
}
