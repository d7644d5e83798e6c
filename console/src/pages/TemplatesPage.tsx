/** Schedule templates (docs/templates.md): each template's latest version by name, a page at a time (`GET /templates`). */
import { useState } from 'react';
import { get, query } from '../api';
import { ErrorBanner } from '../components/ErrorBanner';
import { templatePercents } from '../format';
import { useLoad } from '../hooks';
import { href, navigate } from '../router';
import type { Page, ScheduleTemplate } from '../types';

const PAGE_SIZE = 20;

export function TemplatesPage() {
  // The cursors of the pages before the one shown (Previous pops one), and the one shown.
  const [trail, setTrail] = useState<{ before: Array<string | undefined>; cursor?: string }>({ before: [] });
  const { before, cursor } = trail;
  const list = useLoad(() => get<Page<ScheduleTemplate>>(`/templates${query({ limit: PAGE_SIZE, cursor })}`), [cursor]);
  const [goName, setGoName] = useState('');

  return (
    <section data-testid="templates-page">
      <h1>Schedule templates</h1>
      <p className="muted">
        Milestone schedules finance keeps as percentages of a fee. A template's versions never change; a contract built from
        one is traced to its version.
      </p>
      <div className="toolbar">
        <form className="inline" onSubmit={(e) => { e.preventDefault(); if (goName.trim()) navigate(['templates', goName.trim()]); }}>
          <label>Template name <input value={goName} onChange={(e) => setGoName(e.target.value)} placeholder="erp-30-40-30" data-testid="search-template-name" /></label>
          <button type="submit" data-testid="open-template">Open</button>
        </form>
      </div>
      <ErrorBanner error={list.error} what="Listing templates (GET /templates)" />
      <table className="grid" data-testid="template-list" data-state={list.loading ? 'loading' : list.error ? 'error' : 'loaded'}>
        <thead><tr><th>Template</th><th className="num">Version</th><th>Description</th><th>Milestones (percent of the fee)</th><th>Saved</th></tr></thead>
        <tbody>
          {list.data?.data.map((t) => (
            <tr key={t.name} data-testid="template-row" data-template-name={t.name} data-version={t.version}>
              <td><a href={href(['templates', t.name])}>{t.name}</a></td>
              <td className="num">{t.version}</td>
              <td>{t.description ?? <span className="muted">—</span>}</td>
              <td data-testid="template-percents">{templatePercents(t)}</td>
              <td className="small">{t.createdAt.slice(0, 10)}{t.createdBy && <span className="muted"> by {t.createdBy}</span>}</td>
            </tr>
          ))}
          {list.data && list.data.data.length === 0 && <tr><td colSpan={5} className="muted">No template on this page (finance saves them with POST /templates or <code>tollgate template create</code>).</td></tr>}
        </tbody>
      </table>
      <div className="pager">
        <button disabled={before.length === 0} onClick={() => setTrail({ before: before.slice(0, -1), cursor: before[before.length - 1] })} data-testid="template-page-prev">Previous</button>
        <button disabled={!list.data?.nextCursor} onClick={() => setTrail({ before: [...before, cursor], cursor: list.data?.nextCursor })} data-testid="template-page-next">Next</button>
        {list.loading && <span className="muted">loading…</span>}
        <button className="link" onClick={list.reload} data-testid="template-refresh">Refresh</button>
      </div>
    </section>
  );
}
