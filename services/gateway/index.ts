/** The gateway: the public HTTP API in front of the contract workflows and the services. */
import type { Client } from '@temporalio/client';
import type { Config } from '../../libs/config';
import { createApp, finishApp } from '../../libs/http';
import type { Logger } from '../../libs/logger';
import { createServiceClient } from '../../libs/service-client';
import { runHttpService, type RunningService } from '../../libs/service-runtime';
import { createContractUseCases } from './contracts';
import { contractRoutes } from './routes';

export async function startGateway(
  config: Pick<Config, 'HOST' | 'GATEWAY_PORT' | 'BODY_LIMIT' | 'TEMPORAL_TASK_QUEUE' | 'INVOICING_URL' | 'REVENUE_URL' | 'AR_URL' | 'CONTRACT_MESSAGES_PER_RUN'>,
  deps: { client: Client; logger: Logger },
): Promise<RunningService> {
  const log = deps.logger.child({ service: 'gateway' });
  const app = createApp({
    name: 'gateway',
    logger: log,
    bodyLimit: config.BODY_LIMIT,
    ready: async () => void (await deps.client.connection.workflowService.getSystemInfo({})),
  });
  const contracts = createContractUseCases({ client: deps.client, taskQueue: config.TEMPORAL_TASK_QUEUE, messagesPerRun: config.CONTRACT_MESSAGES_PER_RUN });
  app.use(contractRoutes(contracts, {
    invoicing: createServiceClient('invoicing', config.INVOICING_URL),
    revenue: createServiceClient('revenue', config.REVENUE_URL),
    ar: createServiceClient('ar', config.AR_URL),
  }));
  finishApp(app);
  return runHttpService({ name: 'gateway', app, host: config.HOST, port: config.GATEWAY_PORT, logger: log });
}
