/**
 * What finance (a key with `manage`) can do on a contract: hold / release, amend (amounts, dates,
 * cancellations — the API's field errors shown beside the field they name), close a month, advance
 * a sandbox clock. Rendered only for such a key; a read-only key sees none of it (and the API
 * would refuse it 403 anyway).
 */
import { useMemo, useState } from 'react';
import { ApiError, post } from '../api';
import { currentTerms } from '../format';
import { formatMoney } from '../money';
import type { Contract, MilestoneTerms } from '../types';
import { ErrorBanner } from './ErrorBanner';
import { plannedDateOf } from './Timeline';

interface Caused {
  invoices: Array<{ number?: string; milestoneIds: string[]; amount: string; kind: string }>;
  creditMemos: Array<{ number?: string; milestoneId: string; amount: string }>;
  timers: Array<{ kind: string; date: string; milestoneId?: string }>;
}
interface Answer { outcome?: string; reason?: string; version?: number; caused?: Caused }

/** "applied — version 3; invoices INV-…; credit memos CM-…; timers …" */
function describe(what: string, a: Answer, currency: string): string {
  const parts = [`${what}: ${a.outcome ?? 'done'}${a.reason ? ` (${a.reason})` : ''}${a.version ? ` — now version ${a.version}` : ''}`];
  const c = a.caused;
  if (c?.invoices.length) parts.push(`invoices ${c.invoices.map((i) => `${i.number ?? `(queued) ${i.milestoneIds.join(',')}`} ${formatMoney(i.amount, currency)}`).join(', ')}`);
  if (c?.creditMemos.length) parts.push(`credit memos ${c.creditMemos.map((m) => `${m.number ?? m.milestoneId} ${formatMoney(m.amount, currency)}`).join(', ')}`);
  if (c?.timers.length) parts.push(`timers ${c.timers.map((t) => `${t.kind}${t.milestoneId ? ` ${t.milestoneId}` : ''} on ${t.date}`).join(', ')}`);
  return parts.join('; ');
}

function useAction(onDone: () => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>();
  const [result, setResult] = useState<string | undefined>();
  const run = async <T,>(call: () => Promise<T>, text: (t: T) => string): Promise<T | undefined> => {
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      const answer = await call();
      setResult(text(answer));
      onDone();
      return answer;
    } catch (err) {
      setError(err as Error);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, result, run };
}

export function Actions({ contract, onDone }: { contract: Contract; onDone: () => void }) {
  const id = encodeURIComponent(contract.contractId);
  const cur = contract.currency;
  const a = useAction(onDone);
  const [period, setPeriod] = useState('');
  const [clockTo, setClockTo] = useState('');
  const active = contract.status === 'active';

  return (
    <section className="panel actions" data-testid="action-panel">
      <h2>Finance actions</h2>
      <div className="toolbar">
        {contract.hold ? (
          <button disabled={a.busy || !active} onClick={() => void a.run(() => post<Answer>(`/contracts/${id}/release`), (r) => describe('Release', r, cur))} data-testid="action-release">
            Release hold
          </button>
        ) : (
          <button disabled={a.busy || !active} onClick={() => void a.run(() => post<Answer>(`/contracts/${id}/hold`), (r) => describe('Hold', r, cur))} data-testid="action-hold">
            Place hold
          </button>
        )}
        <form className="inline" onSubmit={(e) => { e.preventDefault(); void a.run(() => post<{ outcome?: string; period?: string }>(`/contracts/${id}/periods/close`, { period }), (r) => `Close ${period}: ${r.outcome ?? 'closed'}`); }}>
          <label>Close month <input value={period} onChange={(e) => setPeriod(e.target.value.trim())} placeholder="YYYY-MM" size={8} data-testid="action-close-period-month" /></label>
          <button type="submit" disabled={a.busy || !period} data-testid="action-close-period">Close</button>
        </form>
        {contract.sandbox && (
          <form className="inline" onSubmit={(e) => { e.preventDefault(); void a.run(() => post<Answer>(`/contracts/${id}/clock`, { to: clockTo }), (r) => describe(`Clock to ${clockTo}`, r, cur)); }}>
            <label>Advance clock to <input type="date" value={clockTo} min={contract.clock} onChange={(e) => setClockTo(e.target.value)} data-testid="action-clock-date" /></label>
            <button type="submit" disabled={a.busy || !clockTo} data-testid="action-clock">Advance</button>
          </form>
        )}
      </div>
      <ErrorBanner error={a.error} what="The action" />
      {a.result && <div className="banner banner-ok" data-testid="action-result">{a.result}</div>}
      <AmendmentForm contract={contract} onDone={onDone} />
    </section>
  );
}

/** One editable row per milestone: amount, date (trigger date or planned finish), cancel. */
interface Row { amount: string; date: string; cancel: boolean }

const rowOf = (m: MilestoneTerms): Row => ({ amount: m.amount, date: plannedDateOf(m) ?? '', cancel: false });

/**
 * Maps an error detail's path to the field it names: `body.changes.milestones.<i>.amount` →
 * `<milestone>.amount`, `…trigger…`/`…plannedFinishDate` → `<milestone>.date`,
 * `changes.cancel.<i>` → `<milestone>.cancel`; the amendment's own refusals (422) name the same
 * paths without `body.`.
 */
export function fieldOf(path: string, sent: { milestones: Array<{ id: string }>; cancel: string[] }): string | undefined {
  const p = path.replace(/^body\./, '');
  let m = /^changes\.milestones\.(\d+)(?:\.(\w+))?/.exec(p);
  if (m) {
    const mid = sent.milestones[Number(m[1])]?.id;
    if (!mid) return undefined;
    const field = m[2] === 'amount' ? 'amount' : m[2] === 'trigger' || m[2] === 'plannedFinishDate' ? 'date' : 'row';
    return `${mid}.${field}`;
  }
  m = /^changes\.cancel\.(\d+)/.exec(p);
  if (m) {
    const mid = sent.cancel[Number(m[1])];
    return mid ? `${mid}.cancel` : undefined;
  }
  if (p === 'effectiveDate') return 'effectiveDate';
  return undefined;
}

function AmendmentForm({ contract, onDone }: { contract: Contract; onDone: () => void }) {
  const terms = currentTerms(contract);
  const milestones = useMemo(() => [...terms.milestones].sort((x, y) => x.sequence - y.sequence), [terms]);
  const initial = useMemo(() => Object.fromEntries(milestones.map((m) => [m.id, rowOf(m)])), [milestones]);
  const [rows, setRows] = useState<Record<string, Row>>(initial);
  const [formFor, setFormFor] = useState(contract.version);
  const [effectiveDate, setEffectiveDate] = useState('');
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<Error | undefined>();
  const [result, setResult] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  // A new version (this form's amendment or anyone's): start again from its terms.
  if (formFor !== contract.version) {
    setFormFor(contract.version);
    setRows(initial);
  }

  const set = (mid: string, patch: Partial<Row>) => setRows({ ...rows, [mid]: { ...rows[mid]!, ...patch } });

  const submit = async () => {
    setFieldErrors({});
    setFormError(undefined);
    setResult(undefined);
    const changes: { milestones: Array<Record<string, unknown> & { id: string }>; cancel: string[] } = { milestones: [], cancel: [] };
    for (const m of milestones) {
      const r = rows[m.id]!;
      if (r.cancel) {
        changes.cancel.push(m.id);
        continue;
      }
      const change: Record<string, unknown> & { id: string } = { id: m.id };
      if (r.amount !== m.amount) change.amount = r.amount;
      if (r.date !== (plannedDateOf(m) ?? '')) {
        if (m.trigger.type === 'date') change.trigger = { date: r.date };
        else change.plannedFinishDate = r.date;
      }
      if (Object.keys(change).length > 1) changes.milestones.push(change);
    }
    if (changes.milestones.length === 0 && changes.cancel.length === 0) {
      setFormError(new Error('Nothing to amend: change an amount or a date, or cancel a milestone.'));
      return;
    }
    const body = {
      baseVersion: contract.version,
      ...(effectiveDate ? { effectiveDate } : {}),
      changes: { ...(changes.milestones.length ? { milestones: changes.milestones } : {}), ...(changes.cancel.length ? { cancel: changes.cancel } : {}) },
    };
    setBusy(true);
    try {
      const answer = await post<Answer>(`/contracts/${encodeURIComponent(contract.contractId)}/amendments`, body);
      setResult(describe('Amendment', answer, contract.currency));
      onDone();
    } catch (err) {
      if (err instanceof ApiError) {
        const mapped: Record<string, string> = {};
        for (const d of err.details) {
          const field = fieldOf(d.path, changes);
          if (field) mapped[field] = mapped[field] ? `${mapped[field]}; ${d.message}` : d.message;
        }
        setFieldErrors(mapped);
        // Someone amended first: show the new version (the form starts again from its terms).
        if (err.code === 'stale_version') onDone();
      }
      setFormError(err as Error);
    } finally {
      setBusy(false);
    }
  };

  const error = (key: string) => fieldErrors[key] && <div className="field-error" data-testid={`action-amend-error-${key.replace('.', '-')}`}>{fieldErrors[key]}</div>;

  return (
    <form className="amend" data-testid="action-amend-form" onSubmit={(e) => { e.preventDefault(); void submit(); }} noValidate>
      <h3>Amend (version {contract.version} → {contract.version + 1})</h3>
      <table className="grid small">
        <thead><tr><th>Milestone</th><th>Status</th><th>Amount ({contract.currency})</th><th>Date</th><th>Cancel</th></tr></thead>
        <tbody>
          {milestones.map((m) => {
            const s = contract.milestones[m.id];
            const r = rows[m.id] ?? rowOf(m);
            const locked = s?.status === 'cancelled';
            return (
              <tr key={m.id} className={fieldErrors[`${m.id}.amount`] || fieldErrors[`${m.id}.date`] || fieldErrors[`${m.id}.cancel`] || fieldErrors[`${m.id}.row`] ? 'has-error' : ''}>
                <td>{m.name} <span className="muted">({m.id})</span>{error(`${m.id}.row`)}</td>
                <td>{s?.status ?? 'planned'}</td>
                <td>
                  <input value={r.amount} disabled={locked || r.cancel} onChange={(e) => set(m.id, { amount: e.target.value.trim() })} inputMode="decimal" aria-invalid={Boolean(fieldErrors[`${m.id}.amount`])} data-testid={`action-amend-amount-${m.id}`} />
                  {error(`${m.id}.amount`)}
                </td>
                <td>
                  <input type="date" value={r.date} disabled={locked || r.cancel} onChange={(e) => set(m.id, { date: e.target.value })} aria-invalid={Boolean(fieldErrors[`${m.id}.date`])} data-testid={`action-amend-date-${m.id}`} />
                  <div className="small muted">{m.trigger.type === 'date' ? 'trigger date' : 'planned finish'}</div>
                  {error(`${m.id}.date`)}
                </td>
                <td>
                  <input type="checkbox" checked={r.cancel} disabled={locked} onChange={(e) => set(m.id, { cancel: e.target.checked })} data-testid={`action-amend-cancel-${m.id}`} />
                  {error(`${m.id}.cancel`)}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <div className="toolbar">
        <label>Effective date <input type="date" value={effectiveDate} onChange={(e) => setEffectiveDate(e.target.value)} data-testid="action-amend-effective-date" /></label>
        <span className="muted small">(empty: today on the contract's clock)</span>
        {error('effectiveDate')}
        <button type="submit" disabled={busy} data-testid="action-amend-submit">Amend</button>
        <button type="button" className="link" onClick={() => { setRows(initial); setFieldErrors({}); setFormError(undefined); }} data-testid="action-amend-reset">Reset</button>
      </div>
      <ErrorBanner error={formError} what="The amendment" />
      {result && <div className="banner banner-ok" data-testid="action-amend-result">{result}</div>}
    </form>
  );
}

/** Failed steps (a service refused a side effect): listed for everyone; Retry for finance. */
export function FailedSteps({ contract, canRetry, onDone }: { contract: Contract; canRetry: boolean; onDone: () => void }) {
  const a = useAction(onDone);
  if (contract.failedSteps.length === 0) return null;
  const id = encodeURIComponent(contract.contractId);
  return (
    <section className="panel" data-testid="failed-steps">
      <h2>Failed steps <span className="tag warn">{contract.openFailures} open</span></h2>
      <table className="grid small">
        <thead><tr><th>Step</th><th>Part of</th><th>Refused</th><th>Attempts</th><th>Status</th>{canRetry && <th />}</tr></thead>
        <tbody>
          {contract.failedSteps.map((f) => (
            <tr key={f.id} data-testid="failed-step" data-step-id={f.id} data-status={f.status}>
              <td className="mono">{f.id}</td>
              <td>{f.effect}</td>
              <td>{f.on}: <code>{f.code}</code> {f.message}</td>
              <td>{f.attempts}</td>
              <td>{f.status}{f.resolution && <div className="small muted">resolved {f.resolution.on}: {f.resolution.reason}</div>}</td>
              {canRetry && (
                <td>
                  {f.status === 'failed' && (
                    <button disabled={a.busy} onClick={() => void a.run(() => post<Answer>(`/contracts/${id}/steps/${encodeURIComponent(f.id)}/retry`), (r) => `Retry ${f.id}: ${r.outcome ?? 'done'}`)} data-testid={`action-retry-${f.id}`}>
                      Retry
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorBanner error={a.error} what="Retrying the step" />
      {a.result && <div className="banner banner-ok" data-testid="action-retry-result">{a.result}</div>}
    </section>
  );
}
