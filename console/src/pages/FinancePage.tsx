/**
 * Finance: AR aging (`GET /aging`), the revenue waterfall and the deferred revenue / unbilled AR
 * roll-forward — ledger-wide (`GET /reports/:report`) or for one contract
 * (`GET /contracts/:id/reports/:report`) — and the KPI panel (`GET /kpis`).
 */
import { useMemo, useState } from 'react';
import type { ChartConfiguration } from 'chart.js';
import { get, query } from '../api';
import { ChartCanvas, COLORS } from '../components/Chart';
import { ErrorBanner } from '../components/ErrorBanner';
import { todayIn } from '../dates';
import { useLoad, type Loaded } from '../hooks';
import { plotValue } from '../money';
import { navigate } from '../router';
import { AGING_BUCKETS, type Aging, type RevenueByPeriod, type RollForward } from '../types';

/** For the tests and for styling: what a panel shows. */
const stateOf = (l: Loaded<unknown>) => (l.loading ? 'loading' : l.error ? 'error' : 'loaded');

const BUCKET_TEXT: Record<string, string> = { current: 'current', days_1_30: '1–30', days_31_60: '31–60', days_61_90: '61–90', days_over_90: '90+' };

function AgingPanel({ currency, asOf }: { currency: string; asOf: string }) {
  const aging = useLoad(() => get<Aging>(`/aging${query({ currency, asOf })}`), [currency, asOf]);
  const config = useMemo((): ChartConfiguration | undefined => {
    const a = aging.data;
    if (!a) return undefined;
    return {
      type: 'bar',
      data: {
        labels: AGING_BUCKETS.map((b) => BUCKET_TEXT[b]!),
        // Numbers for plotting only; the table shows the exact figures.
        datasets: [{ label: `Open receivables (${a.currency})`, data: AGING_BUCKETS.map((b) => plotValue(a.total[b])), backgroundColor: COLORS.buckets }],
      },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, title: { display: true, text: a.currency } }, x: { title: { display: true, text: 'days past due' } } } },
    };
  }, [aging.data]);
  return (
    <section className="panel" data-testid="aging" data-state={stateOf(aging)}>
      <h2>AR aging <span className="muted small">as of {aging.data?.asOf ?? asOf}</span></h2>
      <ErrorBanner error={aging.error} what="Reading the AR aging (GET /aging)" />
      {config && <ChartCanvas config={config} testId="chart-aging" label="Open receivables by days past due" />}
      {aging.data && (
        <table className="grid small">
          <thead><tr><th>Customer</th>{AGING_BUCKETS.map((b) => <th key={b} className="num">{BUCKET_TEXT[b]}</th>)}<th className="num">Total</th><th className="num">Credit</th></tr></thead>
          <tbody>
            {aging.data.customers.map((c) => (
              <tr key={c.customerId}><td>{c.customerId}</td>{AGING_BUCKETS.map((b) => <td key={b} className="num">{c[b]}</td>)}<td className="num">{c.total}</td><td className="num">{c.credit}</td></tr>
            ))}
            <tr className="total"><td>Total</td>{AGING_BUCKETS.map((b) => <td key={b} className="num">{aging.data!.total[b]}</td>)}<td className="num" data-testid="aging-total">{aging.data.total.total}</td><td className="num">{aging.data.total.credit}</td></tr>
          </tbody>
        </table>
      )}
    </section>
  );
}

/** `/reports/<name>` for the whole ledger, or `/contracts/<id>/reports/<name>` for one contract. */
const reportPath = (name: string, contractId: string, currency: string) =>
  contractId ? `/contracts/${encodeURIComponent(contractId)}/reports/${name}` : `/reports/${name}${query({ currency })}`;

function WaterfallPanel({ currency, contractId }: { currency: string; contractId: string }) {
  const report = useLoad(() => get<RevenueByPeriod>(reportPath('waterfall', contractId, currency)), [currency, contractId]);
  const months = useMemo(() => Object.keys(report.data?.revenueByPeriod ?? {}).sort(), [report.data]);
  const config = useMemo((): ChartConfiguration | undefined => {
    const r = report.data;
    if (!r) return undefined;
    return {
      type: 'bar',
      // Numbers for plotting only.
      data: { labels: months, datasets: [{ label: 'Revenue recognized', data: months.map((m) => plotValue(r.revenueByPeriod[m])), backgroundColor: COLORS.revenue }] },
      options: { scales: { y: { beginAtZero: true, title: { display: true, text: r.currency ?? currency } } } },
    };
  }, [report.data, months, currency]);
  return (
    <section className="panel" data-testid="waterfall" data-state={stateOf(report)}>
      <h2>Revenue waterfall <span className="muted small">{contractId ? `contract ${contractId}` : `the books, ${currency}`}</span></h2>
      <ErrorBanner error={report.error} what={`Reading the revenue waterfall (GET ${reportPath('waterfall', contractId, currency)})`} />
      {config && <ChartCanvas config={config} testId="chart-waterfall" label="Revenue by month" />}
      {report.data && months.length === 0 && <p className="muted">No revenue posted.</p>}
    </section>
  );
}

function RollForwardPanel({ currency, contractId }: { currency: string; contractId: string }) {
  const report = useLoad(() => get<RollForward>(reportPath('roll-forward', contractId, currency)), [currency, contractId]);
  const config = useMemo((): ChartConfiguration | undefined => {
    const r = report.data;
    if (!r) return undefined;
    const months = [...new Set([...r.deferred_revenue.map((x) => x.period), ...r.unbilled_ar.map((x) => x.period)])].sort();
    const closing = (rows: RollForward['deferred_revenue']) => months.map((m) => plotValue(rows.find((x) => x.period === m)?.closing));
    return {
      type: 'line',
      data: {
        labels: months,
        datasets: [
          { label: 'Deferred revenue (closing)', data: closing(r.deferred_revenue), borderColor: COLORS.deferred, backgroundColor: COLORS.deferred },
          { label: 'Unbilled AR (closing)', data: closing(r.unbilled_ar), borderColor: COLORS.unbilled, backgroundColor: COLORS.unbilled },
        ],
      },
      options: { scales: { y: { beginAtZero: true, title: { display: true, text: r.currency ?? currency } } } },
    };
  }, [report.data, currency]);
  return (
    <section className="panel" data-testid="roll-forward" data-state={stateOf(report)}>
      <h2>Deferred revenue roll-forward <span className="muted small">{contractId ? `contract ${contractId}` : `the books, ${currency}`}</span></h2>
      <ErrorBanner error={report.error} what={`Reading the roll-forward (GET ${reportPath('roll-forward', contractId, currency)})`} />
      {config && <ChartCanvas config={config} testId="chart-roll-forward" label="Deferred revenue and unbilled AR at each month end" />}
      {report.data && (
        <table className="grid small">
          <thead><tr><th>Account</th><th>Month</th><th className="num">Opening</th><th className="num">Additions</th><th className="num">Releases</th><th className="num">Closing</th></tr></thead>
          <tbody>
            {(['deferred_revenue', 'unbilled_ar'] as const).flatMap((account) => report.data![account].map((row) => (
              <tr key={`${account}-${row.period}`}><td>{account.replace('_', ' ')}</td><td>{row.period}</td><td className="num">{row.opening}</td><td className="num">{row.additions}</td><td className="num">{row.releases}</td><td className="num">{row.closing}</td></tr>
            )))}
          </tbody>
        </table>
      )}
    </section>
  );
}

// ───────────────────────── KPIs ─────────────────────────

/** Currency → amount (decimal strings). */
type Amounts = Record<string, string>;

interface KpiFigures {
  cycleTime: { count: number; medianBusinessDays: number | null; p90BusinessDays: number | null; unmatched: number };
  invoicedSameDay: { count: number; sameDay: number; share: number | null; unknown: number };
  signals: { ignored: number; refused: number; refusedByCode: Record<string, number> };
  reconciliation: { checked: number; notOk: number; absVariance: Amounts };
  events?: { invoicesIssued: number; creditMemosIssued: number; paymentsApplied: number; invoicesOverdue: number };
}

/** `GET /kpis`: per month and over the whole range. */
interface KpiReport {
  from: string;
  to: string;
  sandbox: boolean;
  months: Array<KpiFigures & { month: string }>;
  total: KpiFigures;
}

const days = (v: number | null) => (v === null ? '—' : `${v}`);
const share = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)} %`);
const variance = (a: Amounts) => Object.entries(a).map(([c, v]) => `${v} ${c}`).join(', ') || '0';

function KpiPanel({ sandbox, from, to }: { sandbox: boolean; from: string; to: string }) {
  const kpis = useLoad(() => get<KpiReport>(`/kpis${query({ sandbox: sandbox ? 'true' : undefined, from, to })}`), [sandbox, from, to]);
  const config = useMemo((): ChartConfiguration | undefined => {
    const k = kpis.data;
    if (!k) return undefined;
    return {
      type: 'line',
      data: {
        labels: k.months.map((m) => m.month),
        datasets: [
          { label: 'median', data: k.months.map((m) => m.cycleTime.medianBusinessDays), borderColor: COLORS.billing, backgroundColor: COLORS.billing, spanGaps: true },
          { label: 'p90', data: k.months.map((m) => m.cycleTime.p90BusinessDays), borderColor: COLORS.deferred, backgroundColor: COLORS.deferred, spanGaps: true },
        ],
      },
      options: {
        plugins: { title: { display: true, text: 'Milestone → invoice cycle time (business days)' } },
        scales: { y: { beginAtZero: true, title: { display: true, text: 'business days' } } },
      },
    };
  }, [kpis.data]);
  const t = kpis.data?.total;
  return (
    <section className="panel" data-testid="kpi-panel" data-state={stateOf(kpis)}>
      <h2>KPIs <span className="muted small">{kpis.data ? `${kpis.data.from} … ${kpis.data.to}, ${kpis.data.sandbox ? 'sandbox' : 'live'} contracts` : ''}</span></h2>
      <ErrorBanner error={kpis.error} what="Reading the KPIs (GET /kpis)" />
      {t && (
        <dl className="kpis" data-testid="kpi-values">
          <div data-testid="kpi-cycle-time"><dt>Cycle time milestone → invoice</dt><dd>median {days(t.cycleTime.medianBusinessDays)} · p90 {days(t.cycleTime.p90BusinessDays)} <span className="muted small">business days, {t.cycleTime.count} invoices</span></dd></div>
          <div data-testid="kpi-same-day"><dt>Invoiced the day it became billable</dt><dd>{share(t.invoicedSameDay.share)} <span className="muted small">{t.invoicedSameDay.sameDay} of {t.invoicedSameDay.count}</span></dd></div>
          <div data-testid="kpi-reconciliation"><dt>Reconciliation variance</dt><dd>{variance(t.reconciliation.absVariance)} <span className="muted small">{t.reconciliation.notOk} of {t.reconciliation.checked} contracts off</span></dd></div>
          <div data-testid="kpi-signals"><dt>Refused / ignored events</dt><dd>{t.signals.refused} / {t.signals.ignored} <span className="muted small">{Object.entries(t.signals.refusedByCode).map(([c, n]) => `${c} ${n}`).join(', ')}</span></dd></div>
        </dl>
      )}
      {config && <ChartCanvas config={config} testId="chart-kpi-cycle" label="Milestone to invoice cycle time by month" height={200} />}
      {kpis.data && (
        <table className="grid small">
          <thead><tr><th>Month</th><th className="num">Invoices</th><th className="num">Median</th><th className="num">p90</th><th className="num">Same day</th><th className="num">Refused</th><th className="num">Ignored</th><th>Reconciliation</th></tr></thead>
          <tbody>
            {kpis.data.months.map((m) => (
              <tr key={m.month} data-testid="kpi-month" data-month={m.month}>
                <td>{m.month}</td><td className="num">{m.cycleTime.count}</td><td className="num">{days(m.cycleTime.medianBusinessDays)}</td><td className="num">{days(m.cycleTime.p90BusinessDays)}</td>
                <td className="num">{share(m.invoicedSameDay.share)}</td><td className="num">{m.signals.refused}</td><td className="num">{m.signals.ignored}</td>
                <td>{m.reconciliation.checked ? `${m.reconciliation.notOk}/${m.reconciliation.checked} off · ${variance(m.reconciliation.absVariance)}` : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function FinancePage({ params }: { params: URLSearchParams }) {
  const currency = params.get('currency') || 'USD';
  const contractId = params.get('contract') ?? '';
  const asOf = params.get('asOf') || todayIn('UTC');
  const sandbox = params.get('sandbox') === 'true';
  const kpiFrom = params.get('from') ?? '';
  const kpiTo = params.get('to') ?? '';
  const [form, setForm] = useState({ currency, contract: contractId, asOf, sandbox: sandbox ? 'true' : '', from: kpiFrom, to: kpiTo });
  return (
    <section data-testid="finance-page">
      <h1>Finance</h1>
      <form className="toolbar inline" onSubmit={(e) => { e.preventDefault(); navigate(['finance'], form); }}>
        <label>Currency <input value={form.currency} size={4} onChange={(e) => setForm({ ...form, currency: e.target.value.trim().toUpperCase() })} data-testid="finance-currency" /></label>
        <label>Aging as of <input type="date" value={form.asOf} onChange={(e) => setForm({ ...form, asOf: e.target.value })} data-testid="finance-asof" /></label>
        <label>Reports for contract <input value={form.contract} onChange={(e) => setForm({ ...form, contract: e.target.value.trim() })} placeholder="(the whole ledger)" data-testid="finance-contract" /></label>
        <label>KPIs of <select value={form.sandbox} onChange={(e) => setForm({ ...form, sandbox: e.target.value })} data-testid="finance-kpi-sandbox"><option value="">live contracts</option><option value="true">sandbox contracts</option></select></label>
        <label>KPI months <span><input value={form.from} size={7} placeholder="YYYY-MM" onChange={(e) => setForm({ ...form, from: e.target.value.trim() })} data-testid="finance-kpi-from" /> … <input value={form.to} size={7} placeholder="YYYY-MM" onChange={(e) => setForm({ ...form, to: e.target.value.trim() })} data-testid="finance-kpi-to" /></span></label>
        <button type="submit" data-testid="finance-apply">Show</button>
      </form>
      <p className="muted small">Amounts are {currency}{contractId ? `; waterfall and roll-forward of contract ${contractId}` : '; reports over the real books (sandbox contracts keep their own ledgers: pick one above)'}. Figures are exact in the tables; the charts plot them.</p>
      <div className="columns">
        <AgingPanel currency={currency} asOf={asOf} />
        <KpiPanel sandbox={sandbox} from={kpiFrom} to={kpiTo} />
      </div>
      <div className="columns">
        <WaterfallPanel currency={currency} contractId={contractId} />
        <RollForwardPanel currency={currency} contractId={contractId} />
      </div>
    </section>
  );
}
