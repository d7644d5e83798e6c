/**
 * The console's one way to the API: every call sends the session's key as `Authorization: Bearer`
 * (none in open mode, when the key is empty) and turns an error answer into an ApiError carrying
 * the API's `{code, message, details, requestId}`.
 */

const KEY_STORAGE = 'tollgate.apiKey';

export interface ErrorDetail {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The key of this browser tab's session (sessionStorage: gone when the tab closes); null before sign-in. */
export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function storeKey(key: string): void {
  sessionStorage.setItem(KEY_STORAGE, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY_STORAGE);
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const key = storedKey();
  return { ...(key ? { authorization: `Bearer ${key}` } : {}), ...extra };
}

async function errorOf(res: Response, what: string): Promise<ApiError> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { code?: string; message?: string; details?: unknown; requestId?: string };
    const details = Array.isArray(body.details) ? (body.details as ErrorDetail[]) : [];
    return new ApiError(res.status, body.code ?? `http_${res.status}`, body.message ?? `${what}: HTTP ${res.status}`, details, body.requestId);
  } catch {
    return new ApiError(res.status, `http_${res.status}`, `${what}: HTTP ${res.status} ${text.slice(0, 200)}`);
  }
}

/** Query string of the defined, non-empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: headers(body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(0, 'network', `${method} ${path}: the gateway did not answer (${(err as Error).message})`);
  }
  if (!res.ok) throw await errorOf(res, `${method} ${path}`);
  return (await res.json()) as T;
}

export const get = <T,>(path: string) => api<T>('GET', path);
export const post = <T,>(path: string, body: unknown = {}) => api<T>('POST', path, body);

/**
 * Opens a printable document (HTML in a new tab, PDF as a download): fetched with the key — a
 * plain link could not send it — and handed to the browser as a blob URL.
 */
export async function openDocument(path: string, format: 'html' | 'pdf', fileName: string): Promise<void> {
  const res = await fetch(`${path}${query({ format })}`, { headers: headers({ accept: format === 'html' ? 'text/html' : 'application/pdf' }) });
  if (!res.ok) throw await errorOf(res, `GET ${path}`);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  if (format === 'pdf') a.download = `${fileName}.pdf`;
  else a.target = '_blank';
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // The new tab (or the download) has read it by then.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
