/** Starting and stopping one HTTP service: listen, report its URL, close cleanly. */
import type { Express } from 'express';
import type { Connection } from 'mongoose';
import { closeServer, listen, serverPort } from './http';
import type { Logger } from './logger';

export interface RunningService {
  name: string;
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function runHttpService(opts: {
  name: string;
  app: Express;
  host: string;
  port: number;
  logger: Logger;
  connection?: Connection;
  onStop?: () => Promise<void>;
}): Promise<RunningService> {
  const server = await listen(opts.app, opts.host, opts.port, opts.name);
  const port = serverPort(server);
  const url = `http://${opts.host}:${port}`;
  opts.logger.info({ url }, `${opts.name} listening`);
  return {
    name: opts.name,
    url,
    port,
    async stop() {
      await closeServer(server);
      await opts.onStop?.();
      await opts.connection?.close();
    },
  };
}
