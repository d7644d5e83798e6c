/** The printable invoice and credit memo: what an AP department reads, the same in HTML and PDF, every text escaped. */
import { inflateSync } from 'node:zlib';
import type { CreditMemo, Invoice } from '../../services/invoicing/api';
import {
  creditMemoDocument, invoiceDocument, pdfText, printedStatus, renderHtml, renderPdf, sellerFromConfig, type Seller,
} from '../../services/invoicing/printable';
import { advanceAppliedTo } from '../../services/gateway/documents';

const seller: Seller = { name: 'Vendor GmbH', address: 'Hauptstraße 1\n10115 Berlin', taxId: 'DE123456789', email: 'billing@vendor.example' };

function invoice(overrides: Partial<Invoice> = {}): Invoice {
  return {
    number: 'INV-2026-000007', kind: 'milestone', contractId: 'acme-001', customer: { id: 'cust-acme', name: 'Acme Corp' }, currency: 'USD',
    termsVersion: 1, date: '2026-03-01', dueDate: '2026-03-31', paymentTerms: 'NET_30',
    lines: [{ milestoneId: 'go-live', description: 'Go-live milestone fee', amount: '30000.00' }],
    total: '30000.00', status: 'issued', sandbox: false, createdAt: '2026-03-01T10:00:00.000Z',
    creditedAmount: '0.00', creditMemoNumbers: [], paidAmount: '0.00', openAmount: '30000.00',
    ...overrides,
  };
}

const receivable = (paid: string, credited: string, open: string, status: string) => ({ amount: '30000.00', paidAmount: paid, creditedAmount: credited, openAmount: open, status });

/** The text a PDF shows: its content streams inflated, the hex strings of each TJ decoded (WinAnsi ≈ latin1). */
function pdfTextOf(pdf: Buffer): string {
  const raw = pdf.toString('latin1');
  const out: string[] = [];
  for (const m of raw.matchAll(/stream\r?\n([\s\S]*?)\r?\nendstream/g)) {
    let body = Buffer.from(m[1]!, 'latin1');
    try { body = inflateSync(body); } catch { /* not compressed */ }
    for (const tj of body.toString('latin1').matchAll(/\[(.*?)\] TJ/g)) {
      out.push([...tj[1]!.matchAll(/<([0-9a-f]*)>/g)].map((h) => Buffer.from(h[1]!, 'hex').toString('latin1')).join(''));
    }
  }
  return out.join('\n');
}

describe('the printed status', () => {
  it('reads credited when credit memos cover the whole invoice, not issued', () => {
    expect(printedStatus('30000.00', '30000.00', '0.00', '0.00')).toBe('credited');
  });
  it('reads paid, partially paid, partially credited or issued from the figures', () => {
    expect(printedStatus('30000.00', '0.00', '30000.00', '0.00')).toBe('paid');
    expect(printedStatus('30000.00', '5000.00', '25000.00', '0.00')).toBe('paid');
    expect(printedStatus('30000.00', '5000.00', '10000.00', '15000.00')).toBe('partially paid');
    expect(printedStatus('30000.00', '5000.00', '0.00', '25000.00')).toBe('partially credited');
    expect(printedStatus('30000.00', '0.00', '0.00', '30000.00')).toBe('issued');
  });
});

describe('the printable invoice', () => {
  it('shows the seller, the customer, the contract, the credit memos, paid to date, the balance and a status that reflects them', () => {
    const doc = invoiceDocument({
      invoice: invoice({ creditMemoNumbers: ['CM-2026-000002'], creditedAmount: '5000.00' }),
      seller,
      creditMemos: [{ number: 'CM-2026-000002', date: '2026-03-10', total: '5000.00' }],
      receivable: receivable('10000.00', '5000.00', '15000.00', 'partially_paid'),
    });
    expect(doc.summary).toEqual({ number: 'INV-2026-000007', kind: 'milestone', status: 'partially paid', total: '30000.00', credited: '5000.00', paid: '10000.00', balance: '15000.00' });
    expect(doc.seller).toEqual({ name: 'Vendor GmbH', lines: ['Hauptstraße 1', '10115 Berlin', 'Tax ID: DE123456789', 'E-mail: billing@vendor.example'] });
    expect(doc.facts).toEqual(expect.arrayContaining([['Contract', 'acme-001'], ['Due date', '2026-03-31'], ['Status', 'partially paid']]));
    expect(doc.totals).toEqual([
      { label: 'Invoice total', amount: '30000.00', strong: true, id: 'total' },
      { label: 'Credit memo CM-2026-000002 (2026-03-10)', amount: '-5000.00' },
      { label: 'Paid to date', amount: '-10000.00', id: 'paid' },
      { label: 'Balance due', amount: '15000.00', strong: true, id: 'balance' },
    ]);
  });

  it('an invoice fully reduced by a credit memo reads credited with nothing due', () => {
    const doc = invoiceDocument({
      invoice: invoice({ status: 'credited', creditedAmount: '30000.00', openAmount: '30000.00' }),
      seller,
      creditMemos: [{ number: 'CM-2026-000003', date: '2026-03-10', total: '30000.00' }],
      receivable: receivable('0.00', '30000.00', '0.00', 'credited'),
    });
    expect(doc.summary).toMatchObject({ status: 'credited', balance: '0.00' });
    expect(renderHtml(doc)).toMatch(/<dt>Status<\/dt><dd>credited<\/dd>/);
  });

  it('without AR figures it shows what invoicing holds (credits, the payments AR last reported)', () => {
    const doc = invoiceDocument({ invoice: invoice({ creditedAmount: '30000.00', paidAmount: '0.00' }), seller });
    expect(doc.summary).toMatchObject({ status: 'credited', credited: '30000.00', balance: '0.00' });
  });

  it('shows the milestone amount and the advance applied on a milestone invoice the advance reduced', () => {
    const state = {
      advance: { amount: '10000.00', issued: true, applied: '10000.00' },
      invoices: [{ kind: 'advance', number: 'INV-2026-000001' }, { kind: 'milestone', number: 'INV-2026-000007' }],
      versions: [{ version: 1, terms: { currency: 'USD', milestones: [{ id: 'go-live', amount: '30000.00' }] } }],
    } as never;
    const inv = invoice({ total: '20000.00', lines: [{ milestoneId: 'go-live', description: 'Go-live milestone fee', amount: '20000.00' }] });
    const advance = advanceAppliedTo(inv, state);
    expect(advance).toEqual({ grossAmount: '30000.00', applied: '10000.00', advanceInvoiceNumber: 'INV-2026-000001' });
    const doc = invoiceDocument({ invoice: inv, seller, advance, receivable: { amount: '20000.00', paidAmount: '0.00', creditedAmount: '0.00', openAmount: '20000.00', status: 'open' } });
    expect(doc.lines).toEqual([{ ref: 'go-live', description: 'Go-live milestone fee', amount: '30000.00' }]);
    expect(doc.totals.slice(0, 3)).toEqual([
      { label: 'Milestone amount', amount: '30000.00' },
      { label: 'Less advance applied (advance invoice INV-2026-000001)', amount: '-10000.00', id: 'advance' },
      { label: 'Invoice total', amount: '20000.00', strong: true, id: 'total' },
    ]);
    // No advance, or one that took nothing off: nothing about it.
    expect(advanceAppliedTo(invoice(), { ...(state as object), advance: undefined } as never)).toBeUndefined();
    expect(advanceAppliedTo(invoice(), state)).toBeUndefined();
  });

  describe('a progress invoice (docs/progressive-billing.md)', () => {
    const part = () => invoice({
      number: 'INV-2026-000009', total: '325.00', openAmount: '325.00',
      lines: [{ milestoneId: 'build', description: 'Build phase', amount: '325.00' }],
      progress: { percent: '62.5', cumulative: '625.00', previouslyBilled: '300.00' },
    });

    it('prints the percent complete, the billed to date and what was billed before, in the document\'s money format', () => {
      const doc = invoiceDocument({ invoice: part(), seller });
      expect(doc.facts).toContainEqual(['Progress billing', '62.5 % complete — billed to date 625.00 USD (previously billed 300.00 USD)']);
      expect(doc.notes).toContain('Progress billing: this invoice bills the share of the milestone reached at 62.5 % complete, less what earlier invoices of it billed.');
      expect(doc.summary).toMatchObject({ progress: '62.5', total: '325.00', balance: '325.00' });
      const html = renderHtml(doc);
      expect(html).toContain('<dt>Progress billing</dt><dd>62.5 % complete — billed to date 625.00 USD (previously billed 300.00 USD)</dd>');
      expect(html).toMatch(/<body id="document"[^>]* data-progress="62.5"/);
    });

    it('prints the invoice of the rest as 100 % complete, and says it bills the rest', () => {
      const doc = invoiceDocument({
        invoice: invoice({ total: '375.00', lines: [{ milestoneId: 'build', description: 'Build phase', amount: '375.00' }], progress: { percent: '100', cumulative: '1000.00', previouslyBilled: '625.00' } }),
        seller,
      });
      expect(doc.facts).toContainEqual(['Progress billing', '100 % complete — billed to date 1000.00 USD (previously billed 625.00 USD)']);
      expect(doc.notes).toContain('Progress billing: this invoice bills the rest of the milestone, what earlier progress invoices of it did not bill.');
    });

    it('prints amounts in the currency\'s minor units (JPY: none)', () => {
      const doc = invoiceDocument({ invoice: invoice({ currency: 'JPY', total: '333', lines: [{ milestoneId: 'b', description: 'B', amount: '333' }], progress: { percent: '66.67', cumulative: '666', previouslyBilled: '333' } }), seller });
      expect(doc.facts).toContainEqual(['Progress billing', '66.67 % complete — billed to date 666 JPY (previously billed 333 JPY)']);
    });

    it('an invoice without progress prints nothing about it', () => {
      const doc = invoiceDocument({ invoice: invoice(), seller });
      expect(doc.facts.map(([k]) => k)).not.toContain('Progress billing');
      expect(doc.summary).not.toHaveProperty('progress');
      expect(renderHtml(doc)).not.toContain('Progress');
    });

    it('the advance applied to a part is measured against the part, not the milestone\'s amount', () => {
      const state = {
        advance: { amount: '100.00', issued: true, applied: '25.00' },
        invoices: [{ kind: 'advance', number: 'INV-2026-000001' }],
        versions: [{ version: 1, terms: { currency: 'USD', milestones: [{ id: 'build', amount: '1000.00' }] } }],
      } as never;
      // The part bills 325.00 of progress; the advance took 25.00 off it.
      const reduced = part();
      reduced.total = '300.00';
      reduced.lines = [{ milestoneId: 'build', description: 'Build phase', amount: '300.00' }];
      const doc = invoiceDocument({ invoice: reduced, seller, advance: advanceAppliedTo(reduced, state) });
      expect(doc.lines).toEqual([{ ref: 'build', description: 'Build phase', amount: '325.00' }]);
      expect(doc.totals.slice(0, 3)).toEqual([
        { label: 'Amount billed by progress', amount: '325.00' },
        { label: 'Less advance applied (advance invoice INV-2026-000001)', amount: '-25.00', id: 'advance' },
        { label: 'Invoice total', amount: '300.00', strong: true, id: 'total' },
      ]);
      // A part the advance did not reduce: no advance lines, whatever the milestone's amount.
      const whole = invoiceDocument({ invoice: part(), seller, advance: advanceAppliedTo(part(), state) });
      expect(whole.lines).toEqual([{ ref: 'build', description: 'Build phase', amount: '325.00' }]);
      expect(whole.totals.map((t) => t.label)).toEqual(['Invoice total', 'Paid to date', 'Balance due']);
    });

    it('prints the same progress in the PDF', async () => {
      const pdf = await renderPdf(invoiceDocument({ invoice: part(), seller }));
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      const text = pdfTextOf(pdf).replace(/\s+/g, ' ');
      for (const s of ['Progress billing', '62.5 % complete', 'billed to date 625.00 USD (previously billed 300.00 USD)', 'reached at 62.5 % complete']) {
        expect(text).toContain(s);
      }
    });
  });

  it('escapes every text in the HTML', () => {
    const hostile = '<script>alert("x")</script>&\'';
    const html = renderHtml(invoiceDocument({
      invoice: invoice({ customer: { id: 'c<1>', name: hostile }, lines: [{ milestoneId: 'm"1', description: hostile, amount: '30000.00' }] }),
      seller: { name: hostile, address: hostile, taxId: hostile, email: hostile },
    }));
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('m"1');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
  });

  it('prints the same content as PDF', async () => {
    const doc = invoiceDocument({
      invoice: invoice(), seller, creditMemos: [{ number: 'CM-2026-000002', date: '2026-03-10', total: '5000.00' }],
      receivable: receivable('10000.00', '5000.00', '15000.00', 'partially_paid'),
    });
    const pdf = await renderPdf(doc);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const text = pdfTextOf(pdf);
    for (const s of ['Vendor GmbH', 'Hauptstraße 1', 'Tax ID: DE123456789', 'Acme Corp', 'Invoice INV-2026-000007', 'acme-001', 'Go-live milestone fee',
      'Credit memo CM-2026-000002 (2026-03-10)', '-5000.00 USD', 'Paid to date', '-10000.00 USD', 'Balance due', '15000.00 USD', 'partially paid']) {
      expect(text).toContain(s);
    }
  });

  it('prints characters the PDF fonts lack as ? rather than wrong glyphs', () => {
    expect(pdfText('Café – 東京')).toBe('Café – ??');
  });
});

describe('the printable credit memo', () => {
  it('names the invoice it credits, the amendment, and the total credited', () => {
    const memo: CreditMemo = {
      number: 'CM-2026-000002', kind: 'credit_memo', contractId: 'acme-001', customer: { id: 'cust-acme', name: 'Acme Corp' }, currency: 'USD',
      originalInvoiceNumber: 'INV-2026-000007', amendmentVersion: 2, date: '2026-03-10', lines: [{ milestoneId: 'go-live', description: 'Go-live milestone fee', amount: '5000.00' }],
      total: '5000.00', sandbox: false, createdAt: '2026-03-10T10:00:00.000Z',
    };
    const doc = creditMemoDocument({ creditMemo: memo, seller, original: { number: 'INV-2026-000007', date: '2026-03-01', total: '30000.00' } });
    expect(doc.title).toBe('Credit memo CM-2026-000002');
    expect(doc.facts).toEqual(expect.arrayContaining([['Credits invoice', 'INV-2026-000007 of 2026-03-01'], ['Amendment (contract version)', '2']]));
    expect(doc.totals).toEqual([{ label: 'Invoice INV-2026-000007 total', amount: '30000.00' }, { label: 'Total credited', amount: '5000.00', strong: true, id: 'total' }]);
  });
});

describe('seller details from config', () => {
  it('prints what is configured and leaves out what is empty', () => {
    expect(sellerFromConfig({ TOLLGATE_SELLER_NAME: 'Vendor GmbH', TOLLGATE_SELLER_ADDRESS: 'Line 1\\nLine 2', TOLLGATE_SELLER_TAX_ID: '', TOLLGATE_SELLER_EMAIL: 'a@b.example' }))
      .toEqual({ name: 'Vendor GmbH', address: 'Line 1\nLine 2', email: 'a@b.example' });
  });
});
