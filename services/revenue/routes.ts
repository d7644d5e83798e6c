/** Thin HTTP routes over the revenue use cases. */
import { Router } from 'express';
import { validate } from '../../libs/http';
import { requireIdempotencyKey } from '../../libs/idempotency';
import { balancesQuery, entriesQuery, postingSchema } from './api';
import type { LedgerUseCases } from './ledger';

export function ledgerRoutes(ledger: LedgerUseCases): Router {
  const router = Router();
  router.post('/postings', async (req, res) => {
    const key = requireIdempotencyKey(req.get('idempotency-key'));
    const { entry, created } = await ledger.post(validate(postingSchema, req.body), key);
    res.status(created ? 201 : 200).json(entry);
  });
  router.get('/entries', async (req, res) => {
    const q = validate(entriesQuery, req.query, 'query');
    const sandbox = q.sandbox === undefined ? undefined : q.sandbox === 'true';
    res.json({ data: await ledger.entries({ contractId: q.contractId, sandbox }, q.limit, q.offset), limit: q.limit, offset: q.offset });
  });
  router.get('/balances', async (req, res) => {
    const q = validate(balancesQuery, req.query, 'query');
    res.json(await ledger.balances(q.contractId, q.sandbox === 'true', q.asOf));
  });
  return router;
}
