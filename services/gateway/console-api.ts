/**
 * The API the console needs (docs/console.md), as gateway operations:
 * - `GET /me`: who the key is — name, role, customer scope, and the permissions its role grants
 *   (derived from libs/auth.ts, so the console shows exactly the actions the API would accept);
 * - `GET /kpis`: finance KPIs per month computed from real events (the outbound event store) and
 *   from what the gateway saw (ignored and refused contract events, reconciliation checks), each
 *   read one month at a time by an indexed equality — never a whole collection;
 * - `GET /reports/:report`: the revenue service's reports over the whole books (no contract).
 *
 * And the recorder of what the gateway saw (`createActivityRecorder`): the router hands it every
 * answer of a contract event route, the reconciliation route every report it computes.
 */
import type { Client } from '@temporalio/client';
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { z } from 'zod';
import { rolesFor, type Permission, type Principal } from '../../libs/auth';
import type { ContractState } from '../../libs/domain/contract';
import { AppError } from '../../libs/domain/errors';
import { eventIds } from '../../libs/domain/events';
import * as messages from '../../libs/domain/messages';
import { calendarMonth } from '../../libs/domain/terms';
import { errorBody, validate } from '../../libs/http';
import {
  absoluteVariance, computeKpis, measuresTimeliness, monthsBetween, type MilestoneInvoiceFact, type MoneyEventFact, type ReconciliationFact, type SignalFact,
} from '../../libs/kpis';
import type { Logger } from '../../libs/logger';
import { monthOf, type ActivityRepository } from './data/activity';
import type { EventDoc, EventRepository } from './data/events';
import { reportQuerySchema, reportSchema } from './responses';
import { REVENUE_REPORTS, type GatewayDeps, type GatewayOperation } from './routes';

/** Every permission, in the order the console lists them; which a role holds comes from libs/auth.ts. */
export const PERMISSIONS = ['read', 'deliver', 'approve', 'manage'] as const satisfies readonly Permission[];

/** The permissions a principal's role grants (from the role table of libs/auth.ts, via rolesFor). */
export function permissionsOf(principal: Principal): Permission[] {
  return PERMISSIONS.filter((p) => rolesFor(p).includes(principal.role));
}

/** The longest range of months one KPI request may ask (each month is a few indexed reads). */
export const MAX_KPI_MONTHS = 36;

const idField = z.string().min(1).max(100).regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only');
const month = calendarMonth.meta({ description: 'a calendar month YYYY-MM' });

export const meSchema = z.object({
  name: z.string().describe('the API key\'s name (`open-mode` when no keys are configured)'),
  role: z.enum(['delivery', 'approver', 'finance', 'support', 'admin']),
  customerId: z.string().optional().describe('set for a customer-scoped key: it sees and acts on this customer\'s contracts only'),
  permissions: z.array(z.enum(PERMISSIONS)).describe('what the role may do: read (every role), deliver, approve, manage'),
}).meta({ id: 'Me', description: 'The caller: its key, role, scope and permissions (what the console shows actions for)' });

export const kpiQuery = z.object({
  from: month.optional().describe('first month (default: five months before `to`)'),
  to: month.optional().describe('last month (default: this month, UTC)'),
  sandbox: z.enum(['true', 'false']).default('false').describe('true: the figures of sandbox contracts; false (default): of live contracts'),
  customerId: idField.optional().describe('one customer\'s figures (a customer-scoped key: always its own)'),
}).strict();

const counts = z.record(z.string(), z.string()).describe('currency → amount (decimal string)');
const figures = z.object({
  cycleTime: z.object({
    count: z.number().int().describe('milestone invoices of the month whose acceptance was found'),
    medianBusinessDays: z.number().nullable().describe('median of (invoice date − acceptance date) in business days (Mon–Fri)'),
    p90BusinessDays: z.number().nullable().describe('90th percentile, nearest rank'),
    unmatched: z.number().int().describe('milestone invoices whose `milestone.accepted` event was not found'),
  }),
  invoicedSameDay: z.object({
    count: z.number().int().describe('milestone invoices whose billable date is known'),
    sameDay: z.number().int().describe('of those, dated the day the milestone became billable'),
    share: z.number().nullable().describe('sameDay / count, 0..1 (4 places); null when count is 0'),
    unknown: z.number().int().describe('milestone invoices whose acceptance event has no billable date (recorded before it was added)'),
  }),
  signals: z.object({
    ignored: z.number().int().describe('contract events answered `ignored` (duplicates)'),
    refused: z.number().int().describe('contract events refused with a 4xx code'),
    refusedByCode: z.record(z.string(), z.number().int()),
  }),
  reconciliation: z.object({
    checked: z.number().int().describe('contracts whose reconciliation was computed (the latest check of each counts)'),
    notOk: z.number().int().describe('of those, with a variance or a failed check'),
    absVariance: counts.describe('currency → sum of the absolute money variances'),
  }),
  events: z.object({
    invoicesIssued: z.number().int(),
    creditMemosIssued: z.number().int(),
    paymentsApplied: z.number().int(),
    invoicesOverdue: z.number().int(),
    invoiced: counts,
    credited: counts,
    collected: counts,
    overdue: counts.describe('currency → open amount of the invoices that fell overdue'),
  }),
});
export const kpiReportSchema = z.object({
  from: month,
  to: month,
  sandbox: z.boolean(),
  customerId: z.string().optional(),
  months: z.array(figures.extend({ month })),
  total: figures.describe('the whole range together (cycle times of every month in one distribution)'),
}).meta({ id: 'KpiReport', description: 'Finance KPIs per month from real events; definitions in docs/console.md ("KPIs")' });

/** Reports computed over the months from..to when no months are given: the twelve months up to this one. */
const SERIES_REPORTS = new Set(['revenue-by-period', 'roll-forward', 'month-end-balances']);

const thisMonth = () => new Date().toISOString().slice(0, 7);
function monthsBefore(m: string, n: number): string {
  const total = Number(m.slice(0, 4)) * 12 + Number(m.slice(5, 7)) - 1 - n;
  return `${Math.floor(total / 12)}-${String((total % 12) + 1).padStart(2, '0')}`;
}

export interface ConsoleStores {
  events: EventRepository;
  activity: ActivityRepository;
}

/** Reads in parallel, at most `width` at a time (the store is one process on a small machine). */
async function inBatches<T, R>(items: readonly T[], width: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width) out.push(...(await Promise.all(items.slice(i, i + width).map(fn))));
  return out;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * Gathers the facts of the months: per month, each event type's events and the gateway's records
 * (indexed equalities on type, month, sandbox), then each milestone invoice's acceptance event by its
 * id (unique index). Customer scope is applied to what a month's read returned.
 */
export async function kpiFacts(stores: ConsoleStores, q: { months: string[]; sandbox: boolean; customerId?: string }) {
  const mine = <T extends { customerId?: string }>(docs: T[]) => (q.customerId === undefined ? docs : docs.filter((d) => d.customerId === q.customerId));
  const invoices: MilestoneInvoiceFact[] = [];
  const money: MoneyEventFact[] = [];
  const signals: SignalFact[] = [];
  const reconciliations: ReconciliationFact[] = [];
  const moneyOf = (type: MoneyEventFact['type'], e: EventDoc, amount: unknown) => {
    const currency = str(e.data.currency);
    const a = str(amount);
    if (currency && a) money.push({ month: e.occurredMonth ?? e.occurredOn.slice(0, 7), type, currency, amount: a });
  };
  for (const m of q.months) {
    const [issued, credits, payments, overdue, sig, recs] = await Promise.all([
      stores.events.events.ofMonth('invoice.issued', m, q.sandbox),
      stores.events.events.ofMonth('credit_memo.issued', m, q.sandbox),
      stores.events.events.ofMonth('payment.applied', m, q.sandbox),
      stores.events.events.ofMonth('invoice.overdue', m, q.sandbox),
      stores.activity.signals.ofMonth(m, q.sandbox),
      stores.activity.reconciliations.ofMonth(m, q.sandbox),
    ]);
    for (const e of mine(issued)) {
      moneyOf('invoice.issued', e, e.data.total);
      const line = (e.data.lines as Array<{ milestoneId?: string }> | undefined)?.[0];
      if (measuresTimeliness(e.data) && line?.milestoneId) {
        invoices.push({
          contractId: e.contractId, milestoneId: line.milestoneId, invoiceNumber: str(e.data.invoiceNumber) ?? e.eventId,
          invoiceDate: str(e.data.date) ?? e.occurredOn, currency: str(e.data.currency) ?? '', total: str(e.data.total) ?? '0',
        });
      }
    }
    for (const e of mine(credits)) moneyOf('credit_memo.issued', e, e.data.total);
    for (const e of mine(payments)) moneyOf('payment.applied', e, e.data.amount);
    for (const e of mine(overdue)) moneyOf('invoice.overdue', e, e.data.openAmount);
    for (const s of mine(sig)) signals.push({ month: s.month, kind: s.kind, ...(s.code ? { code: s.code } : {}) });
    for (const r of mine(recs)) {
      reconciliations.push({ contractId: r.contractId, month: r.month, checkedAt: new Date(r.checkedAt).toISOString(), ok: r.ok, currency: r.currency, absVariance: r.absVariance });
    }
  }
  // Each milestone invoice's acceptance: one read by the event's unique id.
  await inBatches(invoices, 16, async (inv) => {
    const accepted = await stores.events.events.find(eventIds.milestoneAccepted(inv.contractId, inv.milestoneId));
    const acceptedOn = str(accepted?.data.acceptedOn);
    const billableOn = str(accepted?.data.billableOn);
    if (acceptedOn) inv.acceptedOn = acceptedOn;
    if (billableOn) inv.billableOn = billableOn;
  });
  return { months: q.months, invoices, money, signals, reconciliations };
}

export function consoleOperations(deps: GatewayDeps, stores: ConsoleStores): GatewayOperation[] {
  return [
    {
      method: 'get',
      path: '/me',
      summary: 'Who the API key is: name, role, customer scope and the permissions its role grants',
      access: { permission: 'read', action: 'read who it is' },
      operationId: 'getMe',
      tags: ['docs'],
      responses: { 200: { description: 'the caller', schema: meSchema } },
      handler(req, res) {
        const p = req.principal!;
        res.json({ name: p.name, role: p.role, ...(p.customerId !== undefined ? { customerId: p.customerId } : {}), permissions: permissionsOf(p) });
      },
    },
    {
      method: 'get',
      path: '/kpis',
      summary: 'Finance KPIs per month from real events: milestone → invoice cycle time, share invoiced the day it became billable, ignored/refused events, reconciliation',
      description: 'Definitions: docs/console.md ("KPIs"). Each month is read by indexed equalities (event type, month, live/sandbox); '
        + `at most ${MAX_KPI_MONTHS} months. A customer-scoped key gets its own customer's figures.`,
      query: kpiQuery,
      access: { permission: 'read', action: 'read KPIs' },
      operationId: 'getKpis',
      tags: ['reports'],
      responses: { 200: { description: 'the figures of each month and of the whole range', schema: kpiReportSchema } },
      async handler(req, res) {
        const q = validate(kpiQuery, req.query, 'query');
        const to = q.to ?? thisMonth();
        const from = q.from ?? monthsBefore(to, 5);
        const problem = (path: string, message: string) => new AppError('validation_failed', `invalid query: query.${path} ${message}`, [{ path: `query.${path}`, message }]);
        if (from > to) throw problem('from', 'must not be after `to`');
        const months = monthsBetween(from, to);
        if (months.length > MAX_KPI_MONTHS) throw problem('from', `the range may span at most ${MAX_KPI_MONTHS} months`);
        const scope = req.principal?.customerId;
        if (scope !== undefined && q.customerId !== undefined && q.customerId !== scope) throw new AppError('not_found', `no customer ${q.customerId}`);
        const customerId = scope ?? q.customerId;
        const sandbox = q.sandbox === 'true';
        const report = computeKpis(await kpiFacts(stores, { months, sandbox, ...(customerId !== undefined ? { customerId } : {}) }));
        res.json({ from, to, sandbox, ...(customerId !== undefined ? { customerId } : {}), ...report });
      },
    },
    {
      method: 'get',
      path: '/reports/:report',
      summary: 'A revenue report of the whole books (every live contract), by its DESIGN name; `?format=csv` for CSV',
      description: 'Not for customer-scoped keys (403). `waterfall`/`revenue-by-period`, `roll-forward` and `month-end-balances` default to the '
        + 'twelve months up to this one; the months are read one by one from the ledger (docs/console.md, "Ledger-wide reports", says what each costs).',
      query: reportQuerySchema,
      access: { permission: 'read', action: 'read ledger-wide reports' },
      operationId: 'getLedgerReport',
      tags: ['reports'],
      responses: {
        200: { description: 'the report: JSON, or CSV with `format=csv`', schema: reportSchema, alternatives: { 'text/csv': undefined } },
        403: { description: 'a customer-scoped key (the books span every customer)', codes: ['forbidden'] },
      },
      async handler(req, res) {
        if (req.principal?.customerId !== undefined) {
          throw new AppError('forbidden', `a key scoped to customer ${req.principal.customerId} may not read reports of the whole books`);
        }
        const name = req.params.report as string;
        const report = REVENUE_REPORTS[name];
        if (!report) throw new AppError('not_found', `no report ${name}; the reports: ${Object.keys(REVENUE_REPORTS).join(', ')}`);
        const q = validate(reportQuerySchema, req.query, 'query');
        const query: Record<string, string | undefined> = { ...(req.query as Record<string, string>), sandbox: 'false' };
        if (SERIES_REPORTS.has(report) && q.from === undefined && q.to === undefined) {
          query.to = q.asOf?.slice(0, 7) ?? thisMonth();
          query.from = monthsBefore(query.to, 11);
        }
        const answer = await deps.services.revenue.getRaw(`/reports/${report}`, query);
        if (answer.contentType) res.type(answer.contentType);
        if (answer.contentDisposition) res.setHeader('Content-Disposition', answer.contentDisposition);
        res.status(answer.status).send(answer.text);
      },
    },
  ];
}

// ─────────────────────────── what the gateway saw ───────────────────────────

/** The contract's customer and whether it is a sandbox (its search attribute and memo), for a record. */
export type ContractLookup = (contractId: string) => Promise<{ customerId?: string; sandbox: boolean }>;

/** Looks a contract up in Temporal (one describe, within 5 s): its customer and its sandbox memo. */
export function temporalContractLookup(client: Client): ContractLookup {
  return async (contractId) => {
    const d = await client.connection.withDeadline(Date.now() + 5_000, () => client.workflow.getHandle(messages.contractWorkflowId(contractId)).describe());
    return { customerId: d.typedSearchAttributes.get(messages.searchAttributes.customer), sandbox: d.memo?.sandbox === true };
  };
}

export interface ActivityRecorder {
  /** For a contract event route: watches its answer (`ignored`) and its refusals (a 4xx with a code). */
  observe(operation: string): { watch: RequestHandler; refusals: ErrorRequestHandler };
  /** A reconciliation report was computed. */
  reconciled(state: Pick<ContractState, 'contractId' | 'customerId' | 'sandbox' | 'currency'>, report: { ok: boolean; checks: Array<{ name: string; ok: boolean; variance: string }> }): void;
  /** Resolves when every record started has been written (before the database closes). */
  drain(): Promise<void>;
}

/**
 * Records what the gateway answered, after the answer (never delaying or failing it): a record
 * that cannot be written is logged and lost — the KPIs undercount, nothing else is affected.
 * Only authenticated callers' events are recorded (a key or a verified webhook): an anonymous
 * caller cannot fill the collection.
 */
export function createActivityRecorder(deps: { repo: ActivityRepository; lookup: ContractLookup; logger: Logger; now?: () => Date }): ActivityRecorder {
  const now = deps.now ?? (() => new Date());
  const pending = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  const contractOf = (req: Request): string | undefined => (req.params.id as string | undefined) ?? req.webhookEvent?.contractId;
  const authenticated = (req: Request) => req.principal !== undefined || req.webhookEvent !== undefined;

  function signal(req: Request, operation: string, kind: 'ignored' | 'refused', refusal?: { code: string; status: number }): void {
    const at = now();
    const contractId = contractOf(req);
    track((async () => {
      // Scope and sandbox from Temporal; a contract that does not exist is recorded without them.
      const found = contractId === undefined ? { sandbox: false } : await deps.lookup(contractId).catch(() => ({ sandbox: false, customerId: undefined }));
      // A customer-scoped key's event counts for its own customer (also when it named another's contract: 404).
      const facts = { ...found, customerId: req.principal?.customerId ?? found.customerId };
      await deps.repo.signals.insert({
        month: monthOf(at), kind, ...(refusal ? { code: refusal.code, status: refusal.status } : {}), operation,
        ...(contractId !== undefined ? { contractId } : {}), ...(facts.customerId !== undefined ? { customerId: facts.customerId } : {}),
        sandbox: facts.sandbox, at,
      });
    })().catch((err: unknown) => req.log?.warn({ err, kind, operation }, 'recording a contract event answer for the KPIs failed')));
  }

  return {
    observe(operation) {
      return {
        watch(req, res, next) {
          const json = res.json.bind(res);
          res.json = (body: unknown) => {
            // A replayed answer (Idempotency-Key, webhook event id) is the same event: counted once.
            if (res.statusCode < 300 && (body as { outcome?: string } | null)?.outcome === 'ignored' && !res.getHeader('Idempotent-Replayed') && authenticated(req)) {
              signal(req, operation, 'ignored');
            }
            return json(body);
          };
          next();
        },
        refusals(err, req, _res, next) {
          const { status, code } = errorBody(err, req);
          if (status >= 400 && status < 500 && status !== 401 && authenticated(req)) signal(req, operation, 'refused', { code, status });
          next(err);
        },
      };
    },
    reconciled(state, report) {
      const at = now();
      track(deps.repo.reconciliations.insert({
        month: monthOf(at), contractId: state.contractId, customerId: state.customerId, sandbox: state.sandbox, currency: state.currency,
        ok: report.ok, absVariance: absoluteVariance(report.checks, state.currency), failedChecks: report.checks.filter((c) => !c.ok).length, checkedAt: at,
      }).catch((err: unknown) => deps.logger.warn({ err, contractId: state.contractId }, 'recording a reconciliation check for the KPIs failed')));
    },
    async drain() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}
