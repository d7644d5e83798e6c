/**
 * OpenAPI 3 descriptions generated from the services' own zod schemas (zod v4 `z.toJSONSchema`),
 * so the document can never drift from what the routes validate. A service lists its operations
 * once; `openApiDocument` turns them into the JSON served at `GET /openapi.json`.
 */
import { z } from 'zod';

export interface OpenApiOperation {
  method: 'get' | 'post';
  /** Express-style path (`/invoices/:number`); converted to `{number}`. */
  path: string;
  summary: string;
  /** Requires the `Idempotency-Key` header (replays answer 200 with the original). */
  idempotent?: boolean;
  body?: z.ZodType;
  query?: z.ZodObject;
  /** Status → description and (optionally) the JSON schema of the body. */
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
}

const errorSchema = z.object({
  code: z.string().describe('a DESIGN error code: validation_failed, not_found, idempotency_conflict, …'),
  message: z.string(),
  details: z.unknown().optional(),
  requestId: z.string(),
});

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as Record<string, unknown>;
  void $schema;
  return rest;
}

export function openApiDocument(info: { title: string; version: string; description: string }, operations: OpenApiOperation[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const path = op.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const parameters: Record<string, unknown>[] = [];
    for (const m of op.path.matchAll(/:([A-Za-z]+)/g)) parameters.push({ name: m[1], in: 'path', required: true, schema: { type: 'string' } });
    if (op.idempotent) {
      parameters.push({ name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string', minLength: 1, maxLength: 255 } });
    }
    if (op.query) {
      const q = jsonSchema(op.query, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, schema] of Object.entries(q.properties ?? {})) {
        parameters.push({ name, in: 'query', required: q.required?.includes(name) ?? false, schema });
      }
    }
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(op.responses)) {
      responses[status] = r.schema
        ? { description: r.description, content: { [r.contentType ?? 'application/json']: { schema: jsonSchema(r.schema, 'output') } } }
        : { description: r.description };
    }
    responses.default = { description: 'an error `{code, message, details, requestId}`', content: { 'application/json': { schema: jsonSchema(errorSchema, 'output') } } };
    paths[path] ??= {};
    paths[path][op.method] = {
      summary: op.summary,
      ...(parameters.length ? { parameters } : {}),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body, 'input') } } } } : {}),
      responses,
    };
  }
  return { openapi: '3.0.3', info, paths };
}
