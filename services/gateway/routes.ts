/**
 * The public API (DESIGN §9), listed once: each operation's path, the permission it needs, its zod
 * schemas and its handler. Routing, access control, idempotency, the OpenAPI document and the docs
 * page all come from this one list.
 *
 * Every request goes: API key → role (401 / 403) → customer scope (404) → Idempotency-Key (replay
 * or claim) → validation (400) → the use case. A refusal at any step changes nothing.
 */
import { mergedTermsProblem } from '../../libs/domain/amendment-checks';
import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import { authorize, authorizeNewContract, verifyWebhook, type Authenticator, type Permission, type Principal, type WebhookSource } from '../../libs/auth';
import { currentTerms, currentVersion, type Actor} from '../../libs/domain/contract';
import { AppError } from '../../libs/domain/errors';
import { contractTermsSchema } from '../../libs/domain/terms';
import { validate } from '../../libs/http';
import type { OpenApiOperation } from '../../libs/openapi';
import type { ServiceClient } from '../../libs/service-client';
import { REPORT_NAMES, type JournalEntry } from '../../libs/contracts/revenue';
import type { ActivityRecorder } from './console-api';
import type { ContractOperation, ContractUseCases } from './contracts';
import { createPaymentUseCases } from './payments';
import { createPeriodUseCases } from './periods';
import { createReconciliationUseCase } from './reconciliation';
import { publicAnswer, publicContract } from './public-state';
import type { IdempotencyRepository } from './data/idempotency';
import { idempotencyGuard, idempotencyKeyOf } from './idempotency';
import {
  closedPeriodSchema, contractPageSchema, createdContractSchema, journalPageSchema, logPageSchema, paymentSchema, publicContractSchema,
  reconciliationSchema, reportQuerySchema, reportSchema, termsVersionsSchema, UPDATE_OPERATIONS, webhookAnswerSchema,
} from './responses';
import {
  amendBody, amendBodyFor, clockBody, closePeriodBody, costBody, costBodyFor, datedBody, deliveryWebhookBody, listContractsQuery, logQuery, offsetCursor, offsetOf, pageQuery, paymentBody,
  progressBody, rejectBody, stepBody,
} from './schemas';

/**
 * The Temporal update id of a request sent with an Idempotency-Key: a retry after a 503 (the update
 * may still have been applied) is then run once by the workflow, not twice (a cost counted twice).
 */
function updateIdOf(req: Request): { updateId?: string } {
  const key = idempotencyKeyOf(req);
  return key === undefined ? {} : { updateId: `${req.principal?.name ?? 'anonymous'}:${req.method}:${req.path}:${key}` };
}

/** Who made the request, for the contract's log: the API key (name and role) or the webhook source. */
export function actorOf(req: Request): Actor {
  if (req.webhookEvent) return { type: 'webhook', name: req.params.source as string };
  return req.principal ? { type: 'key', name: req.principal.name, role: req.principal.role } : { type: 'system', name: 'gateway' };
}

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

export interface GatewayDeps {
  contracts: ContractUseCases;
  services: { invoicing: ServiceClient; revenue: ServiceClient; ar: ServiceClient };
  auth: Authenticator;
  idempotency: IdempotencyRepository;
  webhooks: { sources: Map<string, WebhookSource>; toleranceSeconds: number };
  /** Records ignored and refused contract events and reconciliation checks (the console's KPIs, console-api.ts). */
  activity?: ActivityRecorder;
  /** The contract that renewed this one, if any (renewals.ts: one indexed lookup), shown in its state. */
  renewedBy?: (contractId: string) => Promise<string | undefined>;
}

/** How a caller proves who it is: an API key, a webhook signature, or nothing (public pages). */
export type Access = { permission: Permission; action: string } | 'webhook' | 'public';

export interface GatewayOperation extends Omit<OpenApiOperation, 'idempotent'> {
  access: Access;
  handler: (req: Request, res: Response) => Promise<void> | void;
}

/**
 * The revenue reports a contract has: the revenue service's own names, and the names DESIGN §8
 * gives them (`waterfall` is revenue by period). What `/contracts/:id/reports/:report` accepts,
 * and the service route each reads.
 */
export const REVENUE_REPORTS: Readonly<Record<string, string>> = {
  waterfall: 'revenue-by-period',
  ...Object.fromEntries(REPORT_NAMES.map((n) => [n, n])),
};

const body = (req: Request) => req.body ?? {};
const contractId = (req: Request) => req.params.id as string;

export function gatewayOperations(deps: GatewayDeps): GatewayOperation[] {
  const { contracts, services } = deps;
  // The use cases read `deps.services` when called (the OpenAPI document lists the operations without any).
  const payments = createPaymentUseCases(deps);
  const periods = createPeriodUseCases(deps);
  const reconciliationOf = createReconciliationUseCase(deps);
  /** Sends an update for the request's contract as the caller; answers in the public shape (with what it caused). */
  const send = async (req: Request, op: ContractOperation, input: unknown) => publicAnswer(await contracts.send(contractId(req), op, input, { ...updateIdOf(req), actor: actorOf(req) }));

  const milestoneOp = (op: ContractOperation & ('complete' | 'declare' | 'accept' | 'reject' | 'progress'), permission: Permission, schema: z.ZodType, summary: string, action = `${op} milestones`): GatewayOperation => ({
    method: 'post',
    path: `/contracts/:id/milestones/:mid/${op}`,
    summary,
    body: schema,
    access: { permission, action },
    operationId: UPDATE_OPERATIONS[op].operationId,
    tags: UPDATE_OPERATIONS[op].tags,
    responses: UPDATE_OPERATIONS[op].responses,
    async handler(req, res) {
      const b = validate(schema, body(req)) as object;
      res.json(await send(req, op, { ...b, milestoneId: req.params.mid }));
    },
  });
  const contractOp = (path: string, op: ContractOperation, permission: Permission, schema: z.ZodType, summary: string, action: string): GatewayOperation => ({
    method: 'post',
    path,
    summary,
    body: schema,
    access: { permission, action },
    operationId: UPDATE_OPERATIONS[op].operationId,
    tags: UPDATE_OPERATIONS[op].tags,
    responses: UPDATE_OPERATIONS[op].responses,
    async handler(req, res) {
      res.json(await send(req, op, validate(schema, body(req))));
    },
  });
  /** Finance acts on a failed step of the contract (`failedSteps` in the state). */
  const stepOp = (verb: 'retry' | 'resolve', op: ContractOperation, summary: string): GatewayOperation => ({
    method: 'post',
    path: `/contracts/:id/steps/:stepId/${verb}`,
    summary,
    body: stepBody,
    access: { permission: 'manage', action: `${verb} failed steps` },
    operationId: UPDATE_OPERATIONS[op].operationId,
    tags: UPDATE_OPERATIONS[op].tags,
    responses: UPDATE_OPERATIONS[op].responses,
    async handler(req, res) {
      res.json(await send(req, op, { ...validate(stepBody, body(req)), stepId: req.params.stepId }));
    },
  });
  /** A read of contracts: its path, operation id, tag and answers, then its summary, handler and query. */
  const read = (route: Pick<GatewayOperation, 'path' | 'operationId' | 'tags' | 'responses'>, summary: string, handler: GatewayOperation['handler'], query?: z.ZodObject): GatewayOperation => ({
    method: 'get', ...route, summary, query, access: { permission: 'read', action: 'read contracts' }, handler,
  });

  return [
    {
      method: 'post',
      path: '/contracts',
      summary: 'Create a contract: starts its workflow (the same contract id twice is refused `duplicate_contract`)',
      body: contractTermsSchema,
      access: { permission: 'manage', action: 'create contracts' },
      operationId: 'createContract',
      tags: ['contracts'],
      responses: {
        201: { description: 'created: its workflow runs', schema: createdContractSchema },
        409: { description: 'a contract with this id exists', codes: ['duplicate_contract'] },
      },
      async handler(req, res) {
        const terms = validate(contractTermsSchema, req.body);
        authorizeNewContract(req.principal, terms.customer.id);
        res.status(201).json(await contracts.create(terms));
      },
    },
    read({ path: '/contracts', operationId: 'listContracts', tags: ['contracts'], responses: { 200: { description: 'a page of contracts', schema: contractPageSchema } } }, 'List and search contracts (customer, status, currency), a page at a time', async (req, res) => {
      const q = validate(listContractsQuery, req.query, 'query');
      const scope = req.principal?.customerId;
      if (scope !== undefined && q.customer !== undefined && q.customer !== scope) {
        res.json({ data: [] });
        return;
      }
      const page = await contracts.list({ ...q, customer: scope ?? q.customer, pageSize: q.limit, nextPageToken: q.cursor });
      res.json({ data: page.data, ...(page.nextPageToken ? { nextCursor: page.nextPageToken } : {}) });
    }, listContractsQuery),
    read({ path: '/contracts/:id', operationId: 'getContract', tags: ['contracts'], responses: { 200: { description: 'the contract\'s live state', schema: publicContractSchema } } }, 'The contract\'s whole live state (a workflow query)', async (req, res) => {
      const [state, renewedBy] = await Promise.all([contracts.state(contractId(req)), deps.renewedBy?.(contractId(req))]);
      res.json(publicContract(state, { renewedBy }));
    }),
    read({ path: '/contracts/:id/versions', operationId: 'listContractVersions', tags: ['contracts'], responses: { 200: { description: 'the versions of the terms', schema: termsVersionsSchema } } }, 'Every version of the terms', async (req, res) => {
      const state = await contracts.state(contractId(req));
      res.json({ version: state.version, versions: state.versions });
    }),
    read({ path: '/contracts/:id/log', operationId: 'listContractLog', tags: ['contracts'], responses: { 200: { description: 'a page of the log, oldest first', schema: logPageSchema } } }, 'The log of every event received and what it did', async (req, res) => {
      const q = validate(logQuery, req.query, 'query');
      const after = q.cursor === undefined ? 0 : Number(q.cursor);
      if (!Number.isSafeInteger(after)) throw new AppError('validation_failed', 'invalid query: query.cursor must be the nextCursor of a previous page', [{ path: 'query.cursor', message: 'must be the nextCursor of a previous page' }]);
      const log = (await contracts.state(contractId(req))).log.filter((e) => e.seq > after);
      const data = log.slice(0, q.limit);
      res.json({ data, ...(log.length > q.limit ? { nextCursor: String(data[data.length - 1]!.seq) } : {}) });
    }, logQuery),
    milestoneOp('complete', 'deliver', datedBody, 'Report a milestone done (the delivery system\'s fact)'),
    milestoneOp('declare', 'deliver', datedBody, 'Declare a milestone done (starts the deemed-acceptance window)'),
    milestoneOp('accept', 'approve', datedBody, 'Accept a completed or declared milestone'),
    milestoneOp('reject', 'approve', rejectBody, 'Reject a completed or declared milestone, with the reason'),
    milestoneOp('progress', 'deliver', progressBody,
      'Report the percent complete of a milestone billed by progress: invoices the newly reached share; 100 completes it (docs/progressive-billing.md)',
      'report milestone progress'),
    {
      ...contractOp('/contracts/:id/costs', 'cost', 'deliver', costBody, 'Report cost incurred on an obligation (cost-input revenue)', 'report costs'),
      async handler(req, res) {
        validate(costBody, body(req));
        // The amount in the contract's currency's minor units: one state query (costs are not the hot path).
        const state = await contracts.state(contractId(req));
        res.json(await send(req, 'cost', validate(costBodyFor(state.currency), body(req))));
      },
    },
    contractOp('/contracts/:id/hold', 'hold', 'manage', datedBody, 'Place a customer hold: invoices falling due are queued', 'place holds'),
    contractOp('/contracts/:id/release', 'release', 'manage', datedBody, 'Release the hold: queued invoices are issued', 'release holds'),
    {
      ...contractOp('/contracts/:id/amendments', 'amend', 'manage', amendBody, 'Amend the contract (baseVersion must be the current version)', 'amend contracts'),
      async handler(req, res) {
        validate(amendBody, body(req));
        const state = await contracts.state(contractId(req));
        const amendment = validate(amendBodyFor(state.currency), body(req));
        if (amendment.baseVersion === state.version) {
          const refused = mergedTermsProblem(currentTerms(state), currentVersion(state).cancelled, amendment);
          if (refused) throw new AppError('validation_failed', refused.message, refused.details);
        }
        res.json(await send(req, 'amend', amendment));
      },
    },
    stepOp('retry', 'retryStep', 'Run a step a service refused again (after a fix), with the steps that needed it; same idempotency keys'),
    stepOp('resolve', 'resolveStep', 'Mark a refused step resolved by hand (a reason is required); it no longer counts in the reconciliation'),
    {
      ...contractOp('/contracts/:id/clock', 'advanceClock', 'manage', clockBody, 'Advance a sandbox contract\'s business clock (timers due fire in order)', 'advance sandbox clocks'),
      async handler(req, res) {
        const b = validate(clockBody, body(req));
        const answer = await send(req, 'advanceClock', b);
        // Invoices the new day finds past due are announced `invoice.overdue` (docs/events.md); AR
        // cannot see a sandbox clock. On failure the call answers 503 and a retry (the same day) announces.
        await services.ar.post('/overdue/announce', { contractId: contractId(req), asOf: b.to });
        res.json(answer);
      },
    },
    // GET /contracts/:id/invoices (and every other document read): services/gateway/documents.ts.
    {
      method: 'post',
      path: '/contracts/:id/payments',
      summary: 'Record a payment (through AR) for a milestone\'s invoices (`invoiceFor`, or `advance`) or named invoices',
      body: paymentBody,
      access: { permission: 'manage', action: 'record payments' },
      operationId: 'recordPayment',
      tags: ['payments'],
      responses: {
        201: { description: 'the payment as AR recorded it', schema: paymentSchema },
        422: { description: 'the payment date is after today on the contract\'s clock', codes: ['future_date'] },
      },
      async handler(req, res) {
        res.status(201).json(await payments.record(contractId(req), body(req), { name: req.principal?.name, idempotencyKey: req.get('idempotency-key') }));
      },
    },
    {
      method: 'post',
      path: '/contracts/:id/periods/close',
      summary: 'Close a month in the contract\'s ledger (its own sandbox ledger for a sandbox contract)',
      body: closePeriodBody,
      access: { permission: 'manage', action: 'close periods' },
      operationId: 'closePeriod',
      tags: ['periods'],
      responses: {
        200: { description: 'closed (or `ignored`: already closed)', schema: closedPeriodSchema },
        409: { description: 'the month has not ended on the contract\'s clock', codes: ['not_allowed_in_state'] },
      },
      async handler(req, res) {
        res.json(await periods.close(contractId(req), body(req)));
      },
    },
    read({
      path: '/contracts/:id/reports/:report', operationId: 'getContractReport', tags: ['reports'],
      responses: { 200: { description: 'the report: JSON, or CSV with `format=csv`', schema: reportSchema, alternatives: { 'text/csv': undefined } } },
    }, 'A revenue report of the contract (from the revenue service), by its DESIGN name; `?format=csv` for CSV', async (req, res) => {
      const name = req.params.report as string;
      const report = REVENUE_REPORTS[name];
      if (!report) throw new AppError('not_found', `no report ${name}; the reports: ${Object.keys(REVENUE_REPORTS).join(', ')}`);
      // The documented query is checked here (what the document says is what is accepted); each
      // report's own rules (which fields it takes) are the revenue service's.
      validate(reportQuerySchema, req.query, 'query');
      const state = await contracts.state(contractId(req));
      const query: Record<string, string | undefined> = { ...(req.query as Record<string, string>), contractId: state.contractId, sandbox: String(state.sandbox) };
      // Passed on as the revenue service answered it: JSON, or CSV with its file name.
      const answer = await services.revenue.getRaw(`/reports/${report}`, query);
      if (answer.contentType) res.type(answer.contentType);
      if (answer.contentDisposition) res.setHeader('Content-Disposition', answer.contentDisposition);
      res.status(answer.status).send(answer.text);
    }, reportQuerySchema),
    read({ path: '/contracts/:id/reconciliation', operationId: 'getReconciliation', tags: ['reports'], responses: { 200: { description: 'the checks and their variances', schema: reconciliationSchema } } }, 'Reconciliation report: the workflow, invoicing, AR and the ledger side by side, with variances (DESIGN §10)', async (req, res) => {
      const { state, report } = await reconciliationOf(contractId(req));
      deps.activity?.reconciled(state, report);
      res.json(report);
    }),
    read({ path: '/contracts/:id/entries', operationId: 'listContractEntries', tags: ['reports'], responses: { 200: { description: 'the contract\'s journal entries', schema: journalPageSchema } } }, 'The contract\'s journal entries (from the revenue service)', async (req, res) => {
      const q = validate(pageQuery.strict(), req.query, 'query');
      const offset = offsetOf(q.cursor);
      const state = await contracts.state(contractId(req));
      // One more than asked: whether a next page exists.
      const page = await services.revenue.get<{ data: JournalEntry[] }>('/entries', { contractId: state.contractId, sandbox: String(state.sandbox), limit: String(q.limit + 1), offset: String(offset) });
      res.json({ data: page.data.slice(0, q.limit), ...(page.data.length > q.limit ? { nextCursor: offsetCursor(offset + q.limit) } : {}) });
    }, pageQuery.strict()),
    {
      method: 'post',
      path: '/webhooks/delivery/:source',
      summary: 'A delivery system\'s signed event (complete, declare, progress, cost): HMAC-SHA256 of `timestamp.body`, deduplicated by eventId',
      body: deliveryWebhookBody,
      access: 'webhook',
      operationId: 'receiveDeliveryEvent',
      tags: ['webhooks'],
      responses: {
        200: { description: 'the workflow\'s answer, with what it caused (a replayed eventId answers the original, with `Idempotent-Replayed: true`)', schema: webhookAnswerSchema },
        409: { description: 'refused in the contract\'s state, or the eventId replayed with another body', codes: ['not_allowed_in_state', 'requires_amendment'] },
        422: { description: 'refused by the contract\'s rules', codes: ['future_date'] },
      },
      async handler(req, res) {
        const event = req.webhookEvent!;
        const date = event.date ? { date: event.date } : {};
        if (event.type === 'cost') {
          const state = await contracts.state(event.contractId);
          validate(costBodyFor(state.currency), { obligationId: event.obligationId, amount: event.amount, ...date });
        }
        // The same update as the API's: its input is the API body with the milestone the path would name.
        const input = event.type === 'cost' ? { obligationId: event.obligationId, amount: event.amount, ...date }
          : event.type === 'progress' ? { milestoneId: event.milestoneId, percent: event.percent, ...date }
            : { milestoneId: event.milestoneId, ...date };
        const outcome = await contracts.send(event.contractId, event.type, input, { updateId: `webhook:${req.params.source}:${event.eventId}`, actor: actorOf(req) });
        res.json({ eventId: event.eventId, ...publicAnswer(outcome) });
      },
    },
  ];
}

type WebhookEvent = z.infer<typeof deliveryWebhookBody>;
declare module 'express-serve-static-core' {
  interface Request {
    webhookEvent?: WebhookEvent;
    rawBody?: Buffer;
  }
}

/** 404 for a contract outside the caller's customer scope, exactly as if it did not exist. */
async function assertInScope(contracts: ContractUseCases, id: string, customerId: string | undefined): Promise<void> {
  if (customerId === undefined) return;
  const owner = await contracts.customerOf(id);
  if (owner !== customerId) throw new AppError('not_found', `no contract ${id}`);
}

export function gatewayRouter(operations: GatewayOperation[], deps: GatewayDeps): Router {
  const router = Router();
  // Every log line of a request about a contract carries its id.
  router.param('id', (req, _res, next, id: string) => {
    req.log = req.log.child({ contractId: id });
    next();
  });
  const keyed = idempotencyGuard(deps.idempotency, (req) => {
    const key = idempotencyKeyOf(req);
    return key === undefined ? undefined : { identity: `key:${req.principal!.name}`, key };
  });
  const byEvent = idempotencyGuard(deps.idempotency, (req) => ({ identity: `webhook:${req.params.source}`, key: req.webhookEvent!.eventId }));

  for (const op of operations) {
    const chain: RequestHandler[] = [];
    const access = op.access;
    // Every contract event's answer (`ignored`) and refusal (4xx) is recorded for the console's KPIs.
    const observed = deps.activity && op.method === 'post' && (op.path.startsWith('/contracts/:id/') || access === 'webhook')
      ? deps.activity.observe(`${op.method.toUpperCase()} ${op.path}`) : undefined;
    if (observed) chain.push(observed.watch);
    if (access === 'webhook') {
      chain.push(async (req: Request, _res: Response, next: NextFunction) => {
        const source = deps.webhooks.sources.get(req.params.source as string);
        req.log = req.log.child({ webhookSource: req.params.source });
        verifyWebhook({
          source,
          timestamp: req.get('x-tollgate-timestamp'),
          signature: req.get('x-tollgate-signature'),
          rawBody: req.rawBody,
          toleranceSeconds: deps.webhooks.toleranceSeconds,
        });
        req.webhookEvent = validate(deliveryWebhookBody, req.body);
        await assertInScope(deps.contracts, req.webhookEvent.contractId, source!.customerId);
        next();
      }, byEvent);
    } else if (access !== 'public') {
      chain.push(async (req: Request, _res: Response, next: NextFunction) => {
        req.principal = deps.auth.authenticate(req.headers as { authorization?: string; 'x-api-key'?: string });
        req.log = req.log.child({ principal: req.principal.name });
        authorize(req.principal, access.permission, access.action);
        if (op.path.includes(':id')) await assertInScope(deps.contracts, contractId(req), req.principal.customerId);
        next();
      });
      if (op.method === 'post') chain.push(keyed);
    }
    chain.push(async (req, res) => op.handler(req, res));
    router[op.method](op.path, ...chain, ...(observed ? [observed.refusals] : []));
  }
  return router;
}
