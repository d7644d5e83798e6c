/**
 * The revenue service's operations, listed once for the OpenAPI document that libs/openapi.ts
 * generates from the zod schemas in api.ts (no hand-kept copy), and the shapes of its reports (also
 * what the gateway's `/contracts/{id}/reports/{report}` answers).
 */
import { z } from 'zod';
import { ACCOUNTS } from '../../libs/accounting';
import { openApiDocument, type OpenApiOperation } from '../../libs/openapi';
import {
  balancesSchema, closePeriodSchema, closeResultSchema, entriesQuery, journalEntrySchema, journalQuery, periodsQuery,
  planResultSchema, postPlanSchema, postingSchema, reportQuery, seriesQuery, type REPORT_NAMES,
} from './api';

const money = z.string().describe('decimal string in the report currency');
const date = z.string().meta({ format: 'date' });
const period = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/).describe('a calendar month YYYY-MM');
const scope = {
  ledger: z.string().describe('`books`, or `sandbox:<contractId>` for a sandbox contract'),
  contractId: z.string().nullable().describe('the contract reported on; null for the whole ledger'),
  currency: z.string(),
};

const balances = balancesSchema.meta({ id: 'AccountBalances', description: 'each account on its normal side (decimal strings)' });
const rollForwardRow = z.object({ period, opening: money, additions: money, releases: money, closing: money });

/** The JSON answer of each report (`?format=csv` answers the same as CSV). */
export const REPORT_SCHEMAS = {
  'revenue-by-period': z.object({
    ...scope,
    asOf: date,
    revenueByPeriod: z.record(z.string(), money).describe('posting month YYYY-MM → revenue'),
    contracts: z.array(z.object({ contractId: z.string(), revenueByPeriod: z.record(z.string(), money) })),
  }).meta({ id: 'RevenueByPeriodReport', description: 'Revenue by posting month (the DESIGN waterfall)' }),
  balances: z.object({ ...scope, asOf: date, balances }).meta({ id: 'BalancesReport' }),
  'month-end-balances': z.object({
    ...scope,
    from: period.nullable(),
    to: period.nullable(),
    balances: z.record(z.string(), balances).describe('month YYYY-MM → cumulative balances at its end'),
  }).meta({ id: 'MonthEndBalancesReport' }),
  'roll-forward': z.object({
    ...scope,
    from: period.nullable(),
    to: period.nullable(),
    deferred_revenue: z.array(rollForwardRow),
    unbilled_ar: z.array(rollForwardRow),
  }).meta({ id: 'RollForwardReport', description: 'Deferred revenue and unbilled AR: opening, additions, releases, closing per month' }),
  'contract-balances': z.object({
    ledger: scope.ledger,
    currency: scope.currency,
    asOf: date,
    contracts: z.array(balances.extend({ contractId: z.string(), position: money.describe('unbilled_ar − deferred_revenue') })),
  }).meta({ id: 'ContractBalancesReport' }),
  'trial-balance': z.object({
    ...scope,
    asOf: date,
    accounts: z.array(z.object({ account: z.enum(ACCOUNTS), debit: money, credit: money })),
    totals: z.object({ debit: money, credit: money }),
    balanced: z.boolean(),
  }).meta({ id: 'TrialBalanceReport' }),
  journal: z.object({
    ledger: scope.ledger,
    data: z.array(journalEntrySchema),
    limit: z.number().int(),
    offset: z.number().int(),
  }).meta({ id: 'JournalReport' }),
} satisfies Record<(typeof REPORT_NAMES)[number], z.ZodType>;

const csv = { 'text/csv': undefined };

const report = (name: keyof typeof REPORT_SCHEMAS, operationId: string, summary: string, query: z.ZodObject): OpenApiOperation => ({
  method: 'get', path: `/reports/${name}`, operationId, tags: ['reports'], summary, query,
  responses: { 200: { description: `${summary} (JSON, or CSV with format=csv)`, schema: REPORT_SCHEMAS[name], alternatives: csv } },
});

export const REVENUE_OPERATIONS: OpenApiOperation[] = [
  {
    method: 'post', path: '/plans', operationId: 'postPlan', tags: ['plans'], summary: 'Revenue plan of a terms version; a later version posts the amendment catch-up', idempotent: true, body: postPlanSchema,
    responses: { 201: { description: 'created', schema: planResultSchema }, 200: { description: 'replayed', schema: planResultSchema }, 409: { description: 'the plan version conflicts', codes: ['stale_version'] } },
  },
  {
    method: 'get', path: '/plans', operationId: 'listPlans', tags: ['plans'], summary: 'Every plan version of a contract', query: periodsQuery,
    responses: { 200: { description: 'plans', schema: z.object({ data: z.array(planResultSchema.shape.plan) }) } },
  },
  {
    method: 'post', path: '/postings', operationId: 'postEntry', tags: ['journal'], summary: 'A contract event (billing and progress) or a payment, as one balanced entry', idempotent: true, body: postingSchema,
    responses: {
      201: { description: 'posted', schema: journalEntrySchema }, 200: { description: 'replayed', schema: journalEntrySchema },
      404: { description: 'the contract has no revenue plan', codes: ['not_found'] }, 409: { description: 'the contract is being posted to concurrently', codes: ['request_in_progress'] },
      422: { description: 'the entry does not balance', codes: ['unbalanced_entry'] },
    },
  },
  {
    method: 'post', path: '/periods/close', operationId: 'closePeriod', tags: ['periods'], summary: 'Close a calendar month of a ledger (only an ended month; twice = ignored)', body: closePeriodSchema,
    responses: { 201: { description: 'closed', schema: closeResultSchema }, 200: { description: 'already closed: ignored', schema: closeResultSchema }, 409: { description: 'the month has not ended', codes: ['not_allowed_in_state'] } },
  },
  {
    method: 'get', path: '/periods', operationId: 'listClosedPeriods', tags: ['periods'], summary: 'Closed periods of a ledger', query: periodsQuery,
    responses: { 200: { description: 'closed periods', schema: z.object({ ledger: z.string(), closed: z.array(z.unknown()) }) } },
  },
  {
    method: 'get', path: '/entries', operationId: 'listEntries', tags: ['journal'], summary: 'Journal entries (paged)', query: entriesQuery,
    responses: { 200: { description: 'entries', schema: z.object({ data: z.array(journalEntrySchema), limit: z.number().int(), offset: z.number().int() }) } },
  },
  {
    method: 'get', path: '/balances', operationId: 'getBalances', tags: ['journal'], summary: "A contract's balances as of a date", query: reportQuery.pick({ contractId: true, sandbox: true, asOf: true }),
    responses: { 200: { description: 'balances', schema: balancesSchema } },
  },
  report('revenue-by-period', 'getRevenueByPeriod', 'Revenue by posting month (waterfall), per contract and in total; from..to (months) keeps those months (ledger-wide: read by month)', seriesQuery),
  report('balances', 'getBalancesReport', 'Balances on their normal side as of a date', reportQuery),
  report('month-end-balances', 'getMonthEndBalances', 'Cumulative balances at each month end from..to', seriesQuery),
  report('roll-forward', 'getRollForward', 'Deferred revenue and unbilled AR roll-forward: opening, additions, releases, closing', seriesQuery),
  report('contract-balances', 'getContractBalances', 'Balances and position of every contract in a ledger', reportQuery),
  report('trial-balance', 'getTrialBalance', 'Trial balance per contract or overall', reportQuery),
  report('journal', 'getJournal', 'The journal with filters', journalQuery),
];

export function revenueOpenApi(): Record<string, unknown> {
  return openApiDocument(
    { title: 'Tollgate revenue service', version: '1.0.0', description: 'ASC 606 ledgers: revenue plans, postings, periods and reports (DESIGN §6). Internal: callers prove they are a Tollgate component (service credential).' },
    REVENUE_OPERATIONS,
  );
}
