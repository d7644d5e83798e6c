/**
 * One replica of the whole system (the four services, the gateway and a worker) in its own process,
 * started by `npm start -- --replicas N` beside the others on one Temporal and one store. Tells its
 * parent its URLs over IPC; stops gracefully on SIGTERM/SIGINT (in-flight requests and activities
 * finish first; further signals are ignored — Ctrl-C reaches it and its parent's SIGTERM follows;
 * the parent kills it on a second Ctrl-C). The service credential comes from the parent's
 * environment (TOLLGATE_SERVICE_TOKEN_FILE of the generated local one, or the configured one).
 */
import { loadConfig } from '../../libs/config';
import { createLogger } from '../../libs/logger';
import { startSystem, type RunningSystem } from './system';

async function main(): Promise<void> {
  const config = loadConfig();
  const replica = process.env.TOLLGATE_REPLICA ?? '1';
  const logger = createLogger('tollgate', config.LOG_LEVEL).child({ replica });
  const system: RunningSystem = await startSystem(config, logger);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await system.stop().then(() => process.exit(0), (err) => {
      logger.error({ err }, 'stopping failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  const { gatewayUrl, invoicingUrl, revenueUrl, arUrl } = system;
  process.send?.({ ready: true, gatewayUrl, invoicingUrl, revenueUrl, arUrl });
}

main().catch((err) => {
  process.stderr.write(`replica failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
