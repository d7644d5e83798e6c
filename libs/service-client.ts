/**
 * The client of a Tollgate service (activities → services, gateway → services, AR → invoicing and
 * revenue, producers → the gateway's event intake), on the one HTTP client (libs/http-client.ts)
 * with its node:http keep-alive transport. Every call carries the service credential
 * (`Authorization: Bearer <token>`). Errors keep the service's `{code, message}`; 4xx are refusals,
 * the rest transient. The request and answer types are the services' contracts (libs/contracts/).
 */
import { createHttpClient, errorOf, HttpTransportError, nodeTransport, type HttpAnswer } from './http-client';

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
  const http = createHttpClient({ baseUrl, timeoutMs, transport: nodeTransport() });
  const credential = token ? serviceAuthHeaders(token) : {};
  /** One call; non-2xx becomes a ServiceError with the service's `{code, message}`, a transport failure a 503. */
  async function exchange(method: string, path: string, opts: { query?: Record<string, string | undefined>; body?: unknown; headers?: Record<string, string> }): Promise<HttpAnswer> {
    let res: HttpAnswer;
    try {
      res = await http.request(method, path, { ...opts, headers: { accept: 'application/json', ...opts.headers, ...credential } });
    } catch (err) {
      const origin = err instanceof HttpTransportError ? err.url.origin : new URL(baseUrl).origin;
      throw new ServiceError(name, 503, 'unavailable', `${name} unreachable at ${origin}: ${(err as Error).message}`);
    }
    if (!res.ok) {
      const e = errorOf(res);
      throw new ServiceError(name, res.status, e.code ?? 'internal', e.message ?? `${name} answered ${res.status}`, e.details);
    }
    return res;
  }
  return {
    name,
    baseUrl,
    get: async (path, query) => (await exchange('GET', path, { query })).json as never,
    getRaw: async (path, query) => {
      const res = await exchange('GET', path, { query, headers: { accept: '*/*' } });
      return {
        status: res.status,
        contentType: res.headers.get('content-type') ?? undefined,
        contentDisposition: res.headers.get('content-disposition') ?? undefined,
        text: res.text,
      };
    },
    post: async (path, body, opts) =>
      // JSON always (a string body too: the one client would send a string as it is).
      (await exchange('POST', path, { body: typeof body === 'string' ? JSON.stringify(body) : body, headers: opts?.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {} })).json as never,
  };
}
