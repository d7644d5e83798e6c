import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  for (const server of globalThis.__tollgateServers ?? []) await server.stop();
  if (globalThis.__tollgateTmp) rmSync(globalThis.__tollgateTmp, { recursive: true, force: true });
}
