/**
 * The worker: runs contract workflows and their activities on the task queue. Activities are wired
 * here, once, with their service clients. In dev it bundles `workflows/` itself; tests and
 * production pass a prebuilt bundle.
 */
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { Config } from '../libs/config';
import type { Logger } from '../libs/logger';
import { createServiceClient } from '../libs/service-client';

export const WORKFLOWS_PATH = require.resolve('../workflows');

let sdkLoggingInstalled = false;

/**
 * Sends the Temporal SDK's own logs (worker, workflow `log`, activity context) through pino, so
 * every line is structured. Once per process, before the first worker.
 */
export function installSdkLogging(logger: Logger): void {
  if (sdkLoggingInstalled) return;
  sdkLoggingInstalled = true;
  const sdkLog = logger.child({ component: 'temporal-sdk' });
  const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
    TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error',
  };
  const minimum: LogLevel = sdkLog.isLevelEnabled('debug') ? 'DEBUG' : sdkLog.isLevelEnabled('info') ? 'INFO' : sdkLog.isLevelEnabled('warn') ? 'WARN' : 'ERROR';
  Runtime.install({
    logger: new DefaultLogger(minimum, (entry) => sdkLog[levels[entry.level]]({ ...(entry.meta ?? {}) }, entry.message)),
  });
}

export async function createContractWorker(opts: {
  config: Pick<Config, 'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE' | 'TEMPORAL_TASK_QUEUE' | 'INVOICING_URL' | 'AR_URL' | 'REVENUE_URL'>;
  logger: Logger;
  workflowBundle?: WorkflowBundleOption;
}): Promise<{ worker: Worker; connection: NativeConnection }> {
  const { config, logger } = opts;
  installSdkLogging(logger);
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
