/**
 * The OpenAPI 3.1 documents generated from the zod schemas (libs/openapi.ts): named schemas as
 * components, request and answer forms, formats, every error status with the one error shape; and
 * the gateway's document: every operation typed, tagged and named, valid OpenAPI 3.1.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { z } from 'zod';
import { ERROR_STATUS } from '../../libs/domain/errors';
import { businessDate, factDate } from '../../libs/domain/terms';
import { openApiDocument, type OpenApiDoc, type OpenApiOperation } from '../../libs/openapi';
import { AR_OPERATIONS } from '../../services/ar/routes';
import { INVOICING_OPERATIONS } from '../../services/invoicing/routes';
import { revenueOpenApi } from '../../services/revenue/openapi';
import { documentOperations } from '../../services/gateway/documents';
import { eventOperations, type EventUseCases } from '../../services/gateway/events';
import { docsPage, GATEWAY_TAGS, gatewayDocs } from '../../services/gateway/openapi';
import { gatewayOperations, REVENUE_REPORTS, type GatewayDeps, type GatewayOperation } from '../../services/gateway/routes';

type Json = Record<string, any>;

/** Every operation of a document, with its method and path. */
function operationsOf(doc: OpenApiDoc): Array<{ method: string; path: string; op: Json }> {
  return Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ method, path, op })));
}

/** Follows a `#/components/schemas/X` ref. */
function deref(doc: OpenApiDoc, schema: Json): Json {
  const m = typeof schema?.$ref === 'string' ? /^#\/components\/schemas\/(.+)$/.exec(schema.$ref) : null;
  return m ? (doc.components.schemas[m[1]!] as Json) : schema;
}

describe('openApiDocument', () => {
  const party = z.object({ id: z.string(), since: businessDate, tier: z.enum(['a', 'b']).default('a') }).meta({ id: 'TestParty' });
  const operations: OpenApiOperation[] = [
    {
      method: 'post', path: '/parties', operationId: 'createParty', tags: ['parties'], summary: 'create', idempotent: true, body: party,
      responses: { 201: { description: 'created', schema: party }, 409: { description: 'exists', codes: ['duplicate_contract'] } },
    },
    {
      method: 'get', path: '/parties/:partyId', operationId: 'getParty', tags: ['parties'], summary: 'read',
      params: { partyId: z.string().regex(/^p-\d+$/).describe('the party') },
      query: z.object({ on: factDate.optional().describe('as of') }),
      responses: { 200: { description: 'the party', schema: party, alternatives: { 'text/csv': undefined, 'application/pdf': undefined } } },
    },
  ];
  const doc = openApiDocument({ title: 't', version: '1', description: 'd' }, operations);

  it('is OpenAPI 3.1 with JSON Schema 2020-12 schemas', async () => {
    expect(doc.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  it('puts a named schema in components once and refers to it; its request form (defaults optional) is NameInput', () => {
    expect(doc.paths['/parties']!.post!.responses['201'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/TestParty' });
    expect(doc.paths['/parties']!.post!.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/TestPartyInput' });
    const out = doc.components.schemas.TestParty as Json;
    const input = doc.components.schemas.TestPartyInput as Json;
    expect(out.required).toEqual(['id', 'since', 'tier']);
    expect(input.required).toEqual(['id', 'since']);
    // No zod-only keyword leaks into the JSON Schema.
    expect(JSON.stringify(doc)).not.toMatch(/"id":"TestParty"|\$defs/);
  });

  it('gives business dates format: date, path parameters their pattern and description, query parameters theirs', () => {
    expect((doc.components.schemas.TestParty as Json).properties.since).toMatchObject({ type: 'string', format: 'date' });
    const params = doc.paths['/parties/{partyId}']!.get!.parameters as Json[];
    expect(params).toContainEqual({ name: 'partyId', in: 'path', required: true, description: 'the party', schema: { type: 'string', pattern: '^p-\\d+$' } });
    expect(params).toContainEqual({ name: 'on', in: 'query', required: false, description: 'as of', schema: { type: 'string', format: 'date' } });
  });

  it('describes every error status an operation can give with the one Error shape, naming its codes', () => {
    const create = doc.paths['/parties']!.post!;
    expect(Object.keys(create.responses)).toEqual(['201', '400', '401', '409', '413', '503']);
    expect(create.responses['409'].description).toContain('`duplicate_contract`');
    expect(create.responses['409'].description).toContain('`idempotency_conflict`');
    for (const status of ['400', '401', '409', '413', '503']) {
      expect(create.responses[status].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
    }
    expect(create.responses['503'].headers['Retry-After']).toBeDefined();
    const error = doc.components.schemas.Error as Json;
    expect(error.required).toEqual(['code', 'message', 'details', 'requestId']);
    expect(error.properties.code.enum.sort()).toEqual(Object.keys(ERROR_STATUS).sort());
    expect(error.properties.details).toMatchObject({ type: 'array', items: { required: ['path', 'message'] } });
    expect(Object.keys(doc.paths['/parties/{partyId}']!.get!.responses)).toEqual(['200', '400', '401', '404', '503']);
  });

  it('lists other media types of an answer: text as a string, binary as bytes', () => {
    const content = doc.paths['/parties/{partyId}']!.get!.responses['200'].content;
    expect(Object.keys(content)).toEqual(['application/json', 'text/csv', 'application/pdf']);
    expect(content['text/csv'].schema).toEqual({ type: 'string' });
    expect(content['application/pdf'].schema).toMatchObject({ type: 'string', contentMediaType: 'application/pdf' });
  });

  it('refuses two operations with one operationId, and one route listed twice', () => {
    const info = { title: 't', version: '1', description: 'd' };
    expect(() => openApiDocument(info, [operations[0]!, { ...operations[1]!, operationId: 'createParty' }])).toThrow(/operationId createParty is used by POST \/parties and GET \/parties\/\{partyId\}/);
    expect(() => openApiDocument(info, [operations[0]!, { ...operations[0]!, operationId: 'other' }])).toThrow(/POST \/parties is listed twice/);
  });

});

describe('the internal services\' documents', () => {
  it('are valid OpenAPI 3.1 (invoicing, AR)', async () => {
    for (const operations of [INVOICING_OPERATIONS, AR_OPERATIONS]) {
      const doc = openApiDocument({ title: 't', version: '1', description: 'd' }, operations);
      await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
      expect(doc.paths['/openapi.json']!.get!.responses['200']).toBeDefined();
    }
  });

  it('is valid OpenAPI 3.1 (revenue), each report with its JSON schema and CSV', async () => {
    const doc = revenueOpenApi() as OpenApiDoc;
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
    const tb = doc.paths['/reports/trial-balance']!.get!;
    expect(tb.operationId).toBe('getTrialBalance');
    expect(Object.keys(tb.responses['200'].content)).toEqual(['application/json', 'text/csv']);
    expect(deref(doc, tb.responses['200'].content['application/json'].schema).required).toEqual(expect.arrayContaining(['accounts', 'totals', 'balanced']));
  });
});

describe('the gateway document', () => {
  // The lists the gateway serves (services/gateway/index.ts); handlers are not called here.
  const operations: GatewayOperation[] = [
    ...gatewayOperations({} as GatewayDeps), ...eventOperations({} as EventUseCases), ...documentOperations({} as GatewayDeps),
  ];
  const { document: doc, pages } = gatewayDocs(operations);
  const all = operationsOf(doc);
  const tagNames = GATEWAY_TAGS.map((t) => t.name);

  it('is valid OpenAPI 3.1', async () => {
    expect(doc.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
    expect(all).toHaveLength(operations.length + pages.length);
  });

  it('gives every operation a response schema for its success status, a known tag and a unique camelCase operationId', () => {
    const ids = new Set<string>();
    for (const { method, path, op } of all) {
      const where = `${method.toUpperCase()} ${path}`;
      const success = Object.entries(op.responses as Record<string, Json>).filter(([s]) => /^2\d\d$/.test(s));
      expect([where, success.length]).not.toEqual([where, 0]);
      for (const [status, r] of success) {
        expect([where, status, Object.keys(r.content ?? {}).length > 0]).toEqual([where, status, true]);
        for (const media of Object.values(r.content as Record<string, Json>)) expect([where, status, media.schema !== undefined]).toEqual([where, status, true]);
      }
      expect([where, op.tags?.length > 0 && op.tags.every((t: string) => tagNames.includes(t))]).toEqual([where, true]);
      expect([where, op.operationId]).toEqual([where, expect.stringMatching(/^[a-z][A-Za-z0-9]+$/)]);
      expect([where, ids.has(op.operationId)]).toEqual([where, false]);
      ids.add(op.operationId);
    }
    expect([...ids]).toEqual(expect.arrayContaining([
      'createContract', 'listContracts', 'getContract', 'completeMilestone', 'acceptMilestone', 'amendContract', 'placeHold', 'releaseHold',
      'recordPayment', 'closePeriod', 'getContractReport', 'receiveDeliveryEvent', 'getOpenApiDocument', 'getDocsPage',
      'getInvoice', 'listContractInvoices', 'listCustomerInvoices', 'createSubscription',
    ]));
  });

  it('answers every error of a keyed operation with the Error shape: 401, 403, 404, 409, 422, 503 where they apply', () => {
    const complete = doc.paths['/contracts/{id}/milestones/{mid}/complete']!.post!;
    expect(Object.keys(complete.responses)).toEqual(['200', '400', '401', '403', '404', '409', '413', '422', '503']);
    expect(complete.responses['409'].description).toMatch(/`not_allowed_in_state`.*`requires_amendment`/);
    expect(complete.responses['422'].description).toContain('`future_date`');
    expect(complete['x-roles']).toEqual(['delivery', 'admin']);
    expect(doc.paths['/contracts']!.post!.responses['409'].description).toContain('`duplicate_contract`');
    for (const { op } of all) {
      for (const [status, r] of Object.entries(op.responses as Record<string, Json>)) {
        if (Number(status) >= 400) expect(r.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
      }
    }
    expect(Object.keys(doc.paths['/openapi.json']!.get!.responses)).toEqual(['200']);
  });

  it('names each answer: the update answer with what it caused, the public state, lists as {data, nextCursor}', () => {
    const answer = deref(doc, doc.paths['/contracts/{id}/hold']!.post!.responses['200'].content['application/json'].schema);
    expect(answer.required).toEqual(expect.arrayContaining(['outcome', 'caused']));
    expect(deref(doc, answer.properties.caused).required).toEqual(['invoices', 'creditMemos', 'timers']);
    const state = deref(doc, doc.paths['/contracts/{id}']!.get!.responses['200'].content['application/json'].schema);
    expect(Object.keys(state.properties)).not.toEqual(expect.arrayContaining(['outbox']));
    expect(state.properties.clock).toMatchObject({ format: 'date' });
    const page = deref(doc, doc.paths['/contracts']!.get!.responses['200'].content['application/json'].schema);
    expect(Object.keys(page.properties)).toEqual(['data', 'nextCursor']);
    expect(page.required).toEqual(['data']);
    expect(deref(doc, page.properties.data.items).properties.startedAt).toMatchObject({ format: 'date-time' });
  });

  it('makes {report} an enum of the report names, answering JSON or CSV', () => {
    const reportOp = doc.paths['/contracts/{id}/reports/{report}']!.get!;
    const param = (reportOp.parameters as Json[]).find((p) => p.name === 'report')!;
    expect(param.schema.enum).toEqual(Object.keys(REVENUE_REPORTS));
    expect(param.schema.enum).toContain('waterfall');
    expect(Object.keys(reportOp.responses['200'].content)).toEqual(['application/json', 'text/csv']);
    const id = (reportOp.parameters as Json[]).find((p) => p.name === 'id')!;
    expect(id).toMatchObject({ description: expect.any(String), schema: { pattern: expect.any(String) } });
  });

  it('gives business dates format: date in request bodies (contract terms)', () => {
    const create = deref(doc, doc.paths['/contracts']!.post!.requestBody.content['application/json'].schema);
    expect(create.properties.signedDate).toMatchObject({ type: 'string', format: 'date' });
    expect(doc.components.schemas.ContractTermsInput).toBeDefined();
  });

  it('renders a docs page booting Swagger UI from the gateway\'s own assets, listing every operation without JavaScript', () => {
    const html = docsPage(doc);
    expect(html).toContain('<script src="/docs/assets/swagger-ui-bundle.js"></script>');
    expect(html).toContain('<link rel="stylesheet" href="/docs/assets/swagger-ui.css">');
    expect(html).not.toMatch(/<script>|https?:\/\//);
    for (const { method, path } of all) expect(html).toContain(`${method.toUpperCase()} ${path}`);
  });
});
