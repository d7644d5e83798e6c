/**
 * The worker: runs contract workflows and their activities on the task queue. Activities are wired
 * here, once, with their service clients (which carry the service credential). In dev it bundles
 * `workflows/` itself; tests and production pass a prebuilt bundle. Shutdown is graceful: polling
 * stops, running activities get TOLLGATE_SHUTDOWN_GRACE_MS to finish (then they are cancelled; a
 * retry runs them again on another worker under the same idempotency keys).
 */
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities } from '../activities';
import { requireServiceToken, type Config } from '../libs/config';
import { createEventPublisher } from '../libs/event-publisher';
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
  config: Pick<Config, 'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE' | 'TEMPORAL_TASK_QUEUE' | 'INVOICING_URL' | 'AR_URL' | 'REVENUE_URL' | 'GATEWAY_URL'
    | 'TOLLGATE_SERVICE_TOKEN' | 'TOLLGATE_SHUTDOWN_GRACE_MS'>;
  logger: Logger;
  workflowBundle?: WorkflowBundleOption;
}): Promise<{ worker: Worker; connection: NativeConnection }> {
  const { config, logger } = opts;
  const token = requireServiceToken(config, 'worker');
  installSdkLogging(logger);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  try {
    const activities = createActivities({
      invoicing: createServiceClient('invoicing', config.INVOICING_URL, { token }),
      ar: createServiceClient('ar', config.AR_URL, { token }),
      revenue: createServiceClient('revenue', config.REVENUE_URL, { token }),
      // Outbound events (invoice and credit memo issued, milestone accepted) go to the gateway.
      events: createEventPublisher(config.GATEWAY_URL, { token }),
      logger: logger.child({ component: 'activities' }),
    });
    const worker = await Worker.create({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      activities,
      // On shutdown: running activities get the grace period, then are cancelled; after a few more
      // seconds the worker gives up on them (run() rejects) so the process can exit.
      shutdownGraceTime: config.TOLLGATE_SHUTDOWN_GRACE_MS,
      shutdownForceTime: config.TOLLGATE_SHUTDOWN_GRACE_MS + 5_000,
      // A workflow task waiting on a dead worker's sticky queue goes to the shared queue after this
      // (default 10 s): part of "worker killed → next invoice within seconds".
      stickyQueueScheduleToStartTimeout: '3 seconds',
      ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    });
    return { worker, connection };
  } catch (err) {
    await connection.close().catch(() => undefined);
    throw err;
  }
}

export interface RunningWorker {
  worker: Worker;
  /** Graceful: stops polling, waits for running activities (bounded by the grace period), closes the connection. Idempotent. */
  stop(): Promise<void>;
}

/** Creates the worker and runs it; `stop()` shuts it down gracefully. */
export async function runContractWorker(opts: Parameters<typeof createContractWorker>[0]): Promise<RunningWorker> {
  const { worker, connection } = await createContractWorker(opts);
  const log = opts.logger.child({ component: 'worker' });
  const running = worker.run();
  running.catch(() => undefined);
  let stopping: Promise<void> | undefined;
  const stop = async () => {
    log.info({ graceMs: opts.config.TOLLGATE_SHUTDOWN_GRACE_MS }, 'worker stopping: finishing running activities');
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running.catch((err) => log.error({ err }, 'worker stopped with an error'));
    await connection.close().catch((err) => log.warn({ err }, 'closing the worker connection failed'));
    log.info('worker stopped');
  };
  return {
    worker,
    stop() {
      stopping ??= stop();
      return stopping;
    },
  };
}
