/**
 * The revenue service's operations, listed once for the OpenAPI document that libs/openapi.ts
 * generates from the zod schemas in api.ts (no hand-kept copy).
 */
import type { z } from 'zod';
import { openApiDocument, type OpenApiOperation } from '../../libs/openapi';
import {
  balancesSchema, closePeriodSchema, closeResultSchema, entriesQuery, journalEntrySchema, journalQuery, periodsQuery,
  planResultSchema, postPlanSchema, postingSchema, reportQuery, seriesQuery,
} from './api';

const report = (path: string, summary: string, query: z.ZodObject): OpenApiOperation => ({
  method: 'get', path, summary, query, responses: { 200: { description: `${summary} (JSON, or CSV with format=csv)` } },
});

export const REVENUE_OPERATIONS: OpenApiOperation[] = [
  {
    method: 'post', path: '/plans', summary: 'Revenue plan of a terms version; a later version posts the amendment catch-up', idempotent: true, body: postPlanSchema,
    responses: { 201: { description: 'created', schema: planResultSchema }, 200: { description: 'replayed', schema: planResultSchema } },
  },
  { method: 'get', path: '/plans', summary: 'Every plan version of a contract', query: periodsQuery, responses: { 200: { description: 'plans' } } },
  {
    method: 'post', path: '/postings', summary: 'A contract event (billing and progress) or a payment, as one balanced entry', idempotent: true, body: postingSchema,
    responses: { 201: { description: 'posted', schema: journalEntrySchema }, 200: { description: 'replayed', schema: journalEntrySchema } },
  },
  {
    method: 'post', path: '/periods/close', summary: 'Close a calendar month of a ledger (only an ended month; twice = ignored)', body: closePeriodSchema,
    responses: { 201: { description: 'closed', schema: closeResultSchema }, 200: { description: 'already closed: ignored', schema: closeResultSchema } },
  },
  { method: 'get', path: '/periods', summary: 'Closed periods of a ledger', query: periodsQuery, responses: { 200: { description: 'closed periods' } } },
  { method: 'get', path: '/entries', summary: 'Journal entries (paged)', query: entriesQuery, responses: { 200: { description: 'entries' } } },
  {
    method: 'get', path: '/balances', summary: "A contract's balances as of a date", query: reportQuery.pick({ contractId: true, sandbox: true, asOf: true }),
    responses: { 200: { description: 'balances', schema: balancesSchema } },
  },
  report('/reports/revenue-by-period', 'Revenue by posting month (waterfall), per contract and in total', reportQuery),
  report('/reports/balances', 'Balances on their normal side as of a date', reportQuery),
  report('/reports/month-end-balances', 'Cumulative balances at each month end from..to', seriesQuery),
  report('/reports/roll-forward', 'Deferred revenue and unbilled AR roll-forward: opening, additions, releases, closing', seriesQuery),
  report('/reports/contract-balances', 'Balances and position of every contract in a ledger', reportQuery),
  report('/reports/trial-balance', 'Trial balance per contract or overall', reportQuery),
  report('/reports/journal', 'The journal with filters', journalQuery),
];

export function revenueOpenApi(): Record<string, unknown> {
  return openApiDocument(
    { title: 'Tollgate revenue service', version: '1.0.0', description: 'ASC 606 ledgers: revenue plans, postings, periods and reports (DESIGN §6).' },
    REVENUE_OPERATIONS,
  );
}
