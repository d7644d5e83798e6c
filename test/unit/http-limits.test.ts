/**
 * Hostile bodies are refused before any handler walks them (libs/http.ts): JSON nested deeper than
 * any Tollgate message is a 400 `validation_failed`, never a stack overflow answered 500 (found by
 * the chaos run: every gateway POST with a 50,000-deep body answered 500).
 */
import pino from 'pino';
import { createApp, finishApp, MAX_JSON_DEPTH, nestedDeeperThan } from '../../libs/http';
import { requestHash } from '../../libs/idempotency';
import { runHttpService } from '../../libs/service-runtime';

const nest = (depth: number, leaf: unknown = 1): unknown => {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i += 1) v = i % 2 ? [v] : { a: v };
  return v;
};

describe('nestedDeeperThan', () => {
  it('measures depth without recursion, for objects and arrays', () => {
    expect(nestedDeeperThan({ a: { b: [1, { c: 2 }] } }, 4)).toBe(false);
    expect(nestedDeeperThan({ a: { b: [1, { c: { d: 2 } }] } }, 4)).toBe(true);
    expect(nestedDeeperThan('text', 0)).toBe(false);
    expect(nestedDeeperThan(nest(200_000), MAX_JSON_DEPTH)).toBe(true);
  });
});

describe('a deeply nested body', () => {
  it('is refused 400 validation_failed before the handler, which would overflow hashing it', async () => {
    const app = createApp({ name: 'deep', logger: pino({ level: 'silent' }) });
    app.post('/x', (req, res) => void res.json({ hash: requestHash(req.body) }));
    finishApp(app);
    const svc = await runHttpService({ name: 'deep', app, host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }) });
    try {
      const send = (body: string) => fetch(`${svc.url}/x`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const deep = await send(`{"a":${'['.repeat(50_000)}${']'.repeat(50_000)}}`);
      expect(deep.status).toBe(400);
      expect(((await deep.json()) as { code: string }).code).toBe('validation_failed');
      const ok = await send(JSON.stringify(nest(MAX_JSON_DEPTH - 1)));
      expect(ok.status).toBe(200);
    } finally {
      await svc.stop();
    }
  });
});
