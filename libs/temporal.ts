/**
 * Temporal kit: one connection per process, clients from it, task-queue names from config.
 * No hard-coded addresses.
 */
import { Client, Connection } from '@temporalio/client';
import type { Config } from './config';
import type { Logger } from './logger';

export async function connectTemporal(config: Pick<Config, 'TEMPORAL_ADDRESS'>, logger: Logger, attempts = 60): Promise<Connection> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    try {
      const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS, connectTimeout: 5_000 });
      await connection.workflowService.getSystemInfo({});
      return connection;
    } catch (err) {
      lastError = err;
      const delay = Math.min(200 * 2 ** (attempt - 1), 2_000);
      logger.warn({ attempt, address: config.TEMPORAL_ADDRESS, err: (err as Error).message }, 'temporal not reachable yet, retrying');
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  throw new Error(`could not connect to Temporal at ${config.TEMPORAL_ADDRESS}: ${(lastError as Error)?.message}`);
}

export function createTemporalClient(connection: Connection, config: Pick<Config, 'TEMPORAL_NAMESPACE'>): Client {
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
}
