/**
 * Replay proves a change safe only on the paths recorded histories reach. This check makes every
 * change of the workflow code come with a new recording or a new `patched()` id:
 * test/histories/MANIFEST.json keeps the fingerprint of the workflow bundle's sources the histories
 * were recorded on (cli/workflow-fingerprint.ts); `npx tsx cli/record-histories.ts <tag>` records
 * new histories and rewrites it. docs/workflow.md "Changing the workflow safely".
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readManifest, REPO, uncoveredChange, workflowFingerprint, type HistoryManifest } from '../../cli/workflow-fingerprint';

/** A copy of the workflow sources to change (the fingerprint of the copy, not of the repository). */
function scratchCopy(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tollgate-fingerprint-'));
  cpSync(path.join(REPO, 'workflows'), path.join(dir, 'workflows'), { recursive: true });
  cpSync(path.join(REPO, 'libs'), path.join(dir, 'libs'), { recursive: true });
  return dir;
}

function edit(dir: string, file: string, change: (src: string) => string): void {
  const p = path.join(dir, file);
  const before = readFileSync(p, 'utf8');
  const after = change(before);
  expect(after).not.toEqual(before);
  writeFileSync(p, after);
}

const manifestOf = (fp: ReturnType<typeof workflowFingerprint>): HistoryManifest => ({
  about: '', recordedTag: 'test', recordedAt: '2026-01-01T00:00:00Z', recordings: {}, ...fp,
});

describe('the workflow fingerprint', () => {
  const now = workflowFingerprint();

  it('covers the modules of the workflow bundle and only those', () => {
    expect(now.sources).toEqual(expect.arrayContaining(['workflows/index.ts', 'workflows/contract.ts', 'workflows/engine.ts', 'libs/money.ts', 'libs/dates.ts', 'libs/domain/messages.ts']));
    // Imported for types only (or not at all): not in the bundle, not in the fingerprint.
    for (const outside of ['activities/index.ts', 'services/gateway/index.ts', 'worker/index.ts', 'libs/config.ts']) expect(now.sources).not.toContain(outside);
    expect(Object.keys(now.packages)).toEqual(expect.arrayContaining(['@temporalio/workflow', 'decimal.js']));
    expect(now.patches).toEqual(expect.arrayContaining(['independent-effect-steps', 'local-effect-batches', 'outbound-events']));
  });

  it('ignores comments, types and casts; changes with any code the workflow runs', () => {
    const dir = scratchCopy();
    try {
      const same = workflowFingerprint(dir);
      expect(same.fingerprint).toEqual(now.fingerprint);
      edit(dir, 'workflows/engine.ts', (s) => `// a comment\n${s}`.replace('export function refusal(code: ErrorCode,', 'export function refusal(code: ErrorCode /* the DESIGN code */,'));
      expect(workflowFingerprint(dir).fingerprint).toEqual(now.fingerprint);
      // DESIGN §11's same-day order (issue 14: a change no recorded history reached).
      edit(dir, 'workflows/engine.ts', (s) => s.replace(/(TIMER_RANK[^=]*=\s*\{[^}]*acceptance:\s*)1/, (_, head: string) => `${head}2`));
      const changed = workflowFingerprint(dir);
      expect(changed.fingerprint).not.toEqual(now.fingerprint);
      expect(uncoveredChange(changed, manifestOf(now))).toMatch(/workflow code changed since the histories .* were recorded[\s\S]*npx tsx cli\/record-histories.ts <new-tag>/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a change in a library the workflow imports counts too', () => {
    const dir = scratchCopy();
    try {
      edit(dir, 'libs/dates.ts', (s) => `${s}\nexport const CHANGED = 1;\n`);
      expect(workflowFingerprint(dir).fingerprint).not.toEqual(now.fingerprint);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('accepts a changed fingerprint when a new patched() id guards the change; not when one was removed', () => {
    const recorded = manifestOf(now);
    const guarded = { ...now, fingerprint: 'f'.repeat(64), patches: [...now.patches, 'new-rule'].sort() };
    expect(uncoveredChange(guarded, recorded)).toBeUndefined();
    const dropped = { ...now, fingerprint: 'f'.repeat(64), patches: now.patches.slice(1) };
    expect(uncoveredChange(dropped, recorded)).toMatch(/patched\(\) ids removed: /);
    expect(uncoveredChange(now, recorded)).toBeUndefined();
    expect(uncoveredChange(now, undefined)).toMatch(/record the histories/);
  });

  it('finds patched() ids in the code, not in comments', () => {
    const dir = scratchCopy();
    try {
      edit(dir, 'workflows/contract.ts', (s) => `// patched('only-in-a-comment')\n${s}`);
      expect(workflowFingerprint(dir).patches).toEqual(now.patches);
      edit(dir, 'workflows/contract.ts', (s) => s.replace("state.failedSteps ??= [];", "state.failedSteps ??= [];\n  if (patched('a-new-rule')) state.failedSteps ??= [];"));
      expect(workflowFingerprint(dir).patches).toEqual([...now.patches, 'a-new-rule'].sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the recorded histories cover the workflow code', () => {
  const manifest = readManifest();

  it('were recorded on this workflow code (or the change is guarded by a new patched() id)', () => {
    const problem = uncoveredChange(workflowFingerprint(), manifest);
    if (problem) throw new Error(problem);
  });

  it('lists recordings that exist, each with the patch markers of its run', () => {
    expect(manifest).toBeDefined();
    const files = Object.keys(manifest!.recordings);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(existsSync(path.join(REPO, 'test', 'histories', f))).toBe(true);
    expect(Object.values(manifest!.recordings).every((r) => r.patchMarkers.length > 0)).toBe(true);
  });
});
