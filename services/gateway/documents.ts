/**
 * Documents, accounts receivable and the GL export through the gateway (DESIGN §5, §7, §9): the
 * reads a finance team, an ERP or a customer's AP department needs, with roles and customer scope.
 *
 * - Invoices and credit memos by number (JSON, printable HTML, PDF), per contract and per customer
 *   (cursor pages). A customer-scoped key reads its own customer's documents; any other answers 404
 *   exactly as a number that does not exist.
 * - AR: aging, overdue invoices, DSO, a customer's credit (scoped keys: their own customer only).
 * - The GL export of a closed month of the books, mapped to the company's chart of accounts.
 *
 * Every read is one indexed lookup per service: an invoice by its number, a receivable by its
 * invoice, a contract's or a customer's documents by their indexed ids, a month's entries by
 * (ledger, period).
 */
import type { Request, Response } from 'express';
import { z } from 'zod';
import { type ContractState } from '../../libs/domain/contract';
import { AppError } from '../../libs/domain/errors';
import { businessDate, calendarMonth } from '../../libs/domain/terms';
import { validate } from '../../libs/http';
import { dec, formatMoney } from '../../libs/money';
import { ServiceError } from '../../libs/service-client';
import { agingResponseSchema, creditLotSchema, dsoResponseSchema, overdueItemSchema } from '../ar/api';
import { creditMemoResponseSchema, INVOICE_STATUSES, invoiceResponseSchema, type CreditMemo, type Invoice } from '../invoicing/api';
import {
  creditMemoDocument, invoiceDocument, renderHtml, renderPdf, type AdvanceApplied, type PrintableDocument, type ReceivableFigures, type Seller,
} from '../invoicing/printable';
import { glExportCsv, glExportSchema, type GlExport } from '../revenue/gl';
import type { GatewayDeps, GatewayOperation } from './routes';

const dateField = z.string().meta({ format: 'date', description: 'a business date YYYY-MM-DD' });
const dateTimeField = z.string().meta({ format: 'date-time' });
const nextCursor = z.string().optional().describe('pass as `cursor` for the next page; absent on the last page');

export const invoiceSchema = invoiceResponseSchema.extend({
  date: dateField,
  dueDate: dateField.describe('date + payment-term days'),
  createdAt: dateTimeField,
}).meta({ id: 'Invoice', description: 'An invoice as issued, with what credit memos and payments (as AR last reported) did to it' });
export const creditMemoSchema = creditMemoResponseSchema.extend({ date: dateField, createdAt: dateTimeField })
  .meta({ id: 'CreditMemo', description: 'A credit memo: reduces the invoice it names (an amendment lowered a billed milestone)' });
export const invoicePageSchema = z.object({ data: z.array(invoiceSchema), nextCursor }).meta({ id: 'InvoicePage' });
export const creditMemoPageSchema = z.object({ data: z.array(creditMemoSchema), nextCursor }).meta({ id: 'CreditMemoPage' });
const agingSchema = agingResponseSchema.extend({ asOf: dateField }).meta({ id: 'AgingReport', description: 'Open receivables by days past due (current, 1–30, 31–60, 61–90, 90+), per customer and in total' });
const overdueSchema = z.object({ asOf: dateField, currency: z.string(), data: z.array(overdueItemSchema.extend({ dueDate: dateField })), nextCursor })
  .meta({ id: 'OverdueInvoices', description: 'Invoices past due as of a date, most overdue first' });
const dsoSchema = dsoResponseSchema.extend({ from: dateField, to: dateField }).meta({ id: 'DsoReport' });
const customerCreditSchema = z.object({
  customerId: z.string(),
  currency: z.string(),
  data: z.array(creditLotSchema.extend({ date: dateField })).describe('credit lots (over-payments, credit memos beyond what was open) with what remains of each'),
  total: z.string().describe('the credit the customer has left'),
}).meta({ id: 'CustomerCredit' });
const glSchema = glExportSchema.meta({ id: 'GlExport', description: 'The journal lines of a closed month of the books, with the company\'s account codes' });

const PRINTABLE = { 'text/html': undefined, 'application/pdf': undefined };
const NUMBER = /^(SBX-)?(INV|CM)-\d{4}-\d{6,}$/;
const idField = z.string().min(1).max(100).regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only');
const currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD');

const pageFields = {
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('items per page (1–200)'),
  cursor: z.string().regex(/^[A-Za-z0-9_-]{1,4096}$/, 'must be the nextCursor of a previous page').optional().describe('the nextCursor of the previous page'),
};
const documentQuery = z.object({
  format: z.enum(['json', 'html', 'pdf']).optional().describe('default: from the Accept header (text/html, application/pdf), else JSON'),
}).strict();
const invoiceFilters = {
  status: z.enum(INVOICE_STATUSES).optional(),
  kind: z.enum(['milestone', 'advance', 'supplementary']).optional(),
  dateFrom: businessDate.optional().describe('invoice date from (inclusive)'),
  dateTo: businessDate.optional().describe('invoice date to (inclusive)'),
};
const contractInvoicesQuery = z.object({ ...pageFields, ...invoiceFilters }).strict();
const customerInvoicesQuery = z.object({
  ...pageFields, ...invoiceFilters,
  sandbox: z.enum(['true', 'false']).default('false').describe('true: the customer\'s sandbox (test) documents instead of the real ones'),
}).strict();
const memoFilters = {
  originalInvoiceNumber: z.string().regex(NUMBER).optional().describe('only memos crediting this invoice'),
  dateFrom: businessDate.optional(),
  dateTo: businessDate.optional(),
};
const contractMemosQuery = z.object({ ...pageFields, ...memoFilters }).strict();
const customerMemosQuery = z.object({ ...pageFields, ...memoFilters, sandbox: customerInvoicesQuery.shape.sandbox }).strict();
const agingQuery = z.object({
  asOf: businessDate.optional().describe('default: today (UTC)'),
  currency,
  customer: idField.optional().describe('one customer (a customer-scoped key: always its own)'),
}).strict();
const overdueQuery = agingQuery.extend(pageFields).strict();
const dsoQuery = z.object({
  from: businessDate.describe('first day of the period'),
  to: businessDate.optional().describe('last day of the period (default: today, UTC)'),
  currency,
  customer: idField.optional(),
}).strict();
const creditQuery = z.object({ currency }).strict();
const glQuery = z.object({ period: calendarMonth, format: z.enum(['json', 'csv']).default('json') }).strict();

type Format = 'json' | 'html' | 'pdf';

/** The format asked for: `?format=`, else the Accept header (HTML, PDF), else JSON. */
function formatOf(req: Request): Format {
  const q = validate(documentQuery, req.query, 'query');
  if (q.format) return q.format;
  const best = req.accepts(['application/json', 'text/html', 'application/pdf']);
  return best === 'text/html' ? 'html' : best === 'application/pdf' ? 'pdf' : 'json';
}

async function sendPrintable(res: Response, doc: PrintableDocument, format: 'html' | 'pdf', fileName: string): Promise<void> {
  if (format === 'html') {
    res.type('html').send(renderHtml(doc));
    return;
  }
  const pdf = await renderPdf(doc);
  res.type('application/pdf').setHeader('Content-Disposition', `inline; filename="${fileName}.pdf"`);
  res.send(pdf);
}

function checkNumber(number: string, what: 'invoice' | 'credit memo'): void {
  if (!NUMBER.test(number)) {
    throw new AppError('validation_failed', `invalid params: params.number is not ${what === 'invoice' ? 'an invoice' : 'a credit memo'} number`, [
      { path: 'params.number', message: 'must be INV-YYYY-NNNNNN, CM-YYYY-NNNNNN (sandbox: SBX-…)' },
    ]);
  }
}

/** Null on the service's 404 (a receivable not opened yet); every other failure is thrown. */
async function orNull<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof ServiceError && err.status === 404) return null;
    if (err instanceof AppError && err.code === 'not_found') return null;
    throw err;
  }
}

const today = () => new Date().toISOString().slice(0, 10);

/**
 * What the advance did to a milestone invoice (DESIGN §3, §11: each milestone invoice is reduced by
 * the advance still unapplied): the milestone's amount under the invoice's terms version, less the
 * invoice's total. Undefined when the contract has no advance or it took nothing off this invoice.
 */
export function advanceAppliedTo(invoice: Pick<Invoice, 'kind' | 'termsVersion' | 'lines' | 'total' | 'progress'>, state: Pick<ContractState, 'advance' | 'versions' | 'invoices'>): AdvanceApplied | undefined {
  if (invoice.kind !== 'milestone' || !state.advance || invoice.lines.length !== 1) return undefined;
  const terms = state.versions.find((v) => v.version === invoice.termsVersion)?.terms;
  const milestone = terms?.milestones.find((m) => m.id === invoice.lines[0]!.milestoneId);
  if (!terms || !milestone) return undefined;
  // A progress invoice bills its part of the milestone (docs/progressive-billing.md): what it adds to the billed to date.
  const gross = invoice.progress ? dec(invoice.progress.cumulative).minus(invoice.progress.previouslyBilled) : dec(milestone.amount);
  const applied = gross.minus(invoice.total);
  if (!applied.greaterThan(0)) return undefined;
  const advanceInvoiceNumber = state.invoices.find((i) => i.kind === 'advance')?.number;
  return { grossAmount: formatMoney(gross, terms.currency), applied: formatMoney(applied, terms.currency), ...(advanceInvoiceNumber ? { advanceInvoiceNumber } : {}) };
}

export interface DocumentOptions {
  /** Who issues the documents (config TOLLGATE_SELLER_*). */
  seller: Seller;
}

export function documentOperations(deps: GatewayDeps, options: DocumentOptions = { seller: { name: 'Tollgate' } }): GatewayOperation[] {
  const { contracts, services } = deps;
  const scopeOf = (req: Request) => req.principal?.customerId;
  const read = { permission: 'read' as const, action: 'read invoices and receivables' };

  /** The invoice, or 404 — also when it belongs to another customer than the key's (the same answer). */
  async function invoiceFor(req: Request, number: string): Promise<Invoice> {
    checkNumber(number, 'invoice');
    const invoice = await services.invoicing.get<Invoice>(`/invoices/${encodeURIComponent(number)}`);
    const scope = scopeOf(req);
    if (scope !== undefined && invoice.customer.id !== scope) throw new AppError('not_found', `no invoice ${number}`);
    return invoice;
  }
  async function creditMemoFor(req: Request, number: string): Promise<CreditMemo> {
    checkNumber(number, 'credit memo');
    const memo = await services.invoicing.get<CreditMemo>(`/credit-memos/${encodeURIComponent(number)}`);
    const scope = scopeOf(req);
    if (scope !== undefined && memo.customer.id !== scope) throw new AppError('not_found', `no credit memo ${number}`);
    return memo;
  }
  /** A customer named in a path: a scoped key sees only its own; any other answers 404. */
  function customerFor(req: Request): string {
    const customerId = validate(z.object({ customerId: idField }), { customerId: req.params.customerId }, 'params').customerId;
    const scope = scopeOf(req);
    if (scope !== undefined && customerId !== scope) throw new AppError('not_found', `no customer ${customerId}`);
    return customerId;
  }
  /** A customer filter: a scoped key's own customer (another one named answers 404). */
  function customerFilter(req: Request, named: string | undefined): string | undefined {
    const scope = scopeOf(req);
    if (scope !== undefined && named !== undefined && named !== scope) throw new AppError('not_found', `no customer ${named}`);
    return scope ?? named;
  }

  /** The printable invoice: the invoice, AR's receivable, its credit memos and, for a milestone invoice, the advance it used. */
  async function printableInvoice(invoice: Invoice): Promise<PrintableDocument> {
    const n = encodeURIComponent(invoice.number);
    const needsState = invoice.kind === 'milestone' || invoice.kind === 'advance';
    const [receivable, memos, state] = await Promise.all([
      orNull(services.ar.get<ReceivableFigures>(`/receivables/${n}`)),
      (invoice.creditMemoNumbers?.length ?? 0) > 0
        ? services.invoicing.get<{ data: CreditMemo[] }>('/credit-memos', { originalInvoiceNumber: invoice.number, limit: '500' })
        : Promise.resolve({ data: [] as CreditMemo[] }),
      needsState ? orNull(contracts.state(invoice.contractId)) : Promise.resolve(null),
    ]);
    return invoiceDocument({
      invoice,
      seller: options.seller,
      creditMemos: memos.data,
      ...(receivable ? { receivable } : {}),
      ...(state ? { advance: advanceAppliedTo(invoice, state), ...(invoice.kind === 'advance' && state.advance ? { advanceUsed: state.advance.applied } : {}) } : {}),
    });
  }
  async function printableCreditMemo(memo: CreditMemo): Promise<PrintableDocument> {
    const original = await orNull(services.invoicing.get<Invoice>(`/invoices/${encodeURIComponent(memo.originalInvoiceNumber)}`));
    return creditMemoDocument({ creditMemo: memo, seller: options.seller, ...(original ? { original } : {}) });
  }

  /** How each kind of document is read and printed (the same operation shape serves both). */
  const KINDS = {
    invoice: { what: 'invoice', schema: invoiceSchema, read: invoiceFor, print: printableInvoice },
    creditMemo: { what: 'credit memo', schema: creditMemoSchema, read: creditMemoFor, print: printableCreditMemo },
  } as const;

  /** A document by its number: JSON, or the printable HTML/PDF (fixed by the path, or by `format` / `Accept`). */
  const documentOp = (kind: keyof typeof KINDS, path: string, fixed: Format | undefined, operationId: string, summary: string): GatewayOperation => {
    const k = KINDS[kind];
    return {
      method: 'get', path, operationId, tags: ['documents'], summary,
      ...(fixed ? {} : { query: documentQuery }),
      access: read,
      responses: fixed === undefined
        ? { 200: { description: `the ${k.what} (JSON); the printable document with \`format=html|pdf\` or \`Accept: text/html|application/pdf\``, schema: k.schema, alternatives: PRINTABLE } }
        : { 200: { description: `the printable ${k.what} (${fixed.toUpperCase()})`, schema: fixed === 'pdf' ? z.string().meta({ format: 'binary' }) : z.string(), contentType: fixed === 'pdf' ? 'application/pdf' : 'text/html' } },
      async handler(req, res) {
        const format = fixed ?? formatOf(req);
        const doc = await k.read(req, req.params.number as string);
        if (format === 'json') {
          res.json(doc);
          return;
        }
        await sendPrintable(res, await (k.print as (d: typeof doc) => Promise<PrintableDocument>)(doc), format, doc.number);
      },
    };
  };

  /** A page of the invoicing service's list, in the gateway's shape `{data, nextCursor?}`. */
  async function page(path: '/invoices' | '/credit-memos', query: Record<string, string | number | undefined>): Promise<{ data: unknown[]; nextCursor?: string }> {
    const q = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
    const r = await services.invoicing.get<{ data: unknown[]; nextCursor?: string }>(path, q);
    return { data: r.data, ...(r.nextCursor ? { nextCursor: r.nextCursor } : {}) };
  }

  /**
   * A contract's or a customer's invoices or credit memos, a page at a time: a contract that does
   * not exist (or is out of the key's scope) is 404; a customer list is the key's own customer.
   */
  function documentList(scope: 'contract' | 'customer', list: '/invoices' | '/credit-memos', operationId: string, summary: string, query: z.ZodObject, schema: z.ZodType): GatewayOperation {
    const what = list === '/invoices' ? 'invoices' : 'credit memos';
    return {
      method: 'get', path: scope === 'contract' ? `/contracts/:id${list}` : `/customers/:customerId${list}`, operationId, tags: ['documents'],
      summary, query, access: read,
      responses: { 200: { description: `a page of ${what}`, schema } },
      async handler(req, res) {
        const q = validate(query, req.query, 'query') as Record<string, string | number | undefined>;
        if (scope === 'customer') {
          res.json(await page(list, { ...q, customerId: customerFor(req) }));
          return;
        }
        await contracts.customerOf(req.params.id as string); // 404 for a contract that does not exist
        res.json(await page(list, { ...q, contractId: req.params.id as string }));
      },
    };
  }

  return [
    documentOp('invoice', '/invoices/:number.pdf', 'pdf', 'getInvoicePdf', 'The printable invoice as PDF'),
    documentOp('invoice', '/invoices/:number.html', 'html', 'getInvoiceHtml', 'The printable invoice as HTML'),
    documentOp('invoice', '/invoices/:number', undefined, 'getInvoice', 'An invoice by its number (JSON, HTML or PDF)'),
    documentOp('creditMemo', '/credit-memos/:number.pdf', 'pdf', 'getCreditMemoPdf', 'The printable credit memo as PDF'),
    documentOp('creditMemo', '/credit-memos/:number.html', 'html', 'getCreditMemoHtml', 'The printable credit memo as HTML'),
    documentOp('creditMemo', '/credit-memos/:number', undefined, 'getCreditMemo', 'A credit memo by its number (JSON, HTML or PDF)'),
    documentList('contract', '/invoices', 'listContractInvoices', 'The contract\'s invoices in issue order, a page at a time', contractInvoicesQuery, invoicePageSchema),
    documentList('contract', '/credit-memos', 'listContractCreditMemos', 'The contract\'s credit memos in issue order, a page at a time', contractMemosQuery, creditMemoPageSchema),
    documentList('customer', '/invoices', 'listCustomerInvoices',
      'A customer\'s invoices across contracts in issue order, a page at a time (real ones; `sandbox=true` for test documents)', customerInvoicesQuery, invoicePageSchema),
    documentList('customer', '/credit-memos', 'listCustomerCreditMemos', 'A customer\'s credit memos across contracts in issue order, a page at a time', customerMemosQuery, creditMemoPageSchema),
    {
      method: 'get', path: '/customers/:customerId/credit', operationId: 'getCustomerCredit', tags: ['receivables'],
      summary: 'A customer\'s credit (over-payments, excess credit memos): lot by lot and in total', query: creditQuery, access: read,
      responses: { 200: { description: 'the customer\'s credit', schema: customerCreditSchema } },
      async handler(req, res) {
        const customerId = customerFor(req);
        const q = validate(creditQuery, req.query, 'query');
        const r = await services.ar.get<{ data: unknown[]; total: string }>('/credits', { customerId, currency: q.currency, sandbox: 'false' });
        res.json({ customerId, currency: q.currency, data: r.data, total: r.total });
      },
    },
    {
      method: 'get', path: '/aging', operationId: 'getAging', tags: ['receivables'],
      summary: 'AR aging as of a date: open amounts by days past due, per customer and in total (a scoped key: its own customer)',
      query: agingQuery, access: read,
      responses: { 200: { description: 'the aging report', schema: agingSchema } },
      async handler(req, res) {
        const q = validate(agingQuery, req.query, 'query');
        const customerId = customerFilter(req, q.customer);
        res.json(await services.ar.get('/aging', { asOf: q.asOf ?? today(), currency: q.currency, customerId, sandbox: 'false' }));
      },
    },
    {
      method: 'get', path: '/overdue', operationId: 'listOverdueInvoices', tags: ['receivables'],
      summary: 'Invoices past due as of a date, most overdue first (the base for dunning), a page at a time',
      query: overdueQuery, access: read,
      responses: { 200: { description: 'a page of overdue invoices', schema: overdueSchema } },
      async handler(req, res) {
        const q = validate(overdueQuery, req.query, 'query');
        const customerId = customerFilter(req, q.customer);
        const asOf = q.asOf ?? today();
        const r = await services.ar.get<{ asOf: string; data: unknown[] }>('/overdue', { asOf, currency: q.currency, customerId, sandbox: 'false' });
        // The list is computed per request in a fixed order: the cursor is the position after the page.
        const from = q.cursor === undefined ? 0 : offsetOf(q.cursor);
        const data = r.data.slice(from, from + q.limit);
        res.json({ asOf, currency: q.currency, data, ...(from + q.limit < r.data.length ? { nextCursor: offsetCursor(from + q.limit) } : {}) });
      },
    },
    {
      method: 'get', path: '/dso', operationId: 'getDso', tags: ['receivables'],
      summary: 'Days sales outstanding over a period: receivables open at its end ÷ invoiced in it × its days',
      query: dsoQuery, access: read,
      responses: { 200: { description: 'DSO', schema: dsoSchema } },
      async handler(req, res) {
        const q = validate(dsoQuery, req.query, 'query');
        const customerId = customerFilter(req, q.customer);
        res.json(await services.ar.get('/dso', { from: q.from, to: q.to ?? today(), currency: q.currency, customerId, sandbox: 'false' }));
      },
    },
    {
      method: 'get', path: '/gl/export', operationId: 'exportGl', tags: ['reports'],
      summary: 'GL export of a closed month of the books: date, account (and the company\'s code), debit, credit, contract, memo; JSON or `format=csv`',
      query: glQuery,
      access: { permission: 'manage', action: 'export the general ledger' },
      responses: {
        200: {
          description: 'the month\'s journal lines; accounts without a company code are listed in `unmapped` (CSV: the `X-Tollgate-Unmapped-Accounts` header), never dropped',
          schema: glSchema, alternatives: { 'text/csv': undefined }, headers: { 'X-Tollgate-Unmapped-Accounts': 'CSV only: the Tollgate accounts with no company account code, comma-separated' },
        },
        409: { description: 'the period is not closed', codes: ['not_allowed_in_state'] },
      },
      async handler(req, res) {
        const q = validate(glQuery, req.query, 'query');
        const x = await services.revenue.get<GlExport>('/gl/export', { period: q.period });
        if (q.format === 'json') {
          res.json(x);
          return;
        }
        res.type('text/csv').setHeader('Content-Disposition', `attachment; filename="gl-${x.period}.csv"`);
        if (x.unmapped.length) res.setHeader('X-Tollgate-Unmapped-Accounts', x.unmapped.join(','));
        res.send(glExportCsv(x));
      },
    },
  ];
}

function offsetCursor(n: number): string {
  return Buffer.from(`o:${n}`, 'utf8').toString('base64url');
}

function offsetOf(cursor: string): number {
  const m = /^o:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new AppError('validation_failed', 'invalid query: query.cursor must be the nextCursor of a previous page', [{ path: 'query.cursor', message: 'must be the nextCursor of a previous page' }]);
  return Number(m[1]);
}
