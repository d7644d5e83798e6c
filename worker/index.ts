/**
 * The worker: runs contract workflows and their activities on the task queue. Activities are wired
 * here, once, with their service clients. In dev it bundles `workflows/` itself; tests and
 * production pass a prebuilt bundle.
 */
import { NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { Config } from '../libs/config';
import type { Logger } from '../libs/logger';
import { createServiceClient } from '../libs/service-client';

export const WORKFLOWS_PATH = require.resolve('../workflows');

export async function createContractWorker(opts: {
  config: Pick<Config, 'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE' | 'TEMPORAL_TASK_QUEUE' | 'INVOICING_URL' | 'AR_URL' | 'REVENUE_URL'>;
  logger: Logger;
  workflowBundle?: WorkflowBundle;
}): Promise<{ worker: Worker; connection: NativeConnection }> {
  const { config, logger } = opts;
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const activities = createActivities({
    invoicing: createServiceClient('invoicing', config.INVOICING_URL),
    ar: createServiceClient('ar', config.AR_URL),
    revenue: createServiceClient('revenue', config.REVENUE_URL),
    logger: logger.child({ component: 'activities' }),
  });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    activities,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
  });
  return { worker, connection };
}
