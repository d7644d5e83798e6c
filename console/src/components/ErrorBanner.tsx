import { ApiError } from '../api';

/** A failed call, shown — never swallowed: what was asked, the API's code, message and request id. */
export function ErrorBanner({ error, what }: { error: Error | undefined; what?: string }) {
  if (!error) return null;
  const api = error instanceof ApiError ? error : undefined;
  return (
    <div className="banner banner-error" role="alert" data-testid="error-banner">
      <strong>{what ? `${what} failed` : 'Error'}</strong>
      {api && <span className="code">{api.status > 0 ? `${api.status} ${api.code}` : api.code}</span>}
      <span>{error.message}</span>
      {api?.details.length ? (
        <ul>{api.details.map((d, i) => <li key={i}><code>{d.path}</code> {d.message}</li>)}</ul>
      ) : null}
      {api?.requestId && <span className="muted"> (request {api.requestId})</span>}
    </div>
  );
}
