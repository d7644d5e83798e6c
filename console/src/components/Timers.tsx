/**
 * Pending business timers with their fire dates. A timer fires at 00:00 of its date in the
 * contract's timezone: a live countdown to that instant; a sandbox contract runs on its own
 * business clock, so its timers show the days left on that clock instead.
 */
import { daysBetween, formatCountdown, zonedMidnight } from '../dates';
import { timezoneOf } from '../format';
import { useNow } from '../hooks';
import type { Contract } from '../types';

const KIND_TEXT: Record<string, string> = { advance: 'advance invoice', acceptance: 'acceptance', invoice: 'invoice date', month_end: 'month end' };

export function Timers({ contract }: { contract: Contract }) {
  const now = useNow(1000);
  const tz = timezoneOf(contract);
  const timers = [...contract.timers].sort((a, b) => a.date.localeCompare(b.date));
  return (
    <section className="panel" data-testid="timers">
      <h2>Pending timers</h2>
      <p className="muted small">
        {contract.sandbox
          ? `Sandbox contract: timers fire when finance advances its business clock (now ${contract.clock}).`
          : `Each fires at 00:00 of its date in ${tz}.`}
      </p>
      {timers.length === 0 ? <p className="muted" data-testid="no-timers">No timer pending.</p> : (
        <table className="grid">
          <thead><tr><th>Fires on</th><th>What</th><th>Milestone</th><th>{contract.sandbox ? 'On the business clock' : 'Countdown'}</th></tr></thead>
          <tbody>
            {timers.map((t, i) => {
              const days = daysBetween(contract.clock, t.date);
              const left = zonedMidnight(t.date, tz) - now;
              return (
                <tr key={`${t.kind}-${t.date}-${t.milestoneId ?? ''}-${i}`} data-testid="timer-row" data-kind={t.kind} data-milestone-id={t.milestoneId ?? ''} data-date={t.date}>
                  <td className="mono">{t.date} 00:00 <span className="muted small">{tz}</span></td>
                  <td>{KIND_TEXT[t.kind] ?? t.kind}{t.deemed ? ' (deemed acceptance)' : ''}<div className="small muted">{t.purpose}</div></td>
                  <td>{t.milestoneId ?? '—'}</td>
                  <td data-testid="timer-countdown" className="mono">
                    {contract.sandbox
                      ? (days > 0 ? `in ${days} day${days === 1 ? '' : 's'} (clock ${contract.clock})` : 'due at the next clock advance')
                      : formatCountdown(left)}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
