/**
 * The gateway's OpenAPI 3.1 document, generated from the operation list (routes.ts and the lists
 * beside it) and its zod schemas — no hand-kept copy — and the docs page: Swagger UI from the
 * swagger-ui-dist package, served by the gateway itself (no CDN), reading `/openapi.json`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Router, type Response } from 'express';
import { z } from 'zod';
import { rolesFor } from '../../libs/auth';
import type { ErrorCode } from '../../libs/domain/errors';
import { openApiDocument, type OpenApiDoc } from '../../libs/openapi';
import { escapeHtml } from '../../libs/markup';
import { REVENUE_REPORTS, type GatewayOperation } from './routes';

/** The sections of the API, in the order the docs page shows them. */
export const GATEWAY_TAGS = [
  { name: 'contracts', description: 'Create, list and read contracts: terms, versions, live state, log, failed steps, sandbox clocks.' },
  { name: 'milestones', description: 'Delivery facts and acceptance: complete, declare, progress, accept, reject; costs incurred.' },
  { name: 'amendments', description: 'Change the terms of a running contract (finance).' },
  { name: 'templates', description: 'Schedule templates: milestones as percentages of a fee, and the contract terms built from one (finance).' },
  { name: 'holds', description: 'Customer holds: invoices falling due are queued until the release.' },
  { name: 'payments', description: 'Payments received, applied through accounts receivable.' },
  { name: 'periods', description: 'Closing a month of the books.' },
  { name: 'reports', description: 'Revenue reports by their DESIGN names (JSON or CSV), the journal, the reconciliation.' },
  { name: 'documents', description: 'Invoices and credit memos: JSON, printable HTML and PDF.' },
  { name: 'receivables', description: 'Accounts receivable: aging, overdue invoices, DSO, customer credit.' },
  { name: 'webhooks', description: 'Signed events from delivery systems (HMAC-SHA256).' },
  { name: 'events', description: 'Outbound events: subscriptions, signed deliveries and their log.' },
  { name: 'docs', description: 'This document and the docs page.' },
];

const idPattern = /^[A-Za-z0-9._-]+$/;

/** Path parameters by name, for every operation that does not describe its own. */
export const GATEWAY_PATH_PARAMS: Record<string, z.ZodType> = {
  id: z.string().min(1).max(100).regex(idPattern).describe('the contract id (`contractId` of its terms)'),
  mid: z.string().min(1).max(100).regex(idPattern).describe('a milestone id of the contract\'s terms'),
  stepId: z.string().regex(/^\d+:[a-z_]+$/).describe('a failed step\'s id from the contract state\'s `failedSteps` (`<effect>:<step>`)'),
  report: z.enum(Object.keys(REVENUE_REPORTS) as [string, ...string[]]).describe('the report, by its DESIGN name (`waterfall` is revenue by period)'),
  source: z.string().min(1).max(100).describe('the delivery system, as configured in `TOLLGATE_WEBHOOK_SECRETS`'),
  number: z.string().regex(/^(SBX-)?(INV|CM)-\d{4}-\d{6,}$/).describe('an invoice or credit memo number: INV-YYYY-NNNNNN, CM-YYYY-NNNNNN (sandbox: SBX-…)'),
  customerId: z.string().min(1).max(100).regex(/^[A-Za-z0-9._:-]+$/).describe('a customer id (`customer.id` of contract terms)'),
  period: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/).describe('a calendar month YYYY-MM'),
};

const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: 'Makes the request safe to retry (kept ≥ 24 h): a replay answers the saved response with `Idempotent-Replayed: true`; '
    + 'the same key with another body is refused `idempotency_conflict`; a duplicate while the first runs gets `request_in_progress`.',
  schema: { type: 'string', minLength: 1, maxLength: 255 },
};

const WEBHOOK_HEADERS = [
  { name: 'X-Tollgate-Timestamp', in: 'header', required: true, description: 'Unix seconds; refused outside the window (300 s).', schema: { type: 'string', pattern: '^\\d+$' } },
  { name: 'X-Tollgate-Signature', in: 'header', required: true, description: 'Hex HMAC-SHA256 of `<timestamp>.<raw body>` with the source\'s secret (`sha256=` prefix allowed).', schema: { type: 'string' } },
];

const hasPathParams = (op: GatewayOperation) => /:[A-Za-z_]/.test(op.path);

/**
 * The errors every gateway operation of its kind may give: a key's 401/403, a webhook's 401 and
 * replayed event ids, 404 for a contract that does not exist or is out of the key's scope, 400/413
 * for a body, 409 for a replayed Idempotency-Key, 503 when Temporal or a service does not answer.
 */
export function gatewayErrors(op: GatewayOperation): ErrorCode[] {
  if (op.access === 'public') return [];
  const codes: ErrorCode[] = ['unavailable'];
  if (op.method !== 'get') codes.push('validation_failed', 'payload_too_large');
  else if (op.query || hasPathParams(op)) codes.push('validation_failed');
  if (hasPathParams(op)) codes.push('not_found');
  if (op.access === 'webhook') codes.push('unauthorized', 'idempotency_conflict', 'request_in_progress');
  else {
    codes.push('unauthorized', 'forbidden');
    if (op.method !== 'get') codes.push('idempotency_conflict', 'request_in_progress');
  }
  return codes;
}

export function gatewayOpenApi(operations: GatewayOperation[], extra: GatewayOperation[] = []): OpenApiDoc {
  return openApiDocument(
    {
      title: 'Tollgate API',
      version: '1.0.0',
      description: 'Milestone billing and ASC 606 revenue on durable workflows: the public API (docs/api.md). '
        + 'Authenticate with `Authorization: Bearer <key>` or `X-Api-Key`; roles: delivery, approver, finance, support, admin. '
        + 'Lists page with `limit` and `cursor` and answer `{data, nextCursor?}`; every error is `{code, message, details, requestId}`.',
    },
    [...operations, ...extra],
    {
      params: GATEWAY_PATH_PARAMS,
      errors: gatewayErrors,
      tags: GATEWAY_TAGS,
      extend(op, entry) {
        const parameters = (entry.parameters as unknown[] | undefined) ?? [];
        if (op.access === 'public') {
          entry.security = [];
        } else if (op.access === 'webhook') {
          entry.security = [];
          entry.parameters = [...parameters, ...WEBHOOK_HEADERS];
        } else {
          const roles = rolesFor(op.access.permission);
          entry['x-roles'] = roles;
          entry.description = [entry.description, `Roles: ${roles.join(', ')}.`].filter(Boolean).join('\n\n');
          if (op.method !== 'get') entry.parameters = [...parameters, IDEMPOTENCY_HEADER];
        }
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API key: `Authorization: Bearer <key>`' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
        },
      },
      top: { security: [{ bearer: [] }, { apiKey: [] }] },
    },
  );
}

// ───────────────────────── the docs page ─────────────────────────

/** The files of swagger-ui-dist the page needs, under `/docs/assets/`. */
const SWAGGER_UI_FILES: Record<string, string> = {
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui.css': 'text/css; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

/** Boots Swagger UI on the page (a file: the page's CSP allows no inline script). */
const BOOT_SCRIPT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    docExpansion: 'list',
    defaultModelsExpandDepth: 0,
    displayOperationId: true,
    filter: true,
    persistAuthorization: false,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;

/**
 * The docs page's Content-Security-Policy: scripts and styles from this origin only (Swagger UI
 * sets inline styles), no `upgrade-insecure-requests` so the page also works over plain HTTP on a
 * developer's machine.
 */
export const DOCS_CSP = [
  "default-src 'self'", "script-src 'self'", "script-src-attr 'none'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:",
  "font-src 'self' data:", "connect-src 'self'", "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'self'",
].join('; ');


/**
 * The docs page: Swagger UI (swagger-ui-dist, served from this gateway) rendering `/openapi.json`;
 * without JavaScript, the list of operations by tag with their summaries and roles.
 */
export function docsPage(doc: OpenApiDoc): string {
  const byTag = new Map<string, string[]>();
  for (const [p, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = (op.tags as string[] | undefined)?.[0] ?? 'other';
      const roles = op['x-roles'] ? ` — ${(op['x-roles'] as string[]).join(', ')}` : '';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)!.push(`<li><code>${method.toUpperCase()} ${escapeHtml(p)}</code> ${escapeHtml(op.summary ?? '')}${escapeHtml(roles)}</li>`);
    }
  }
  const sections = [...byTag].map(([tag, items]) => `<h2>${escapeHtml(tag)}</h2><ul>${items.join('')}</ul>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(doc.info.title)}</title>
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head><body>
<div id="swagger-ui"></div>
<noscript>
<h1>${escapeHtml(doc.info.title)} ${escapeHtml(doc.info.version)}</h1>
<p>${escapeHtml(doc.info.description)}</p>
<p>The interactive page needs JavaScript. The machine-readable description: <a href="/openapi.json">/openapi.json</a> (OpenAPI ${escapeHtml(doc.openapi)}).</p>
${sections}
</noscript>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/docs.js"></script>
</body></html>
`;
}

/** Where swagger-ui-dist is installed (its package.json, not its index: that would load the bundle into Node). */
function swaggerUiDir(): string {
  return path.dirname(require.resolve('swagger-ui-dist/package.json'));
}

/** The page's static files: Swagger UI's from swagger-ui-dist, and the boot script. Cached a day. */
export function docsAssets(): Router {
  const router = Router();
  const dir = swaggerUiDir();
  const send = (res: Response, type: string, body: string | Buffer) => {
    res.setHeader('Content-Security-Policy', DOCS_CSP);
    res.setHeader('Cache-Control', 'public, max-age=86400');
    res.type(type).send(body);
  };
  // Read once, on first use (a gateway nobody browses never reads the 1.7 MB bundle).
  const files = new Map<string, Buffer>();
  router.get('/docs/assets/docs.js', (_req, res) => send(res, 'application/javascript; charset=utf-8', BOOT_SCRIPT));
  router.get('/docs/assets/:file', (req, res, next) => {
    const name = req.params.file as string;
    const type = Object.hasOwn(SWAGGER_UI_FILES, name) ? SWAGGER_UI_FILES[name] : undefined;
    if (type === undefined) return next();
    if (!files.has(name)) files.set(name, readFileSync(path.join(dir, name)));
    send(res, type, files.get(name)!);
  });
  return router;
}

/**
 * The document and the docs page of a list of operations: the two public pages (`GET /openapi.json`,
 * `GET /docs`, themselves in the document) and the router of the page's assets.
 */
export function gatewayDocs(operations: GatewayOperation[]): { pages: GatewayOperation[]; assets: Router; document: OpenApiDoc } {
  const pages: GatewayOperation[] = [
    {
      method: 'get', path: '/openapi.json', operationId: 'getOpenApiDocument', tags: ['docs'], summary: 'This API\'s OpenAPI 3.1 document', access: 'public',
      responses: { 200: { description: 'the OpenAPI 3.1 document (JSON)', schema: z.record(z.string(), z.unknown()) } },
      handler: (_req, res) => void res.json(document),
    },
    {
      method: 'get', path: '/docs', operationId: 'getDocsPage', tags: ['docs'], summary: 'This API\'s documentation page (Swagger UI, served by the gateway)', access: 'public',
      responses: { 200: { description: 'an HTML page', contentType: 'text/html' } },
      handler: (_req, res) => {
        res.setHeader('Content-Security-Policy', DOCS_CSP);
        res.type('html').send(page);
      },
    },
  ];
  const document = gatewayOpenApi(operations, pages);
  const page = docsPage(document);
  return { pages, assets: docsAssets(), document };
}
