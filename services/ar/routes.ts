/** Thin HTTP routes over the AR use cases and reports, and the OpenAPI description generated from their schemas. */
import { Router } from 'express';
import { z } from 'zod';
import { AppError } from '../../libs/domain/errors';
import { validate } from '../../libs/http';
import { requireIdempotencyKey } from '../../libs/idempotency';
import { openApiDocument, type OpenApiOperation } from '../../libs/openapi';
import {
  agingQuery,
  agingResponseSchema,
  applyCreditSchema,
  arCreditMemoResponseSchema,
  arCreditMemoSchema,
  creditLotSchema,
  creditsQuery,
  dsoQuery,
  dsoResponseSchema,
  listPaymentsQuery,
  listReceivablesQuery,
  openReceivableSchema,
  overdueItemSchema,
  overdueQuery,
  paymentResponseSchema,
  receivableResponseSchema,
  recordPaymentSchema,
} from './api';
import { announceOverdueSchema } from './events';
import type { ReceivableUseCases } from './receivables';
import { aging, dso, overdue } from './reports';

const page = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), limit: z.number().int(), offset: z.number().int() });

export const AR_OPERATIONS: OpenApiOperation[] = [
  {
    method: 'post', path: '/receivables', summary: 'Open the receivable of an invoice exactly once per key (customer credit is applied to it)', idempotent: true, body: openReceivableSchema,
    responses: { 201: { description: 'opened', schema: receivableResponseSchema }, 200: { description: 'replay', schema: receivableResponseSchema } },
  },
  { method: 'get', path: '/receivables', summary: 'List receivables, oldest first', query: listReceivablesQuery, responses: { 200: { description: 'a page', schema: page(receivableResponseSchema) } } },
  { method: 'get', path: '/receivables/:invoiceNumber', summary: 'One receivable with its applications', responses: { 200: { description: 'the receivable', schema: receivableResponseSchema } } },
  {
    method: 'post', path: '/payments', summary: 'Record a payment: applied to the named invoices, then oldest first; the rest is customer credit; booked once in the ledger', idempotent: true, body: recordPaymentSchema,
    responses: { 201: { description: 'recorded', schema: paymentResponseSchema }, 200: { description: 'replay (finishes any step left undone)', schema: paymentResponseSchema } },
  },
  { method: 'get', path: '/payments', summary: 'List payments', query: listPaymentsQuery, responses: { 200: { description: 'a page', schema: page(paymentResponseSchema) } } },
  { method: 'get', path: '/payments/:paymentId', summary: 'One payment with its allocations', responses: { 200: { description: 'the payment', schema: paymentResponseSchema } } },
  {
    method: 'post', path: '/credit-memos', summary: 'Apply a credit memo to its invoice\'s receivable; any excess becomes customer credit', idempotent: true, body: arCreditMemoSchema,
    responses: { 201: { description: 'applied', schema: arCreditMemoResponseSchema }, 200: { description: 'replay', schema: arCreditMemoResponseSchema } },
  },
  { method: 'get', path: '/credits', summary: 'Customer credit, lot by lot', query: creditsQuery, responses: { 200: { description: 'lots', schema: z.object({ data: z.array(creditLotSchema), total: z.string() }) } } },
  { method: 'post', path: '/credits/apply', summary: 'Apply a customer\'s credit to their open invoices, oldest first', body: applyCreditSchema, responses: { 200: { description: 'the receivables it reduced', schema: z.object({ data: z.array(receivableResponseSchema) }) } } },
  { method: 'get', path: '/aging', summary: 'Aging buckets as of a date, per customer and total', query: agingQuery, responses: { 200: { description: 'aging', schema: agingResponseSchema } } },
  { method: 'get', path: '/overdue', summary: 'Invoices past due as of a date, most overdue first', query: overdueQuery, responses: { 200: { description: 'overdue', schema: z.object({ asOf: z.string(), data: z.array(overdueItemSchema) }) } } },
  {
    method: 'post', path: '/overdue/announce', summary: 'Announce invoice.overdue for a sandbox contract\'s open invoices due before its clock (docs/events.md)', body: announceOverdueSchema,
    responses: { 200: { description: 'the invoices announced', schema: z.object({ data: z.array(z.string()) }) } },
  },
  { method: 'get', path: '/dso', summary: 'Days sales outstanding over a period', query: dsoQuery, responses: { 200: { description: 'DSO', schema: dsoResponseSchema } } },
  { method: 'get', path: '/openapi.json', summary: 'This description', responses: { 200: { description: 'OpenAPI 3 document' } } },
];

function book(q: { currency: string; customerId?: string; contractId?: string; sandbox: 'true' | 'false' }) {
  const sandbox = q.sandbox === 'true';
  if (sandbox && !q.contractId) {
    throw new AppError('validation_failed', 'a sandbox report names its sandbox contract', [{ path: 'query.contractId', message: 'required with sandbox=true' }]);
  }
  return { currency: q.currency, customerId: q.customerId, contractId: q.contractId, sandbox };
}

export function receivableRoutes(receivables: ReceivableUseCases): Router {
  const router = Router();
  const openapi = openApiDocument(
    { title: 'Tollgate accounts receivable', version: '1.0.0', description: 'Receivables, payments, customer credit, aging and DSO (docs/services/ar.md).' },
    AR_OPERATIONS,
  );
  router.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  router.post('/receivables', async (req, res) => {
    const key = requireIdempotencyKey(req.get('idempotency-key'));
    const { receivable, created } = await receivables.open(validate(openReceivableSchema, req.body), key);
    res.status(created ? 201 : 200).json(receivable);
  });
  router.get('/receivables', async (req, res) => {
    const q = validate(listReceivablesQuery, req.query, 'query');
    res.json({ data: await receivables.list(q, q.limit, q.offset), limit: q.limit, offset: q.offset });
  });
  router.get('/receivables/:invoiceNumber', async (req, res) => {
    res.json(await receivables.get(req.params.invoiceNumber));
  });
  router.post('/payments', async (req, res) => {
    const key = requireIdempotencyKey(req.get('idempotency-key'));
    const { payment, created } = await receivables.recordPayment(validate(recordPaymentSchema, req.body), key);
    res.status(created ? 201 : 200).json(payment);
  });
  router.get('/payments', async (req, res) => {
    const q = validate(listPaymentsQuery, req.query, 'query');
    res.json({ data: await receivables.listPayments(q, q.limit, q.offset), limit: q.limit, offset: q.offset });
  });
  router.get('/payments/:paymentId', async (req, res) => {
    res.json(await receivables.getPayment(req.params.paymentId));
  });
  router.post('/credit-memos', async (req, res) => {
    const key = requireIdempotencyKey(req.get('idempotency-key'));
    const { creditMemo, created } = await receivables.creditMemo(validate(arCreditMemoSchema, req.body), key);
    res.status(created ? 201 : 200).json(creditMemo);
  });
  router.get('/credits', async (req, res) => {
    res.json(await receivables.credits(book(validate(creditsQuery, req.query, 'query'))));
  });
  router.post('/credits/apply', async (req, res) => {
    res.json({ data: await receivables.applyCredit(validate(applyCreditSchema, req.body)) });
  });
  router.get('/aging', async (req, res) => {
    const q = validate(agingQuery, req.query, 'query');
    const b = book(q);
    res.json(aging(await receivables.book({ ...b, issuedTo: q.asOf }), q.asOf, q.currency));
  });
  router.get('/overdue', async (req, res) => {
    const q = validate(overdueQuery, req.query, 'query');
    res.json({ asOf: q.asOf, data: overdue(await receivables.book({ ...book(q), issuedTo: q.asOf }), q.asOf) });
  });
  router.post('/overdue/announce', async (req, res) => {
    const b = validate(announceOverdueSchema, req.body);
    res.json({ data: await receivables.announceOverdue(b.contractId, b.asOf) });
  });
  router.get('/dso', async (req, res) => {
    const q = validate(dsoQuery, req.query, 'query');
    if (q.to < q.from) throw new AppError('validation_failed', 'the period ends before it starts', [{ path: 'query.to', message: 'must not be before from' }]);
    res.json(dso(await receivables.book({ ...book(q), issuedTo: q.to }), q.from, q.to, q.currency));
  });
  return router;
}
