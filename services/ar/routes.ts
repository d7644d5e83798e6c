/** Thin HTTP routes over the AR use cases. */
import { Router } from 'express';
import { validate } from '../../libs/http';
import { requireIdempotencyKey } from '../../libs/idempotency';
import { listReceivablesQuery, openReceivableSchema } from './api';
import type { ReceivableUseCases } from './receivables';

export function receivableRoutes(receivables: ReceivableUseCases): Router {
  const router = Router();
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
  return router;
}
