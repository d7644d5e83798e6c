/**
 * Graceful stop of an HTTP service (libs/service-runtime.ts): it stops accepting at once, lets an
 * in-flight request finish and answer, does not wait for idle keep-alive connections, cuts what is
 * still running after the grace period, and runs the background hooks in order (timers stopped
 * first, background work awaited once no request runs, the database closed last).
 */
import http from 'node:http';
import type { Connection } from 'mongoose';
import pino from 'pino';
import { createApp, finishApp } from '../../libs/http';
import { runHttpService } from '../../libs/service-runtime';

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => { resolve = r; });
  return { promise, resolve };
}

async function slowService(graceMs: number, hooks: { events?: string[] } = {}) {
  const logger = pino({ level: 'silent' });
  const entered = deferred();
  const release = deferred();
  const app = createApp({ name: 'slow', logger });
  app.get('/slow', async (_req, res) => {
    entered.resolve();
    await release.promise;
    res.json({ finished: true });
  });
  app.get('/hang', () => {
    entered.resolve();
    // never answers
  });
  app.get('/fast', (_req, res) => void res.json({ ok: true }));
  finishApp(app);
  const events = hooks.events ?? [];
  const connection = { close: async () => void events.push('database closed') } as unknown as Connection;
  const svc = await runHttpService({
    name: 'slow', app, host: '127.0.0.1', port: 0, logger, graceMs, connection,
    beforeClose: () => void events.push('timers stopped'),
    onStop: async () => void events.push('background work awaited'),
  });
  return { svc, entered, release, events };
}

/** One GET on its own keep-alive agent (so connections are not shared between tests). */
function get(url: string, agent: http.Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

describe('stopping an HTTP service', () => {
  it('finishes an in-flight request, refuses new connections meanwhile, then closes the database', async () => {
    const { svc, entered, release, events } = await slowService(10_000);
    const agent = new http.Agent({ keepAlive: true });
    const inFlight = get(`${svc.url}/slow`, agent);
    await entered.promise;

    let stopped = false;
    const stopping = svc.stop().then(() => { stopped = true; });
    await new Promise((r) => setTimeout(r, 200));
    expect(stopped).toBe(false);
    expect(events).toEqual(['timers stopped']);
    // No new connection is accepted while it drains.
    await expect(get(`${svc.url}/fast`, new http.Agent({ keepAlive: false }))).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    release.resolve();
    expect(await inFlight).toEqual({ status: 200, body: JSON.stringify({ finished: true }) });
    await stopping;
    expect(stopped).toBe(true);
    expect(events).toEqual(['timers stopped', 'background work awaited', 'database closed']);
    // Idempotent.
    await svc.stop();
    expect(events).toHaveLength(3);
    agent.destroy();
  });

  it('does not wait for idle keep-alive connections', async () => {
    const { svc } = await slowService(10_000);
    const agent = new http.Agent({ keepAlive: true });
    expect((await get(`${svc.url}/fast`, agent)).status).toBe(200);
    const started = Date.now();
    await svc.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
    agent.destroy();
  });

  it('cuts a request still running after the grace period', async () => {
    const { svc, entered, events } = await slowService(300);
    const agent = new http.Agent({ keepAlive: true });
    const hanging = get(`${svc.url}/hang`, agent);
    await entered.promise;
    const started = Date.now();
    await svc.stop();
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(3_000);
    await expect(hanging).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(events).toEqual(['timers stopped', 'background work awaited', 'database closed']);
    agent.destroy();
  });
});
