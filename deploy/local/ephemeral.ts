/**
 * A throwaway Tollgate: Temporal dev server and FerretDB on free ports with temporary data, plus
 * the whole system in this process. The scenario runner uses it when no TOLLGATE_URL is given.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../libs/config';
import type { Logger } from '../../libs/logger';
import { freePort, startFerretDb, startTemporalDevServer } from './servers';
import { startSystem, type RunningSystem } from './system';

export async function startEphemeralStack(logger: Logger, logLevel = 'warn'): Promise<RunningSystem & { temporalAddress: string }> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'tollgate-'));
  const [temporalPort, mongoPort] = [await freePort(), await freePort()];
  const [temporal, ferret] = await Promise.all([
    startTemporalDevServer({ port: temporalPort, dbFile: path.join(tmp, 'temporal.sqlite') }),
    startFerretDb({ port: mongoPort, dataDir: path.join(tmp, 'ferretdb') }),
  ]);
  const config = loadConfig({
    TEMPORAL_ADDRESS: temporal.address,
    MONGO_URL: ferret.address,
    GATEWAY_PORT: '0', INVOICING_PORT: '0', REVENUE_PORT: '0', AR_PORT: '0',
    LOG_LEVEL: logLevel,
  });
  const system = await startSystem(config, logger);
  return {
    ...system,
    temporalAddress: temporal.address,
    async stop() {
      await system.stop();
      await Promise.all([temporal.stop(), ferret.stop()]);
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}
