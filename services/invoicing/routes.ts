/** Thin HTTP routes over the invoicing use cases, and the OpenAPI description generated from their schemas. */
import { Router, type Response } from 'express';
import { z } from 'zod';
import { validate } from '../../libs/http';
import { requireIdempotencyKey } from '../../libs/idempotency';
import { openApiDocument, type OpenApiOperation } from '../../libs/openapi';
import {
  creditMemoResponseSchema,
  documentFormatQuery,
  invoiceResponseSchema,
  issueCreditMemoSchema,
  issueInvoiceSchema,
  listCreditMemosQuery,
  listInvoicesQuery,
  pageSchema,
  paymentStatusSchema,
  type CreditMemo,
  type Invoice,
} from './api';
import type { InvoiceUseCases } from './invoices';
import { renderDocumentHtml } from './printable';

const html = z.string().describe('a printable HTML page');

export const INVOICING_OPERATIONS: OpenApiOperation[] = [
  {
    method: 'post', path: '/invoices', summary: 'Issue an invoice (milestone, advance or supplementary) exactly once per key', idempotent: true, body: issueInvoiceSchema,
    responses: { 201: { description: 'issued', schema: invoiceResponseSchema }, 200: { description: 'replay: the original invoice', schema: invoiceResponseSchema } },
  },
  { method: 'get', path: '/invoices', summary: 'List invoices in issue order, filtered', query: listInvoicesQuery, responses: { 200: { description: 'a page', schema: pageSchema(invoiceResponseSchema) } } },
  {
    method: 'get', path: '/invoices/:number', summary: 'One invoice (JSON, or HTML with ?format=html)', query: documentFormatQuery,
    responses: { 200: { description: 'the invoice', schema: invoiceResponseSchema } },
  },
  { method: 'get', path: '/invoices/:number.html', summary: 'The printable invoice', responses: { 200: { description: 'HTML', schema: html, contentType: 'text/html' } } },
  {
    method: 'post', path: '/invoices/:number/status', summary: 'AR reports the payment status (newer revision wins; idempotent)', body: paymentStatusSchema,
    responses: { 200: { description: 'the invoice after the report', schema: invoiceResponseSchema } },
  },
  {
    method: 'post', path: '/credit-memos', summary: 'Issue a credit memo against an invoice exactly once per key', idempotent: true, body: issueCreditMemoSchema,
    responses: { 201: { description: 'issued', schema: creditMemoResponseSchema }, 200: { description: 'replay: the original memo', schema: creditMemoResponseSchema } },
  },
  { method: 'get', path: '/credit-memos', summary: 'List credit memos in issue order, filtered', query: listCreditMemosQuery, responses: { 200: { description: 'a page', schema: pageSchema(creditMemoResponseSchema) } } },
  {
    method: 'get', path: '/credit-memos/:number', summary: 'One credit memo (JSON, or HTML with ?format=html)', query: documentFormatQuery,
    responses: { 200: { description: 'the credit memo', schema: creditMemoResponseSchema } },
  },
  { method: 'get', path: '/credit-memos/:number.html', summary: 'The printable credit memo', responses: { 200: { description: 'HTML', schema: html, contentType: 'text/html' } } },
  { method: 'get', path: '/openapi.json', summary: 'This description', responses: { 200: { description: 'OpenAPI 3 document' } } },
];

function send(res: Response, doc: Invoice | CreditMemo, format: 'json' | 'html'): void {
  if (format === 'html') res.type('html').send(renderDocumentHtml(doc));
  else res.json(doc);
}

export function invoiceRoutes(invoices: InvoiceUseCases): Router {
  const router = Router();
  const openapi = openApiDocument(
    { title: 'Tollgate invoicing', version: '1.0.0', description: 'Invoices and credit memos with gapless per-year numbers (docs/services/invoicing.md).' },
    INVOICING_OPERATIONS,
  );
  router.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });

  router.post('/invoices', async (req, res) => {
    const key = requireIdempotencyKey(req.get('idempotency-key'));
    const input = validate(issueInvoiceSchema, req.body);
    const { invoice, created } = await invoices.issue(input, key);
    res.status(created ? 201 : 200).json(invoice);
  });
  router.get('/invoices', async (req, res) => {
    const q = validate(listInvoicesQuery, req.query, 'query');
    const sandbox = q.sandbox === undefined ? undefined : q.sandbox === 'true';
    const { data, total, nextCursor } = await invoices.list({ ...q, sandbox }, q.limit, q.offset, q.cursor);
    res.json({ data, limit: q.limit, offset: q.offset, total, ...(nextCursor ? { nextCursor } : {}) });
  });
  router.get('/invoices/:number.html', async (req, res) => {
    send(res, await invoices.get(req.params.number), 'html');
  });
  router.get('/invoices/:number', async (req, res) => {
    const q = validate(documentFormatQuery, req.query, 'query');
    send(res, await invoices.get(req.params.number), q.format);
  });
  router.post('/invoices/:number/status', async (req, res) => {
    res.json(await invoices.setPaymentStatus(req.params.number, validate(paymentStatusSchema, req.body)));
  });

  router.post('/credit-memos', async (req, res) => {
    const key = requireIdempotencyKey(req.get('idempotency-key'));
    const { creditMemo, created } = await invoices.issueCreditMemo(validate(issueCreditMemoSchema, req.body), key);
    res.status(created ? 201 : 200).json(creditMemo);
  });
  router.get('/credit-memos', async (req, res) => {
    const q = validate(listCreditMemosQuery, req.query, 'query');
    const sandbox = q.sandbox === undefined ? undefined : q.sandbox === 'true';
    const { data, total, nextCursor } = await invoices.listCreditMemos({ ...q, sandbox }, q.limit, q.offset, q.cursor);
    res.json({ data, limit: q.limit, offset: q.offset, total, ...(nextCursor ? { nextCursor } : {}) });
  });
  router.get('/credit-memos/:number.html', async (req, res) => {
    send(res, await invoices.getCreditMemo(req.params.number), 'html');
  });
  router.get('/credit-memos/:number', async (req, res) => {
    const q = validate(documentFormatQuery, req.query, 'query');
    send(res, await invoices.getCreditMemo(req.params.number), q.format);
  });
  return router;
}
