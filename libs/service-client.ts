/**
 * A small JSON client for calling a Tollgate service over HTTP (activities → services,
 * gateway → services). Errors keep the service's `{code, message}`; 4xx are refusals, the rest
 * transient.
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

  /** 4xx (other than 408/429) is a business refusal: retrying will not change the answer. */
  get isRefusal(): boolean {
    return this.status >= 400 && this.status < 500 && this.status !== 408 && this.status !== 429;
  }
}

export interface ServiceClient {
  readonly name: string;
  readonly baseUrl: string;
  get<T>(path: string, query?: Record<string, string | undefined>): Promise<T>;
  post<T>(path: string, body: unknown, opts?: { idempotencyKey?: string }): Promise<T>;
}

export function createServiceClient(name: string, baseUrl: string, timeoutMs = 15_000): ServiceClient {
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
        headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
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
