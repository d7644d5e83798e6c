/**
 * Schedule templates (docs/templates.md): named, versioned milestone schedules finance keeps, each
 * milestone a percentage of the fee, and the ordinary contract terms built from one and a fee.
 *
 * - `GET /templates`, `GET /templates/:name` (the latest version), `GET /templates/:name/versions/:version`;
 * - `POST /templates` (finance): a new name, or the next version of one (versions are immutable);
 * - `POST /templates/:name/contracts` (finance): the terms for a fee — amounts are the percentages
 *   of the fee in the currency's minor units, rounded down with the leftover units to the largest
 *   remainders (libs/allocation.ts) — answered for editing, or with `create: true` created through
 *   the same use case as `POST /contracts`.
 */
import { authorizeNewContract, authorizeSharedWrite } from '../../libs/auth';
import type { Request } from 'express';
import { z } from 'zod';
import { allocateByPercent, percentProblem, percentsProblem, percentSum } from '../../libs/allocation';
import { addDays } from '../../libs/dates';
import { AppError } from '../../libs/domain/errors';
import {
  businessDate, contractTermsSchema, dayCount, invoiceTimingSchema, milestoneSchema, money, paymentTermsSchema, progressBillingProblem, refineMoney,
  RESERVED_MILESTONE_ID, versionNumber, type ContractTerms, type ContractTermsInput, type MoneyField,
} from '../../libs/domain/terms';
import { validate } from '../../libs/http';
import { dec, formatMoney, sumMoney } from '../../libs/money';
import type { ContractUseCases } from './contracts';
import type { TemplateMilestone, TemplateObligation, TemplateRecord, TemplateRepository } from './data/templates';
import { createdContractSchema, dateTimeField } from './responses';
import type { GatewayOperation } from './routes';
import { pageQuery } from './schemas';

const id = milestoneSchema.shape.id;
const templateName = z.string().min(1).max(100).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits and . _ - only');

const percent = z.string().superRefine((v, ctx) => {
  const problem = percentProblem(v);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
}).describe('the share of the fee in percent, a decimal string above 0 (at most 6 decimals); a template\'s percents sum to exactly 100');

const templateRecognition = z.discriminatedUnion('method', [
  z.object({ method: z.literal('point_in_time'), satisfiedBy: id.optional() }).strict(),
  z.object({ method: z.literal('milestones') }).strict(),
  z.object({ method: z.literal('cost_input') }).strict().describe('the estimated total cost is given when terms are built (`estimatedTotalCostByObligation`)'),
  z.object({ method: z.literal('ratable'), startAfterDays: dayCount, endAfterDays: dayCount }).strict()
    .describe('ratable from signedDate + startAfterDays to signedDate + endAfterDays'),
]);

const templateTrigger = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('event'),
    completion: z.enum(['customer_signoff', 'external_event', 'vendor_declaration']),
    deemedAcceptanceDays: dayCount.optional(),
  }).strict(),
  z.object({ type: z.literal('date'), daysAfterSigning: dayCount }).strict().describe('a date trigger on signedDate + daysAfterSigning'),
]);

const templateObligation = z.object({ id, name: z.string().min(1).max(200), recognition: templateRecognition }).strict();

const templateMilestone = z.object({
  id,
  name: z.string().min(1).max(200),
  description: z.string().min(1).max(2000),
  obligationId: id,
  percent,
  trigger: templateTrigger,
  invoiceTiming: invoiceTimingSchema.default({ type: 'immediate' }),
  plannedFinishDays: dayCount.optional().describe('the planned finish date: signedDate + this many days'),
  allowDateChange: z.boolean().optional(),
  progressBilling: z.boolean().optional().describe('billed in parts as progress is reported (docs/progressive-billing.md); not with a date trigger'),
}).strict();

/** `POST /templates`: a new template, or the next version of one of the same name. */
export const templateBody = z.object({
  name: templateName,
  description: z.string().min(1).max(2000).optional(),
  /** The payment terms of contracts built from it, unless the build names its own. */
  paymentTerms: paymentTermsSchema.optional(),
  enforceSequence: z.boolean().optional(),
  obligations: z.array(templateObligation).min(1).max(100),
  milestones: z.array(templateMilestone).min(1).max(500),
}).strict().superRefine((t, ctx) => {
  const obligationIds = new Set<string>();
  t.obligations.forEach((o, i) => {
    if (obligationIds.has(o.id)) ctx.addIssue({ code: 'custom', path: ['obligations', i, 'id'], message: `duplicate obligation id ${o.id}` });
    obligationIds.add(o.id);
    if (o.recognition.method === 'ratable' && o.recognition.endAfterDays < o.recognition.startAfterDays) {
      ctx.addIssue({ code: 'custom', path: ['obligations', i, 'recognition', 'endAfterDays'], message: 'endAfterDays is before startAfterDays' });
    }
  });
  const milestoneIds = new Set<string>();
  t.milestones.forEach((m, i) => {
    if (m.id === RESERVED_MILESTONE_ID) ctx.addIssue({ code: 'custom', path: ['milestones', i, 'id'], message: `"${RESERVED_MILESTONE_ID}" is reserved for the advance invoice` });
    if (milestoneIds.has(m.id)) ctx.addIssue({ code: 'custom', path: ['milestones', i, 'id'], message: `duplicate milestone id ${m.id}` });
    milestoneIds.add(m.id);
    if (!obligationIds.has(m.obligationId)) ctx.addIssue({ code: 'custom', path: ['milestones', i, 'obligationId'], message: `unknown obligation ${m.obligationId}` });
    const progressProblem = progressBillingProblem(m);
    if (progressProblem !== null) ctx.addIssue({ code: 'custom', path: ['milestones', i, 'progressBilling'], message: progressProblem });
  });
  t.obligations.forEach((o, i) => {
    if (o.recognition.method !== 'point_in_time' || o.recognition.satisfiedBy === undefined) return;
    const by = o.recognition.satisfiedBy;
    if (!t.milestones.some((m) => m.id === by && m.obligationId === o.id)) {
      ctx.addIssue({ code: 'custom', path: ['obligations', i, 'recognition', 'satisfiedBy'], message: `no milestone ${by} in obligation ${o.id}` });
    }
  });
  const percents = t.milestones.map((m) => m.percent);
  if (percents.every((p) => percentProblem(p) === null) && percentsProblem(percents) !== null) {
    ctx.addIssue({ code: 'custom', path: ['milestones'], message: `the milestones' percents sum to ${percentSum(percents)}; they must sum to exactly 100` });
  }
}).meta({ id: 'NewScheduleTemplate', description: 'A schedule template: milestones as percentages of the fee, dates as days after signing' });

export const scheduleTemplateSchema = z.object({
  name: templateName,
  version: z.number().int().describe('1 for a new name, then one more per save; versions never change'),
  description: z.string().optional(),
  paymentTerms: z.string().optional(),
  enforceSequence: z.boolean().optional(),
  obligations: z.array(templateObligation),
  milestones: z.array(templateMilestone),
  createdAt: dateTimeField,
  createdBy: z.string().optional().describe('the API key that saved this version'),
}).meta({ id: 'ScheduleTemplate' });

const templatePageSchema = z.object({
  data: z.array(scheduleTemplateSchema).describe('each template\'s latest version, by name'),
  nextCursor: z.string().optional().describe('pass as `cursor` for the next page; absent on the last page'),
}).meta({ id: 'ScheduleTemplatePage' });

const moneyByObligation = z.record(id, money()).optional();

/** `POST /templates/:name/contracts`: what a contract adds to a template: who, when, the fee. */
export const fromTemplateBody = z.object({
  templateVersion: versionNumber.optional().describe('default: the latest version'),
  contractId: contractTermsSchema.shape.contractId,
  customer: contractTermsSchema.shape.customer,
  currency: contractTermsSchema.shape.currency,
  signedDate: businessDate,
  fee: money({ positive: true }).describe('the total fee, split by the milestones\' percentages; also the terms\' contractValue'),
  paymentTerms: paymentTermsSchema.optional().describe('default: the template\'s'),
  billingDay: z.number().int().min(1).max(31).optional(),
  timezone: contractTermsSchema.shape.timezone.optional(),
  enforceSequence: z.boolean().optional().describe('default: the template\'s, else false'),
  sspByObligation: moneyByObligation.describe('SSP per obligation; default: the sum of its milestones\' amounts'),
  estimatedTotalCostByObligation: moneyByObligation.describe('the estimated total cost of each cost-input obligation (required for those)'),
  advanceBilling: contractTermsSchema.shape.advanceBilling,
  sandbox: contractTermsSchema.shape.sandbox,
  create: z.boolean().default(false).describe('true: create the contract (as POST /contracts) and answer it with the terms'),
}).strict().superRefine((b, ctx) => {
  if (!/^[A-Z]{3}$/.test(b.currency)) return;
  const fields: MoneyField[] = [
    [b.fee, ['fee'], { positive: true }],
    ...Object.entries(b.sspByObligation ?? {}).map(([k, v]): MoneyField => [v, ['sspByObligation', k]]),
    ...Object.entries(b.estimatedTotalCostByObligation ?? {}).map(([k, v]): MoneyField => [v, ['estimatedTotalCostByObligation', k]]),
    [b.advanceBilling?.amount, ['advanceBilling', 'amount']],
  ];
  try {
    refineMoney(ctx, b.currency, fields);
  } catch {
    // An unknown currency code: the currency field's own problem.
  }
}).meta({ id: 'TermsFromTemplateRequest' });

export type FromTemplateInput = z.output<typeof fromTemplateBody>;

const builtTermsSchema = z.object({
  template: z.object({ name: z.string(), version: z.number().int() }),
  terms: contractTermsSchema,
  contract: createdContractSchema.optional().describe('with `create: true`: the contract created'),
}).meta({ id: 'TermsFromTemplate' });

/** A template as the API answers it (the stored record, `createdAt` as an ISO instant). */
function publicTemplate(t: TemplateRecord) {
  return { ...t, createdAt: new Date(t.createdAt).toISOString() };
}

/**
 * The contract terms a template gives for a fee (docs/templates.md): the milestones in the
 * template's order (sequence 1, 2, …) with `allocateByPercent` amounts, date triggers and planned
 * finish dates as signedDate + days, the obligations with SSPs from `sspByObligation` or else the
 * sum of their milestones' amounts, and `contractValue` = the fee. Refuses (400, naming the body
 * field) what the template needs and the body lacks.
 */
export function termsFromTemplate(t: Pick<TemplateRecord, 'obligations' | 'milestones' | 'paymentTerms' | 'enforceSequence'>, b: Omit<FromTemplateInput, 'create' | 'templateVersion'>): ContractTermsInput {
  const problems: Array<{ path: string; message: string }> = [];
  const obligationIds = new Set(t.obligations.map((o) => o.id));
  for (const [field, given] of [['sspByObligation', b.sspByObligation], ['estimatedTotalCostByObligation', b.estimatedTotalCostByObligation]] as const) {
    for (const key of Object.keys(given ?? {})) {
      if (!obligationIds.has(key)) problems.push({ path: `body.${field}.${key}`, message: `the template has no obligation ${key}` });
    }
  }
  for (const o of t.obligations) {
    if (o.recognition.method === 'cost_input' && b.estimatedTotalCostByObligation?.[o.id] === undefined) {
      problems.push({ path: `body.estimatedTotalCostByObligation.${o.id}`, message: `obligation ${o.id} is cost_input: its estimated total cost is required` });
    }
  }
  const paymentTerms = b.paymentTerms ?? t.paymentTerms;
  if (paymentTerms === undefined) problems.push({ path: 'body.paymentTerms', message: 'the template names no payment terms: required' });
  if (problems.length > 0) throw new AppError('validation_failed', `invalid body: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, problems);

  const amounts = allocateByPercent(b.fee, t.milestones.map((m) => m.percent), b.currency);
  const milestones = t.milestones.map((m: TemplateMilestone, i) => ({
    id: m.id,
    name: m.name,
    description: m.description,
    obligationId: m.obligationId,
    amount: amounts[i]!,
    billable: true,
    sequence: i + 1,
    trigger: m.trigger.type === 'date'
      ? { type: 'date' as const, date: addDays(b.signedDate, m.trigger.daysAfterSigning) }
      : { type: 'event' as const, completion: m.trigger.completion, ...(m.trigger.deemedAcceptanceDays !== undefined ? { deemedAcceptanceDays: m.trigger.deemedAcceptanceDays } : {}) },
    ...(m.plannedFinishDays !== undefined ? { plannedFinishDate: addDays(b.signedDate, m.plannedFinishDays) } : {}),
    allowDateChange: m.allowDateChange ?? true,
    invoiceTiming: m.invoiceTiming,
    ...(m.progressBilling ? { progressBilling: true } : {}),
  }));
  const obligations = t.obligations.map((o: TemplateObligation) => {
    const share = sumMoney(milestones.filter((m) => m.obligationId === o.id).map((m) => m.amount));
    const r = o.recognition;
    const recognition = r.method === 'ratable'
      ? { method: 'ratable' as const, startDate: addDays(b.signedDate, r.startAfterDays), endDate: addDays(b.signedDate, r.endAfterDays) }
      : r.method === 'cost_input' ? { method: 'cost_input' as const, estimatedTotalCost: b.estimatedTotalCostByObligation![o.id]! }
        : r.method === 'point_in_time' ? { method: 'point_in_time' as const, ...(r.satisfiedBy !== undefined ? { satisfiedBy: r.satisfiedBy } : {}) }
          : { method: 'milestones' as const };
    return { id: o.id, name: o.name, ssp: b.sspByObligation?.[o.id] ?? formatMoney(share, b.currency), recognition };
  });
  return {
    contractId: b.contractId,
    customer: b.customer,
    currency: b.currency,
    signedDate: b.signedDate,
    paymentTerms: paymentTerms!,
    ...(b.billingDay !== undefined ? { billingDay: b.billingDay } : {}),
    ...(b.timezone !== undefined ? { timezone: b.timezone } : {}),
    enforceSequence: b.enforceSequence ?? t.enforceSequence ?? false,
    obligations,
    milestones,
    ...(b.advanceBilling !== undefined ? { advanceBilling: b.advanceBilling } : {}),
    ...(b.sandbox !== undefined ? { sandbox: b.sandbox } : {}),
    contractValue: formatMoney(dec(b.fee), b.currency),
  };
}

const nameParam = templateName.describe('a schedule template\'s name');
const versionParam = z.string().regex(/^[1-9]\d{0,9}$/).describe('a version of the template (1, 2, …)');

const nameOf = (req: Request) => validate(templateName, req.params.name, 'path.name') as string;

function cursorOf(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const name = Buffer.from(cursor, 'base64url').toString();
  if (!templateName.safeParse(name).success) {
    throw new AppError('validation_failed', 'invalid query: query.cursor must be the nextCursor of a previous page', [{ path: 'query.cursor', message: 'must be the nextCursor of a previous page' }]);
  }
  return name;
}

export function templateOperations(deps: { templates: TemplateRepository; contracts: ContractUseCases }): GatewayOperation[] {
  const { templates, contracts } = deps;
  const read = { permission: 'read' as const, action: 'read schedule templates' };
  const find = async (name: string, version?: number): Promise<TemplateRecord> => {
    const t = version === undefined ? await templates.latest(name) : await templates.version(name, version);
    if (!t) throw new AppError('not_found', version === undefined ? `no template ${name}` : `no version ${version} of template ${name}`);
    return t;
  };
  const listQuery = pageQuery.strict();

  return [
    {
      method: 'get',
      path: '/templates',
      summary: 'List schedule templates by name (each one\'s latest version), a page at a time',
      query: listQuery,
      access: read,
      operationId: 'listTemplates',
      tags: ['templates'],
      responses: { 200: { description: 'a page of templates', schema: templatePageSchema } },
      async handler(req, res) {
        const q = validate(listQuery, req.query, 'query');
        const page = await templates.page(cursorOf(q.cursor), q.limit);
        res.json({
          data: page.data.map(publicTemplate),
          ...(page.more && page.last !== undefined ? { nextCursor: Buffer.from(page.last).toString('base64url') } : {}),
        });
      },
    },
    {
      method: 'get',
      path: '/templates/:name',
      summary: 'A schedule template\'s latest version',
      params: { name: nameParam },
      access: read,
      operationId: 'getTemplate',
      tags: ['templates'],
      responses: { 200: { description: 'the latest version', schema: scheduleTemplateSchema.extend({ versions: z.array(z.number().int()).describe('every version, oldest first') }) } },
      async handler(req, res) {
        const name = nameOf(req);
        const t = await find(name);
        res.json({ ...publicTemplate(t), versions: await templates.versions(name) });
      },
    },
    {
      method: 'get',
      path: '/templates/:name/versions/:version',
      summary: 'One version of a schedule template (versions never change)',
      params: { name: nameParam, version: versionParam },
      access: read,
      operationId: 'getTemplateVersion',
      tags: ['templates'],
      responses: { 200: { description: 'the version', schema: scheduleTemplateSchema } },
      async handler(req, res) {
        const version = validate(z.coerce.number().pipe(versionNumber), req.params.version, 'path.version');
        res.json(publicTemplate(await find(nameOf(req), version)));
      },
    },
    {
      method: 'post',
      path: '/templates',
      summary: 'Save a schedule template: a new name is version 1, an existing name gets its next version',
      body: templateBody,
      access: { permission: 'manage', action: 'manage schedule templates' },
      operationId: 'createTemplate',
      tags: ['templates'],
      responses: {
        201: { description: 'the version saved', schema: scheduleTemplateSchema },
        409: { description: 'concurrent saves of the same name kept winning; retry', codes: ['request_in_progress'] },
      },
      async handler(req, res) {
        authorizeSharedWrite(req.principal, 'templates');
        const b = validate(templateBody, req.body);
        const saved = await templates.saveNext({
          name: b.name,
          ...(b.description !== undefined ? { description: b.description } : {}),
          ...(b.paymentTerms !== undefined ? { paymentTerms: b.paymentTerms } : {}),
          ...(b.enforceSequence !== undefined ? { enforceSequence: b.enforceSequence } : {}),
          obligations: b.obligations as TemplateObligation[],
          milestones: b.milestones as TemplateMilestone[],
          createdAt: new Date(),
          ...(req.principal ? { createdBy: req.principal.name } : {}),
        });
        if (!saved) throw new AppError('request_in_progress', `other versions of template ${b.name} were being saved at the same time; retry`);
        res.status(201).json(publicTemplate(saved));
      },
    },
    {
      method: 'post',
      path: '/templates/:name/contracts',
      summary: 'Build contract terms from a template and a fee (editable before creation), or create the contract with `create: true`',
      params: { name: nameParam },
      body: fromTemplateBody,
      access: { permission: 'manage', action: 'create contracts' },
      operationId: 'buildTermsFromTemplate',
      tags: ['templates', 'contracts'],
      responses: {
        200: { description: 'the terms (not created)', schema: builtTermsSchema },
        201: { description: 'with `create: true`: the contract created, with its terms', schema: builtTermsSchema },
        409: { description: 'with `create: true`: a contract with this id exists', codes: ['duplicate_contract'] },
      },
      async handler(req, res) {
        const name = nameOf(req);
        const b = validate(fromTemplateBody, req.body);
        authorizeNewContract(req.principal, b.customer.id);
        const t = await find(name, b.templateVersion);
        const { create, templateVersion, ...rest } = b;
        void templateVersion;
        const built = termsFromTemplate(t, rest);
        const terms: ContractTerms = validate(contractTermsSchema, built, 'terms');
        const template = { name: t.name, version: t.version };
        if (!create) {
          res.json({ template, terms });
          return;
        }
        const contract = await contracts.create(terms);
        res.status(201).json({ template, terms, contract });
      },
    },
  ];
}
