/**
 * The contract workflow's state and message payloads: plain serialisable data (no Map, Set or
 * class instances), so it survives continue-as-new exactly. Types only plus pure helpers.
 */
import type { ContractTerms } from './terms';

export type MilestoneStatus =
  | 'planned' | 'completed' | 'declared' | 'rejected' | 'accepted'
  | 'invoiced' | 'covered' | 'paid' | 'cancelled';

export type AcceptanceKind = 'date' | 'event' | 'signoff' | 'deemed';

export interface MilestoneState {
  id: string;
  status: MilestoneStatus;
  completedOn?: string;
  declaredOn?: string;
  acceptedOn?: string;
  acceptance?: AcceptanceKind;
  invoicedOn?: string;
  invoiceNumbers: string[];
  rejection?: { on: string; reason: string };
  waiting?: string;
}

export interface InvoiceSummary {
  number: string;
  kind: 'milestone' | 'advance' | 'supplementary';
  milestoneIds: string[];
  amount: string;
  date: string;
  dueDate: string;
  termsVersion: number;
}

export interface TermsVersion {
  version: number;
  effectiveDate: string;
  terms: ContractTerms;
}

export interface LogEntry {
  seq: number;
  at: string;
  kind: string;
  milestoneId?: string;
  date?: string;
  outcome: 'applied' | 'ignored' | 'refused';
  code?: string;
  reason?: string;
}

/** A side effect the workflow owes the services, kept in state until done (an outbox). */
export interface BillMilestoneEffect {
  id: string;
  kind: 'bill_milestone';
  milestoneId: string;
  date: string;
  amount: string;
  recognized: string;
  termsVersion: number;
}

export type Effect = BillMilestoneEffect;

export interface ContractState {
  contractId: string;
  customerId: string;
  currency: string;
  sandbox: boolean;
  status: 'active' | 'completed';
  version: number;
  versions: TermsVersion[];
  milestones: Record<string, MilestoneState>;
  invoices: InvoiceSummary[];
  /** Cumulative revenue recognized per obligation, as the workflow has posted it. */
  recognized: Record<string, string>;
  billed: string;
  log: LogEntry[];
  outbox: Effect[];
  effectsDone: number;
  effectsQueued: number;
}

export interface ContractWorkflowInput {
  terms: ContractTerms;
  /** Set by continue-as-new: the state carried over. */
  resume?: ContractState;
}

export interface MilestoneEventInput {
  milestoneId: string;
  /** Business date of the fact (default: today in the contract's timezone). */
  date?: string;
}

export interface UpdateOutcome {
  outcome: 'applied' | 'ignored';
  reason?: string;
  milestone?: MilestoneState;
}

export function currentTerms(state: Pick<ContractState, 'versions'>): ContractTerms {
  return state.versions[state.versions.length - 1]!.terms;
}

/** Sent by AR when an invoice of the contract becomes fully paid. */
export interface InvoicePaidInput {
  invoiceNumber: string;
  /** Business date of the payment that settled it. */
  paidOn: string;
}
