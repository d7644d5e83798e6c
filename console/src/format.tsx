/** Display helpers shared by the pages. */
import type { Actor, Contract, InvoiceSummary, MilestoneState, MilestoneTerms, ScheduleTemplate, TemplateMilestone, Terms } from './types';
import { todayIn } from './dates';
import { formatAmount, isPositive } from './money';

export function actorLabel(actor: Actor | undefined): string {
  if (!actor) return '—';
  switch (actor.type) {
    case 'key': return `${actor.name ?? 'key'}${actor.role ? ` (${actor.role})` : ''}`;
    case 'webhook': return `webhook ${actor.name ?? ''}`.trim();
    case 'timer': return 'timer';
    case 'signal': return 'Temporal signal';
    case 'system': return `system${actor.name ? ` ${actor.name}` : ''}`;
    default: return String((actor as Actor).type);
  }
}

/** The terms in force: the latest version. */
export function currentTerms(contract: Contract): Terms {
  return contract.versions[contract.versions.length - 1]!.terms;
}

export const timezoneOf = (contract: Contract) => currentTerms(contract).timezone ?? 'UTC';

/** Today for the contract: its business clock for a sandbox, else the date in its timezone (never before the clock). */
export function contractToday(contract: Contract, now = Date.now()): string {
  if (contract.sandbox) return contract.clock;
  const today = todayIn(timezoneOf(contract), now);
  return today > contract.clock ? today : contract.clock;
}

export const WAITING_TEXT: Record<string, string> = {
  awaiting_sequence: 'waits for earlier milestones to be invoiced (sequence)',
  customer_hold: 'queued by the customer hold',
};

export const ACCEPTANCE_TEXT: Record<string, string> = {
  date: 'on its date (date trigger)',
  event: 'by the completion event',
  signoff: 'signed off',
  deemed: 'deemed accepted (window lapsed)',
};

/** A milestone billed by progress: "62.5 % · billed 625.00 in 2 parts" (docs/progressive-billing.md). */
export function progressLabel(progress: NonNullable<MilestoneState['progress']>): string {
  // `parts` counts invoices: a share the advance covered entirely is billed without one.
  const billed = !isPositive(progress.billed) ? 'nothing billed yet'
    : progress.parts === 0 ? `billed ${formatAmount(progress.billed)}, covered by the advance`
      : `billed ${formatAmount(progress.billed)} in ${progress.parts} part${progress.parts === 1 ? '' : 's'}`;
  return `${progress.percent} % · ${billed}`;
}

/** Which share of a progress-billed milestone an invoice bills: "part 2 · 62.5 %", "the rest · 100 %"; undefined for any other invoice. */
export function invoicePartLabel(invoice: Pick<InvoiceSummary, 'part' | 'progress'>): string | undefined {
  if (invoice.part !== undefined) return `part ${invoice.part}${invoice.progress ? ` · ${invoice.progress.percent} %` : ''}`;
  return invoice.progress ? `the rest · ${invoice.progress.percent} %` : undefined;
}

/** A template's milestones and their shares of the fee: "kickoff 30 % · uat 40 % · golive 30 %". */
export function templatePercents(template: Pick<ScheduleTemplate, 'milestones'>): string {
  return template.milestones.map((m) => `${m.id} ${m.percent} %`).join(' · ');
}

/** How a milestone is completed: "customer signoff, deemed accepted after 10 days", "90 days after signing". */
export function templateTriggerText(trigger: TemplateMilestone['trigger']): string {
  if (trigger.type === 'date') return `date: ${trigger.daysAfterSigning} days after signing`;
  return `${trigger.completion.replace(/_/g, ' ')}${trigger.deemedAcceptanceDays !== undefined ? `, deemed accepted after ${trigger.deemedAcceptanceDays} days` : ''}`;
}

/** When a milestone is invoiced once accepted: "immediately", "5 days after acceptance", "next billing cycle". */
export function invoiceTimingText(timing: MilestoneTerms['invoiceTiming'] | TemplateMilestone['invoiceTiming'] | undefined): string {
  switch (timing?.type) {
    case undefined:
    case 'immediate': return 'immediately';
    case 'days_after_acceptance': return `${timing.days} days after acceptance`;
    case 'next_billing_cycle': return 'next billing cycle';
    default: return String((timing as { type: string }).type);
  }
}
