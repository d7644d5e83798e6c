/**
 * A small JSON client for calling a Tollgate service over HTTP (activities → services,
 * gateway → services, AR → invoicing and revenue). Every call carries the service credential
 * (`Authorization: Bearer <token>`). Errors keep the service's `{code, message}`; 4xx are refusals,
 * the rest transient.
 *
 * Requests go through node:http(s) with a keep-alive agent per client, not `fetch`: undici's fetch
 * cost ~0.3 ms more CPU per call on the client side (measured in a micro-benchmark: 420 vs 165 µs
 * per request, client and server together), and the worker makes three calls per milestone
 * (docs/performance.md). Idle connections are closed after 4 s, before a Node server's 5 s
 * keep-alive timeout can close one under a request.
 */
import http from 'node:http';
import https from 'node:https';

export class ServiceError extends Error {
  constructor(
    readonly service: string,
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ServiceError';
  }

  /**
   * 4xx (other than 401/408/429) is a business refusal: retrying will not change the answer. A 401
   * is a deployment fault (the credential differs between components): retried, it succeeds once
   * the configuration is fixed.
   */
  get isRefusal(): boolean {
    return this.status >= 400 && this.status < 500 && this.status !== 401 && this.status !== 408 && this.status !== 429;
  }
}

export interface ServiceClient {
  readonly name: string;
  readonly baseUrl: string;
  get<T>(path: string, query?: Record<string, string | undefined>): Promise<T>;
  /** A GET whose answer is passed on as it came (e.g. a CSV report): status, content type, disposition and text; non-2xx throws as `get` does. */
  getRaw(path: string, query?: Record<string, string | undefined>): Promise<RawAnswer>;
  post<T>(path: string, body: unknown, opts?: { idempotencyKey?: string }): Promise<T>;
}

export interface RawAnswer {
  status: number;
  contentType?: string;
  contentDisposition?: string;
  text: string;
}

export interface ServiceClientOptions {
  /** The service credential (TOLLGATE_SERVICE_TOKEN); sent on every request. */
  token?: string;
  /** Per request; default 15 s. */
  timeoutMs?: number;
}

/** The header that carries the service credential. */
export function serviceAuthHeaders(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** A client of one service; `options` a number is the timeout (ms), as before. */
export function createServiceClient(name: string, baseUrl: string, options: ServiceClientOptions | number = {}): ServiceClient {
  const { token, timeoutMs = 15_000 } = typeof options === 'number' ? { timeoutMs: options } : options;
  const credential = token ? serviceAuthHeaders(token) : {};
  const url = (path: string, query?: Record<string, string | undefined>) => {
    const u = new URL(path, baseUrl);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, v);
    return u;
  };
  const secure = new URL(baseUrl).protocol === 'https:';
  const agent = secure ? new https.Agent({ keepAlive: true, timeout: 4_000 }) : new http.Agent({ keepAlive: true, timeout: 4_000 });
  async function request<T>(method: string, u: URL, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    return parseJson((await exchange(method, u, body, headers)).text) as T;
  }
  /** One call; non-2xx becomes a ServiceError with the service's `{code, message}`, a transport failure a 503. */
  async function exchange(method: string, u: URL, body?: unknown, headers: Record<string, string> = {}): Promise<RawAnswer> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    let res: RawAnswer;
    try {
      res = await send(u, {
        method,
        agent,
        headers: {
          accept: 'application/json',
          ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}),
          ...headers,
          ...credential,
        },
      }, payload, timeoutMs);
    } catch (err) {
      throw new ServiceError(name, 503, 'unavailable', `${name} unreachable at ${u.origin}: ${(err as Error).message}`);
    }
    if (res.status < 200 || res.status >= 300) {
      const e = (parseJson(res.text) ?? {}) as { code?: string; message?: string; details?: unknown };
      throw new ServiceError(name, res.status, e.code ?? 'internal', e.message ?? `${name} answered ${res.status}`, e.details);
    }
    return res;
  }
  return {
    name,
    baseUrl,
    get: (path, query) => request('GET', url(path, query)),
    getRaw: (path, query) => exchange('GET', url(path, query), undefined, { accept: '*/*' }),
    post: (path, body, opts) =>
      request('POST', url(path), body, opts?.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {}),
  };
}

/** The body as JSON; undefined when empty or not JSON. */
function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/** One request; resolves with the status, content headers and the whole body, rejects on a transport error or when no whole answer came within `timeoutMs`. */
function send(u: URL, options: http.RequestOptions, payload: string | undefined, timeoutMs: number): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = (u.protocol === 'https:' ? https : http).request(u, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(deadline);
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'],
          contentDisposition: res.headers['content-disposition'],
          text: Buffer.concat(chunks).toString('utf8'),
        });
      });
      res.on('error', (err) => {
        clearTimeout(deadline);
        reject(err);
      });
    });
    const deadline = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (err) => {
      clearTimeout(deadline);
      reject(err);
    });
    req.end(payload);
  });
}
