/** Thin HTTP routes over the invoicing use cases. */
import { Router } from 'express';
import { validate } from '../../libs/http';
import { requireIdempotencyKey } from '../../libs/idempotency';
import { issueInvoiceSchema, listInvoicesQuery } from './api';
import type { InvoiceUseCases } from './invoices';

export function invoiceRoutes(invoices: InvoiceUseCases): Router {
  const router = Router();
  router.post('/invoices', async (req, res) => {
    const key = requireIdempotencyKey(req.get('idempotency-key'));
    const input = validate(issueInvoiceSchema, req.body);
    const { invoice, created } = await invoices.issue(input, key);
    res.status(created ? 201 : 200).json(invoice);
  });
  router.get('/invoices', async (req, res) => {
    const q = validate(listInvoicesQuery, req.query, 'query');
    const data = await invoices.list(q, q.limit, q.offset);
    res.json({ data, limit: q.limit, offset: q.offset });
  });
  router.get('/invoices/:number', async (req, res) => {
    res.json(await invoices.get(req.params.number));
  });
  return router;
}
