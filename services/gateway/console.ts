/**
 * The console (console/, docs/console.md) served by the gateway: `GET /` is the shell (an HTML page
 * holding no data: the app asks for an API key and reads everything through the public API with
 * it), `GET /console/assets/*` the bundle, its stylesheet and source maps.
 *
 * The files come from console/dist (`npm run build:console`). When that is missing — or older than
 * console/src, on a checkout — the gateway builds them in memory with esbuild, once, on the first
 * request (so `npm install && npm start` needs no extra step, and a gateway nobody browses never
 * spends the build). Nothing is loaded from another origin; the page's Content-Security-Policy
 * allows scripts from the gateway only.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Router, type Request, type Response } from 'express';
import { buildConsole, CONSOLE_DIST, CONSOLE_SRC, versionOf, type ConsoleBuild } from '../../console/build';
import type { Logger } from '../../libs/logger';
import { escapeHtml } from '../../libs/markup';

/**
 * The console's Content-Security-Policy: scripts from the gateway only (no inline script, no eval),
 * API calls to the gateway only. Inline styles are allowed because a printable invoice the console
 * opens as a blob URL inherits this policy and carries its own `<style>`; `blob:` lets that page and
 * its PDF open. No `upgrade-insecure-requests`, so it also works over plain HTTP on a laptop.
 */
export const CONSOLE_CSP = [
  "default-src 'self'", "script-src 'self'", "script-src-attr 'none'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data: blob:",
  "font-src 'self'", "connect-src 'self'", "object-src 'none'", "frame-src 'self' blob:", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.js': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export interface ConsoleOptions {
  logger: Logger;
  /** Where the built files are (default console/dist). */
  distDir?: string;
  /** The sources, to tell a stale dist (default console/src). */
  srcDir?: string;
}

/** The newest modification time of the files under `dir` (0 when it does not exist). */
function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Whether console/dist can be served as it is: `missing`, `stale` (older than the sources) or `ready`. */
export function distState(distDir: string, srcDir: string): 'missing' | 'stale' | 'ready' {
  const js = path.join(distDir, 'app.js');
  if (!existsSync(js) || !existsSync(path.join(distDir, 'app.css'))) return 'missing';
  return newestMtime(srcDir) > statSync(js).mtimeMs ? 'stale' : 'ready';
}

function readDist(distDir: string): ConsoleBuild {
  const files = new Map<string, Uint8Array>();
  for (const name of readdirSync(distDir)) if (TYPES[path.extname(name)]) files.set(name, readFileSync(path.join(distDir, name)));
  return { files, version: versionOf(files) };
}


/** The shell: no data, no inline script; the bundle does the rest. */
export function consoleShell(version: string): string {
  const v = escapeHtml(version);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tollgate console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/assets/app.css?v=${v}">
<script src="/console/assets/app.js?v=${v}" defer></script>
</head><body>
<div id="root"></div>
<noscript>The Tollgate console needs JavaScript. The API and its documentation: <a href="/docs">/docs</a>.</noscript>
</body></html>
`;
}

/** `GET /` and `GET /console/assets/:file`, for the gateway to mount before its API routes. */
export function consoleRoutes(options: ConsoleOptions): Router {
  const log = options.logger.child({ component: 'console' });
  const distDir = options.distDir ?? CONSOLE_DIST;
  const srcDir = options.srcDir ?? CONSOLE_SRC;
  const state = distState(distDir, srcDir);
  if (state === 'missing') log.info({ distDir }, 'console: no built console in console/dist; it will be built in memory with esbuild on the first request (npm run build:console builds it ahead)');
  else if (state === 'stale') log.warn({ distDir }, 'console: console/dist is older than console/src; the console will be built in memory with esbuild on the first request');

  let loading: Promise<ConsoleBuild> | undefined;
  const load = (): Promise<ConsoleBuild> => {
    loading ??= (async () => {
      if (state === 'ready') return readDist(distDir);
      const started = Date.now();
      log.info('console: building in memory with esbuild');
      const built = await buildConsole();
      log.info({ ms: Date.now() - started, version: built.version }, 'console: built in memory');
      return built;
    })().catch((err: unknown) => {
      loading = undefined; // the next request tries again
      log.error({ err }, 'console: could not load or build the console');
      throw err;
    });
    return loading;
  };

  const router = Router();
  router.get('/', async (_req: Request, res: Response) => {
    const { version } = await load();
    res.setHeader('Content-Security-Policy', CONSOLE_CSP);
    res.setHeader('Cache-Control', 'no-cache');
    res.type('html').send(consoleShell(version));
  });
  router.get('/console/assets/:file', async (req: Request, res: Response, next) => {
    const name = req.params.file as string;
    const type = TYPES[path.extname(name)];
    if (type === undefined) return next();
    const built = await load();
    const body = built.files.get(name);
    if (body === undefined) return next();
    res.setHeader('Content-Security-Policy', CONSOLE_CSP);
    // Versioned URLs (the shell's `?v=`) never change; anything else is revalidated.
    res.setHeader('Cache-Control', req.query.v === built.version ? 'public, max-age=31536000, immutable' : 'no-cache');
    res.type(type).send(Buffer.from(body));
  });
  return router;
}
