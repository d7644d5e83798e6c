/**
 * The milestone timeline against the planned finish dates: each milestone's status, its dates
 * (completed / declared / accepted / invoiced), who or what accepted it (the log entry's actor),
 * rejection reasons and why an invoice waits; a bar shows planned vs actual on one date axis.
 */
import { daysBetween } from '../dates';
import { ACCEPTANCE_TEXT, actorLabel, currentTerms, progressLabel, WAITING_TEXT } from '../format';
import { formatMoney } from '../money';
import type { Contract, LogEntry, MilestoneTerms } from '../types';

const ACCEPTING_KINDS = new Set(['accept', 'deemed_acceptance', 'date_trigger']);
const COMPLETING_KINDS = new Set(['complete', 'declare']);

/** The applied log entry that accepted the milestone (for an event acceptance: the completion). */
function acceptedBy(log: LogEntry[], milestoneId: string, acceptance: string | undefined): LogEntry | undefined {
  const mine = log.filter((e) => e.milestoneId === milestoneId && e.outcome === 'applied');
  const kinds = acceptance === 'event' ? COMPLETING_KINDS : ACCEPTING_KINDS;
  return mine.filter((e) => kinds.has(e.kind)).pop();
}

const completedBy = (log: LogEntry[], milestoneId: string) =>
  log.filter((e) => e.milestoneId === milestoneId && e.outcome === 'applied' && COMPLETING_KINDS.has(e.kind)).pop();

/** The date a milestone is planned for: its trigger date, else its planned finish. */
export const plannedDateOf = (m: MilestoneTerms) => (m.trigger.type === 'date' ? m.trigger.date : m.plannedFinishDate);

export function Timeline({ contract, log }: { contract: Contract; log: LogEntry[] }) {
  const terms = currentTerms(contract);
  const milestones = [...terms.milestones].sort((a, b) => a.sequence - b.sequence || a.id.localeCompare(b.id));
  // One date axis for every bar: signing … the latest date shown.
  const dates = [terms.signedDate, contract.clock];
  for (const m of milestones) {
    const s = contract.milestones[m.id];
    for (const d of [plannedDateOf(m), s?.completedOn, s?.declaredOn, s?.acceptedOn, s?.invoicedOn]) if (d) dates.push(d);
  }
  const first = dates.reduce((a, b) => (a < b ? a : b));
  const last = dates.reduce((a, b) => (a > b ? a : b));
  const span = Math.max(daysBetween(first, last), 1);
  const at = (d: string) => `${(100 * daysBetween(first, d)) / span}%`;

  return (
    <section className="panel" data-testid="timeline">
      <h2>Milestones</h2>
      <p className="muted axis">Axis {first} → {last}; ◇ planned, ● done/accepted, │ today on the contract's clock ({contract.clock})</p>
      <table className="grid timeline">
        <thead>
          <tr><th>#</th><th>Milestone</th><th>Amount</th><th>Status</th><th>Planned</th><th>Done</th><th>Accepted</th><th>Invoiced</th><th className="bar-col">Timeline</th></tr>
        </thead>
        <tbody>
          {milestones.map((m) => {
            const s = contract.milestones[m.id];
            const planned = plannedDateOf(m);
            const done = s?.completedOn ?? s?.declaredOn;
            const late = planned !== undefined && ((done !== undefined && done > planned) || (done === undefined && s?.acceptedOn === undefined && contract.clock > planned && s?.status !== 'cancelled'));
            const acceptor = s?.acceptedOn ? acceptedBy(log, m.id, s.acceptance) : undefined;
            const completer = done ? completedBy(log, m.id) : undefined;
            return (
              <tr key={m.id} data-testid="milestone-row" data-milestone-id={m.id} data-status={s?.status ?? 'planned'} className={late ? 'late' : ''}>
                <td>{m.sequence}</td>
                <td>
                  <strong>{m.name}</strong> <span className="muted">({m.id})</span>
                  <div className="muted small">
                    {m.trigger.type === 'date' ? `bills on ${m.trigger.date}` : `${m.trigger.completion?.replace(/_/g, ' ')}${m.trigger.deemedAcceptanceDays !== undefined ? `, deemed accepted after ${m.trigger.deemedAcceptanceDays} days` : ''}`}
                    {m.billable === false && ' · not billable'}
                    {m.progressBilling && ' · billed by progress'}
                  </div>
                </td>
                <td className="num">{formatMoney(m.amount, terms.currency)}</td>
                <td>
                  <span className={`badge status-${s?.status ?? 'planned'}`} data-testid="milestone-status">{s?.status ?? 'planned'}</span>
                  {late && <span className="tag warn">late</span>}
                  {s?.progress && <div className="small" data-testid="milestone-progress">{progressLabel(s.progress)}</div>}
                  {s?.waiting && <div className="small warn" data-testid="milestone-waiting">{WAITING_TEXT[s.waiting] ?? s.waiting}</div>}
                  {s?.rejection && <div className="small error" data-testid="milestone-rejection">rejected {s.rejection.on}: {s.rejection.reason}</div>}
                  {s?.cancelledOn && <div className="small muted">cancelled {s.cancelledOn}</div>}
                </td>
                <td>{planned ?? <span className="muted">—</span>}</td>
                <td>
                  {s?.completedOn && <>completed {s.completedOn}</>}
                  {s?.declaredOn && <>declared {s.declaredOn}</>}
                  {completer && <div className="small muted">by {actorLabel(completer.actor)}</div>}
                </td>
                <td data-testid="milestone-accepted">
                  {s?.acceptedOn ?? ''}
                  {s?.acceptance && <div className="small">{ACCEPTANCE_TEXT[s.acceptance] ?? s.acceptance}</div>}
                  {acceptor && <div className="small muted" data-testid="milestone-accepted-by">by {actorLabel(acceptor.actor)}</div>}
                </td>
                <td>
                  {s?.invoicedOn}
                  {s?.invoiceNumbers.map((n) => <div key={n} className="small mono">{n}</div>)}
                </td>
                <td className="bar-col">
                  <div className="track">
                    {planned && <span className="mark planned" style={{ left: at(planned) }} title={`planned ${planned}`}>◇</span>}
                    {done && <span className="mark done" style={{ left: at(done) }} title={`done ${done}`}>●</span>}
                    {s?.acceptedOn && s.acceptedOn !== done && <span className="mark accepted" style={{ left: at(s.acceptedOn) }} title={`accepted ${s.acceptedOn}`}>●</span>}
                    <span className="mark today" style={{ left: at(contract.clock) }} title={`clock ${contract.clock}`} />
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
