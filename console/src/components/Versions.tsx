/** Terms versions, each with what its amendment changed: milestones and obligations added, cancelled or changed (field by field). */
import type { Contract, Terms } from '../types';

export interface Change {
  what: 'milestone' | 'obligation' | 'terms';
  id: string;
  change: 'added' | 'cancelled' | 'removed' | 'changed';
  field?: string;
  from?: string;
  to?: string;
}

const show = (v: unknown): string => (v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));

function diffItems(what: 'milestone' | 'obligation', before: Array<{ id: string }>, after: Array<{ id: string }>, cancelled: Set<string>): Change[] {
  const changes: Change[] = [];
  const old = new Map(before.map((x) => [x.id, x as Record<string, unknown>]));
  for (const item of after as Array<Record<string, unknown> & { id: string }>) {
    const prev = old.get(item.id);
    if (!prev) {
      changes.push({ what, id: item.id, change: 'added' });
      continue;
    }
    for (const field of new Set([...Object.keys(prev), ...Object.keys(item)])) {
      if (field === 'id') continue;
      if (JSON.stringify(prev[field]) !== JSON.stringify(item[field])) changes.push({ what, id: item.id, change: 'changed', field, from: show(prev[field]), to: show(item[field]) });
    }
  }
  for (const id of cancelled) changes.push({ what, id, change: 'cancelled' });
  const kept = new Set(after.map((x) => x.id));
  for (const id of old.keys()) if (!kept.has(id) && !cancelled.has(id)) changes.push({ what, id, change: 'removed' });
  return changes;
}

/** What version `after` changed relative to `before`. */
export function termsDiff(before: Terms, after: Terms, newlyCancelled: string[]): Change[] {
  const cancelled = new Set(newlyCancelled);
  return [
    ...diffItems('milestone', before.milestones, after.milestones, cancelled),
    ...diffItems('obligation', before.obligations, after.obligations, new Set()),
  ];
}

export function Versions({ contract }: { contract: Contract }) {
  return (
    <section className="panel" data-testid="versions">
      <h2>Terms versions</h2>
      <ol className="versions">
        {contract.versions.map((v, i) => {
          const prev = contract.versions[i - 1];
          const newlyCancelled = prev ? v.cancelled.filter((id) => !prev.cancelled.includes(id)) : [];
          const changes = prev ? termsDiff(prev.terms, v.terms, newlyCancelled) : [];
          return (
            <li key={v.version} data-testid="version-row" data-version={v.version}>
              <strong>v{v.version}</strong> effective {v.effectiveDate}
              {v.version === contract.version && <span className="tag">current</span>}
              {!prev ? <span className="muted"> — as signed ({v.terms.milestones.length} milestones, {v.terms.obligations.length} obligations)</span> : (
                <ul className="diff" data-testid="version-diff">
                  {changes.length === 0 && <li className="muted">no change in milestones or obligations</li>}
                  {changes.map((c, j) => (
                    <li key={j} className={`diff-${c.change}`}>
                      {c.what} <code>{c.id}</code> {c.change}
                      {c.field && <> — <code>{c.field}</code>: <del>{c.from}</del> → <ins>{c.to}</ins></>}
                    </li>
                  ))}
                </ul>
              )}
            </li>
          );
        })}
      </ol>
    </section>
  );
}
