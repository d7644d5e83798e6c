/**
 * The gateway's OpenAPI 3 document, generated from the operation list (routes.ts) and its zod
 * schemas — no hand-kept copy — plus a self-contained HTML page listing the operations (no CDN).
 */
import { rolesFor } from '../../libs/auth';
import { openApiDocument } from '../../libs/openapi';
import type { GatewayOperation } from './routes';

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

export function gatewayOpenApi(operations: GatewayOperation[], extra: GatewayOperation[] = []): Record<string, unknown> {
  const all = [...operations, ...extra];
  const doc = openApiDocument(
    {
      title: 'Tollgate API',
      version: '1.0.0',
      description: 'Milestone billing and ASC 606 revenue on durable workflows: the public API (docs/api.md). '
        + 'Authenticate with `Authorization: Bearer <key>` or `X-Api-Key`; roles: delivery, approver, finance, support, admin.',
    },
    all.map(({ access, handler, ...op }) => {
      void access;
      void handler;
      return op;
    }),
  ) as { paths: Record<string, Record<string, Record<string, unknown>>> } & Record<string, unknown>;

  for (const op of all) {
    const entry = doc.paths[op.path.replace(/:([A-Za-z]+)/g, '{$1}')]![op.method]!;
    const parameters = (entry.parameters as unknown[] | undefined) ?? [];
    const responses = entry.responses as Record<string, unknown>;
    if (op.access === 'public') {
      entry.security = [];
    } else if (op.access === 'webhook') {
      entry.security = [];
      entry.parameters = [...parameters, ...WEBHOOK_HEADERS];
      responses['401'] = { description: 'bad signature, unknown source, or a timestamp outside the window' };
      responses['409'] = { description: 'the same eventId with another body, or still in progress' };
    } else {
      entry['x-roles'] = rolesFor(op.access.permission);
      entry.description = `Roles: ${rolesFor(op.access.permission).join(', ')}.`;
      if (op.method === 'post') entry.parameters = [...parameters, IDEMPOTENCY_HEADER];
      responses['401'] = { description: 'no or unknown API key (`unauthorized`)' };
      responses['403'] = { description: 'the key\'s role may not do this (`forbidden`)' };
    }
    entry.operationId = operationId(op);
  }
  return {
    ...doc,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key: `Authorization: Bearer <key>`' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
      },
    },
    security: [{ bearer: [] }, { apiKey: [] }],
  };
}

function operationId(op: GatewayOperation): string {
  const words = op.path.split('/').filter((p) => p && !p.startsWith(':')).map((p) => p.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase()));
  const name = words.map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1))).join('');
  const withParams = op.path.includes(':id') && op.method === 'get' && !/\/:id\//.test(op.path) ? `${name}ById` : name;
  return `${op.method}${withParams[0]!.toUpperCase()}${withParams.slice(1)}`;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The docs page: every operation with its roles, parameters and request schema, from the document. */
export function docsPage(doc: Record<string, unknown>): string {
  const paths = doc.paths as Record<string, Record<string, Record<string, any>>>;
  const sections: string[] = [];
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = (op.parameters ?? []) as Array<{ name: string; in: string; required?: boolean; description?: string }>;
      const schema = op.requestBody?.content?.['application/json']?.schema;
      sections.push([
        `<section id="${escapeHtml(op.operationId ?? `${method}-${path}`)}">`,
        `<h2><span class="m ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h2>`,
        `<p>${escapeHtml(op.summary ?? '')}</p>`,
        op['x-roles'] ? `<p class="roles">Roles: ${escapeHtml((op['x-roles'] as string[]).join(', '))}</p>` : '',
        params.length
          ? `<table><tr><th>parameter</th><th>in</th><th>required</th><th></th></tr>${params.map((p) => `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${p.in}</td><td>${p.required ? 'yes' : 'no'}</td><td>${escapeHtml(p.description ?? '')}</td></tr>`).join('')}</table>`
          : '',
        schema ? `<details><summary>request body schema</summary><pre>${escapeHtml(JSON.stringify(schema, null, 2))}</pre></details>` : '',
        `<p class="resp">Responses: ${Object.entries(op.responses ?? {}).map(([s, r]) => `<b>${escapeHtml(s)}</b> ${escapeHtml((r as { description?: string }).description ?? '')}`).join(' · ')}</p>`,
        '</section>',
      ].join('\n'));
    }
  }
  const info = doc.info as { title: string; version: string; description: string };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(info.title)}</title>
<style>
body{font:14px/1.5 system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
h2{font-size:16px;margin:1.6em 0 .3em}code,pre{font:12px ui-monospace,monospace}pre{background:#f6f8fa;padding:.8em;overflow:auto}
.m{display:inline-block;min-width:3.5em;padding:0 .4em;border-radius:3px;color:#fff;font-size:12px;text-align:center}
.get{background:#2b7}.post{background:#27c}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 8px;text-align:left}
.roles{color:#a50}.resp{color:#555}section{border-top:1px solid #eee}
</style></head><body>
<h1>${escapeHtml(info.title)} <small>${escapeHtml(info.version)}</small></h1>
<p>${escapeHtml(info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI ${escapeHtml(String(doc.openapi))}).</p>
${sections.join('\n')}
</body></html>
`;
}
