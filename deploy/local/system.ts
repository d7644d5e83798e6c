/**
 * Tollgate in one process: the invoicing, revenue and AR services, the gateway and a worker, wired
 * to a Temporal server and a Mongo-wire server that already run. `npm start`, the end-to-end tests
 * and the scenario runner use it; docker-compose runs the same parts as separate containers.
 */
import type { WorkflowBundleOption } from '@temporalio/worker';
import type { Config } from '../../libs/config';
import type { Logger } from '../../libs/logger';
import type { RunningService } from '../../libs/service-runtime';
import { connectTemporal, createTemporalClient } from '../../libs/temporal';
import { startArService } from '../../services/ar';
import { startGateway } from '../../services/gateway';
import { startInvoicingService } from '../../services/invoicing';
import { startRevenueService } from '../../services/revenue';
import { createContractWorker } from '../../worker';

export interface RunningSystem {
  gatewayUrl: string;
  invoicingUrl: string;
  revenueUrl: string;
  arUrl: string;
  /** Runs AR's sweep once now (what its timer does). */
  sweepAr(): Promise<unknown>;
  stop(): Promise<void>;
}

export async function startSystem(config: Config, logger: Logger, opts: { workflowBundle?: WorkflowBundleOption } = {}): Promise<RunningSystem> {
  const started: RunningService[] = [];
  const stopAll = async () => {
    for (const s of started.reverse()) await s.stop().catch((err) => logger.error({ err }, `stopping ${s.name} failed`));
  };
  try {
    const [invoicing, revenue] = await Promise.all([startInvoicingService(config, logger), startRevenueService(config, logger)]);
    started.push(invoicing, revenue);
    // One Temporal client for the gateway and AR (AR signals `invoicePaid`); closed after both stop.
    const connection = await connectTemporal(config, logger);
    const client = createTemporalClient(connection, config);
    started.push({ name: 'temporal-client', url: '', port: 0, stop: () => connection.close() });
    // The services may have taken any free port (port 0 in tests): callers use the real URLs.
    const ar = await startArService({ ...config, INVOICING_URL: invoicing.url, REVENUE_URL: revenue.url }, logger, { temporal: client });
    started.push(ar);
    const wired: Config = { ...config, INVOICING_URL: invoicing.url, REVENUE_URL: revenue.url, AR_URL: ar.url };

    const { worker, connection: workerConnection } = await createContractWorker({ config: wired, logger, workflowBundle: opts.workflowBundle });
    const workerRun = worker.run();
    started.push({
      name: 'worker',
      url: '',
      port: 0,
      async stop() {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await workerRun.catch((err) => logger.error({ err }, 'worker stopped with an error'));
        await workerConnection.close();
      },
    });

    const gateway = await startGateway(wired, { client, logger });
    started.push(gateway);

    return { gatewayUrl: gateway.url, invoicingUrl: invoicing.url, revenueUrl: revenue.url, arUrl: ar.url, sweepAr: () => ar.resumePending(), stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
