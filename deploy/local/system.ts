/**
 * Tollgate in one process: the invoicing, revenue and AR services, the gateway and a worker, wired
 * to a Temporal server and a Mongo-wire server that already run. `npm start`, the end-to-end tests
 * and the scenario runner use it; docker-compose runs the same parts as separate containers.
 *
 * All parts share the service credential of the config; with none configured (a throwaway stack),
 * a random one is made for this process. `stop()` is graceful and in reverse order: the gateway
 * stops taking requests, the worker finishes its activities (the services still answer them), AR
 * finishes its sweep, then the services drain and close their databases.
 */
import { randomBytes } from 'node:crypto';
import type { WorkflowBundleOption } from '@temporalio/worker';
import type { Config } from '../../libs/config';
import { createEventPublisher } from '../../libs/event-publisher';
import type { Logger } from '../../libs/logger';
import type { RunningService } from '../../libs/service-runtime';
import { connectTemporal, createTemporalClient } from '../../libs/temporal';
import { startArService } from '../../services/ar';
import { startGateway } from '../../services/gateway';
import { startInvoicingService } from '../../services/invoicing';
import { startRevenueService } from '../../services/revenue';
import { runContractWorker } from '../../worker';
import { stablePort } from './servers';

export interface RunningSystem {
  gatewayUrl: string;
  invoicingUrl: string;
  revenueUrl: string;
  arUrl: string;
  /**
   * The service credential the internal services require (`Authorization: Bearer <token>`): for
   * tools that call a service directly (tests, benchmarks). Never log it.
   */
  serviceToken: string;
  /** Runs AR's sweep once now (what its timer does). */
  sweepAr(): Promise<unknown>;
  /** Stops the gateway gracefully and starts it again on the same URL (the rest keeps running). */
  restartGateway(): Promise<void>;
  stop(): Promise<void>;
}

export async function startSystem(configured: Config, logger: Logger, opts: { workflowBundle?: WorkflowBundleOption } = {}): Promise<RunningSystem> {
  let config: Config = configured.TOLLGATE_SERVICE_TOKEN
    ? configured
    : { ...configured, TOLLGATE_SERVICE_TOKEN: randomBytes(32).toString('hex') };
  // The worker and AR hand events to the gateway, which starts last: with port 0 (tests) its port
  // is chosen first, outside the ephemeral range, so it is known and the same after a restart.
  if (config.GATEWAY_PORT === 0) {
    const port = await stablePort(config.HOST);
    config = { ...config, GATEWAY_PORT: port, GATEWAY_URL: `http://${config.HOST}:${port}` };
  }
  const events = createEventPublisher(config.GATEWAY_URL, { token: config.TOLLGATE_SERVICE_TOKEN! });
  const started: RunningService[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = () => {
    stopping ??= (async () => {
      for (const s of [...started].reverse()) await s.stop().catch((err) => logger.error({ err }, `stopping ${s.name} failed`));
    })();
    return stopping;
  };
  try {
    const both = await Promise.allSettled([startInvoicingService(config, logger), startRevenueService(config, logger)]);
    for (const r of both) if (r.status === 'fulfilled') started.push(r.value);
    for (const r of both) if (r.status === 'rejected') throw r.reason;
    const [invoicing, revenue] = started as [RunningService, RunningService];
    // One Temporal client for the gateway and AR (AR signals `invoicePaid`); closed after both stop.
    const connection = await connectTemporal(config, logger);
    const client = createTemporalClient(connection, config);
    started.push({ name: 'temporal-client', url: '', port: 0, stop: () => connection.close() });
    // The services may have taken any free port (port 0 in tests): callers use the real URLs.
    const ar = await startArService({ ...config, INVOICING_URL: invoicing.url, REVENUE_URL: revenue.url }, logger, { temporal: client, events });
    started.push(ar);
    const wired: Config = { ...config, INVOICING_URL: invoicing.url, REVENUE_URL: revenue.url, AR_URL: ar.url };

    const worker = await runContractWorker({ config: wired, logger, workflowBundle: opts.workflowBundle });
    started.push({ name: 'worker', url: '', port: 0, stop: () => worker.stop() });

    let gateway = await startGateway(wired, { client, logger });
    started.push(gateway);
    const restartGateway = async () => {
      await gateway.stop();
      const next = await startGateway(wired, { client, logger });
      started[started.indexOf(gateway)] = next;
      gateway = next;
    };

    return {
      gatewayUrl: gateway.url, invoicingUrl: invoicing.url, revenueUrl: revenue.url, arUrl: ar.url,
      serviceToken: config.TOLLGATE_SERVICE_TOKEN!, sweepAr: () => ar.resumePending(), restartGateway, stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
