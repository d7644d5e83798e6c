/**
 * Where the shared acceptance scenarios live: `TOLLGATE_SCENARIOS_DIR`, else `../shared/scenarios`
 * beside the repository (the layout of the workplace), else beside any parent folder, else beside
 * the repository this clone was made from (a CI clone elsewhere still finds them).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..');

export function findScenarioDir(): string {
  const candidates: string[] = [];
  if (process.env.TOLLGATE_SCENARIOS_DIR) candidates.push(path.resolve(process.env.TOLLGATE_SCENARIOS_DIR));
  for (let dir = REPO_ROOT; ; dir = path.dirname(dir)) {
    candidates.push(path.join(path.dirname(dir), 'shared', 'scenarios'));
    if (path.dirname(dir) === dir) break;
  }
  try {
    const origin = execFileSync('git', ['-C', REPO_ROOT, 'config', '--get', 'remote.origin.url'], { encoding: 'utf8' }).trim();
    if (origin && !/^[a-z]+:\/\//i.test(origin) && !origin.includes('@')) candidates.push(path.resolve(REPO_ROOT, origin, '..', 'shared', 'scenarios'));
  } catch {
    // not a clone: nothing more to try
  }
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`no scenario folder found (set TOLLGATE_SCENARIOS_DIR); looked in: ${candidates.join(', ')}`);
  return found;
}
