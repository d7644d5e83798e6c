/**
 * The one HTTP client of the project: a request (method, URL or path on a base, query, a JSON or
 * raw body, headers) and its answer (status, headers, text, the text as JSON), whatever the status.
 * What a caller makes of a non-2xx answer is its own: the service client throws a `ServiceError`
 * (libs/service-client.ts), the CLI exits by class (cli/tollgate.ts), the scenario runner lists a
 * difference (cli/scenarios.ts), the tests assert on it (test/support/system.ts). `errorOf` reads
 * the `{code, message, details}` every Tollgate component answers an error with.
 *
 * Two transports, one behaviour. `fetchTransport` (the default) suits a few calls from a short-lived
 * process (the CLI, the scenario runner, tests — which can stub `globalThis.fetch`).
 * `nodeTransport` (node:http(s) with a keep-alive agent) is what components use to call each other:
 * undici's fetch cost ~0.3 ms more CPU per call (docs/performance.md §6), and the worker makes three
 * calls per milestone. Its idle connections close after 4 s, before a Node server's 5 s keep-alive
 * timeout can close one under a request.
 */
import http from 'node:http';
import https from 'node:https';

/** What the transport sends: headers are final (lower-case names), the body already serialised. */
export interface HttpExchange {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
  /** The whole answer within this long, else the call fails (`HttpTransportError`); none by default. */
  timeoutMs?: number;
}

/** What came back: the status, the headers and the whole body as text (and as bytes, for an image or a PDF). */
export interface RawHttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  bytes?: Buffer;
}

export type Transport = (exchange: HttpExchange) => Promise<RawHttpAnswer>;

/** The server could not be reached, or no whole answer came in time: no status to speak of. */
export class HttpTransportError extends Error {
  constructor(readonly url: URL, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HttpTransportError';
  }
}

export interface HttpAnswer extends RawHttpAnswer {
  /** The body parsed as JSON; undefined when empty or not JSON. */
  readonly json: unknown;
  readonly ok: boolean;
}

export interface HttpRequestOptions {
  query?: Record<string, string | undefined>;
  /** Sent as JSON; a string is sent as it is (a signed webhook body, a deliberately bad body). */
  body?: unknown;
  /** Per request; they override the client's own (case-insensitively). */
  headers?: Record<string, string>;
}

export interface HttpClient {
  readonly baseUrl?: string;
  /** One call; resolves with the answer whatever its status, rejects only with `HttpTransportError`. */
  request(method: string, path: string | URL, options?: HttpRequestOptions): Promise<HttpAnswer>;
}

export interface HttpClientOptions {
  /** Relative paths are resolved against it. */
  baseUrl?: string;
  /** Sent with every request (a request's own headers of the same name win). */
  headers?: Record<string, string>;
  timeoutMs?: number;
  transport?: Transport;
}

export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const { baseUrl, timeoutMs, transport = fetchTransport } = options;
  const defaults = lowerCaseKeys(options.headers ?? {});
  return {
    baseUrl,
    async request(method, path, opts = {}) {
      const url = new URL(path, baseUrl);
      for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
      const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      const headers = {
        ...defaults,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...lowerCaseKeys(opts.headers ?? {}),
      };
      let raw: RawHttpAnswer;
      try {
        raw = await transport({ method, url, headers, ...(body !== undefined ? { body } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
      } catch (err) {
        if (err instanceof HttpTransportError) throw err;
        throw new HttpTransportError(url, (err as Error)?.message ?? String(err), { cause: err });
      }
      return answer(raw);
    },
  };
}

/** The `{code, message, details}` of a Tollgate error answer (any of them may be missing). */
export function errorOf(a: Pick<HttpAnswer, 'json'>): { code?: string; message?: string; details?: unknown } {
  const e = a.json;
  if (typeof e !== 'object' || e === null) return {};
  const { code, message, details } = e as { code?: unknown; message?: unknown; details?: unknown };
  return {
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof message === 'string' ? { message } : {}),
    ...(details !== undefined ? { details } : {}),
  };
}

/** The body as JSON; undefined when empty or not JSON. */
export function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function answer(raw: RawHttpAnswer): HttpAnswer {
  let parsed: { value: unknown } | undefined;
  return {
    status: raw.status,
    get headers() {
      return raw.headers;
    },
    text: raw.text,
    ...(raw.bytes ? { bytes: raw.bytes } : {}),
    ok: raw.status >= 200 && raw.status < 300,
    get json() {
      parsed ??= { value: parseJson(raw.text) };
      return parsed.value;
    },
  };
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  return out;
}

/** `globalThis.fetch` (looked up at each call, so a test may stub it). */
export const fetchTransport: Transport = async ({ method, url, headers, body, timeoutMs }) => {
  const res = await fetch(url, {
    method,
    headers,
    ...(body !== undefined ? { body } : {}),
    ...(timeoutMs !== undefined ? { signal: AbortSignal.timeout(timeoutMs) } : {}),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, text: bytes.toString('utf8'), bytes };
};

/**
 * node:http(s) with a keep-alive agent of its own (one per transport: a component makes one per
 * service it calls). Headers are turned into a `Headers` only when read.
 */
export function nodeTransport(): Transport {
  const agents = {
    'http:': new http.Agent({ keepAlive: true, timeout: 4_000 }),
    'https:': new https.Agent({ keepAlive: true, timeout: 4_000 }),
  };
  return ({ method, url, headers, body, timeoutMs }) => new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const req = (secure ? https : http).request(url, {
      method,
      agent: secure ? agents['https:'] : agents['http:'],
      headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(deadline);
        let built: Headers | undefined;
        const raw = res.rawHeaders;
        resolve({
          status: res.statusCode ?? 0,
          get headers() {
            if (!built) {
              built = new Headers();
              for (let i = 0; i + 1 < raw.length; i += 2) built.append(raw[i]!, raw[i + 1]!);
            }
            return built;
          },
          text: Buffer.concat(chunks).toString('utf8'),
          bytes: Buffer.concat(chunks),
        });
      });
      res.on('error', (err) => {
        clearTimeout(deadline);
        reject(new HttpTransportError(url, err.message, { cause: err }));
      });
    });
    const deadline = timeoutMs === undefined ? undefined : setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (err) => {
      clearTimeout(deadline);
      reject(new HttpTransportError(url, err.message, { cause: err }));
    });
    req.end(body);
  });
}
