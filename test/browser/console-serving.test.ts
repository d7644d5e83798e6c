/**
 * How the gateway serves the console (services/gateway/console.ts): from console/dist when it is
 * built and current, otherwise built in memory with esbuild on the first request; the shell holds
 * no data and no inline script, and carries the console's Content-Security-Policy.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { CONSOLE_CSP, consoleRoutes, distState } from '../../services/gateway/console';
import { createLogger } from '../../libs/logger';

const logger = createLogger('test', 'silent');

async function serve(router: express.Router): Promise<{ url: string; close: () => Promise<void> }> {
  const app = express();
  app.use(router);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}

describe('serving the console', () => {
  let tmp: string;
  let dist: string;
  let src: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'tollgate-console-'));
    dist = path.join(tmp, 'dist');
    src = path.join(tmp, 'src');
    mkdirSync(src);
    writeFileSync(path.join(src, 'main.tsx'), '// source');
    const old = new Date(Date.now() - 60_000);
    utimesSync(path.join(src, 'main.tsx'), old, old);
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  test('a dist without both files is missing; one older than its sources is stale; else ready', () => {
    expect(distState(dist, src)).toBe('missing');
    mkdirSync(dist);
    writeFileSync(path.join(dist, 'app.js'), 'console.log(1)');
    expect(distState(dist, src)).toBe('missing');
    writeFileSync(path.join(dist, 'app.css'), 'body{}');
    expect(distState(dist, src)).toBe('ready');
    writeFileSync(path.join(src, 'main.tsx'), '// edited after the build');
    const later = new Date(Date.now() + 60_000);
    utimesSync(path.join(src, 'main.tsx'), later, later);
    expect(distState(dist, src)).toBe('stale');
  });

  test('a current dist is served as built: the shell names its versioned files, which are served immutable', async () => {
    mkdirSync(dist);
    writeFileSync(path.join(dist, 'app.js'), 'window.built = "from dist";');
    writeFileSync(path.join(dist, 'app.css'), 'body { color: red }');
    const server = await serve(consoleRoutes({ logger, distDir: dist, srcDir: src }));
    try {
      const shell = await fetch(`${server.url}/`);
      expect(shell.status).toBe(200);
      expect(shell.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
      expect(shell.headers.get('cache-control')).toBe('no-cache');
      const html = await shell.text();
      expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
      const script = /<script src="([^"]+)"/.exec(html)![1]!;
      expect(script).toMatch(/^\/console\/assets\/app\.js\?v=[0-9a-f]{12}$/);

      const js = await fetch(`${server.url}${script}`);
      expect(await js.text()).toBe('window.built = "from dist";');
      expect(js.headers.get('content-type')).toContain('application/javascript');
      expect(js.headers.get('cache-control')).toContain('immutable');
      expect((await fetch(`${server.url}/console/assets/app.js?v=old`)).headers.get('cache-control')).toBe('no-cache');
      expect((await fetch(`${server.url}/console/assets/secrets.json`)).status).toBe(404);
      expect((await fetch(`${server.url}/console/assets/..%2Fpackage.json`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  test('without a dist, the console is built in memory from console/src on the first request', async () => {
    const server = await serve(consoleRoutes({ logger, distDir: dist }));
    try {
      const html = await (await fetch(`${server.url}/`)).text();
      const script = /<script src="([^"]+)"/.exec(html)![1]!;
      const js = await (await fetch(`${server.url}${script}`)).text();
      expect(js).toContain('Tollgate console');
      expect(js.length).toBeGreaterThan(100_000);
      const css = await fetch(`${server.url}/console/assets/app.css`);
      expect(css.headers.get('content-type')).toContain('text/css');
      expect(await css.text()).toContain('.topbar');
    } finally {
      await server.close();
    }
  });
});
