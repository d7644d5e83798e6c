/** The public API's routes (DESIGN §9): thin over the contract use cases. */
import { Router, type Request } from 'express';
import { validate } from '../../libs/http';
import { contractTermsSchema } from '../../libs/domain/terms';
import type { AmendInput } from '../../libs/domain/contract';
import type { ServiceClient } from '../../libs/service-client';
import type { ContractOperation, ContractUseCases } from './contracts';
import { AppError } from '../../libs/domain/errors';
import { amendBody, clockBody, closePeriodBody, costBody, datedBody, paymentBody, rejectBody } from './schemas';

export function contractRoutes(contracts: ContractUseCases, services: { invoicing: ServiceClient; revenue: ServiceClient; ar: ServiceClient }): Router {
  const router = Router();
  const body = (req: Request) => req.body ?? {};

  router.post('/contracts', async (req, res) => {
    const terms = validate(contractTermsSchema, req.body);
    res.status(201).json(await contracts.create(terms));
  });
  router.get('/contracts/:id', async (req, res) => {
    res.json(await contracts.state(req.params.id));
  });
  router.get('/contracts/:id/versions', async (req, res) => {
    const state = await contracts.state(req.params.id);
    res.json({ version: state.version, versions: state.versions });
  });
  router.get('/contracts/:id/log', async (req, res) => {
    res.json({ data: (await contracts.state(req.params.id)).log });
  });

  const milestoneOp = (op: ContractOperation, schema: typeof datedBody | typeof rejectBody) =>
    router.post(`/contracts/:id/milestones/:mid/${op}`, async (req, res) => {
      const b = validate(schema, body(req));
      res.json(await contracts.send(req.params.id as string, op, { ...b, milestoneId: req.params.mid }));
    });
  milestoneOp('complete', datedBody);
  milestoneOp('declare', datedBody);
  milestoneOp('accept', datedBody);
  milestoneOp('reject', rejectBody);

  router.post('/contracts/:id/costs', async (req, res) => {
    res.json(await contracts.send(req.params.id, 'cost', validate(costBody, body(req))));
  });
  router.post('/contracts/:id/hold', async (req, res) => {
    res.json(await contracts.send(req.params.id, 'hold', validate(datedBody, body(req))));
  });
  router.post('/contracts/:id/release', async (req, res) => {
    res.json(await contracts.send(req.params.id, 'release', validate(datedBody, body(req))));
  });
  router.post('/contracts/:id/amendments', async (req, res) => {
    res.json(await contracts.amend(req.params.id, validate(amendBody, body(req)) as AmendInput));
  });
  router.post('/contracts/:id/clock', async (req, res) => {
    res.json(await contracts.send(req.params.id, 'advanceClock', validate(clockBody, body(req))));
  });
  router.get('/contracts/:id/invoices', async (req, res) => {
    await contracts.state(req.params.id);
    res.json(await services.invoicing.get('/invoices', { contractId: req.params.id }));
  });

  /** Pays the invoices of a milestone (`invoiceFor`, or `advance`) or named invoices, through AR. */
  router.post('/contracts/:id/payments', async (req, res) => {
    const b = validate(paymentBody, body(req));
    const state = await contracts.state(req.params.id);
    const invoiceNumbers = b.invoiceNumbers ?? state.invoices
      .filter((i) => i.number !== undefined && (b.invoiceFor === undefined || i.milestoneIds.includes(b.invoiceFor)))
      .map((i) => i.number!);
    if (b.invoiceFor !== undefined && invoiceNumbers.length === 0) {
      throw new AppError('not_found', `contract ${state.contractId} has no invoice for ${b.invoiceFor}`);
    }
    const date = b.date ?? state.clock;
    const key = req.get('idempotency-key') ?? `${state.contractId}:payment:${invoiceNumbers.join('+')}:${date}:${b.amount}`;
    res.status(201).json(await services.ar.post('/payments', {
      customerId: state.customerId, currency: state.currency, date, amount: b.amount, invoiceNumbers,
      contractId: state.contractId, sandbox: state.sandbox,
    }, { idempotencyKey: key }));
  });

  /** Closes a month in the contract's ledger (its own sandbox ledger for a sandbox contract). */
  router.post('/contracts/:id/periods/close', async (req, res) => {
    const b = validate(closePeriodBody, body(req));
    const state = await contracts.state(req.params.id);
    res.json(await services.revenue.post('/periods/close', { period: b.period, sandbox: state.sandbox, contractId: state.contractId, asOf: state.clock },
      { idempotencyKey: `${state.contractId}:close:${b.period}` }));
  });

  router.get('/contracts/:id/reports/:report', async (req, res) => {
    const state = await contracts.state(req.params.id);
    const query: Record<string, string | undefined> = { ...(req.query as Record<string, string>), contractId: state.contractId, sandbox: String(state.sandbox) };
    res.json(await services.revenue.get(`/reports/${encodeURIComponent(req.params.report)}`, query));
  });
  router.get('/contracts/:id/entries', async (req, res) => {
    const state = await contracts.state(req.params.id);
    res.json(await services.revenue.get('/entries', { contractId: state.contractId, sandbox: String(state.sandbox) }));
  });
  return router;
}
