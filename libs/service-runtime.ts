/**
 * Starting and stopping one HTTP service: listen, report its URL, and stop gracefully — stop
 * accepting, stop background work, let in-flight requests finish (bounded by a grace period),
 * then close the database.
 */
import type { Express } from 'express';
import type { Connection } from 'mongoose';
import { closeServer, listen, serverPort } from './http';
import type { Logger } from './logger';

export interface RunningService {
  name: string;
  url: string;
  port: number;
  /** Graceful: resolves once in-flight requests finished (or the grace period ran out) and everything is closed. Idempotent. */
  stop(): Promise<void>;
}

export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

export async function runHttpService(opts: {
  name: string;
  app: Express;
  host: string;
  port: number;
  logger: Logger;
  connection?: Connection;
  /** How long in-flight requests may take once stopping (ms); default 10 s. */
  graceMs?: number;
  /**
   * Called first when stopping, before the server closes: stop timers so no new background work
   * starts; may wait (within the grace period) for requests to drain first (the gateway's drain gate).
   */
  beforeClose?: (graceMs: number) => void | Promise<void>;
  /** Called once the server is closed (no request in flight), before the database closes: await background work. */
  onStop?: () => Promise<void>;
}): Promise<RunningService> {
  const server = await listen(opts.app, opts.host, opts.port, opts.name);
  const port = serverPort(server);
  const url = `http://${opts.host}:${port}`;
  const graceMs = opts.graceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
  opts.logger.info({ url }, `${opts.name} listening`);
  let stopping: Promise<void> | undefined;
  const stop = async () => {
    opts.logger.info({ graceMs }, `${opts.name} stopping: finishing in-flight requests`);
    const started = Date.now();
    await opts.beforeClose?.(graceMs);
    const forced = await closeServer(server, Math.max(1_000, graceMs - (Date.now() - started)));
    if (forced) opts.logger.warn({ graceMs }, `${opts.name}: requests still running after the grace period were cut`);
    await opts.onStop?.();
    await opts.connection?.close();
    opts.logger.info(`${opts.name} stopped`);
  };
  return {
    name: opts.name,
    url,
    port,
    stop() {
      stopping ??= stop();
      return stopping;
    },
  };
}
