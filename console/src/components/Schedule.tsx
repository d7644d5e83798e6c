/**
 * The contract's visual schedule: the SVG the API draws (`GET /contracts/:id/schedule.svg` —
 * milestones planned against actual dates, invoices, legend, currency), fetched with the key — an
 * <img src> could not send it — and shown from a blob URL, as the printable documents are opened.
 * Fetched again with the page's refresh; the previous blob URL is released.
 */
import { useEffect, useState } from 'react';
import { ApiError, storedKey } from '../api';
import { ErrorBanner } from './ErrorBanner';

async function fetchSchedule(path: string, accept = 'image/svg+xml'): Promise<Blob> {
  const key = storedKey();
  const res = await fetch(path, { headers: { accept, ...(key ? { authorization: `Bearer ${key}` } : {}) } });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { code?: string; message?: string; requestId?: string };
    throw new ApiError(res.status, body.code ?? `http_${res.status}`, body.message ?? `GET ${path}: HTTP ${res.status}`, [], body.requestId);
  }
  return res.blob();
}

export function Schedule({ contractId, refreshKey }: { contractId: string; refreshKey: number }) {
  const [url, setUrl] = useState<string | undefined>();
  const [error, setError] = useState<Error | undefined>();
  const path = `/contracts/${encodeURIComponent(contractId)}/schedule.svg`;
  const pngPath = `/contracts/${encodeURIComponent(contractId)}/schedule.png`;
  /** The PNG (for an e-mail), fetched with the key and saved from a blob URL. */
  const downloadPng = () => {
    fetchSchedule(pngPath, 'image/png').then((blob) => {
      const href = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = href;
      a.download = `schedule-${contractId}.png`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(href), 1_000);
    }, (err: Error) => setError(err));
  };
  useEffect(() => {
    let live = true;
    let made: string | undefined;
    fetchSchedule(path).then(
      (blob) => {
        if (!live) return;
        made = URL.createObjectURL(blob);
        setUrl(made);
        setError(undefined);
      },
      (err: Error) => live && setError(err),
    );
    return () => {
      live = false;
      // Released once the next image has replaced it (or the page is left).
      if (made) setTimeout(() => URL.revokeObjectURL(made!), 1_000);
    };
  }, [path, refreshKey]);
  return (
    <section className="panel" data-testid="schedule">
      <h2>Schedule</h2>
      <ErrorBanner error={error} what="Drawing the schedule" />
      {url
        ? <img src={url} alt={`Schedule of contract ${contractId}: milestones and invoices on a time axis`} style={{ maxWidth: '100%', height: 'auto' }} data-testid="schedule-image" />
        : !error && <p className="muted">Loading…</p>}
      <p className="small muted">
        Also at <code>{path}</code> (SVG) for a PSA page, and <code>{pngPath}</code> for an e-mail.{' '}
        <button type="button" className="link" onClick={downloadPng} data-testid="schedule-png">Download PNG</button>
      </p>
    </section>
  );
}
