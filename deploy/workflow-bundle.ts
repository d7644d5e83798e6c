/**
 * Prebuilds the worker's workflow bundle (`bundleWorkflowCode`, webpack) for the production image:
 * `npm run build` runs it compiled, as `node dist/deploy/workflow-bundle.js`, and writes
 * dist/workflow-bundle.js from the compiled workflows (dist/workflows). A compiled worker
 * (`node dist/deploy/run.js worker`) uses that file, so it neither bundles at start nor needs
 * webpack's loaders for TypeScript. `[--out FILE]` writes it elsewhere.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../worker';

/** Where the build puts the bundle: next to the compiled tree (dist/workflow-bundle.js). */
export const PREBUILT_WORKFLOW_BUNDLE = path.resolve(__dirname, '..', 'workflow-bundle.js');

/** Whether this code runs compiled (dist/, plain node) rather than from the TypeScript sources (tsx). */
export const RUNNING_COMPILED = __filename.endsWith('.js');

async function main(): Promise<void> {
  const i = process.argv.indexOf('--out');
  const out = i >= 0 ? path.resolve(process.argv[i + 1] ?? '') : PREBUILT_WORKFLOW_BUNDLE;
  const started = Date.now();
  const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet });
  writeFileSync(out, bundle.code);
  process.stdout.write(`workflow bundle: ${path.relative(process.cwd(), out) || out} from ${path.relative(process.cwd(), WORKFLOWS_PATH)} (${Math.round(bundle.code.length / 1024)} KiB, ${Date.now() - started} ms)\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`workflow bundle failed: ${(err as Error).stack}\n`);
    process.exit(1);
  });
}
