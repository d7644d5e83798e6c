/**
 * A small JSON client for calling a Tollgate service over HTTP (activities → services,
 * gateway → services, AR → invoicing and revenue). Every call carries the service credential
 * (`Authorization: Bearer <token>`). Errors keep the service's `{code, message}`; 4xx are refusals,
 * the rest transient.
 */
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
  post<T>(path: string, body: unknown, opts?: { idempotencyKey?: string }): Promise<T>;
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
  async function request<T>(method: string, u: URL, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(u, {
        method,
        headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers, ...credential },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new ServiceError(name, 503, 'unavailable', `${name} unreachable at ${u.origin}: ${(err as Error).message}`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const e = (json ?? {}) as { code?: string; message?: string; details?: unknown };
      throw new ServiceError(name, res.status, e.code ?? 'internal', e.message ?? `${name} answered ${res.status}`, e.details);
    }
    return json as T;
  }
  return {
    name,
    baseUrl,
    get: (path, query) => request('GET', url(path, query)),
    post: (path, body, opts) =>
      request('POST', url(path), body, opts?.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {}),
  };
}
