/**
 * Starts, once per jest run, a real Temporal dev server and a real FerretDB on free ports with
 * temporary data, and bundles the workflow code once. Tests find them through TEST_* env vars.
 * The integration and browser projects both name this setup (and the teardown): jest runs both in
 * one process, so the second call finds the servers up and does nothing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { freePort, startFerretDb, startTemporalDevServer, type LocalServer } from '../../deploy/local/servers';
import { WORKFLOWS_PATH } from '../../worker';

declare global {
  var __tollgateServers: LocalServer[] | undefined;
  var __tollgateTmp: string | undefined;
  var __tollgateSetUp: boolean | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (globalThis.__tollgateSetUp) return;
  globalThis.__tollgateSetUp = true;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'tollgate-test-'));
  const [temporalPort, mongoPort] = [await freePort(), await freePort()];
  const [temporal, ferret] = await Promise.all([
    process.env.TEST_TEMPORAL_ADDRESS ? undefined : startTemporalDevServer({ port: temporalPort, dbFile: path.join(tmp, 'temporal.sqlite') }),
    process.env.TEST_MONGO_URL ? undefined : startFerretDb({ port: mongoPort, dataDir: path.join(tmp, 'ferretdb') }),
  ]);
  globalThis.__tollgateServers = [temporal, ferret].filter((s): s is LocalServer => s !== undefined);
  globalThis.__tollgateTmp = tmp;
  process.env.TEST_TEMPORAL_ADDRESS ??= temporal!.address;
  process.env.TEST_MONGO_URL ??= ferret!.address;

  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } });
  const bundlePath = path.join(tmp, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  process.env.TEST_WORKFLOW_BUNDLE = bundlePath;
}
