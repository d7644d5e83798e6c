/**
 * Renewals (docs/renewals.md): a contract's successor created from it, and the chain of renewals.
 *
 * `POST /contracts/:id/renewals` builds the successor's terms from the predecessor's current terms
 * — same customer, currency, payment terms and obligations; a new contract id and signed date; the
 * milestones given, or the predecessor's shifted (days and/or months, new ids if asked) — and
 * creates it through the same use case as `POST /contracts` (the terms schema's validation, the
 * duplicate refusal). The successor's terms carry `renews: <predecessorId>`; the gateway's
 * `renewals` collection records the link for the predecessor's side, whose workflow nothing changes.
 *
 * `GET /contracts/:id/renewals` lists the chain; `GET /contracts/:id` shows `renews` (from the
 * terms) and `renewedBy` (one indexed lookup); `GET /contracts/:id/schedule.svg` draws the contract.
 */
import type { Request } from 'express';
import { z } from 'zod';
import { addDays, daysBetween, isBusinessDate } from '../../libs/dates';
import { currentVersion } from '../../libs/domain/contract';
import { AppError } from '../../libs/domain/errors';
import {
  businessDate, contractTermsSchema, milestoneSchema, moneyString, recognitionSchema, type ContractTerms, type ContractTermsInput,
} from '../../libs/domain/terms';
import { validate } from '../../libs/http';
import type { ContractUseCases } from './contracts';
import type { RenewalRecord, RenewalRepository } from './data/renewals';
import { createdContractSchema } from './responses';
import { scheduleModel, scheduleSvg } from './schedule';
import { svgToPng } from './schedule-png';
import { offsetCursor, offsetOf, pageQuery } from './schemas';
import type { GatewayOperation } from './routes';

const id = z.string().min(1).max(100).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits and . _ - only');

/** `POST /contracts/:id/renewals`: what is new in the successor; everything else comes from the predecessor. */
export const renewalBody = z.object({
  contractId: id.describe('the successor\'s contract id'),
  signedDate: businessDate.describe('the successor\'s signed date'),
  milestones: z.array(milestoneSchema).min(1).max(500).optional()
    .describe('a new schedule; without it, the predecessor\'s milestones (not cancelled) shifted by `shift`'),
  shift: z.object({
    months: z.number().int().min(0).max(1200).optional().describe('whole months, applied first (the 31st becomes the month\'s last day)'),
    days: z.number().int().min(0).max(36500).optional().describe('days, applied after the months'),
  }).strict().refine((s) => s.months !== undefined || s.days !== undefined, 'give months, days or both').optional()
    .describe('how far the predecessor\'s dates move (milestone trigger and planned dates; ratable recognition periods); default: the days from the predecessor\'s signed date to the successor\'s'),
  milestoneIdSuffix: z.string().regex(/^[A-Za-z0-9._-]{1,40}$/, '1–40 letters, digits and . _ -').optional()
    .describe('copied milestones get new ids: the old id followed by this (satisfiedBy follows)'),
  obligations: z.array(z.object({ id, recognition: recognitionSchema }).strict()).max(100).optional()
    .describe('the recognition of named obligations, given instead of shifted (e.g. a new ratable period)'),
  contractValue: moneyString.optional()
    .describe('the successor\'s contract value (its milestones must sum to it); default: the predecessor\'s with a copied schedule, none with a new one'),
  advanceBilling: z.object({ amount: moneyString, date: businessDate }).strict().optional()
    .describe('an advance invoice of the successor (the predecessor\'s is not copied)'),
  sandbox: z.object({ clockStart: businessDate }).strict().optional()
    .describe('a sandbox predecessor\'s successor runs on its own clock from here (default: its signed date)'),
}).strict().superRefine((b, ctx) => {
  if (b.milestones !== undefined && b.milestoneIdSuffix !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['milestoneIdSuffix'], message: 'renames copied milestones: not with a new schedule (`milestones`)' });
  }
}).meta({ id: 'RenewalInput' });

export type RenewalBody = z.output<typeof renewalBody>;

export const renewalCreatedSchema = createdContractSchema.extend({
  renews: z.string().describe('the predecessor'),
}).meta({ id: 'CreatedRenewal' });

export const renewalLinkSchema = z.object({
  contractId: z.string(),
  renews: z.string().optional().describe('its predecessor'),
  renewedBy: z.string().optional().describe('its successor'),
  signedDate: z.string().meta({ format: 'date' }).optional().describe('a successor\'s signed date'),
  renewedAt: z.string().meta({ format: 'date-time' }).optional().describe('when a successor was created'),
}).meta({ id: 'RenewalLink' });

export const renewalChainSchema = z.object({
  data: z.array(renewalLinkSchema).describe('the chain, the oldest first: predecessors, the contract asked about, successors'),
  nextCursor: z.string().optional().describe('pass as `cursor` for the next page; absent on the last page'),
}).meta({ id: 'RenewalChain' });

export const scheduleQuery = z.object({
  format: z.enum(['svg']).optional().describe('svg (the PNG is `schedule.png`)'),
}).strict();
export const schedulePngQuery = z.object({
  scale: z.coerce.number().int().min(1).max(4).default(2).describe('pixels per SVG unit: 1 … 4 (default 2)'),
}).strict();

/** Adds whole months, the day kept or clamped to the month's last day (2025-01-31 + 1 = 2025-02-28). */
export function addMonths(date: string, months: number): string {
  const y = Number(date.slice(0, 4));
  const m0 = Number(date.slice(5, 7)) - 1 + months;
  const yy = y + Math.floor(m0 / 12);
  const mm = ((m0 % 12) + 12) % 12;
  const last = new Date(Date.UTC(yy, mm + 1, 0)).getUTCDate();
  const day = Math.min(Number(date.slice(8, 10)), last);
  return `${String(yy).padStart(4, '0')}-${String(mm + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

export interface Shift { months?: number; days?: number }

export function shiftDate(date: string, shift: Shift): string {
  return addDays(addMonths(date, shift.months ?? 0), shift.days ?? 0);
}

/**
 * The successor's terms (before validation) from the predecessor's current terms (rules in
 * docs/renewals.md). Pure: the gateway then validates them with the terms schema.
 */
export function successorTerms(predecessor: ContractTerms, cancelled: readonly string[], body: RenewalBody): ContractTermsInput {
  const shift: Shift = body.shift ?? { days: isBusinessDate(predecessor.signedDate) ? daysBetween(predecessor.signedDate, body.signedDate) : 0 };
  const move = (d: string) => shiftDate(d, shift);
  const suffix = body.milestoneIdSuffix ?? '';
  const renamed = (mid: string) => `${mid}${suffix}`;
  const { contractId: _old, signedDate: _signed, renews: _renews, advanceBilling: _advance, sandbox, ...kept } = predecessor;
  void _old; void _signed; void _renews; void _advance;
  const given = new Map((body.obligations ?? []).map((o) => [o.id, o.recognition]));
  const obligations = predecessor.obligations.map((o) => {
    const r = given.get(o.id) ?? o.recognition;
    if (given.has(o.id)) return { ...o, recognition: r };
    if (r.method === 'ratable') return { ...o, recognition: { ...r, startDate: move(r.startDate), endDate: move(r.endDate) } };
    if (r.method === 'point_in_time' && r.satisfiedBy !== undefined && body.milestones === undefined) return { ...o, recognition: { ...r, satisfiedBy: renamed(r.satisfiedBy) } };
    return { ...o, recognition: r };
  });
  const gone = new Set(cancelled);
  const milestones = body.milestones ?? predecessor.milestones.filter((m) => !gone.has(m.id)).map((m) => ({
    ...m,
    id: renamed(m.id),
    trigger: m.trigger.type === 'date' ? { ...m.trigger, date: move(m.trigger.date) } : m.trigger,
    ...(m.plannedFinishDate !== undefined ? { plannedFinishDate: move(m.plannedFinishDate) } : {}),
  }));
  const terms: Record<string, unknown> = {
    ...kept,
    contractId: body.contractId,
    signedDate: body.signedDate,
    obligations,
    milestones,
    renews: predecessor.contractId,
    ...(body.advanceBilling ? { advanceBilling: body.advanceBilling } : {}),
    ...(sandbox !== undefined || body.sandbox !== undefined ? { sandbox: body.sandbox ?? { clockStart: body.signedDate } } : {}),
  };
  // A contract value holds for a copied schedule (the same amounts), not for a new one.
  if (body.contractValue !== undefined) terms.contractValue = body.contractValue;
  else if (body.milestones !== undefined) delete terms.contractValue;
  return terms as ContractTermsInput;
}

/** A renewal's claim whose successor has not started after this long is abandoned (a start takes seconds at most). */
const CLAIM_STALE_MS = 2 * 60_000;

/** The chain a contract is in: its predecessors (oldest first), itself, its successors. At most this many links are followed. */
const MAX_CHAIN = 200;

export function createRenewalUseCases(deps: { contracts: ContractUseCases; renewals: RenewalRepository }) {
  const { contracts, renewals } = deps;

  /**
   * The link of a successor that exists already as a renewal of `predecessorId` but lost its record
   * (a crash between start and insert); true when the successor is that renewal.
   */
  async function heal(successorId: string, predecessorId: string): Promise<boolean> {
    try {
      const state = await contracts.state(successorId);
      const terms = state.versions[0]?.terms;
      if (terms?.renews !== predecessorId) return false;
      await renewals.insert({ successorId, predecessorId, customerId: state.customerId, signedDate: terms.signedDate, createdAt: new Date() });
      return true;
    } catch {
      // The refusal (duplicate_contract) is the answer; healing is best effort.
      return false;
    }
  }

  async function exists(contractId: string): Promise<boolean> {
    try {
      await contracts.customerOf(contractId);
      return true;
    } catch (err) {
      if (err instanceof AppError && err.code === 'not_found') return false;
      throw err;
    }
  }

  /**
   * Claims the predecessor for the renewal that starts `successorId` (a unique insert: of two
   * renewals at the same instant one claims it, the other is refused). A claim whose successor
   * never started (its gateway died in between) is taken over once older than CLAIM_STALE_MS.
   */
  async function claim(predecessorId: string, successorId: string): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      if (await renewals.claim(predecessorId, successorId, new Date())) return;
      const holder = await renewals.claimOf(predecessorId);
      if (!holder) continue; // released meanwhile: claim again
      if (holder.successorId === successorId) return; // this renewal sent again
      const stale = Date.now() - holder.createdAt.getTime() > CLAIM_STALE_MS && !(await exists(holder.successorId));
      if (!stale) throw new AppError('not_allowed_in_state', `contract ${predecessorId} is being renewed by ${holder.successorId}`);
      await renewals.release(predecessorId, holder.successorId);
    }
    throw new AppError('not_allowed_in_state', `contract ${predecessorId} is being renewed by another request; try again`);
  }

  return {
    async renew(predecessorId: string, input: unknown, by?: string): Promise<z.output<typeof renewalCreatedSchema>> {
      const body = validate(renewalBody, input);
      if (body.contractId === predecessorId) {
        throw new AppError('validation_failed', 'invalid body: body.contractId is the contract being renewed', [{ path: 'body.contractId', message: 'must be a new contract id, not the predecessor\'s' }]);
      }
      const state = await contracts.state(predecessorId);
      const current = currentVersion(state);
      if (body.sandbox !== undefined && !state.sandbox) {
        throw new AppError('validation_failed', 'invalid body: body.sandbox: the predecessor runs on the real clock; so does its successor', [{ path: 'body.sandbox', message: 'only for a sandbox predecessor' }]);
      }
      for (const [i, o] of (body.obligations ?? []).entries()) {
        if (!current.terms.obligations.some((x) => x.id === o.id)) throw new AppError('validation_failed', `invalid body: body.obligations.${i}.id: no obligation ${o.id} in contract ${predecessorId}`, [{ path: `body.obligations.${i}.id`, message: `no obligation ${o.id} in contract ${predecessorId}` }]);
      }
      const other = (await renewals.ofPredecessor(predecessorId)).find((r) => r.successorId !== body.contractId);
      if (other) throw new AppError('not_allowed_in_state', `contract ${predecessorId} is already renewed by ${other.successorId}`);
      // The successor goes through the same validation as POST /contracts; its problems are named `successor.<field>`.
      const terms = validate(contractTermsSchema, successorTerms(current.terms, current.cancelled, body), 'successor');
      await claim(predecessorId, terms.contractId);
      let created;
      try {
        created = await contracts.create(terms);
      } catch (err) {
        const linked = err instanceof AppError && err.code === 'duplicate_contract' && await heal(terms.contractId, predecessorId);
        // Nothing started as this renewal: the predecessor is free again.
        if (!linked) await renewals.release(predecessorId, terms.contractId);
        throw err;
      }
      await renewals.insert({ successorId: terms.contractId, predecessorId, customerId: terms.customer.id, signedDate: terms.signedDate, ...(by ? { by } : {}), createdAt: new Date() });
      return { ...created, renews: predecessorId };
    },

    /** The successor of a contract (the first recorded), for its public state. */
    async renewedBy(contractId: string): Promise<string | undefined> {
      return (await renewals.ofPredecessor(contractId))[0]?.successorId;
    },

    /** The chain of `contractId`, oldest first: one indexed lookup per link. */
    async chain(contractId: string): Promise<Array<z.output<typeof renewalLinkSchema>>> {
      const back: RenewalRecord[] = [];
      const seen = new Set([contractId]);
      for (let cur = contractId; back.length < MAX_CHAIN;) {
        const r = await renewals.ofSuccessor(cur);
        if (!r || seen.has(r.predecessorId)) break;
        back.unshift(r);
        seen.add(r.predecessorId);
        cur = r.predecessorId;
      }
      const forward: RenewalRecord[] = [];
      const queue = [contractId];
      while (queue.length > 0 && back.length + forward.length < MAX_CHAIN) {
        for (const r of await renewals.ofPredecessor(queue.shift()!)) {
          if (seen.has(r.successorId)) continue;
          seen.add(r.successorId);
          forward.push(r);
          queue.push(r.successorId);
        }
      }
      const records = [...back, ...forward];
      const bySuccessor = new Map(records.map((r) => [r.successorId, r]));
      // back ends with the contract asked about (the successor of its last link).
      const ids = [...(back.length ? [back[0]!.predecessorId, ...back.map((r) => r.successorId)] : [contractId]), ...forward.map((r) => r.successorId)];
      return ids.map((cid) => {
        const own = bySuccessor.get(cid);
        const next = records.find((r) => r.predecessorId === cid);
        return {
          contractId: cid,
          ...(own ? { renews: own.predecessorId, signedDate: own.signedDate, renewedAt: new Date(own.createdAt).toISOString() } : {}),
          ...(next ? { renewedBy: next.successorId } : {}),
        };
      });
    },
  };
}

export type RenewalUseCases = ReturnType<typeof createRenewalUseCases>;

const contractIdOf = (req: Request) => req.params.id as string;

/** The renewal and schedule operations of the gateway (wired in index.ts beside routes.ts's). */
export function renewalOperations(deps: { contracts: ContractUseCases; renewals: RenewalUseCases }): GatewayOperation[] {
  const { contracts, renewals } = deps;
  return [
    {
      method: 'post',
      path: '/contracts/:id/renewals',
      summary: 'Renew a contract: creates its successor (same customer and obligations; new id, signed date and schedule) linked both ways',
      description: 'Rules: docs/renewals.md. The successor is created like `POST /contracts` (same validation, `duplicate_contract`); its problems are named `successor.<field>`. The predecessor is not changed.',
      body: renewalBody,
      access: { permission: 'manage', action: 'renew contracts' },
      operationId: 'renewContract',
      tags: ['contracts'],
      responses: {
        201: { description: 'the successor, created: its workflow runs', schema: renewalCreatedSchema },
        409: { description: 'the successor\'s id exists, or the contract is already renewed by another', codes: ['duplicate_contract', 'not_allowed_in_state'] },
      },
      async handler(req, res) {
        res.status(201).json(await renewals.renew(contractIdOf(req), req.body ?? {}, req.principal?.name));
      },
    },
    {
      method: 'get',
      path: '/contracts/:id/renewals',
      summary: 'The renewal chain of a contract: its predecessors, itself and its successors, the oldest first',
      query: pageQuery.strict(),
      access: { permission: 'read', action: 'read contracts' },
      operationId: 'listContractRenewals',
      tags: ['contracts'],
      responses: { 200: { description: 'a page of the chain', schema: renewalChainSchema } },
      async handler(req, res) {
        const q = validate(pageQuery.strict(), req.query, 'query');
        const offset = offsetOf(q.cursor);
        const chain = await renewals.chain(contractIdOf(req));
        // A contract with no link at all: it must exist (a scoped key's was checked by the router).
        if (chain.length === 1) await contracts.customerOf(contractIdOf(req));
        const data = chain.slice(offset, offset + q.limit);
        res.json({ data, ...(chain.length > offset + q.limit ? { nextCursor: offsetCursor(offset + q.limit) } : {}) });
      },
    },
    {
      method: 'get',
      path: '/contracts/:id/schedule.svg',
      summary: 'The contract\'s visual schedule: milestones (planned vs actual dates, status colours) and invoices on a time axis, as SVG',
      query: scheduleQuery,
      access: { permission: 'read', action: 'read contracts' },
      operationId: 'getContractSchedule',
      tags: ['contracts'],
      responses: { 200: { description: 'the schedule (SVG, deterministic for the same state)', schema: z.string(), contentType: 'image/svg+xml' } },
      async handler(req, res) {
        validate(scheduleQuery, req.query, 'query');
        const state = await contracts.state(contractIdOf(req));
        res.type('image/svg+xml; charset=utf-8').setHeader('Content-Disposition', `inline; filename="schedule-${state.contractId}.svg"`);
        res.send(scheduleSvg(scheduleModel(state)));
      },
    },
    {
      method: 'get',
      path: '/contracts/:id/schedule.png',
      summary: 'The contract\'s visual schedule as PNG (the SVG rendered with bundled fonts), for e-mail and tools that do not show SVG',
      query: schedulePngQuery,
      access: { permission: 'read', action: 'read contracts' },
      operationId: 'getContractSchedulePng',
      tags: ['contracts'],
      responses: { 200: { description: 'the schedule (PNG, deterministic for the same state and scale)', schema: z.string(), contentType: 'image/png' } },
      async handler(req, res) {
        const q = validate(schedulePngQuery, req.query, 'query');
        const state = await contracts.state(contractIdOf(req));
        res.type('image/png').setHeader('Content-Disposition', `inline; filename="schedule-${state.contractId}.png"`);
        res.send(svgToPng(scheduleSvg(scheduleModel(state)), q.scale));
      },
    },
  ];
}

