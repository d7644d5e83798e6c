/** The printable invoice / credit memo: a self-contained HTML page. Every text is escaped. */
import type { CreditMemo, Invoice } from './api';

export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const TITLES: Record<string, string> = {
  milestone: 'Invoice',
  advance: 'Advance invoice',
  supplementary: 'Supplementary invoice',
  credit_memo: 'Credit memo',
};

/** "NET_30" → "Net 30 days" (NET_0: due on receipt). */
export function describePaymentTerms(terms: string | undefined): string {
  if (!terms) return '';
  const days = /^NET_(\d+)$/.exec(terms)?.[1];
  if (days === undefined) return terms;
  return days === '0' ? 'Due on receipt' : `Net ${days} days`;
}

export function renderDocumentHtml(doc: Invoice | CreditMemo): string {
  const e = escapeHtml;
  const title = `${TITLES[doc.kind] ?? 'Invoice'} ${doc.number}`;
  const facts: [string, string | undefined][] = [
    ['Number', doc.number],
    ['Date', doc.date],
    ['Customer', `${doc.customer.name} (${doc.customer.id})`],
    ['Contract', doc.contractId],
  ];
  if ('termsVersion' in doc) facts.push(['Contract version', String(doc.termsVersion)]);
  if (doc.originalInvoiceNumber) facts.push(['Original invoice', doc.originalInvoiceNumber]);
  if (doc.amendmentVersion !== undefined) facts.push(['Amendment (contract version)', String(doc.amendmentVersion)]);
  if ('dueDate' in doc) facts.push(['Due date', doc.dueDate]);
  if (doc.paymentTerms) facts.push(['Payment terms', describePaymentTerms(doc.paymentTerms)]);
  if ('status' in doc) facts.push(['Status', doc.status.replace('_', ' ')]);
  if (doc.sandbox) facts.push(['Sandbox', 'test document, not part of the books']);
  const rows = doc.lines
    .map((l) => `<tr><td>${e(l.milestoneId)}</td><td class="desc">${e(l.description)}</td><td class="amount">${e(l.amount)} ${e(doc.currency)}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${e(title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;color:#111}
table{border-collapse:collapse;width:100%}th,td{padding:.4rem .6rem;border-bottom:1px solid #ccc;text-align:left;vertical-align:top}
.amount{text-align:right;white-space:nowrap}.desc{white-space:pre-wrap}dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-weight:600}
tfoot td{font-weight:700;border-bottom:none}
</style>
</head>
<body>
<h1>${e(title)}</h1>
<dl>
${facts.map(([k, v]) => `<dt>${e(k)}</dt><dd>${e(v)}</dd>`).join('\n')}
</dl>
<table>
<thead><tr><th>Milestone</th><th>Description</th><th class="amount">Amount</th></tr></thead>
<tbody>
${rows}
</tbody>
<tfoot><tr><td></td><td>Total${doc.kind === 'credit_memo' ? ' credited' : ''}</td><td class="amount" id="total">${e(doc.total)} ${e(doc.currency)}</td></tr></tfoot>
</table>
</body>
</html>
`;
}
