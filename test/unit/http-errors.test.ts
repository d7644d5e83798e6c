/**
 * One error shape (libs/http.ts): `details` is always an array of `{path, message}`, and every
 * refused request is logged with its code, who asked and what (the audit trail of refusals).
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { AppError } from '../../libs/domain/errors';
import { createApp, detailsOf, finishApp, UnavailableError } from '../../libs/http';
import { runHttpService } from '../../libs/service-runtime';

describe('detailsOf', () => {
  it('keeps field problems, turns an object into one item per key, absent into []', () => {
    expect(detailsOf(undefined)).toEqual([]);
    expect(detailsOf([{ path: 'body.x', message: 'required' }])).toEqual([{ path: 'body.x', message: 'required' }]);
    expect(detailsOf({ path: 'body.reason', message: 'required' })).toEqual([{ path: 'body.reason', message: 'required' }]);
    expect(detailsOf({ reason: 'no_worker' })).toEqual([{ path: 'reason', message: 'no_worker' }]);
    expect(detailsOf({ currentVersion: 3 })).toEqual([{ path: 'currentVersion', message: '3' }]);
    expect(detailsOf(['plain'])).toEqual([{ path: '', message: 'plain' }]);
  });
});

describe('a refused request', () => {
  it('answers {code, message, details: [], requestId} and is logged with its code and caller', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } });
    const logger = pino({ level: 'info' }, sink);
    const app = createApp({ name: 'refusals', logger });
    app.get('/contracts/:id', (req) => {
      req.log = req.log.child({ principal: 'a-approver', contractId: req.params.id });
      throw new AppError('forbidden', 'the key\'s role may not do this');
    });
    app.get('/busy', () => {
      throw new UnavailableError('Temporal did not answer', { reason: 'timeout' });
    });
    finishApp(app);
    const svc = await runHttpService({ name: 'refusals', app, host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }) });
    try {
      const res = await fetch(`${svc.url}/contracts/c-1`);
      expect(res.status).toBe(403);
      const body = await res.json() as Record<string, unknown>;
      expect(body).toEqual({ code: 'forbidden', message: 'the key\'s role may not do this', details: [], requestId: expect.any(String) });
      const busy = await fetch(`${svc.url}/busy`);
      expect(await busy.json()).toMatchObject({ code: 'unavailable', details: [{ path: 'reason', message: 'timeout' }] });
    } finally {
      await svc.stop();
    }
    const refused = lines.find((l) => l.msg === 'request refused');
    expect(refused).toMatchObject({ code: 'forbidden', status: 403, method: 'GET', path: '/contracts/c-1', principal: 'a-approver', contractId: 'c-1' });
  });
});
