/**
 * The gateway's drain gate (libs/http.ts drainGate): once stopping, new public requests answer 503
 * while those in flight finish, and the event intake keeps serving — an update in flight waits for
 * its workflow's effects, which publish events to that intake (found by the chaos run: a gateway
 * restart waited out its whole grace period, the updates in flight cut).
 */
import pino from 'pino';
import { createApp, drainGate, finishApp } from '../../libs/http';
import { runHttpService } from '../../libs/service-runtime';

describe('drainGate', () => {
  it('refuses new public requests with 503, keeps serving the intake, and resolves once the requests in flight answered', async () => {
    const logger = pino({ level: 'silent' });
    const app = createApp({ name: 'gate', logger });
    const gate = drainGate((req) => req.path.startsWith('/internal/'));
    app.use(gate.middleware);
    let release!: () => void;
    const released = new Promise<void>((r) => { release = r; });
    let intakeCalls = 0;
    app.get('/slow', async (_req, res) => {
      await released;
      res.json({ ok: true });
    });
    app.get('/quick', (_req, res) => void res.json({ ok: true }));
    app.post('/internal/events', (_req, res) => {
      intakeCalls += 1;
      // The intake answering is what lets the slow request finish (as effects publishing lets an update answer).
      release();
      res.json({ stored: 1 });
    });
    finishApp(app);
    const svc = await runHttpService({ name: 'gate', app, host: '127.0.0.1', port: 0, logger });
    try {
      const slow = fetch(`${svc.url}/slow`).then((r) => r.status);
      await new Promise((r) => setTimeout(r, 50));
      let drained = false;
      const draining = gate.drain(5_000).then(() => { drained = true; });
      const refused = await fetch(`${svc.url}/quick`);
      expect(refused.status).toBe(503);
      expect(((await refused.json()) as { details: unknown }).details).toEqual([{ path: 'reason', message: 'shutting_down' }]);
      expect(refused.headers.get('retry-after')).toEqual(expect.any(String));
      expect(drained).toBe(false);
      const intake = await fetch(`${svc.url}/internal/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(intake.status).toBe(200);
      expect(await slow).toBe(200);
      await draining;
      expect([drained, intakeCalls, gate.draining]).toEqual([true, 1, true]);
    } finally {
      await svc.stop();
    }
  });

  it('gives up waiting after the time it is given', async () => {
    const app = createApp({ name: 'gate', logger: pino({ level: 'silent' }) });
    const gate = drainGate(() => false);
    app.use(gate.middleware);
    app.get('/never', () => undefined);
    finishApp(app);
    const svc = await runHttpService({ name: 'gate', app, host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }), graceMs: 1_000 });
    const hanging = fetch(`${svc.url}/never`).catch(() => 'cut');
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await gate.drain(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    await svc.stop();
    expect(await hanging).toBe('cut');
  });
});
