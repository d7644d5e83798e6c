/**
 * HTTP kit: the express app factory every service uses. JSON body with a size limit, a request id
 * on every request (echoed in `X-Request-Id`, every log line and every error body), `/healthz`
 * (alive) and `/readyz` (dependencies answer), the service credential on internal services (401
 * `unauthorized` without it), zod validation into 400 `validation_failed` naming each bad field,
 * errors as `{code, message, details, requestId}` with the DESIGN codes (503 `unavailable` with
 * `Retry-After`), and a graceful close that lets in-flight requests finish.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { z } from 'zod';
import { AppError } from './domain/errors';
import type { Logger } from './logger';
import { ServiceError } from './service-client';

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
    log: Logger;
  }
}

export interface AppOptions {
  name: string;
  logger: Logger;
  bodyLimit?: string;
  /** Resolves when the service's dependencies answer; `/readyz` reports it. */
  ready?: () => Promise<void>;
  /** Security headers (helmet) on every response, errors included: for the public API. */
  helmet?: boolean;
  /** Keep the raw request bytes in `req.rawBody` (signature checks of webhooks). */
  rawBody?: boolean;
  /**
   * The service credential: when set, every route but `/healthz` and `/readyz` (the OpenAPI
   * document included) refuses a caller without `Authorization: Bearer <token>` — 401
   * `unauthorized`, before the body is read. For the internal services.
   */
  serviceToken?: string;
  /** `Retry-After` (seconds) of every 503 answer; default 5. */
  retryAfterSeconds?: number;
}

/** 503 `unavailable`: a dependency did not answer; the caller should retry after `retryAfterSeconds`. */
export class UnavailableError extends AppError {
  constructor(message: string, details?: unknown, readonly retryAfterSeconds?: number) {
    super('unavailable', message, details);
    this.name = 'UnavailableError';
  }
}

const DEFAULT_RETRY_AFTER_SECONDS = 5;

const sha256 = (value: string) => createHash('sha256').update(value).digest();

/**
 * Express middleware refusing callers without the service credential. Both sides are hashed
 * first, so the comparison takes the same time whatever the presented value (length included).
 * Neither the credential nor the presented value is ever logged.
 */
export function requireServiceCredential(token: string) {
  const expected = sha256(token);
  return (req: Request, _res: Response, next: NextFunction): void => {
    const header = req.get('authorization');
    const match = header === undefined ? undefined : /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    const ok = match !== null && match !== undefined && timingSafeEqual(sha256(match[1]!), expected);
    if (ok) return next();
    req.log.warn({ method: req.method, path: req.path, remoteAddress: req.socket.remoteAddress, credential: header === undefined ? 'missing' : 'wrong' },
      'caller refused: no valid service credential');
    next(new AppError('unauthorized', 'this is an internal Tollgate service: only Tollgate components may call it (service credential required)'));
  };
}

/** The deepest JSON body accepted (contract terms, the deepest message, are 6 levels deep). */
export const MAX_JSON_DEPTH = 32;

/** True when the value has arrays/objects nested more than `max` levels (iterative: no stack overflow). */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

export function createApp(opts: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'extended');
  if (opts.helmet) app.use(helmet());
  app.locals.retryAfterSeconds = opts.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
  app.use((req, res, next) => {
    const incoming = req.get('x-request-id');
    req.id = incoming && /^[A-Za-z0-9._-]{1,100}$/.test(incoming) ? incoming : randomUUID();
    req.log = opts.logger.child({ requestId: req.id });
    res.setHeader('X-Request-Id', req.id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      req.log.info({ method: req.method, path: req.originalUrl, status: res.statusCode, ms: Math.round(ms) }, 'request');
    });
    next();
  });
  // Probes stay open (orchestrators call them without credentials); they reveal no data.
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: opts.name });
  });
  app.get('/readyz', async (req, res) => {
    try {
      await opts.ready?.();
      res.json({ status: 'ready', service: opts.name });
    } catch (err) {
      res.setHeader('Retry-After', String(app.locals.retryAfterSeconds));
      res.status(503).json({ code: 'unavailable', message: `${opts.name} is not ready: ${(err as Error).message}`, requestId: req.id });
    }
  });
  if (opts.serviceToken !== undefined) app.use(requireServiceCredential(opts.serviceToken));
  app.use(express.json({
    limit: opts.bodyLimit ?? '1mb',
    ...(opts.rawBody ? { verify: (req: Request, _res: Response, buf: Buffer) => void ((req as Request & { rawBody?: Buffer }).rawBody = buf) } : {}),
  }));
  // A body nested deeper than any Tollgate message would overflow the stack of every recursive
  // walk after it (validation, request hashing): refuse it here, without recursion.
  app.use((req, _res, next) => {
    if (nestedDeeperThan(req.body, MAX_JSON_DEPTH)) {
      return next(new AppError('validation_failed', `request body is nested deeper than ${MAX_JSON_DEPTH} levels`, [{ path: 'body', message: `nested deeper than ${MAX_JSON_DEPTH} levels` }]));
    }
    next();
  });
  return app;
}

/** Ends the app: unknown routes are 404 `not_found`, errors become `{code, message, details}`. */
export function finishApp(app: Express): void {
  app.use((req, _res, next) => next(new AppError('not_found', `no route ${req.method} ${req.path}`)));
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const body = errorBody(err, req);
    if (body.status === 503) {
      req.log?.warn({ err }, 'request failed: a dependency is unavailable');
      const retryAfter = (err as { retryAfterSeconds?: number })?.retryAfterSeconds ?? app.locals.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
      res.setHeader('Retry-After', String(retryAfter));
    } else if (body.status >= 500) {
      req.log?.error({ err }, 'request failed');
    } else {
      // Refusals are part of the audit trail: who (the key, on req.log), what, and the code.
      req.log?.info({ status: body.status, code: body.code, method: req.method, path: req.path, reason: body.message }, 'request refused');
    }
    res.status(body.status).json({ code: body.code, message: body.message, details: detailsOf(body.details), requestId: req.id });
  });
}

/**
 * The one shape of an error's `details`: always an array of `{path, message}` (empty when there is
 * nothing more to say). Field problems already are; a plain object (e.g. `{reason}` of a 503)
 * becomes one item per key.
 */
export function detailsOf(details: unknown): FieldProblem[] {
  if (details === undefined || details === null) return [];
  if (Array.isArray(details)) {
    return details.map((d) => (d && typeof d === 'object' && typeof (d as FieldProblem).message === 'string'
      ? { path: String((d as FieldProblem).path ?? ''), message: (d as FieldProblem).message }
      : { path: '', message: typeof d === 'string' ? d : JSON.stringify(d) }));
  }
  if (typeof details === 'object') {
    if (typeof (details as FieldProblem).message === 'string') return detailsOf([details]);
    return Object.entries(details as Record<string, unknown>).map(([path, v]) => ({ path, message: typeof v === 'string' ? v : JSON.stringify(v) }));
  }
  return [{ path: '', message: String(details) }];
}

/**
 * Drains a server that other components call back while they answer it (the gateway: an update
 * in flight waits for its workflow's effects, and those publish events to the gateway's own
 * intake). Once draining, new requests answer 503 `unavailable` (Retry-After) — except those
 * `keepServing` names, which are served until the server closes — and `drain` resolves when no
 * other request is in flight (or the time is up). Then the server may close.
 */
export function drainGate(keepServing: (req: Request) => boolean) {
  let draining = false;
  let inFlight = 0;
  let idle: (() => void) | undefined;
  const middleware = (req: Request, res: Response, next: NextFunction) => {
    if (keepServing(req)) return next();
    if (draining) return next(new UnavailableError('this gateway is shutting down; retry (another instance, or this one once restarted)', { reason: 'shutting_down' }));
    inFlight += 1;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      inFlight -= 1;
      if (inFlight === 0) idle?.();
    };
    res.once('finish', finish);
    res.once('close', finish);
    next();
  };
  return {
    middleware,
    get draining() {
      return draining;
    },
    /** Stops taking new requests and resolves once those in flight have answered, or after `timeoutMs`. */
    async drain(timeoutMs: number): Promise<void> {
      draining = true;
      if (inFlight === 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
  };
}

/** Connection-level failures of MongoDB (or FerretDB): the store did not answer. */
function isStoreUnavailable(err: unknown): boolean {
  const e = err as { name?: string; message?: string } | undefined;
  if (typeof e?.name !== 'string') return false;
  if (/^Mongo(Network|NetworkTimeout|ServerSelection|NotConnected|TopologyClosed)Error$/.test(e.name)) return true;
  return e.name === 'MongooseError' && /buffering timed out|client must be connected/i.test(e.message ?? '');
}

export function errorBody(err: unknown, _req?: Request): { status: number; code: string; message: string; details?: unknown } {
  if (err instanceof AppError) return { status: err.status, code: err.code, message: err.message, details: err.details };
  if (err instanceof ServiceError) {
    // The service refused this component's credential: a deployment fault, not the caller's.
    if (err.status === 401) return { status: 500, code: 'internal', message: `internal error: the ${err.service} service refused this component's service credential` };
    return err.status >= 400 && err.status < 500
      ? { status: err.status, code: err.code, message: err.message, details: err.details }
      : { status: 503, code: 'unavailable', message: err.message };
  }
  if (isStoreUnavailable(err)) return { status: 503, code: 'unavailable', message: 'the database did not answer' };
  const e = err as { type?: string; status?: number; message?: string };
  if (e?.type === 'entity.too.large') return { status: 413, code: 'payload_too_large', message: 'request body is too large' };
  if (e?.type === 'entity.parse.failed') return { status: 400, code: 'validation_failed', message: 'request body is not valid JSON' };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return { status: e.status, code: 'validation_failed', message: e.message ?? 'bad request' };
  }
  return { status: 500, code: 'internal', message: 'internal error' };
}

export interface FieldProblem { path: string; message: string }

/** Parses with a zod schema or throws 400 `validation_failed` naming every bad field. */
export function validate<S extends z.ZodType>(schema: S, data: unknown, where = 'body'): z.output<S> {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const details: FieldProblem[] = parsed.error.issues.map((i) => ({
    path: [where, ...i.path.map(String)].join('.'),
    message: i.message,
  }));
  throw new AppError('validation_failed', `invalid ${where}: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`, details);
}


/** Listens on host:port (0 = any free port); a taken port gives a clear message. */
export function listen(app: Express, host: string, port: number, name: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('listening', () => resolve(server));
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(new Error(`${name}: port ${port} on ${host} is already in use — stop what uses it or set ${name.toUpperCase()}_PORT`));
      } else reject(err);
    });
  });
}

export function serverPort(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server is not listening on a TCP port');
  return address.port;
}

/**
 * Closes gracefully: stops accepting at once, lets in-flight requests finish (closing each
 * keep-alive connection as soon as it is idle), and after `graceMs` cuts what is left. Resolves
 * `true` when it had to cut connections.
 */
export function closeServer(server: Server, graceMs = 10_000): Promise<boolean> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve(false);
    let forced = false;
    const idle = setInterval(() => server.closeIdleConnections(), 100);
    const force = setTimeout(() => {
      forced = true;
      server.closeAllConnections();
    }, graceMs);
    server.close(() => {
      clearInterval(idle);
      clearTimeout(force);
      resolve(forced);
    });
    server.closeIdleConnections();
  });
}
