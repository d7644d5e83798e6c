/**
 * The fingerprint of the code that runs inside the contract workflow (the worker's workflow bundle:
 * workflows/index.ts and every module it requires at run time, libraries included by version), and
 * the `patched()` ids in it. test/histories/MANIFEST.json keeps both as they were when the histories
 * were last recorded; test/unit/workflow-fingerprint.test.ts fails when the code changed since
 * without a new recording (`npx tsx cli/record-histories.ts <tag>`) or a new `patched()` id.
 *
 * Each source is compiled the way the bundle sees it (TypeScript's `transpileModule`, comments
 * removed), so comments, types, casts and type-only imports do not count; anything that can change
 * what the workflow does — or which commands it makes — does.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export const REPO = path.resolve(__dirname, '..');
export const WORKFLOW_ENTRY = 'workflows/index.ts';
export const MANIFEST_PATH = path.join(REPO, 'test', 'histories', 'MANIFEST.json');

export interface WorkflowFingerprint {
  /** sha256 over the compiled sources and the versions of the packages they require. */
  fingerprint: string;
  /** The repository files in the bundle (posix paths from the repository root), sorted. */
  sources: string[];
  /** The packages the bundle's sources require, with their installed versions. */
  packages: Record<string, string>;
  /** Every `patched('…')` / `deprecatePatch('…')` id in those sources, sorted. */
  patches: string[];
}

export interface HistoryManifest extends WorkflowFingerprint {
  about: string;
  /** The tag of the last recording (`record-histories.ts <tag>`) and when it was made. */
  recordedTag: string;
  recordedAt: string;
  /** Each recorded history file of that recording: its story and the patch markers in it. */
  recordings: Record<string, { story: string; events: number; patchMarkers: string[]; runs?: string }>;
}

function compile(file: string, source: string): string {
  return ts.transpileModule(source, {
    fileName: file,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, removeComments: true,
    },
  }).outputText;
}

function resolveRelative(fromFile: string, spec: string): string {
  const base = path.resolve(path.dirname(fromFile), spec);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts'), base]) {
    if (existsSync(candidate) && candidate.endsWith('.ts')) return candidate;
  }
  throw new Error(`workflow fingerprint: cannot resolve ${spec} from ${path.relative(REPO, fromFile)}`);
}

function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function installedVersion(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(REPO, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'missing';
  }
}

/** Computes the fingerprint of the workflow code as it is in the working tree now. */
export function workflowFingerprint(root = REPO): WorkflowFingerprint {
  const compiled = new Map<string, string>();
  const packages = new Set<string>();
  const todo = [path.join(root, WORKFLOW_ENTRY)];
  while (todo.length > 0) {
    const file = todo.pop()!;
    const rel = path.relative(root, file).split(path.sep).join('/');
    if (compiled.has(rel)) continue;
    const js = compile(file, readFileSync(file, 'utf8'));
    compiled.set(rel, js);
    for (const [, spec] of js.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)) {
      if (spec!.startsWith('.')) todo.push(resolveRelative(file, spec!));
      else if (!spec!.startsWith('node:')) packages.add(packageName(spec!));
    }
  }
  const sources = [...compiled.keys()].sort();
  const versions = Object.fromEntries([...packages].sort().map((p) => [p, installedVersion(p)]));
  const patches = new Set<string>();
  for (const js of compiled.values()) {
    for (const [, id] of js.matchAll(/\b(?:patched|deprecatePatch)\)?\(\s*["'`]([^"'`]+)["'`]/g)) patches.add(id!);
  }
  const hash = createHash('sha256');
  for (const rel of sources) hash.update(`--- ${rel}\n${compiled.get(rel)}\n`);
  for (const [p, v] of Object.entries(versions)) hash.update(`+++ ${p}@${v}\n`);
  return { fingerprint: hash.digest('hex'), sources, packages: versions, patches: [...patches].sort() };
}

export function readManifest(): HistoryManifest | undefined {
  return existsSync(MANIFEST_PATH) ? (JSON.parse(readFileSync(MANIFEST_PATH, 'utf8')) as HistoryManifest) : undefined;
}

/**
 * Why the working tree's workflow code is not covered by the recorded histories, or undefined
 * when it is: the same fingerprint as the last recording, or a `patched()` id that the last
 * recording did not know (the change is guarded; old histories keep their path).
 */
export function uncoveredChange(now: WorkflowFingerprint, manifest: HistoryManifest | undefined): string | undefined {
  if (!manifest) return `no ${path.relative(REPO, MANIFEST_PATH)}: record the histories (npx tsx cli/record-histories.ts <tag>)`;
  if (now.fingerprint === manifest.fingerprint) return undefined;
  const added = now.patches.filter((p) => !manifest.patches.includes(p));
  const removed = manifest.patches.filter((p) => !now.patches.includes(p));
  if (added.length > 0 && removed.length === 0) return undefined;
  const changedSources = [
    ...now.sources.filter((s) => !manifest.sources.includes(s)).map((s) => `+${s}`),
    ...manifest.sources.filter((s) => !now.sources.includes(s)).map((s) => `-${s}`),
  ];
  const changedPackages = Object.entries(now.packages).filter(([p, v]) => manifest.packages[p] !== v).map(([p, v]) => `${p}@${v}`);
  return [
    `The workflow code changed since the histories in test/histories were recorded (tag "${manifest.recordedTag}", ${manifest.recordedAt}),`,
    'and no new patched() id guards the change. Replay alone cannot tell whether the change is safe: no recorded',
    'history may reach the changed path. Either',
    '  - it changes what a running contract does or which commands its workflow makes: guard it with',
    '    patched(\'<new-id>\') (docs/workflow.md "Changing the workflow safely"), then record new histories; or',
    '  - it does not (a refactor): record new histories on the changed code, which also proves the old ones',
    '    still replay on it: npx tsx cli/record-histories.ts <new-tag>',
    '    (keeps every old recording; writes test/histories/MANIFEST.json with the new fingerprint).',
    removed.length > 0 ? `patched() ids removed: ${removed.join(', ')} — histories recorded before them may no longer replay.` : '',
    changedSources.length > 0 ? `bundle sources added/removed: ${changedSources.join(', ')}` : '',
    changedPackages.length > 0 ? `package versions changed: ${changedPackages.join(', ')}` : '',
    `fingerprint now ${now.fingerprint.slice(0, 16)}…, recorded ${manifest.fingerprint.slice(0, 16)}…`,
  ].filter(Boolean).join('\n');
}

/** A history as `temporal workflow show --output json` writes it (the parts read here). */
export interface RecordedHistory {
  events: Array<{ eventType?: string; markerRecordedEventAttributes?: { markerName?: string; details?: Record<string, { payloads?: Array<{ data?: string }> }> } }>;
}

/** The ids of the patch markers in a history (the `patched()` calls its run made). */
export function patchMarkers(history: RecordedHistory): string[] {
  const ids = new Set<string>();
  for (const e of history.events) {
    if (e.markerRecordedEventAttributes?.markerName !== 'core_patch') continue;
    const data = e.markerRecordedEventAttributes.details?.['patch-data']?.payloads?.[0]?.data;
    if (data) ids.add((JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { id: string }).id);
  }
  return [...ids].sort();
}

