/**
 * Amendments (DESIGN §8): merging a change set into the current terms, and the rules that refuse
 * one. Pure (no zod, no Node): the workflow applies it, and the gateway uses the same merge to
 * validate the merged terms field by field before sending the update.
 */
import type { AmendInput, AmendmentChanges } from './inputs';
import { progressBillingProblem } from './progress';
import type { ContractTerms, Milestone, Obligation } from './terms';

/** An amendment's input: defined once with the gateway's body schema (libs/domain/inputs.ts). */
export type { AmendInput, AmendmentChanges };

type Tagged = { type?: string; method?: string } & Record<string, unknown>;

/** Nested objects with the same `type`/`method` (or none given) merge; a new `type`/`method` replaces. */
function mergeTagged<T extends object>(current: T | undefined, change: unknown): T {
  if (change === undefined) return current as T;
  if (current === undefined || change === null || typeof change !== 'object') return change as T;
  const c = current as Tagged;
  const n = change as Tagged;
  const tag = 'method' in c ? 'method' : 'type';
  if (n[tag] !== undefined && n[tag] !== c[tag]) return change as T;
  return { ...c, ...n } as T;
}

/** The terms after the changes (cancelled milestones stay in the terms; the caller tracks them). */
export function mergeAmendment(terms: ContractTerms, changes: AmendmentChanges): ContractTerms {
  const obligations = terms.obligations.map((o) => ({ ...o }));
  for (const change of changes.obligations ?? []) {
    const i = obligations.findIndex((o) => o.id === change.id);
    if (i < 0) {
      obligations.push(change as Obligation);
      continue;
    }
    const { recognition, ...rest } = change;
    obligations[i] = { ...obligations[i]!, ...rest, recognition: mergeTagged(obligations[i]!.recognition, recognition) };
  }
  const milestones = terms.milestones.map((m) => ({ ...m }));
  for (const change of changes.milestones ?? []) {
    const i = milestones.findIndex((m) => m.id === change.id);
    if (i < 0) {
      milestones.push({ billable: true, allowDateChange: true, invoiceTiming: { type: 'immediate' }, ...change } as Milestone);
      continue;
    }
    const { trigger, invoiceTiming, ...rest } = change;
    milestones[i] = {
      ...milestones[i]!,
      ...rest,
      trigger: mergeTagged(milestones[i]!.trigger, trigger),
      invoiceTiming: mergeTagged(milestones[i]!.invoiceTiming, invoiceTiming),
    };
  }
  // A new contract value replaces the old one (the gateway checks the merged milestones sum to it).
  return { ...terms, obligations, milestones, ...(changes.contractValue !== undefined ? { contractValue: changes.contractValue } : {}) };
}

export interface AmendmentProblem { path: string; message: string }

const FINAL_FOR_CANCEL = new Set(['accepted', 'invoiced', 'paid', 'covered']);

/**
 * The business rules that make an amendment invalid (DESIGN §11): cancelling an accepted, invoiced,
 * paid or covered milestone or an unknown one; changing a cancelled milestone; changing the amount of
 * a covered milestone; a negative amount; an unknown obligation without a recognition method. And
 * for progress billing (docs/progressive-billing.md; `progress`: the milestones whose progress was
 * reported, and whether their parts billed anything): cancelling one partly billed, turning it off
 * once progress was reported, turning it on after completion, and a merged milestone the rule of
 * `progressBillingProblem` refuses (a date trigger, not billing).
 */
export function amendmentProblems(
  terms: ContractTerms,
  statuses: Readonly<Record<string, string>>,
  changes: AmendmentChanges,
  progress: ReadonlyMap<string, { billed: boolean }> = new Map(),
): AmendmentProblem[] {
  const problems: AmendmentProblem[] = [];
  const known = new Set(terms.milestones.map((m) => m.id));
  const merged = mergeAmendment(terms, changes);
  (changes.cancel ?? []).forEach((id, i) => {
    if (!known.has(id)) problems.push({ path: `changes.cancel.${i}`, message: `unknown milestone ${id}` });
    else if (FINAL_FOR_CANCEL.has(statuses[id] ?? '')) problems.push({ path: `changes.cancel.${i}`, message: `milestone ${id} is ${statuses[id]} and cannot be cancelled` });
    else if (progress.get(id)?.billed) problems.push({ path: `changes.cancel.${i}`, message: `milestone ${id} has progress invoices; lower its amount to 0 to credit them first` });
  });
  const obligationIds = new Set(terms.obligations.map((o) => o.id));
  (changes.obligations ?? []).forEach((o, i) => {
    if (!obligationIds.has(o.id)) {
      if (!o.recognition || !('method' in o.recognition) || !o.recognition.method) {
        problems.push({ path: `changes.obligations.${i}.recognition`, message: `unknown obligation ${o.id} without a recognition method` });
      }
      obligationIds.add(o.id);
    }
    if (o.ssp !== undefined && o.ssp.startsWith('-')) problems.push({ path: `changes.obligations.${i}.ssp`, message: 'a negative SSP' });
  });
  (changes.milestones ?? []).forEach((m, i) => {
    const status = statuses[m.id];
    if (status === 'cancelled') problems.push({ path: `changes.milestones.${i}`, message: `milestone ${m.id} is cancelled and cannot be changed` });
    if (m.amount !== undefined && m.amount.startsWith('-')) problems.push({ path: `changes.milestones.${i}.amount`, message: 'a negative amount' });
    if (status === 'covered' && m.amount !== undefined) {
      const current = terms.milestones.find((x) => x.id === m.id)?.amount;
      if (current !== m.amount) problems.push({ path: `changes.milestones.${i}.amount`, message: `milestone ${m.id} is covered by the advance; its amount cannot change` });
    }
    // Progress billing (docs/progressive-billing.md): on only before completion, off only before any report.
    if (m.progressBilling === false && progress.has(m.id)) {
      problems.push({ path: `changes.milestones.${i}.progressBilling`, message: `milestone ${m.id} has had progress reported; it stays billed by progress` });
    }
    const mergedProblem = progressBillingProblem(merged.milestones.find((x) => x.id === m.id) ?? {});
    if (mergedProblem !== null) {
      const field = m.trigger !== undefined ? 'trigger' : m.billable !== undefined ? 'billable' : 'progressBilling';
      problems.push({ path: `changes.milestones.${i}.${field}`, message: `milestone ${m.id}: ${mergedProblem}` });
    }
    const current = terms.milestones.find((x) => x.id === m.id);
    if (m.progressBilling === true && current?.progressBilling !== true && status !== undefined && status !== 'planned' && status !== 'rejected') {
      problems.push({ path: `changes.milestones.${i}.progressBilling`, message: `milestone ${m.id} is ${status}; only a milestone not yet completed can be billed by progress` });
    }
    if (m.obligationId !== undefined && !obligationIds.has(m.obligationId)) {
      problems.push({ path: `changes.milestones.${i}.obligationId`, message: `unknown obligation ${m.obligationId}` });
    }
    if (!known.has(m.id) && m.id === 'advance') problems.push({ path: `changes.milestones.${i}.id`, message: '"advance" is reserved for the advance invoice' });
    if (!known.has(m.id)) {
      for (const field of ['name', 'description', 'obligationId', 'amount', 'sequence', 'trigger'] as const) {
        if (m[field] === undefined) problems.push({ path: `changes.milestones.${i}.${field}`, message: `new milestone ${m.id} needs ${field}` });
      }
    }
  });
  return problems;
}
