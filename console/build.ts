/**
 * Builds the console (console/src, React + TypeScript) into one script and one stylesheet with
 * esbuild's JS API. `npm run build:console` writes console/dist/; the gateway, finding no (or an
 * out-of-date) console/dist, builds the same thing in memory (services/gateway/console.ts).
 * Nothing is fetched from the network: React, Chart.js and decimal.js come from node_modules.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

export const CONSOLE_DIR = __dirname;
export const CONSOLE_SRC = path.join(CONSOLE_DIR, 'src');
export const CONSOLE_DIST = path.join(CONSOLE_DIR, 'dist');

/** The files of a build, by name (`app.js`, `app.css`, their source maps). */
export interface ConsoleBuild {
  files: Map<string, Uint8Array>;
  /** A short hash of the script and stylesheet: the shell's cache-busting query. */
  version: string;
}

export interface BuildOptions {
  /** Write the files there (created if missing); without it the build stays in memory. */
  outdir?: string;
  /** Minify (default true). */
  minify?: boolean;
}

export async function buildConsole(options: BuildOptions = {}): Promise<ConsoleBuild> {
  const result = await build({
    absWorkingDir: CONSOLE_DIR,
    entryPoints: { app: path.join(CONSOLE_SRC, 'main.tsx') },
    bundle: true,
    write: false,
    outdir: options.outdir ?? CONSOLE_DIST,
    format: 'iife',
    platform: 'browser',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    minify: options.minify ?? true,
    sourcemap: 'linked',
    legalComments: 'linked',
    define: { 'process.env.NODE_ENV': '"production"' },
    loader: { '.css': 'css' },
    logLevel: 'silent',
  });
  const files = new Map<string, Uint8Array>();
  for (const f of result.outputFiles) files.set(path.basename(f.path), f.contents);
  for (const required of ['app.js', 'app.css']) {
    if (!files.has(required)) throw new Error(`console build: esbuild produced no ${required} (got ${[...files.keys()].join(', ')})`);
  }
  if (options.outdir !== undefined) {
    mkdirSync(options.outdir, { recursive: true });
    for (const [name, contents] of files) writeFileSync(path.join(options.outdir, name), contents);
  }
  return { files, version: versionOf(files) };
}

/** The cache-busting version of a set of files: a hash of the script and the stylesheet. */
export function versionOf(files: Map<string, Uint8Array>): string {
  const hash = createHash('sha256');
  for (const name of ['app.js', 'app.css']) hash.update(files.get(name) ?? '');
  return hash.digest('hex').slice(0, 12);
}

if (require.main === module) {
  const started = Date.now();
  buildConsole({ outdir: CONSOLE_DIST }).then(
    (b) => console.log(`console built into ${path.relative(process.cwd(), CONSOLE_DIST) || CONSOLE_DIST} (${[...b.files.keys()].join(', ')}; ${Date.now() - started} ms)`),
    (err: unknown) => {
      console.error(`console build failed: ${(err as Error).message}`);
      process.exit(1);
    },
  );
}
