/**
 * Determinism guard: every recorded contract history (test/histories/) must replay on the current
 * workflow code, and a deliberately incompatible one must fail with a determinism error. Histories
 * are recorded with `npx tsx cli/record-histories.ts`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';

const DIR = path.resolve(__dirname, '..', 'histories');
const load = (file: string) => historyFromJSON(JSON.parse(readFileSync(file, 'utf8')));
const compatible = readdirSync(DIR).filter((f) => f.endsWith('.json'));
const bundle = () => ({ workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! } });

describe('replay of recorded histories', () => {
  it('has recorded histories to replay', () => {
    expect(compatible.length).toBeGreaterThanOrEqual(2);
  });

  it.each(compatible)('replays %s on the current workflow code', async (file) => {
    await expect(Worker.runReplayHistory(bundle(), load(path.join(DIR, file)), `replay-${file}`)).resolves.toBeUndefined();
  });

  it('refuses a history the current code did not produce, with a determinism error', async () => {
    const history = load(path.join(DIR, 'incompatible', 'renamed-activity.json'));
    await expect(Worker.runReplayHistory(bundle(), history, 'replay-incompatible')).rejects.toThrow(DeterminismViolationError);
  });
});
