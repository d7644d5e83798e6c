/** Contracts: search by customer, status and currency a page at a time; go to a contract by id or by one of its invoices. */
import { useState } from 'react';
import { get, query } from '../api';
import { ErrorBanner } from '../components/ErrorBanner';
import { useLoad } from '../hooks';
import { href, navigate } from '../router';
import type { ContractListItem, Invoice, Page } from '../types';

const PAGE_SIZE = 20;

export function ContractsPage({ params }: { params: URLSearchParams }) {
  const filters = { customer: params.get('customer') ?? '', status: params.get('status') ?? '', currency: params.get('currency') ?? '' };
  const [form, setForm] = useState(filters);
  // The cursors of the pages before the one shown (Previous pops one), and the one shown.
  const [trail, setTrail] = useState<{ filters: string; before: Array<string | undefined>; cursor?: string }>({ filters: '', before: [] });
  const filterKey = JSON.stringify(filters);
  const cursor = trail.filters === filterKey ? trail.cursor : undefined;
  const before = trail.filters === filterKey ? trail.before : [];
  const list = useLoad(
    () => get<Page<ContractListItem>>(`/contracts${query({ ...filters, limit: PAGE_SIZE, cursor })}`),
    [filterKey, cursor],
  );

  const [goId, setGoId] = useState('');
  const [invoiceNumber, setInvoiceNumber] = useState('');
  const [findError, setFindError] = useState<Error | undefined>();

  const findInvoice = async () => {
    setFindError(undefined);
    try {
      const invoice = await get<Invoice>(`/invoices/${encodeURIComponent(invoiceNumber.trim())}`);
      navigate(['contracts', invoice.contractId]);
    } catch (err) {
      setFindError(err as Error);
    }
  };

  return (
    <section>
      <h1>Contracts</h1>
      <div className="toolbar">
        <form className="inline" onSubmit={(e) => { e.preventDefault(); navigate(['contracts'], form); }}>
          <label>Customer <input value={form.customer} onChange={(e) => setForm({ ...form, customer: e.target.value.trim() })} placeholder="cust-acme" data-testid="search-customer" /></label>
          <label>Status
            <select value={form.status} onChange={(e) => setForm({ ...form, status: e.target.value })} data-testid="search-status">
              <option value="">any</option><option value="active">active</option><option value="completed">completed</option>
            </select>
          </label>
          <label>Currency <input value={form.currency} size={4} onChange={(e) => setForm({ ...form, currency: e.target.value.trim().toUpperCase() })} placeholder="USD" data-testid="search-currency" /></label>
          <button type="submit" data-testid="search-submit">Search</button>
        </form>
        <form className="inline" onSubmit={(e) => { e.preventDefault(); if (goId.trim()) navigate(['contracts', goId.trim()]); }}>
          <label>Contract id <input value={goId} onChange={(e) => setGoId(e.target.value)} data-testid="search-contract-id" /></label>
          <button type="submit" data-testid="open-contract">Open</button>
        </form>
        <form className="inline" onSubmit={(e) => { e.preventDefault(); if (invoiceNumber.trim()) void findInvoice(); }}>
          <label>Invoice <input value={invoiceNumber} onChange={(e) => setInvoiceNumber(e.target.value)} placeholder="INV-2026-000001" data-testid="search-invoice" /></label>
          <button type="submit" data-testid="open-invoice">Find</button>
        </form>
      </div>
      <ErrorBanner error={findError} what="Finding the invoice" />
      <ErrorBanner error={list.error} what="Listing contracts" />
      <table className="grid" data-testid="contract-list">
        <thead><tr><th>Contract</th><th>Customer</th><th>Currency</th><th>Status</th><th>Started</th></tr></thead>
        <tbody>
          {list.data?.data.map((c) => (
            <tr key={c.contractId} data-testid="contract-row" data-contract-id={c.contractId}>
              <td><a href={href(['contracts', c.contractId])}>{c.contractId}</a></td>
              <td>{c.customerId}</td>
              <td>{c.currency}</td>
              <td><span className={`badge status-${c.status}`}>{c.status}</span></td>
              <td>{c.startedAt?.slice(0, 10)}</td>
            </tr>
          ))}
          {list.data && list.data.data.length === 0 && <tr><td colSpan={5} className="muted">No contract matches (a new contract may take a moment to be listed).</td></tr>}
        </tbody>
      </table>
      <div className="pager">
        <button disabled={before.length === 0} onClick={() => setTrail({ filters: filterKey, before: before.slice(0, -1), cursor: before[before.length - 1] })} data-testid="page-prev">Previous</button>
        <button disabled={!list.data?.nextCursor} onClick={() => setTrail({ filters: filterKey, before: [...before, cursor], cursor: list.data?.nextCursor })} data-testid="page-next">Next</button>
        {list.loading && <span className="muted">loading…</span>}
        <button className="link" onClick={list.reload} data-testid="search-refresh">Refresh</button>
      </div>
    </section>
  );
}
