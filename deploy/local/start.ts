/**
 * `npm start`: brings the whole system up on this machine. Starts the Temporal dev server (web UI
 * on) and FerretDB, both on SQLite files under DATA_DIR (data survives a restart), unless
 * TEMPORAL_ADDRESS / MONGO_URL point at servers that already run; then the services and a worker.
 * Ctrl-C stops everything it started.
 */
import path from 'node:path';
import { loadConfig } from '../../libs/config';
import { createLogger } from '../../libs/logger';
import { assertPortFree, REPO_ROOT, startFerretDb, startTemporalDevServer, type LocalServer } from './servers';
import { startSystem, type RunningSystem } from './system';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('tollgate', config.LOG_LEVEL);
  const dataDir = path.resolve(REPO_ROOT, config.DATA_DIR);
  const servers: LocalServer[] = [];
  let system: RunningSystem | undefined;
  let stopping = false;

  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping…');
    await system?.stop();
    for (const s of servers.reverse()) await s.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  try {
    const started = Date.now();
    if (!process.env.TEMPORAL_ADDRESS) {
      const [host, port] = config.TEMPORAL_ADDRESS.split(':');
      await assertPortFree(Number(port), host!, 'Temporal', 'Stop what uses it, or set TEMPORAL_ADDRESS to use a Temporal server that already runs there.');
      await assertPortFree(config.TEMPORAL_UI_PORT, host!, 'Temporal UI', 'Stop what uses it, or set TEMPORAL_UI_PORT.');
      logger.info('starting Temporal dev server…');
      servers.push(await startTemporalDevServer({ host, port: Number(port), uiPort: config.TEMPORAL_UI_PORT, dbFile: path.join(dataDir, 'temporal.sqlite') }));
    }
    if (!process.env.MONGO_URL) {
      const url = new URL(config.MONGO_URL);
      await assertPortFree(Number(url.port || 27017), url.hostname, 'FerretDB', 'Stop what uses it, or set MONGO_URL to use a MongoDB that already runs there.');
      logger.info('starting FerretDB…');
      servers.push(await startFerretDb({ host: url.hostname, port: Number(url.port || 27017), dataDir: path.join(dataDir, 'ferretdb') }));
    }
    for (const [name, port] of [['GATEWAY', config.GATEWAY_PORT], ['INVOICING', config.INVOICING_PORT], ['REVENUE', config.REVENUE_PORT], ['AR', config.AR_PORT]] as const) {
      await assertPortFree(port, config.HOST, name.toLowerCase(), `Stop what uses it, or set ${name}_PORT.`);
    }
    system = await startSystem(config, logger);
    const ui = process.env.TEMPORAL_ADDRESS ? '(your Temporal server)' : `http://${config.TEMPORAL_ADDRESS.split(':')[0]}:${config.TEMPORAL_UI_PORT}`;
    process.stdout.write(
      [
        '',
        `Tollgate is up (${((Date.now() - started) / 1000).toFixed(1)} s).`,
        `  API          ${system.gatewayUrl}   (try: curl ${system.gatewayUrl}/healthz)`,
        `  Temporal UI  ${ui}`,
        `  invoicing    ${system.invoicingUrl}   revenue ${system.revenueUrl}   ar ${system.arUrl}`,
        `  data         ${dataDir}`,
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
  } catch (err) {
    logger.error((err as Error).message);
    await shutdown(1);
  }
}

void main();
