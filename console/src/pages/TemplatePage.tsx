/**
 * One schedule template (docs/templates.md): its versions (the latest shown unless one is picked,
 * `#/templates/<name>?version=N`), its obligations and milestones — and, for a key with `manage`,
 * the form that builds a contract from it (components/FromTemplateForm.tsx).
 */
import { get } from '../api';
import { ErrorBanner } from '../components/ErrorBanner';
import { FromTemplateForm } from '../components/FromTemplateForm';
import { invoiceTimingText, templatePercents, templateTriggerText } from '../format';
import { useLoad } from '../hooks';
import { href, navigate } from '../router';
import { useSession } from '../session';
import type { ScheduleTemplate, TemplateObligation, TemplateWithVersions } from '../types';

function recognitionText(r: TemplateObligation['recognition']): string {
  switch (r.method) {
    case 'point_in_time': return `point in time${r.satisfiedBy ? `, satisfied by ${r.satisfiedBy}` : ''}`;
    case 'milestones': return 'by milestones';
    case 'cost_input': return 'cost input (the estimated total cost comes with the fee)';
    case 'ratable': return `ratable, from ${r.startAfterDays} to ${r.endAfterDays} days after signing`;
    default: return String((r as { method: string }).method);
  }
}

export function TemplatePage({ name, params }: { name: string; params: URLSearchParams }) {
  const { can } = useSession();
  const asked = params.get('version') ?? '';
  const base = `/templates/${encodeURIComponent(name)}`;
  // The latest version (with the list of versions), and the version picked when it is another one.
  const loaded = useLoad(async () => {
    const latest = await get<TemplateWithVersions>(base);
    const shown = asked && asked !== String(latest.version) ? await get<ScheduleTemplate>(`${base}/versions/${encodeURIComponent(asked)}`) : latest;
    return { latest, shown };
  }, [base, asked]);

  const data = loaded.data?.latest.name === name && (!asked || String(loaded.data.shown.version) === asked) ? loaded.data : undefined;
  if (!data) {
    return (
      <section>
        <p><a href={href(['templates'])}>← Templates</a></p>
        <h1>{name}</h1>
        <ErrorBanner error={loaded.error} what={`Reading template ${name}${asked ? ` version ${asked}` : ''}`} />
        {!loaded.error && <p className="muted">Loading…</p>}
      </section>
    );
  }
  const { latest, shown: t } = data;
  const obligationName = (id: string) => t.obligations.find((o) => o.id === id)?.name ?? id;
  return (
    <section data-testid="template-page" data-template-name={t.name} data-version={t.version}>
      <p><a href={href(['templates'])}>← Templates</a></p>
      <header className="contract-header" data-testid="template-header">
        <h1>{t.name}</h1>
        <dl>
          <dt>Version</dt>
          <dd>
            <select value={t.version} onChange={(e) => navigate(['templates', name], { version: e.target.value === String(latest.version) ? undefined : e.target.value })} data-testid="template-version-select">
              {latest.versions.map((v) => <option key={v} value={v}>{v}{v === latest.version ? ' (latest)' : ''}</option>)}
            </select>
            {t.version !== latest.version && <span className="tag warn">not the latest ({latest.version})</span>}
          </dd>
          <dt>Description</dt><dd>{t.description ?? '—'}</dd>
          <dt>Saved</dt><dd>{t.createdAt.slice(0, 16).replace('T', ' ')} UTC{t.createdBy && ` by ${t.createdBy}`}</dd>
          <dt>Payment terms</dt><dd data-testid="template-payment-terms">{t.paymentTerms ?? <span className="muted">none (given when a contract is built)</span>}</dd>
          <dt>Sequence</dt><dd>{t.enforceSequence ? 'enforced' : 'not enforced'}</dd>
          <dt>Percents</dt><dd data-testid="template-percents">{templatePercents(t)}</dd>
        </dl>
      </header>
      <ErrorBanner error={loaded.error} what="Reading the template" />
      <section className="panel" data-testid="template-obligations">
        <h2>Obligations</h2>
        <table className="grid small">
          <thead><tr><th>Obligation</th><th>Name</th><th>Recognition</th></tr></thead>
          <tbody>
            {t.obligations.map((o) => (
              <tr key={o.id} data-testid="template-obligation-row" data-obligation-id={o.id}>
                <td className="mono">{o.id}</td><td>{o.name}</td><td>{recognitionText(o.recognition)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="muted small">No SSPs in a template: they come from the fee when a contract is built (each obligation's share, unless given).</p>
      </section>
      <section className="panel" data-testid="template-milestones">
        <h2>Milestones</h2>
        <table className="grid small">
          <thead><tr><th className="num">#</th><th>Milestone</th><th>Obligation</th><th className="num">Percent</th><th>Trigger</th><th>Invoice timing</th><th className="num">Planned finish</th></tr></thead>
          <tbody>
            {t.milestones.map((m, i) => (
              <tr key={m.id} data-testid="template-milestone-row" data-milestone-id={m.id}>
                <td className="num">{i + 1}</td>
                <td>{m.name} <span className="muted">({m.id})</span><div className="small muted">{m.description}</div></td>
                <td>{obligationName(m.obligationId)} <span className="muted">({m.obligationId})</span></td>
                <td className="num" data-testid="template-milestone-percent">{m.percent} %</td>
                <td>{templateTriggerText(m.trigger)}</td>
                <td>{invoiceTimingText(m.invoiceTiming)}</td>
                <td className="num">{m.plannedFinishDays !== undefined ? `${m.plannedFinishDays} days after signing` : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {can('manage') && <FromTemplateForm key={t.name} template={t} />}
    </section>
  );
}
