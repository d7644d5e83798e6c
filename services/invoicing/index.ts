/** The invoicing service: owns invoices and their numbers, in its own database. */
import { requireServiceToken, type Config } from '../../libs/config';
import { createApp, finishApp } from '../../libs/http';
import type { Logger } from '../../libs/logger';
import { connectDatabase, databaseName, ensureIndexes } from '../../libs/mongo';
import { runHttpService, type RunningService } from '../../libs/service-runtime';
import { invoiceRepository } from './data/invoices';
import { createInvoiceUseCases } from './invoices';
import { invoiceRoutes } from './routes';

export async function startInvoicingService(
  config: Pick<Config, 'MONGO_URL' | 'MONGO_DB_PREFIX' | 'HOST' | 'INVOICING_PORT' | 'BODY_LIMIT' | 'TOLLGATE_SERVICE_TOKEN' | 'TOLLGATE_SHUTDOWN_GRACE_MS'>,
  logger: Logger,
): Promise<RunningService> {
  const log = logger.child({ service: 'invoicing' });
  // Internal: only Tollgate components (the worker's activities, the gateway, AR) may call it.
  const serviceToken = requireServiceToken(config, 'invoicing');
  const conn = await connectDatabase({ url: config.MONGO_URL, dbName: databaseName(config.MONGO_DB_PREFIX, 'invoicing'), logger: log });
  const repo = invoiceRepository(conn);
  await ensureIndexes(conn);
  const app = createApp({ name: 'invoicing', logger: log, bodyLimit: config.BODY_LIMIT, serviceToken, ready: async () => void (await conn.db!.command({ ping: 1 })) });
  const useCases = createInvoiceUseCases(repo);
  app.use(invoiceRoutes(useCases));
  // Documents stored before the top-level customerId: given it once, in the background (per-customer
  // lists read by that index; until then such a document is missing from its customer's list).
  useCases.backfillCustomerIds().then(
    (n) => n > 0 && log.info({ documents: n }, 'customerId backfilled on older invoices and credit memos'),
    (err: unknown) => log.warn({ err }, 'backfilling customerId failed; it is tried again at the next start'),
  );
  finishApp(app);
  return runHttpService({ name: 'invoicing', app, host: config.HOST, port: config.INVOICING_PORT, logger: log, connection: conn, graceMs: config.TOLLGATE_SHUTDOWN_GRACE_MS });
}
