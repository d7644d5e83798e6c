/**
 * The OpenAPI 3.1 document of the revenue service, generated from the zod schemas in api.ts
 * (z.toJSONSchema): request bodies, query parameters and responses never drift from validation.
 */
import { z } from 'zod';
import {
  balancesSchema,
  closePeriodSchema,
  closeResultSchema,
  entriesQuery,
  errorSchema,
  journalEntrySchema,
  journalQuery,
  periodsQuery,
  planResultSchema,
  postPlanSchema,
  postingSchema,
  reportQuery,
  seriesQuery,
} from './api';

type Json = Record<string, unknown>;

function schema(s: z.ZodType, io: 'input' | 'output' = 'input'): Json {
  const { $schema, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  void $schema;
  return rest;
}

function queryParameters(s: z.ZodObject): Json[] {
  const json = schema(s) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, p]) => ({ name, in: 'query', required: json.required?.includes(name) ?? false, schema: p }));
}

const idempotencyKey = {
  name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string', maxLength: 255 },
  description: 'A replay with the same body returns the original result (200, Idempotent-Replayed: true); another body → 409 idempotency_conflict.',
};
const errors = Object.fromEntries(
  ['400', '404', '409', '422'].map((code) => [code, { description: 'refused: {code, message, details}', content: { 'application/json': { schema: schema(errorSchema) } } }]),
);
const json = (s: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema: schema(s, 'output') } } });
const jsonOrCsv = (description: string) => ({ description: `${description} (JSON, or CSV with format=csv)`, content: { 'application/json': {}, 'text/csv': {} } });

function report(summary: string, query: z.ZodObject) {
  return { get: { summary, parameters: queryParameters(query), responses: { 200: jsonOrCsv(summary), ...errors } } };
}

export function openApiDocument(): Json {
  return {
    openapi: '3.1.0',
    info: { title: 'Tollgate revenue service', version: '1.0.0', description: 'ASC 606 ledgers: revenue plans, postings, periods and reports (DESIGN §6).' },
    paths: {
      '/plans': {
        post: {
          summary: 'Revenue plan of a terms version; a later version posts the amendment catch-up',
          parameters: [idempotencyKey],
          requestBody: { required: true, content: { 'application/json': { schema: schema(postPlanSchema) } } },
          responses: { 201: json(planResultSchema, 'created'), 200: json(planResultSchema, 'replayed'), ...errors },
        },
        get: { summary: 'Every plan version of a contract', parameters: queryParameters(periodsQuery), responses: { 200: { description: 'plans' } } },
      },
      '/postings': {
        post: {
          summary: 'A contract event (billing and progress) or a payment, as one balanced entry',
          parameters: [idempotencyKey],
          requestBody: { required: true, content: { 'application/json': { schema: schema(postingSchema) } } },
          responses: { 201: json(journalEntrySchema, 'posted'), 200: json(journalEntrySchema, 'replayed'), ...errors },
        },
      },
      '/periods/close': {
        post: {
          summary: 'Close a calendar month of a ledger (only an ended month; twice = ignored)',
          requestBody: { required: true, content: { 'application/json': { schema: schema(closePeriodSchema) } } },
          responses: { 201: json(closeResultSchema, 'closed'), 200: json(closeResultSchema, 'already closed: ignored'), ...errors },
        },
      },
      '/periods': { get: { summary: 'Closed periods of a ledger', parameters: queryParameters(periodsQuery), responses: { 200: { description: 'closed periods' } } } },
      '/entries': { get: { summary: 'Journal entries (paged)', parameters: queryParameters(entriesQuery), responses: { 200: { description: 'entries' } } } },
      '/balances': { get: { summary: "A contract's balances as of a date", parameters: queryParameters(reportQuery.pick({ contractId: true, sandbox: true, asOf: true })), responses: { 200: json(balancesSchema, 'balances') } } },
      '/reports/revenue-by-period': report('Revenue by posting month (waterfall), per contract and in total', reportQuery),
      '/reports/balances': report('Balances on their normal side as of a date', reportQuery),
      '/reports/month-end-balances': report('Cumulative balances at each month end from..to', seriesQuery),
      '/reports/roll-forward': report('Deferred revenue and unbilled AR roll-forward: opening, additions, releases, closing', seriesQuery),
      '/reports/contract-balances': report('Balances and position of every contract in a ledger', reportQuery),
      '/reports/trial-balance': report('Trial balance per contract or overall', reportQuery),
      '/reports/journal': report('The journal with filters', journalQuery),
    },
  };
}
