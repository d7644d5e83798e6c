/**
 * Billing vs revenue by month: billing = invoices − credit memos by document month (documents
 * API), revenue = the contract's `waterfall` report (revenue by posting month); the cumulative
 * lines show the contract position building up (recognized − billed).
 */
import { useMemo } from 'react';
import type { ChartConfiguration } from 'chart.js';
import { monthOf, monthsBetween } from '../dates';
import { minus, plotValue, sum } from '../money';
import type { CreditMemo, Invoice, RevenueByPeriod } from '../types';
import { ChartCanvas, COLORS } from './Chart';

export interface MonthRow { month: string; billing: string; revenue: string }

/** Billing and revenue per month (decimal strings), every month from the first to the last with a figure (or `from`…`to`). */
export function billingVsRevenue(invoices: Invoice[], creditMemos: CreditMemo[], revenue: Record<string, string>, currency: string, range: { from: string; to: string }): MonthRow[] {
  const months = new Set<string>([...invoices.map((i) => monthOf(i.date)), ...creditMemos.map((c) => monthOf(c.date)), ...Object.keys(revenue)]);
  const all = [...months, range.from, range.to].sort();
  return monthsBetween(all[0]!, all[all.length - 1]!).map((month) => ({
    month,
    billing: minus(
      sum(invoices.filter((i) => monthOf(i.date) === month).map((i) => i.total), currency),
      sum(creditMemos.filter((c) => monthOf(c.date) === month).map((c) => c.total), currency),
      currency,
    ),
    revenue: revenue[month] ?? sum([], currency),
  }));
}

export function BillingRevenueChart({ invoices, creditMemos, revenue, currency, from, to }: {
  invoices: Invoice[]; creditMemos: CreditMemo[]; revenue: RevenueByPeriod | undefined; currency: string; from: string; to: string;
}) {
  const rows = useMemo(() => billingVsRevenue(invoices, creditMemos, revenue?.revenueByPeriod ?? {}, currency, { from: monthOf(from), to: monthOf(to) }), [invoices, creditMemos, revenue, currency, from, to]);
  const config = useMemo((): ChartConfiguration => {
    const cumulative = (key: 'billing' | 'revenue') => rows.map((_, i) => sum(rows.slice(0, i + 1).map((r) => r[key]), currency));
    return {
      type: 'bar',
      data: {
        labels: rows.map((r) => r.month),
        datasets: [
          // Numbers for plotting only (plotValue); the table below shows the exact decimal strings.
          { type: 'bar', label: 'Billed', data: rows.map((r) => plotValue(r.billing)), backgroundColor: COLORS.billing },
          { type: 'bar', label: 'Revenue', data: rows.map((r) => plotValue(r.revenue)), backgroundColor: COLORS.revenue },
          { type: 'line', label: 'Billed to date', data: cumulative('billing').map(plotValue), borderColor: COLORS.billing, backgroundColor: COLORS.billing, borderDash: [4, 3] },
          { type: 'line', label: 'Revenue to date', data: cumulative('revenue').map(plotValue), borderColor: COLORS.revenue, backgroundColor: COLORS.revenue, borderDash: [4, 3] },
        ],
      },
      options: { plugins: { title: { display: false } }, scales: { y: { beginAtZero: true, title: { display: true, text: currency } } } },
    };
  }, [rows, currency]);
  return (
    <section className="panel" data-testid="billing-revenue">
      <h2>Billing vs revenue by month</h2>
      <ChartCanvas config={config} testId="chart-billing-revenue" label="Billed and recognized revenue by month" />
      <details>
        <summary>Figures</summary>
        <table className="grid small">
          <thead><tr><th>Month</th><th className="num">Billed</th><th className="num">Revenue</th></tr></thead>
          <tbody>{rows.map((r) => <tr key={r.month} data-testid="billing-revenue-row" data-month={r.month}><td>{r.month}</td><td className="num">{r.billing}</td><td className="num">{r.revenue}</td></tr>)}</tbody>
        </table>
      </details>
    </section>
  );
}
