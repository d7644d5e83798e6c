import { rmSync } from 'node:fs';

/** Stops what the global setup started; named by two projects, so the second call finds nothing left. */
export default async function globalTeardown(): Promise<void> {
  const servers = globalThis.__tollgateServers ?? [];
  globalThis.__tollgateServers = [];
  for (const server of servers) await server.stop();
  if (globalThis.__tollgateTmp) rmSync(globalThis.__tollgateTmp, { recursive: true, force: true });
  globalThis.__tollgateTmp = undefined;
}
