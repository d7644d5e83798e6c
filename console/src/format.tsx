/** Display helpers shared by the pages. */
import type { Actor, Contract, Terms } from './types';
import { todayIn } from './dates';

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
