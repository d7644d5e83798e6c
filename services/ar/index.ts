/** The accounts-receivable service: owns receivables and payments, in its own database. */
import type { Config } from '../../libs/config';
import { createApp, finishApp } from '../../libs/http';
import type { Logger } from '../../libs/logger';
import { connectDatabase, databaseName, ensureIndexes } from '../../libs/mongo';
import { runHttpService, type RunningService } from '../../libs/service-runtime';
import { receivableRepository } from './data/receivables';
import { createReceivableUseCases } from './receivables';
import { receivableRoutes } from './routes';

export async function startArService(
  config: Pick<Config, 'MONGO_URL' | 'MONGO_DB_PREFIX' | 'HOST' | 'AR_PORT' | 'BODY_LIMIT'>,
  logger: Logger,
): Promise<RunningService> {
  const log = logger.child({ service: 'ar' });
  const conn = await connectDatabase({ url: config.MONGO_URL, dbName: databaseName(config.MONGO_DB_PREFIX, 'ar'), logger: log });
  const repo = receivableRepository(conn);
  await ensureIndexes(conn);
  const app = createApp({ name: 'ar', logger: log, bodyLimit: config.BODY_LIMIT, ready: async () => void (await conn.db!.command({ ping: 1 })) });
  app.use(receivableRoutes(createReceivableUseCases(repo)));
  finishApp(app);
  return runHttpService({ name: 'ar', app, host: config.HOST, port: config.AR_PORT, logger: log, connection: conn });
}
