/**
 * Runs one Tollgate component on its own (what each docker-compose container runs):
 *   node dist/deploy/run.js gateway | invoicing | revenue | ar | worker [--workflow-bundle PATH]
 *   (from the sources: tsx deploy/run.ts …)
 * Servers come from TEMPORAL_ADDRESS and MONGO_URL; the other services from *_URL. A worker given
 * `--workflow-bundle` (the code of a `bundleWorkflowCode` bundle, written to a file) skips webpack
 * and polls within about a second of starting (the chaos run restarts workers every 30 s). Run
 * compiled (`npm run build`, the image), a worker uses the bundle the build made,
 * dist/workflow-bundle.js, unless given another; from the sources it bundles workflows/ at start.
 */
import { existsSync } from 'node:fs';
import { loadConfig, requireServiceToken } from '../libs/config';
import { createEventPublisher } from '../libs/event-publisher';
import { createLogger } from '../libs/logger';
import type { RunningService } from '../libs/service-runtime';
import { connectTemporal, createTemporalClient } from '../libs/temporal';
import { startArService } from '../services/ar';
import { startGateway } from '../services/gateway';
import { startInvoicingService } from '../services/invoicing';
import { startRevenueService } from '../services/revenue';
import { createContractWorker } from '../worker';
import { PREBUILT_WORKFLOW_BUNDLE, RUNNING_COMPILED } from './workflow-bundle';

const COMPONENTS = ['gateway', 'invoicing', 'revenue', 'ar', 'worker'] as const;
type Component = (typeof COMPONENTS)[number];

async function main(component: Component, workflowBundlePath?: string): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(`tollgate-${component}`, config.LOG_LEVEL);
  let stop: () => Promise<void>;
  if (component === 'worker') {
    const { worker, connection } = await createContractWorker({
      config, logger, ...(workflowBundlePath ? { workflowBundle: { codePath: workflowBundlePath } } : {}),
    });
    const running = worker.run();
    stop = async () => { worker.shutdown(); await running; await connection.close(); };
    logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, workflowBundle: workflowBundlePath ?? 'bundled at start from workflows/' }, 'worker running');
  } else {
    let service: RunningService;
    if (component === 'gateway') {
      const client = createTemporalClient(await connectTemporal(config, logger), config);
      service = await startGateway(config, { client, logger });
    } else if (component === 'invoicing') service = await startInvoicingService(config, logger);
    else if (component === 'revenue') service = await startRevenueService(config, logger);
    else {
      const connection = await connectTemporal(config, logger);
      const ar = await startArService(config, logger, {
        temporal: createTemporalClient(connection, config),
        // payment.applied and invoice.overdue go to the gateway (GATEWAY_URL).
        events: createEventPublisher(config.GATEWAY_URL, { token: requireServiceToken(config, 'ar') }),
      });
      service = { ...ar, async stop() { await ar.stop(); await connection.close(); } };
    }
    stop = () => service.stop();
  }
  const onSignal = () => void stop().then(() => process.exit(0), () => process.exit(1));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

const component = process.argv[2] as Component;
const bundleArg = process.argv.slice(3).find((a) => a.startsWith('--workflow-bundle'));
const workflowBundlePath = bundleArg?.includes('=') ? bundleArg.slice(bundleArg.indexOf('=') + 1) : bundleArg ? process.argv[process.argv.indexOf(bundleArg) + 1] : undefined;
if (!COMPONENTS.includes(component) || (bundleArg && (component !== 'worker' || !workflowBundlePath || !existsSync(workflowBundlePath)))) {
  process.stderr.write(`usage: node dist/deploy/run.js ${COMPONENTS.join('|')}   (worker: [--workflow-bundle PATH], an existing bundle file)\n`);
  process.exit(2);
}
// Compiled, the worker runs the bundle built with the code (never bundles at start in the image).
const prebuilt = component === 'worker' && !bundleArg && RUNNING_COMPILED && existsSync(PREBUILT_WORKFLOW_BUNDLE) ? PREBUILT_WORKFLOW_BUNDLE : undefined;
main(component, workflowBundlePath ?? prebuilt).catch((err) => {
  process.stderr.write(`${component} failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
