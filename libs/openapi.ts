/**
 * OpenAPI 3.1 descriptions generated from the services' own zod schemas (zod v4 `z.toJSONSchema`,
 * JSON Schema 2020-12, the dialect of OpenAPI 3.1), so the document can never drift from what the
 * routes validate and answer. A service lists its operations once; `openApiDocument` turns them
 * into the JSON served at `GET /openapi.json`.
 *
 * - Schemas named with `.meta({ id: 'Name' })` become `components/schemas/Name` and are referred to
 *   by `$ref`; when a named schema reads differently as a request (defaults optional) than as an
 *   answer, the request form is `NameInput`.
 * - Every operation describes its success answers and every error status it can give, all with the
 *   one error shape `Error` (`{code, message, details: [{path, message}], requestId}`), each status
 *   naming the DESIGN codes it carries.
 */
import { z } from 'zod';
import { ERROR_STATUS, type ErrorCode } from './domain/errors';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface OpenApiResponse {
  description: string;
  /** The answer's zod schema (as the answer reads: io `output`). Error statuses default to `Error`. */
  schema?: z.ZodType;
  /** The media type of `schema`; default `application/json`. */
  contentType?: string;
  /** Other media types of the same answer (`?format=csv`, `Accept`): media type → schema (absent: a string, or binary). */
  alternatives?: Record<string, z.ZodType | undefined>;
  /** Error statuses: the DESIGN codes this operation answers with this status (added to those every operation of its kind may give). */
  codes?: ErrorCode[];
  /** Response headers: name → description (a string value). */
  headers?: Record<string, string>;
}

export interface OpenApiOperation {
  method: HttpMethod;
  /** Express-style path (`/invoices/:number`); converted to `{number}`. */
  path: string;
  summary: string;
  description?: string;
  /** A readable camelCase name (`createContract`, `getInvoice`): what a generated client calls the method. */
  operationId?: string;
  /** The sections of the docs page this operation is listed under. */
  tags?: string[];
  /** Requires the `Idempotency-Key` header (replays answer 200 with the original). */
  idempotent?: boolean;
  body?: z.ZodType;
  query?: z.ZodObject;
  /** Path parameters (pattern, enum, description with `.describe`/`.meta`); default: the document's `params` by name, else a string. */
  params?: Record<string, z.ZodType>;
  /** Status → description and (optionally) the schema of the body. */
  responses: Record<number, OpenApiResponse>;
}

export interface OpenApiInfo { title: string; version: string; description: string }

export interface OpenApiOptions<Op extends OpenApiOperation = OpenApiOperation> {
  /** Path parameters by name, for operations that do not describe their own. */
  params?: Record<string, z.ZodType>;
  /** The error codes an operation may answer besides its own `codes` (default: `commonErrors`). */
  errors?: (op: Op) => ErrorCode[];
  /** The tags in the order the docs page lists them, with a description each. */
  tags?: Array<{ name: string; description: string }>;
  /** Called with each operation and its generated entry, to add what the generic document cannot know (security, roles, headers). */
  extend?: (op: Op, entry: Record<string, any>) => void;
  /** Extra components (securitySchemes, …) and top-level fields (security, …). */
  components?: Record<string, unknown>;
  top?: Record<string, unknown>;
}

export type OpenApiDoc = {
  openapi: string;
  info: OpenApiInfo;
  paths: Record<string, Record<string, Record<string, any>>>;
  components: { schemas: Record<string, unknown>; [k: string]: unknown };
} & Record<string, unknown>;

export const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];

/** The one error shape of every Tollgate API (libs/http.ts `finishApp`). */
export const errorSchema = z.object({
  code: z.enum(ERROR_CODES).describe('the DESIGN error code (the HTTP status follows from it)'),
  message: z.string().describe('what was refused and why, for people'),
  details: z.array(z.object({
    path: z.string().describe('where: `body.currency`, `query.limit`, `params.id`, …'),
    message: z.string(),
  })).describe('each problem with its place; an empty array when there is nothing more to say'),
  requestId: z.string().describe('also in the `X-Request-Id` header and every log line of the request'),
}).meta({ id: 'Error', description: 'An error answer: the same shape on every route and every status.' });

/**
 * The errors any operation of a Tollgate service may give, from what it declares: 400 when it reads
 * a body, a query or path parameters; 413 with a body; 404 with path parameters; 409 for a
 * replayed Idempotency-Key; 401 (service credential); 503 (a dependency did not answer).
 */
export function commonErrors(op: OpenApiOperation): ErrorCode[] {
  const codes: ErrorCode[] = ['unauthorized', 'unavailable'];
  if (op.body || op.query || /:[A-Za-z_]/.test(op.path)) codes.push('validation_failed');
  if (op.body) codes.push('payload_too_large');
  if (/:[A-Za-z_]/.test(op.path)) codes.push('not_found');
  if (op.idempotent) codes.push('idempotency_conflict', 'request_in_progress');
  return codes;
}

/** What the codes every operation of a kind may give mean (an operation explains its own codes). */
const CODE_TEXT: Partial<Record<ErrorCode, string>> = {
  validation_failed: 'the request is malformed: each bad field is named in `details`',
  payload_too_large: 'the body is larger than the limit',
  unauthorized: 'no valid credential',
  forbidden: 'the credential may not do this',
  not_found: 'no such resource (or not in the caller\'s scope)',
  idempotency_conflict: 'the Idempotency-Key was used with another request',
  request_in_progress: 'the first request with this Idempotency-Key still runs',
  unavailable: 'a dependency did not answer: retry after `Retry-After` seconds',
};

const codeList = (codes: readonly ErrorCode[]) => codes.map((c) => `\`${c}\``).join(', ');

const PARAM_RE = /:([A-Za-z_][A-Za-z0-9_]*)/g;

/** `/contracts/:id` → `/contracts/{id}`. */
export function openApiPath(path: string): string {
  return path.replace(PARAM_RE, '{$1}');
}

type Io = 'input' | 'output';
type Json = Record<string, any>;

/**
 * Converts zod schemas to JSON Schema 2020-12, collecting named schemas (`.meta({id})`) as
 * components. Refs are placeholders until `finish()` decides each component's name.
 */
class SchemaComponents {
  private readonly defs: Record<Io, Map<string, Json>> = { input: new Map(), output: new Map() };
  private readonly refs: Array<{ node: Json; id: string; io: Io }> = [];

  convert(schema: z.ZodType, io: Io): Json {
    const json = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io,
      unrepresentable: 'any',
      override: ({ zodSchema, jsonSchema }) => {
        const js = jsonSchema as Json;
        // `id` is zod's name for the component, not a JSON Schema keyword.
        delete js.id;
        // An answer may gain fields: only a `.strict()` object says "nothing else".
        const def = (zodSchema as { _zod: { def: { type: string; catchall?: unknown } } })._zod.def;
        if (io === 'output' && def.type === 'object' && def.catchall === undefined && js.additionalProperties === false) delete js.additionalProperties;
      },
    }) as Json;
    const { $schema, $defs, ...root } = json;
    void $schema;
    for (const [id, def] of Object.entries(($defs ?? {}) as Record<string, Json>)) {
      if (id.startsWith('__schema')) throw new Error(`openapi: a recursive schema needs a name (.meta({ id })) (${JSON.stringify(def).slice(0, 120)})`);
      this.collect(id, io, def);
    }
    const rootId = (z.globalRegistry.get(schema) as { id?: string } | undefined)?.id;
    if (rootId !== undefined) {
      this.collect(rootId, io, root);
      return this.track({ $ref: '' }, rootId, io);
    }
    this.trackAll(root, io);
    return root;
  }

  private collect(id: string, io: Io, def: Json): void {
    const seen = this.defs[io].get(id);
    if (seen !== undefined) {
      if (JSON.stringify(seen) !== JSON.stringify(def)) throw new Error(`openapi: two different schemas are named ${id}`);
      return;
    }
    this.trackAll(def, io);
    this.defs[io].set(id, def);
  }

  private track(node: Json, id: string, io: Io): Json {
    this.refs.push({ node, id, io });
    return node;
  }

  /** Records every `#/$defs/…` ref inside a schema (rewritten by `finish`). */
  private trackAll(node: unknown, io: Io): void {
    if (Array.isArray(node)) {
      node.forEach((n) => this.trackAll(n, io));
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const obj = node as Json;
    if (typeof obj.$ref === 'string') {
      if (obj.$ref === '#') throw new Error('openapi: a schema refers to itself: name it with .meta({ id })');
      const m = /^#\/\$defs\/(.+)$/.exec(obj.$ref);
      if (m) this.track(obj, m[1]!, io);
    }
    for (const v of Object.values(obj)) this.trackAll(v, io);
  }

  /** Names the components, rewrites every ref, and returns `components/schemas`. */
  finish(): Record<string, Json> {
    const { input, output } = this.defs;
    const refsOf = (def: Json) => [...JSON.stringify(def).matchAll(/"#\/\$defs\/([^"]+)"/g)].map((m) => m[1]!);
    // A component read both ways but differently is two components; so is one that refers to such a one.
    const split = new Set([...input.keys()].filter((id) => output.has(id) && JSON.stringify(input.get(id)) !== JSON.stringify(output.get(id))));
    for (let grew = true; grew;) {
      grew = false;
      for (const id of input.keys()) {
        if (split.has(id) || !output.has(id)) continue;
        if (refsOf(input.get(id)!).some((r) => split.has(r))) {
          split.add(id);
          grew = true;
        }
      }
    }
    const nameOf = (id: string, io: Io) => (io === 'input' && split.has(id) ? `${id}Input` : id);
    for (const { node, id, io } of this.refs) node.$ref = `#/components/schemas/${nameOf(id, io)}`;
    const schemas: Record<string, Json> = {};
    for (const [id, def] of output) schemas[id] = def;
    for (const [id, def] of input) {
      const name = nameOf(id, 'input');
      if (schemas[name] !== undefined && name !== id) throw new Error(`openapi: ${name} is both a schema name and the request form of ${id}`);
      schemas[name] ??= def;
    }
    return Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)));
  }
}

/** A media type's schema when none is given: text as a string, anything else as bytes. */
function bareSchema(contentType: string): Json {
  return /^text\/|\+json$|\/json$|\+xml$/.test(contentType) ? { type: 'string' } : { type: 'string', contentMediaType: contentType, format: 'binary' };
}

export function openApiDocument<Op extends OpenApiOperation>(info: OpenApiInfo, operations: Op[], options: OpenApiOptions<Op> = {}): OpenApiDoc {
  const components = new SchemaComponents();
  const errorsOf = options.errors ?? commonErrors;
  const errorRef = () => components.convert(errorSchema, 'output');
  const paths: OpenApiDoc['paths'] = {};
  const operationIds = new Map<string, string>();

  for (const op of operations) {
    const path = openApiPath(op.path);
    const where = `${op.method.toUpperCase()} ${path}`;
    if (op.operationId !== undefined) {
      const other = operationIds.get(op.operationId);
      if (other !== undefined) throw new Error(`openapi: operationId ${op.operationId} is used by ${other} and ${where}`);
      operationIds.set(op.operationId, where);
    }

    const parameters: Json[] = [];
    for (const m of op.path.matchAll(PARAM_RE)) {
      const name = m[1]!;
      const schema = op.params?.[name] ?? options.params?.[name];
      const json = schema ? components.convert(schema, 'input') : { type: 'string' };
      const { description, ...rest } = json;
      parameters.push({ name, in: 'path', required: true, ...(description ? { description } : {}), schema: rest });
    }
    if (op.idempotent) {
      parameters.push({
        name: 'Idempotency-Key', in: 'header', required: true, description: 'The request\'s idempotency key: a replay answers the original.',
        schema: { type: 'string', minLength: 1, maxLength: 255 },
      });
    }
    if (op.query) {
      const q = components.convert(op.query, 'input') as { $ref?: string; properties?: Record<string, Json>; required?: string[] };
      if (q.$ref !== undefined) throw new Error(`openapi: the query of ${where} is named (.meta({ id })): its fields are parameters, not a component`);
      for (const [name, schema] of Object.entries(q.properties ?? {})) {
        const { description, ...rest } = schema;
        parameters.push({ name, in: 'query', required: q.required?.includes(name) ?? false, ...(description ? { description } : {}), schema: rest });
      }
    }

    const responses: Record<string, Json> = {};
    const codesByStatus = new Map<number, Set<ErrorCode>>();
    for (const code of errorsOf(op)) {
      const status = ERROR_STATUS[code];
      if (!codesByStatus.has(status)) codesByStatus.set(status, new Set());
      codesByStatus.get(status)!.add(code);
    }
    for (const [status, r] of Object.entries(op.responses)) {
      if (Number(status) >= 400) {
        if (!codesByStatus.has(Number(status))) codesByStatus.set(Number(status), new Set());
        for (const c of r.codes ?? []) codesByStatus.get(Number(status))!.add(c);
      }
    }
    for (const [status, r] of Object.entries(op.responses).sort(([a], [b]) => Number(a) - Number(b))) {
      if (Number(status) >= 400) continue;
      const content: Record<string, Json> = {};
      if (r.schema) content[r.contentType ?? 'application/json'] = { schema: components.convert(r.schema, 'output') };
      else if (r.contentType) content[r.contentType] = { schema: bareSchema(r.contentType) };
      for (const [type, schema] of Object.entries(r.alternatives ?? {})) {
        content[type] = { schema: schema ? components.convert(schema, 'output') : bareSchema(type) };
      }
      responses[status] = {
        description: r.description,
        ...(r.headers ? { headers: Object.fromEntries(Object.entries(r.headers).map(([h, d]) => [h, { description: d, schema: { type: 'string' } }])) } : {}),
        ...(Object.keys(content).length ? { content } : {}),
      };
    }
    for (const status of [...codesByStatus.keys()].sort((a, b) => a - b)) {
      const declared = op.responses[status];
      const own = declared?.codes ?? [];
      const parts = declared ? [own.length ? `${declared.description} (${codeList(own)})` : declared.description] : [];
      for (const c of codesByStatus.get(status)!) if (!own.includes(c)) parts.push(`${CODE_TEXT[c] ?? 'refused'} (${codeList([c])})`);
      responses[String(status)] = {
        description: parts.join('; '),
        ...(status === 503 ? { headers: { 'Retry-After': { description: 'seconds to wait before retrying', schema: { type: 'string', pattern: '^\\d+$' } } } } : {}),
        content: { 'application/json': { schema: declared?.schema ? components.convert(declared.schema, 'output') : errorRef() } },
      };
    }

    const entry: Json = {
      ...(op.operationId ? { operationId: op.operationId } : {}),
      ...(op.tags?.length ? { tags: op.tags } : {}),
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: components.convert(op.body, 'input') } } } } : {}),
      responses,
    };
    options.extend?.(op, entry);
    paths[path] ??= {};
    if (paths[path][op.method]) throw new Error(`openapi: ${where} is listed twice`);
    paths[path][op.method] = entry;
  }

  const schemas = components.finish();
  return {
    openapi: '3.1.0',
    info,
    ...(options.tags ? { tags: options.tags } : {}),
    paths,
    components: { schemas, ...(options.components ?? {}) },
    ...(options.top ?? {}),
  };
}
