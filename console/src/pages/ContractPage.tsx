/**
 * One contract's live state: header (customer, currency, status, version, business clock, hold),
 * position, milestone timeline, pending timers, documents, billing vs revenue, terms versions, the
 * event log — and, for a key with `manage`, the finance actions. Refreshes every 15 s and after
 * every action.
 */
import { useCallback, useEffect, useState } from 'react';
import { get, query } from '../api';
import { Actions, FailedSteps } from '../components/Actions';
import { BillingRevenueChart } from '../components/BillingRevenueChart';
import { Documents } from '../components/Documents';
import { ErrorBanner } from '../components/ErrorBanner';
import { LogTable } from '../components/LogTable';
import { Schedule } from '../components/Schedule';
import { Timeline } from '../components/Timeline';
import { Timers } from '../components/Timers';
import { Versions } from '../components/Versions';
import { currentTerms, timezoneOf } from '../format';
import { useLoad } from '../hooks';
import { formatMoney, isPositive, isZero, minus } from '../money';
import { href } from '../router';
import { useSession } from '../session';
import type { Contract, CreditMemo, Invoice, LogEntry, Page, RevenueByPeriod } from '../types';

const REFRESH_MS = 15_000;
/** The workflow keeps the last 2,000 log entries: at most 10 pages of 200. */
const LOG_PAGES = 10;

/** Every page of a cursor-paged list (bounded). */
async function allPages<T>(path: string, limit: number, maxPages: number): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const page = await get<Page<T>>(`${path}${query({ limit, cursor })}`);
    out.push(...page.data);
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  return out;
}

function Position({ contract }: { contract: Contract }) {
  const cur = contract.currency;
  const position = minus(contract.recognizedTotal, contract.billed, cur);
  const side = isZero(position) ? 'nothing unbilled or deferred' : isPositive(position) ? 'contract asset (unbilled AR)' : 'contract liability (deferred revenue)';
  return (
    <section className="panel position" data-testid="position">
      <h2>Position</h2>
      <dl>
        <dt>Billed</dt><dd className="num" data-testid="position-billed">{formatMoney(contract.billed, cur)}</dd>
        <dt>Recognized</dt><dd className="num" data-testid="position-recognized">{formatMoney(contract.recognizedTotal, cur)}</dd>
        <dt>Position</dt><dd className="num" data-testid="position-value">{formatMoney(position, cur)} <span className="muted small">{side}</span></dd>
        {contract.advance && <><dt>Advance</dt><dd className="num">{formatMoney(contract.advance.amount, cur)} <span className="muted small">{contract.advance.issued ? 'issued' : 'not issued'}, applied {formatMoney(contract.advance.applied, cur)}</span></dd></>}
        <dt>Pending effects</dt><dd>{contract.pendingEffects === 0 ? 'none (settled)' : contract.pendingEffects}</dd>
      </dl>
      {Object.keys(contract.recognized).length > 0 && (
        <table className="grid small">
          <thead><tr><th>Obligation</th><th className="num">Recognized</th></tr></thead>
          <tbody>{Object.entries(contract.recognized).map(([o, v]) => <tr key={o}><td>{o}</td><td className="num">{formatMoney(v, cur)}</td></tr>)}</tbody>
        </table>
      )}
    </section>
  );
}

export function ContractPage({ contractId }: { contractId: string }) {
  const { can } = useSession();
  const [refreshKey, setRefreshKey] = useState(0);
  const refresh = useCallback(() => setRefreshKey((k) => k + 1), []);
  useEffect(() => {
    const t = setInterval(refresh, REFRESH_MS);
    return () => clearInterval(t);
  }, [refresh]);
  const base = `/contracts/${encodeURIComponent(contractId)}`;
  const state = useLoad(() => get<Contract>(base), [base], refreshKey);
  const log = useLoad(() => allPages<LogEntry>(`${base}/log`, 200, LOG_PAGES), [base], refreshKey);
  const invoices = useLoad(() => allPages<Invoice>(`${base}/invoices`, 200, 50), [base], refreshKey);
  const memos = useLoad(() => allPages<CreditMemo>(`${base}/credit-memos`, 200, 50), [base], refreshKey);
  const revenue = useLoad(() => get<RevenueByPeriod>(`${base}/reports/waterfall`), [base], refreshKey);

  const contract = state.data?.contractId === contractId ? state.data : undefined;
  if (!contract) {
    return (
      <section>
        <p><a href={href(['contracts'])}>← Contracts</a></p>
        <h1>{contractId}</h1>
        <ErrorBanner error={state.error} what={`Reading contract ${contractId}`} />
        {!state.error && <p className="muted">Loading…</p>}
      </section>
    );
  }
  const terms = currentTerms(contract);
  return (
    <section data-testid="contract-page" data-contract-id={contract.contractId}>
      <p><a href={href(['contracts'])}>← Contracts</a></p>
      <header className="contract-header" data-testid="contract-header">
        <h1>{contract.contractId}</h1>
        <dl>
          <dt>Customer</dt><dd data-testid="contract-customer">{terms.customer.name} <span className="muted">({contract.customerId})</span></dd>
          <dt>Currency</dt><dd>{contract.currency}</dd>
          <dt>Status</dt><dd><span className={`badge status-${contract.status}`} data-testid="contract-status">{contract.status}</span></dd>
          <dt>Version</dt><dd data-testid="contract-version">{contract.version}</dd>
          <dt>Business clock</dt>
          <dd data-testid="contract-clock">{contract.clock} {contract.sandbox ? <span className="tag">sandbox clock</span> : <span className="muted small">{timezoneOf(contract)}</span>}</dd>
          <dt>Hold</dt>
          <dd data-testid="contract-hold">{contract.hold ? <span className="tag warn">on hold since {contract.hold.since}{contract.heldInvoices.length ? ` — queued: ${contract.heldInvoices.join(', ')}` : ''}</span> : 'none'}</dd>
          <dt>Signed</dt><dd>{terms.signedDate} · {terms.paymentTerms}{terms.enforceSequence ? ' · sequence enforced' : ''}</dd>
          {(contract.renews || contract.renewedBy) && <><dt>Renewal</dt><dd data-testid="contract-renewal">
            {contract.renews && <>renews <a href={href(['contracts', contract.renews])}>{contract.renews}</a></>}
            {contract.renews && contract.renewedBy && ' · '}
            {contract.renewedBy && <>renewed by <a href={href(['contracts', contract.renewedBy])}>{contract.renewedBy}</a></>}
          </dd></>}
        </dl>
        <button className="link" onClick={refresh} data-testid="contract-refresh">Refresh</button>
        {state.loading && <span className="muted small">refreshing…</span>}
      </header>
      <ErrorBanner error={state.error} what="Refreshing the contract" />
      <ErrorBanner error={log.error} what="Reading the log" />
      <ErrorBanner error={invoices.error} what="Reading the invoices" />
      <ErrorBanner error={memos.error} what="Reading the credit memos" />
      <ErrorBanner error={revenue.error} what="Reading the revenue waterfall" />
      {can('manage') && <Actions contract={contract} onDone={refresh} />}
      <FailedSteps contract={contract} canRetry={can('manage')} onDone={refresh} />
      <div className="columns">
        <Position contract={contract} />
        <Timers contract={contract} />
      </div>
      <Timeline contract={contract} log={log.data ?? contract.log} />
      <Schedule contractId={contract.contractId} refreshKey={refreshKey} />
      <Documents contract={contract} invoices={invoices.data ?? []} creditMemos={memos.data ?? []} />
      <BillingRevenueChart invoices={invoices.data ?? []} creditMemos={memos.data ?? []} revenue={revenue.data} currency={contract.currency} from={terms.signedDate} to={contract.clock} />
      <Versions contract={contract} />
      <LogTable contractId={contract.contractId} refreshKey={refreshKey} />
    </section>
  );
}
