/** The contract's event log with actors, a page at a time (`GET /contracts/:id/log`, oldest first). */
import { useState } from 'react';
import { get, query } from '../api';
import { actorLabel } from '../format';
import { useLoad } from '../hooks';
import type { LogEntry, Page } from '../types';
import { ErrorBanner } from './ErrorBanner';

const LOG_PAGE = 25;

export function LogTable({ contractId, refreshKey }: { contractId: string; refreshKey: number }) {
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const page = useLoad(() => get<Page<LogEntry>>(`/contracts/${encodeURIComponent(contractId)}/log${query({ limit: LOG_PAGE, cursor })}`), [contractId, cursor], refreshKey);
  return (
    <section className="panel" data-testid="log">
      <h2>Event log</h2>
      <ErrorBanner error={page.error} what="Reading the log" />
      <table className="grid small">
        <thead><tr><th>#</th><th>On</th><th>Event</th><th>Milestone</th><th>Date</th><th>Via</th><th>Actor</th><th>Outcome</th></tr></thead>
        <tbody>
          {page.data?.data.map((e) => (
            <tr key={e.seq} data-testid="log-row" data-kind={e.kind} data-outcome={e.outcome}>
              <td>{e.seq}</td>
              <td>{e.on}</td>
              <td>{e.kind.replace(/_/g, ' ')}</td>
              <td>{e.milestoneId ?? ''}</td>
              <td>{e.date ?? ''}</td>
              <td>{e.via}</td>
              <td data-testid="log-actor">{actorLabel(e.actor)}</td>
              <td>
                <span className={`badge outcome-${e.outcome}`}>{e.outcome}</span>
                {e.code && <code> {e.code}</code>}
                {e.reason && <div className="muted">{e.reason}</div>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="pager">
        <button disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))} data-testid="log-prev">Previous</button>
        <button disabled={!page.data?.nextCursor} onClick={() => setCursors([...cursors, page.data?.nextCursor])} data-testid="log-next">Next</button>
      </div>
    </section>
  );
}
