/**
 * Invoices and credit memos with their status — future (planned, not issued), issued, overdue,
 * partially paid, paid, credited — from the documents API (the invoicing service's documents with
 * AR's figures) and, for what is not issued yet, the contract's terms and timers. HTML/PDF open the
 * printable documents (fetched with the key, handed over as blob URLs).
 */
import { useState } from 'react';
import { openDocument } from '../api';
import { contractToday, currentTerms, invoicePartLabel } from '../format';
import { formatAmount, formatMoney, isPositive, minus } from '../money';
import type { Contract, CreditMemo, Invoice } from '../types';
import { ErrorBanner } from './ErrorBanner';
import { plannedDateOf } from './Timeline';

export type DocumentStatus = 'future' | 'queued' | 'issued' | 'overdue' | 'partially paid' | 'paid' | 'credited';

/** An issued invoice's status on the contract's today: credited, paid, overdue (past due with money open), partially paid, issued. */
export function invoiceStatus(invoice: Invoice, today: string): DocumentStatus {
  if (invoice.status === 'credited') return 'credited';
  if (invoice.status === 'paid') return 'paid';
  const open = invoice.openAmount ?? invoice.total;
  if (invoice.dueDate < today && isPositive(open)) return 'overdue';
  return invoice.status === 'partially_paid' ? 'partially paid' : 'issued';
}

interface Row {
  key: string;
  number?: string;
  type: string;
  /** A progress-billed milestone's invoice: which share it bills ("part 2 · 62.5 %"). */
  part?: string;
  milestones: string;
  date: string;
  dueDate?: string;
  amount: string;
  open?: string;
  status: DocumentStatus | 'credit memo';
  note?: string;
  kind: 'invoice' | 'credit-memo' | 'planned';
}

/** What will be invoiced and is not yet: billable milestones without an invoice, the advance, invoices queued by a hold. */
function futureRows(contract: Contract): Row[] {
  const terms = currentTerms(contract);
  const rows: Row[] = [];
  if (terms.advanceBilling && !contract.advance?.issued && !contract.invoices.some((i) => i.kind === 'advance')) {
    rows.push({ key: 'f-advance', type: 'advance', milestones: 'advance', date: terms.advanceBilling.date, amount: terms.advanceBilling.amount, status: 'future', kind: 'planned' });
  }
  for (const inv of contract.invoices.filter((i) => !i.number)) {
    const part = invoicePartLabel(inv);
    rows.push({ key: `q-${inv.milestoneIds.join(',')}-${inv.date}-${inv.part ?? ''}`, type: inv.kind, ...(part ? { part } : {}), milestones: inv.milestoneIds.join(', '), date: inv.date, dueDate: inv.dueDate, amount: inv.amount, status: contract.hold ? 'queued' : 'future', note: contract.hold ? `held since ${contract.hold.since}` : 'being issued', kind: 'planned' });
  }
  // A progress invoice (a part) leaves the rest of its milestone to invoice.
  const invoiced = new Set(contract.invoices.filter((i) => i.part === undefined).flatMap((i) => i.milestoneIds));
  for (const m of terms.milestones) {
    const s = contract.milestones[m.id];
    if (m.billable === false || invoiced.has(m.id) || s?.status === 'cancelled' || s?.status === 'covered') continue;
    const rest = s?.progress ? minus(m.amount, s.progress.billed, contract.currency) : m.amount;
    if (s?.progress && !isPositive(rest)) continue;
    const timer = contract.timers.find((t) => t.kind === 'invoice' && t.milestoneId === m.id);
    const when = timer ? `invoice timer ${timer.date}` : s?.waiting === 'customer_hold' ? 'queued by the hold' : s?.waiting === 'awaiting_sequence' ? 'waits for earlier milestones' : s?.acceptedOn ? 'accepted' : 'when accepted';
    const note = s?.progress && isPositive(s.progress.billed) ? `the rest (${formatAmount(s.progress.billed)} billed in parts), ${when}` : when;
    rows.push({ key: `f-${m.id}`, type: 'milestone', ...(s?.progress ? { part: 'the rest · 100 %' } : {}), milestones: m.id, date: timer?.date ?? plannedDateOf(m) ?? '', amount: rest, status: s?.waiting === 'customer_hold' ? 'queued' : 'future', note, kind: 'planned' });
  }
  return rows;
}

export function Documents({ contract, invoices, creditMemos }: { contract: Contract; invoices: Invoice[]; creditMemos: CreditMemo[] }) {
  const [openError, setOpenError] = useState<Error | undefined>();
  const today = contractToday(contract);
  const cur = contract.currency;
  // The part number is the contract's (its invoice summaries); the percent is on the invoice too.
  const summaries = new Map(contract.invoices.filter((i) => i.number).map((i) => [i.number!, i]));
  const partOf = (i: Invoice) => invoicePartLabel({ part: summaries.get(i.number)?.part, progress: i.progress ?? summaries.get(i.number)?.progress });
  const rows: Row[] = [
    ...invoices.map((i): Row => ({
      key: i.number, number: i.number, type: i.kind, part: partOf(i), milestones: i.lines.map((l) => l.milestoneId).join(', '), date: i.date, dueDate: i.dueDate,
      amount: i.total, open: i.openAmount, status: invoiceStatus(i, today), kind: 'invoice',
      note: [i.originalInvoiceNumber && `supplements ${i.originalInvoiceNumber}`, i.creditedAmount && isPositive(i.creditedAmount) && `credited ${formatMoney(i.creditedAmount, cur)}`, i.paidAmount && isPositive(i.paidAmount) && `paid ${formatMoney(i.paidAmount, cur)}`].filter(Boolean).join(' · ') || undefined,
    })),
    ...creditMemos.map((c): Row => ({
      key: c.number, number: c.number, type: 'credit memo', milestones: c.lines.map((l) => l.milestoneId).join(', '), date: c.date, amount: `-${c.total}`,
      status: 'credit memo', note: `credits ${c.originalInvoiceNumber} (amendment v${c.amendmentVersion})`, kind: 'credit-memo',
    })),
  ].sort((a, b) => a.date.localeCompare(b.date));
  const planned = futureRows(contract);

  const open = (kind: 'invoice' | 'credit-memo', number: string, format: 'html' | 'pdf') => {
    setOpenError(undefined);
    openDocument(`/${kind === 'invoice' ? 'invoices' : 'credit-memos'}/${encodeURIComponent(number)}`, format, number).catch(setOpenError);
  };

  return (
    <section className="panel" data-testid="documents">
      <h2>Invoices and credit memos</h2>
      <ErrorBanner error={openError} what="Opening the document" />
      <table className="grid">
        <thead><tr><th>Number</th><th>Type</th><th>For</th><th>Date</th><th>Due</th><th className="num">Amount</th><th className="num">Open</th><th>Status</th><th>Printable</th></tr></thead>
        <tbody>
          {[...rows, ...planned].map((r) => (
            <tr key={r.key} data-testid="document-row" data-number={r.number ?? ''} data-status={r.status} data-kind={r.kind}>
              <td className="mono">{r.number ?? <span className="muted">—</span>}</td>
              <td>{r.type}{r.part && <div className="small muted" data-testid="document-part">{r.part}</div>}</td>
              <td>{r.milestones}</td>
              <td>{r.date}</td>
              <td>{r.dueDate ?? ''}</td>
              <td className="num">{formatMoney(r.amount, cur)}</td>
              <td className="num">{r.open !== undefined ? formatMoney(r.open, cur) : ''}</td>
              <td><span className={`badge doc-${r.status.replace(' ', '-')}`} data-testid="document-status">{r.status}</span>{r.note && <div className="small muted">{r.note}</div>}</td>
              <td>
                {r.number && r.kind !== 'planned' && (
                  <>
                    <button className="link" onClick={() => open(r.kind as 'invoice' | 'credit-memo', r.number!, 'html')} data-testid="doc-html">HTML</button>
                    {' '}
                    <button className="link" onClick={() => open(r.kind as 'invoice' | 'credit-memo', r.number!, 'pdf')} data-testid="doc-pdf">PDF</button>
                  </>
                )}
              </td>
            </tr>
          ))}
          {rows.length + planned.length === 0 && <tr><td colSpan={9} className="muted">Nothing invoiced or planned.</td></tr>}
        </tbody>
      </table>
    </section>
  );
}
