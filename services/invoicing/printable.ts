/**
 * The printable invoice and credit memo, as a customer's accounts-payable department reads them:
 * who bills (seller details from config), who is billed, the contract reference, the lines, the
 * advance applied, the credit memos against the invoice, what was paid to date, the balance due,
 * and a status that says what happened to it (`credited`, `paid`, `partially paid`, …).
 *
 * One document model (`invoiceDocument`, `creditMemoDocument`) is built from the facts, then
 * rendered as HTML (`renderHtml`, every text escaped) or PDF (`renderPdf`, pdfkit): both show the
 * same content. Pure except for the PDF stream; amounts are decimal strings (decimal.js inside).
 */
import PDFDocument from 'pdfkit';
import { dec, Dec, formatMoney, sumMoney } from '../../libs/money';
import { escapeHtml } from '../../libs/markup';
import type { CreditMemo, Invoice } from './api';

export { escapeHtml };

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

/** Who issues the documents (config: TOLLGATE_SELLER_*). */
export interface Seller {
  name: string;
  /** Postal address; lines separated by newlines. */
  address?: string;
  taxId?: string;
  email?: string;
}

/** What AR knows of the invoice's receivable (GET /receivables/:invoiceNumber). */
export interface ReceivableFigures {
  amount: string;
  paidAmount?: string;
  creditedAmount?: string;
  openAmount: string;
  status: string;
  paidOn?: string;
  applications?: Array<{ kind: string; ref: string; amount: string; date: string }>;
}

/** A milestone invoice reduced by the advance (DESIGN §3, §11): the milestone's amount before it. */
export interface AdvanceApplied {
  /** The milestone's amount under the invoice's terms version. */
  grossAmount: string;
  /** gross − the invoice total. */
  applied: string;
  /** The contract's advance invoice. */
  advanceInvoiceNumber?: string;
}

export interface InvoicePrintInput {
  invoice: Invoice;
  seller: Seller;
  /** Credit memos against this invoice (from invoicing). */
  creditMemos?: Array<Pick<CreditMemo, 'number' | 'date' | 'total'>>;
  /** AR's receivable; without it the figures AR last reported to invoicing are shown. */
  receivable?: ReceivableFigures;
  /** Set on a milestone invoice the advance reduced. */
  advance?: AdvanceApplied;
  /** On an advance invoice: how much of it later milestone invoices have used so far. */
  advanceUsed?: string;
}

export interface CreditMemoPrintInput {
  creditMemo: CreditMemo;
  seller: Seller;
  /** The invoice it reduces, when known. */
  original?: Pick<Invoice, 'number' | 'date' | 'total'>;
}

export type PrintedStatus = 'issued' | 'partially credited' | 'partially paid' | 'paid' | 'credited';

/**
 * The status an AP clerk needs: `credited` when credit memos cover the whole total, `paid` when
 * nothing is left to pay and payments settled it, `partially paid` after a payment, `partially
 * credited` after a credit memo only, else `issued`.
 */
export function printedStatus(total: string, credited: string, paid: string, balance: string): PrintedStatus {
  const t = dec(total);
  if (t.greaterThan(0) && dec(credited).greaterThanOrEqualTo(t)) return 'credited';
  if (dec(balance).lessThanOrEqualTo(0) && (dec(paid).greaterThan(0) || t.isZero())) return 'paid';
  if (dec(paid).greaterThan(0)) return 'partially paid';
  if (dec(credited).greaterThan(0)) return 'partially credited';
  return 'issued';
}

/** What both renderers print. */
export interface PrintableDocument {
  /** "Invoice INV-2026-000001". */
  title: string;
  currency: string;
  seller: { name: string; lines: string[] };
  billTo: { name: string; lines: string[] };
  facts: Array<[string, string]>;
  lines: Array<{ ref: string; description: string; amount: string }>;
  /** Under the lines: subtotal, advance, total, credits, paid, balance (`strong`: bold). */
  totals: Array<{ label: string; amount: string; strong?: boolean; id?: string }>;
  notes: string[];
  /** Machine-readable summary (also in the HTML as data attributes). */
  summary: { number: string; kind: string; status?: PrintedStatus; total: string; credited?: string; paid?: string; balance?: string; progress?: string };
}

function sellerBlock(seller: Seller): PrintableDocument['seller'] {
  const lines = (seller.address ?? '').split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  if (seller.taxId) lines.push(`Tax ID: ${seller.taxId}`);
  if (seller.email) lines.push(`E-mail: ${seller.email}`);
  return { name: seller.name, lines };
}

const neg = (amount: Dec | string, currency: string) => {
  const d = dec(amount);
  return d.isZero() ? formatMoney(d, currency) : `-${formatMoney(d, currency)}`;
};

export function invoiceDocument(input: InvoicePrintInput): PrintableDocument {
  const { invoice: inv, receivable: r } = input;
  const cur = inv.currency;
  const memos = input.creditMemos ?? [];
  // Credits: AR's (credit memos applied to the receivable) or, without AR, invoicing's own sum.
  const credited = r?.creditedAmount ?? inv.creditedAmount ?? formatMoney(sumMoney(memos.map((m) => m.total)), cur);
  const paid = r?.paidAmount ?? inv.paidAmount ?? formatMoney('0', cur);
  const balance = r
    ? formatMoney(r.openAmount, cur)
    : formatMoney(dec(inv.total).minus(credited).minus(paid), cur);
  const status = printedStatus(inv.total, credited, paid, balance);

  const facts: Array<[string, string]> = [
    ['Invoice number', inv.number],
    ['Invoice date', inv.date],
    ['Due date', inv.dueDate],
    ['Payment terms', describePaymentTerms(inv.paymentTerms)],
    ['Contract', inv.contractId],
    ['Contract version', String(inv.termsVersion)],
  ];
  if (inv.originalInvoiceNumber) facts.push(['Supplements invoice', inv.originalInvoiceNumber]);
  if (inv.amendmentVersion !== undefined) facts.push(['Amendment (contract version)', String(inv.amendmentVersion)]);
  if (inv.progress) facts.push(['Progress billing', progressText(inv.progress, cur)]);
  facts.push(['Currency', cur], ['Status', status]);
  if (r?.paidOn && status === 'paid') facts.push(['Paid on', r.paidOn]);

  const advanceApplied = input.advance && dec(input.advance.applied).greaterThan(0) ? input.advance : undefined;
  const lines = inv.lines.map((l) => ({
    ref: l.milestoneId,
    description: l.description,
    // With the advance applied, the line shows the milestone's amount and the advance is deducted below.
    amount: advanceApplied && inv.lines.length === 1 ? formatMoney(advanceApplied.grossAmount, cur) : formatMoney(l.amount, cur),
  }));

  const totals: PrintableDocument['totals'] = [];
  if (advanceApplied && inv.lines.length === 1) {
    totals.push({ label: inv.progress ? 'Amount billed by progress' : 'Milestone amount', amount: formatMoney(advanceApplied.grossAmount, cur) });
    totals.push({
      label: `Less advance applied${advanceApplied.advanceInvoiceNumber ? ` (advance invoice ${advanceApplied.advanceInvoiceNumber})` : ''}`,
      amount: neg(advanceApplied.applied, cur),
      id: 'advance',
    });
  }
  totals.push({ label: 'Invoice total', amount: formatMoney(inv.total, cur), strong: true, id: 'total' });
  for (const m of memos) totals.push({ label: `Credit memo ${m.number} (${m.date})`, amount: neg(m.total, cur) });
  if (memos.length === 0 && dec(credited).greaterThan(0)) totals.push({ label: 'Credited', amount: neg(credited, cur) });
  totals.push({ label: 'Paid to date', amount: neg(paid, cur), id: 'paid' });
  totals.push({ label: 'Balance due', amount: formatMoney(balance, cur), strong: true, id: 'balance' });

  const notes: string[] = [];
  if (inv.kind === 'advance') {
    notes.push('Advance billing: this amount is applied to later milestone invoices of the contract, which are reduced by it.');
    if (input.advanceUsed !== undefined) notes.push(`Applied to milestone invoices so far: ${formatMoney(input.advanceUsed, cur)} ${cur}.`);
  }
  if (inv.progress) {
    notes.push(dec(inv.progress.percent).greaterThanOrEqualTo(100)
      ? 'Progress billing: this invoice bills the rest of the milestone, what earlier progress invoices of it did not bill.'
      : `Progress billing: this invoice bills the share of the milestone reached at ${inv.progress.percent} % complete, less what earlier invoices of it billed.`);
  }
  if (dec(balance).lessThan(0)) notes.push(`Overpaid by ${formatMoney(dec(balance).negated(), cur)} ${cur}: kept as customer credit.`);
  if (inv.sandbox) notes.push('Sandbox: a test document, not part of the books.');

  return {
    title: `${TITLES[inv.kind] ?? 'Invoice'} ${inv.number}`,
    currency: cur,
    seller: sellerBlock(input.seller),
    billTo: { name: inv.customer.name, lines: [`Customer ID: ${inv.customer.id}`] },
    facts,
    lines,
    totals,
    notes,
    summary: {
      number: inv.number, kind: inv.kind, status, total: formatMoney(inv.total, cur), credited: formatMoney(credited, cur), paid: formatMoney(paid, cur), balance,
      ...(inv.progress ? { progress: inv.progress.percent } : {}),
    },
  };
}

/** "62.5 % complete — billed to date 625.00 USD (previously billed 300.00 USD)". */
export function progressText(progress: NonNullable<Invoice['progress']>, currency: string): string {
  return `${progress.percent} % complete — billed to date ${formatMoney(progress.cumulative, currency)} ${currency}`
    + ` (previously billed ${formatMoney(progress.previouslyBilled, currency)} ${currency})`;
}

export function creditMemoDocument(input: CreditMemoPrintInput): PrintableDocument {
  const { creditMemo: cm, original } = input;
  const cur = cm.currency;
  const facts: Array<[string, string]> = [
    ['Credit memo number', cm.number],
    ['Date', cm.date],
    ['Credits invoice', cm.originalInvoiceNumber + (original ? ` of ${original.date}` : '')],
    ['Contract', cm.contractId],
    ['Amendment (contract version)', String(cm.amendmentVersion)],
    ['Currency', cur],
  ];
  if (cm.paymentTerms) facts.push(['Payment terms', describePaymentTerms(cm.paymentTerms)]);
  const totals: PrintableDocument['totals'] = [];
  if (original) totals.push({ label: `Invoice ${original.number} total`, amount: formatMoney(original.total, cur) });
  totals.push({ label: 'Total credited', amount: formatMoney(cm.total, cur), strong: true, id: 'total' });
  const notes = ['This credit memo reduces the amount due on the invoice it credits; a credit beyond what is still open is kept as customer credit.'];
  if (cm.sandbox) notes.push('Sandbox: a test document, not part of the books.');
  return {
    title: `Credit memo ${cm.number}`,
    currency: cur,
    seller: sellerBlock(input.seller),
    billTo: { name: cm.customer.name, lines: [`Customer ID: ${cm.customer.id}`] },
    facts,
    lines: cm.lines.map((l) => ({ ref: l.milestoneId, description: l.description, amount: formatMoney(l.amount, cur) })),
    totals,
    notes,
    summary: { number: cm.number, kind: 'credit_memo', total: formatMoney(cm.total, cur) },
  };
}

/** The HTML page: self-contained (no scripts, no external resources), every text escaped. */
export function renderHtml(doc: PrintableDocument): string {
  const e = escapeHtml;
  const block = (b: { name: string; lines: string[] }) => `<strong>${e(b.name)}</strong>${b.lines.map((l) => `<br>${e(l)}`).join('')}`;
  const rows = doc.lines
    .map((l) => `<tr><td>${e(l.ref)}</td><td class="desc">${e(l.description)}</td><td class="amount">${e(l.amount)} ${e(doc.currency)}</td></tr>`)
    .join('\n');
  const totals = doc.totals
    .map((t) => `<tr${t.strong ? ' class="strong"' : ''}><td></td><td>${e(t.label)}</td><td class="amount"${t.id ? ` id="${e(t.id)}"` : ''}>${e(t.amount)} ${e(doc.currency)}</td></tr>`)
    .join('\n');
  const s = doc.summary;
  const data = Object.entries(s).filter(([, v]) => v !== undefined).map(([k, v]) => ` data-${k.toLowerCase()}="${e(v)}"`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${e(doc.title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;color:#111}
header{display:flex;justify-content:space-between;gap:2rem}address{font-style:normal}
table{border-collapse:collapse;width:100%;margin-top:1rem}th,td{padding:.4rem .6rem;border-bottom:1px solid #ccc;text-align:left;vertical-align:top}
.amount{text-align:right;white-space:nowrap}.desc{white-space:pre-wrap}dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-weight:600}
tfoot td{border-bottom:none}tr.strong td{font-weight:700}.notes{color:#444;font-size:.9rem}
</style>
</head>
<body id="document"${data}>
<header>
<address id="seller">${block(doc.seller)}</address>
<address id="bill-to">Bill to:<br>${block(doc.billTo)}</address>
</header>
<h1>${e(doc.title)}</h1>
<dl>
${doc.facts.map(([k, v]) => `<dt>${e(k)}</dt><dd>${e(v)}</dd>`).join('\n')}
</dl>
<table>
<thead><tr><th>Milestone</th><th>Description</th><th class="amount">Amount</th></tr></thead>
<tbody>
${rows}
</tbody>
<tfoot>
${totals}
</tfoot>
</table>
${doc.notes.length ? `<div class="notes">${doc.notes.map((n) => `<p>${e(n)}</p>`).join('\n')}</div>` : ''}
</body>
</html>
`;
}

/**
 * Text for the PDF's standard fonts (WinAnsi): characters outside it are printed as `?` rather than
 * as wrong glyphs (a font with a wider character set would need embedding).
 */
export function pdfText(value: string): string {
  return value.replace(/[^\x09\x0a\x0d\x20-\x7e\u00a0-\u00ff\u20ac\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026]/g, '?');
}

/** The PDF (A4): the same content as the HTML. `compress: false` keeps the text streams readable (tests). */
export function renderPdf(doc: PrintableDocument, opts: { compress?: boolean } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const pdf = new PDFDocument({ size: 'A4', margin: 50, compress: opts.compress ?? true, info: { Title: pdfText(doc.title), Author: pdfText(doc.seller.name) } });
    const chunks: Buffer[] = [];
    pdf.on('data', (c: Buffer) => chunks.push(c));
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
    const t = pdfText;
    const left = pdf.page.margins.left;
    const width = pdf.page.width - left - pdf.page.margins.right;
    const half = width / 2 - 10;

    // Seller (left) and bill-to (right).
    const top = pdf.y;
    pdf.font('Helvetica-Bold').fontSize(11).text(t(doc.seller.name), left, top, { width: half });
    pdf.font('Helvetica').fontSize(9);
    for (const l of doc.seller.lines) pdf.text(t(l), { width: half });
    const sellerBottom = pdf.y;
    pdf.font('Helvetica').fontSize(9).text('Bill to:', left + half + 20, top, { width: half });
    pdf.font('Helvetica-Bold').fontSize(11).text(t(doc.billTo.name), { width: half });
    pdf.font('Helvetica').fontSize(9);
    for (const l of doc.billTo.lines) pdf.text(t(l), { width: half });
    pdf.y = Math.max(sellerBottom, pdf.y) + 20;

    pdf.font('Helvetica-Bold').fontSize(18).text(t(doc.title), left, pdf.y, { width });
    pdf.moveDown(0.5);
    pdf.fontSize(10);
    for (const [k, v] of doc.facts) {
      const y = pdf.y;
      pdf.font('Helvetica-Bold').text(t(k), left, y, { width: 170 });
      const labelBottom = pdf.y;
      pdf.font('Helvetica').text(t(v), left + 180, y, { width: width - 180 });
      pdf.y = Math.max(labelBottom, pdf.y);
    }
    pdf.moveDown(1);

    const refW = 90;
    const amountW = 130;
    const descW = width - refW - amountW - 20;
    const row = (cells: [string, string, string], bold = false) => {
      const y = pdf.y;
      if (y > pdf.page.height - pdf.page.margins.bottom - 40) pdf.addPage();
      const y0 = pdf.y;
      pdf.font(bold ? 'Helvetica-Bold' : 'Helvetica');
      pdf.text(t(cells[0]), left, y0, { width: refW });
      const b1 = pdf.y;
      pdf.text(t(cells[1]), left + refW + 10, y0, { width: descW });
      const b2 = pdf.y;
      pdf.text(t(cells[2]), left + refW + descW + 20, y0, { width: amountW, align: 'right' });
      pdf.y = Math.max(b1, b2, pdf.y) + 4;
      pdf.x = left;
    };
    const rule = () => {
      pdf.moveTo(left, pdf.y).lineTo(left + width, pdf.y).strokeColor('#999').lineWidth(0.5).stroke();
      pdf.y += 4;
    };
    row(['Milestone', 'Description', 'Amount'], true);
    rule();
    for (const l of doc.lines) row([l.ref, l.description, `${l.amount} ${doc.currency}`]);
    rule();
    for (const s of doc.totals) row(['', s.label, `${s.amount} ${doc.currency}`], s.strong);
    if (doc.notes.length) {
      pdf.moveDown(1);
      pdf.font('Helvetica').fontSize(9).fillColor('#444');
      for (const n of doc.notes) pdf.text(t(n), left, pdf.y, { width });
    }
    pdf.end();
  });
}

/**
 * The invoicing service's own printable page (GET /invoices/:number.html on the internal port):
 * the figures invoicing holds (its credit memos, the payment status AR last reported). The gateway
 * prints the full document, with AR's receivable, the advance and the seller details.
 */
export function renderDocumentHtml(doc: Invoice | CreditMemo, seller: Seller = { name: '' }): string {
  return renderHtml(doc.kind === 'credit_memo'
    ? creditMemoDocument({ creditMemo: doc, seller })
    : invoiceDocument({ invoice: doc, seller }));
}

/** The seller printed on the documents, from config (empty values are not printed). */
export function sellerFromConfig(config: { TOLLGATE_SELLER_NAME?: string; TOLLGATE_SELLER_ADDRESS?: string; TOLLGATE_SELLER_TAX_ID?: string; TOLLGATE_SELLER_EMAIL?: string }): Seller {
  return {
    name: config.TOLLGATE_SELLER_NAME || 'Tollgate',
    ...(config.TOLLGATE_SELLER_ADDRESS ? { address: config.TOLLGATE_SELLER_ADDRESS.replace(/\\n/g, '\n') } : {}),
    ...(config.TOLLGATE_SELLER_TAX_ID ? { taxId: config.TOLLGATE_SELLER_TAX_ID } : {}),
    ...(config.TOLLGATE_SELLER_EMAIL ? { email: config.TOLLGATE_SELLER_EMAIL } : {}),
  };
}
