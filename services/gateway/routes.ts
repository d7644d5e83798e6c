/** The public API's routes (DESIGN §9): thin over the contract use cases. */
import { Router } from 'express';
import { z } from 'zod';
import { validate } from '../../libs/http';
import { businessDate, contractTermsSchema } from '../../libs/domain/terms';
import type { ServiceClient } from '../../libs/service-client';
import type { ContractUseCases } from './contracts';

const milestoneEventBody = z.object({ date: businessDate.optional() }).strict();

export function contractRoutes(contracts: ContractUseCases, services: { invoicing: ServiceClient }): Router {
  const router = Router();
  router.post('/contracts', async (req, res) => {
    const terms = validate(contractTermsSchema, req.body);
    res.status(201).json(await contracts.create(terms));
  });
  router.get('/contracts/:id', async (req, res) => {
    res.json(await contracts.state(req.params.id));
  });
  router.post('/contracts/:id/milestones/:mid/complete', async (req, res) => {
    const body = validate(milestoneEventBody, req.body ?? {});
    res.json(await contracts.completeMilestone(req.params.id, { milestoneId: req.params.mid, date: body.date }));
  });
  router.get('/contracts/:id/invoices', async (req, res) => {
    await contracts.state(req.params.id);
    res.json(await services.invoicing.get('/invoices', { contractId: req.params.id }));
  });
  return router;
}
