/**
 * The contract workflow's state and message payloads: plain serialisable data (no Map, Set or
 * class instances), so it survives continue-as-new exactly. Types only plus pure helpers.
 */
import type { PostingProgress } from '../contracts/revenue';
import type { AmendInput } from './amendment';
import type { EventInput } from './events';
import type { ContractTerms } from './terms';

export type { AmendInput, PostingProgress };
export type { AdvanceClockInput, CostReportInput, DatedInput, MilestoneEventInput, ProgressInput, RejectInput, StepInput } from './inputs';

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
  /** Date of the milestone's first invoice (absent when covered by the advance). */
  invoicedOn?: string;
  invoiceNumbers: string[];
  rejection?: { on: string; reason: string };
  /** Why its invoice waits: `awaiting_sequence` or `customer_hold`. */
  waiting?: 'awaiting_sequence' | 'customer_hold';
  cancelledOn?: string;
  /** A milestone billed by progress (docs/progressive-billing.md): what was reported and billed. */
  progress?: MilestoneProgress;
}

export interface MilestoneProgress {
  /** The last percent reported ("100" once completed). */
  percent: string;
  /** The last percent reported below 100: what a part bills up to when it is issued (also after completion). */
  partPercent?: string;
  /** What its progress invoices billed so far (gross: the advance applied to them included). */
  billed: string;
  /** The percent its parts billed up to (a report still queued by a hold or its sequence is not billed yet). */
  billedAt?: string;
  /** How many progress invoices (parts) it has had. */
  parts: number;
  /** Its final invoice (the rest) fell due: acceptance and its invoice timing. */
  finalDue?: boolean;
}

/** What a progress invoice says about the progress it bills (printed on it). */
export interface InvoiceProgress {
  /** Percent complete it bills up to ("100" for the rest). */
  percent: string;
  /** Cumulative billed for the milestone with this invoice (gross of the advance). */
  cumulative: string;
  /** Billed for the milestone before it (gross of the advance). */
  previouslyBilled: string;
}

export interface InvoiceSummary {
  /** Assigned by the invoicing service once the invoice is issued. */
  number?: string;
  kind: 'milestone' | 'advance' | 'supplementary';
  milestoneIds: string[];
  amount: string;
  date: string;
  dueDate: string;
  termsVersion: number;
  originalInvoiceNumber?: string;
  paid: boolean;
  /** A progress invoice: its part number (1, 2, …; absent on the final invoice of the rest). */
  part?: number;
  /** Progress billing: the progress it bills. */
  progress?: InvoiceProgress;
}

export interface CreditMemoSummary {
  number?: string;
  milestoneId: string;
  originalInvoiceNumber?: string;
  amount: string;
  date: string;
  amendmentVersion: number;
  /** Progress billing: one memo per invoice credited (newest first); the invoice it credits and its number within the amendment. */
  invoiceIndex?: number;
  seq?: number;
}

export interface TermsVersion {
  version: number;
  effectiveDate: string;
  terms: ContractTerms;
  /** Milestones cancelled as of this version. */
  cancelled: string[];
}

export type TimerKind = 'advance' | 'acceptance' | 'invoice' | 'month_end';

export interface PendingTimer {
  seq: number;
  kind: TimerKind;
  /** Business date it fires (00:00 in the contract's timezone). */
  date: string;
  milestoneId?: string;
  /** What it does, for people reading the state. */
  purpose: string;
  /** An acceptance timer that is a deemed-acceptance window (it keeps the terms it started under). */
  deemed?: boolean;
}

export interface LogEntry {
  seq: number;
  /** Business date on the contract's clock when it was handled. */
  on: string;
  kind: string;
  via: 'update' | 'signal' | 'timer';
  milestoneId?: string;
  date?: string;
  outcome: 'applied' | 'ignored' | 'refused';
  code?: string;
  reason?: string;
  /** Who or what caused it (entries made before actors were recorded have none). */
  actor?: Actor;
}

/**
 * The calls an effect makes, in order. Each is its own tracked step: a step a service refuses for
 * good is recorded (`failedSteps`) and the steps that do not depend on it still run.
 */
export type EffectStep = 'plan' | 'invoice' | 'receivable' | 'credit_memo' | 'apply_credit' | 'ledger' | 'announce';

/** What a step needs done first (the rest of an effect runs even when a step it does not need failed). */
export const STEP_NEEDS: Readonly<Partial<Record<EffectStep, EffectStep>>> = {
  receivable: 'invoice', ledger: 'invoice', apply_credit: 'credit_memo',
};

/** The service calls a step of an effect makes (the activities of activities/index.ts). */
export type StepActivity = 'registerRevenuePlan' | 'issueInvoice' | 'openReceivable' | 'postToLedger' | 'issueCreditMemo' | 'applyCreditMemo' | 'publishEvents';

/**
 * One step of an effect as the workflow hands it to the worker: the activity, its request and
 * idempotency key (`activity` absent: nothing to call, e.g. a credit with no invoice to apply to).
 * `fill` takes a number from an earlier step of the same batch (the receivable of an invoice
 * issued just before it); `needs`, as STEP_NEEDS, skips the step when that one did not succeed.
 */
export interface StepCall {
  step: EffectStep;
  activity?: StepActivity;
  request?: Record<string, unknown>;
  key?: string;
  needs?: EffectStep;
  fill?: { field: 'invoiceNumber' | 'creditMemoNumber'; from: EffectStep };
}

/** What became of a step of a batch: done (with the service's answer), refused for good, or skipped (what it needs did not succeed). */
export type StepResult =
  | { step: EffectStep; status: 'done'; result?: unknown }
  | { step: EffectStep; status: 'refused'; code: string; message: string }
  | { step: EffectStep; status: 'skipped' };

/** Side effects the workflow owes the services, kept in state until done (an outbox). */
export type Effect = (
  | { id: number; kind: 'register_plan'; version: number; effectiveDate: string }
  | { id: number; kind: 'issue_invoice'; invoiceIndex: number; progress?: PostingProgress }
  | { id: number; kind: 'issue_credit_memo'; memoIndex: number }
  | { id: number; kind: 'post_progress'; date: string; source: { type: 'milestone' | 'cost' | 'ratable_month'; ref: string }; progress: PostingProgress; key: string }
  /** Since 'outbound-events': an event the workflow itself knows of (`milestone.accepted`), handed to the gateway. */
  | { id: number; kind: 'announce'; event: EventInput }
) & {
  /** Only these steps (a retry of a failed step and the steps that needed it). */
  only?: EffectStep[];
};

/** A step a service refused for good: visible in the state until finance retries or resolves it. */
export interface FailedStep {
  /** `<effect id>:<step>`, stable across retries. */
  id: string;
  step: EffectStep;
  effect: Effect;
  /** The steps a retry runs: this one and those that needed it. */
  retrySteps: EffectStep[];
  code: string;
  message: string;
  /** Business date of the (last) refusal. */
  on: string;
  attempts: number;
  status: 'failed' | 'retrying' | 'resolved';
  resolution?: { on: string; reason: string };
}

export interface ContractState {
  contractId: string;
  customerId: string;
  currency: string;
  sandbox: boolean;
  /** The business clock of a sandbox contract (DESIGN §3a); for others, the last date seen. */
  clock: string;
  status: 'active' | 'completed';
  version: number;
  versions: TermsVersion[];
  milestones: Record<string, MilestoneState>;
  invoices: InvoiceSummary[];
  creditMemos: CreditMemoSummary[];
  timers: PendingTimer[];
  hold?: { since: string };
  /** Milestones (or `advance`) whose invoice fell due during the hold, in that order. */
  heldInvoices: string[];
  advance?: { amount: string; issued: boolean; applied: string };
  /** Cumulative revenue recognized per obligation, as the revenue service last reported it. */
  recognized: Record<string, string>;
  recognizedTotal: string;
  billed: string;
  costToDate: Record<string, string>;
  /** The last ratable month end (or end date) posted. */
  ratablePostedThrough?: string;
  log: LogEntry[];
  /** Sequence number of the last log entry (entries are trimmed; numbers never repeat). */
  logSeq?: number;
  outbox: Effect[];
  /** Steps of effects a service refused for good: finance retries or resolves them (never dropped). */
  failedSteps: FailedStep[];
  /** Before steps were tracked (runs started by an older worker): whole effects that failed. */
  failedEffects?: Array<{ effect: Effect; code: string; message: string }>;
  effectsDone: number;
  effectsQueued: number;
  /**
   * Set at the start of each run begun by code with the 'outbound-events' patch: acceptances then
   * queue an `announce` effect. Unset in runs recorded before it, so they replay as they ran.
   */
  announces?: boolean;
  /**
   * Set at the start of each run: which fully credited invoices count as settled for their
   * milestone's `paid` — 'progress' (a milestone billed by progress; patch 'credited-parts-settle'),
   * 'all' (runs begun under 'credited-invoices-settle', replaced before release). Unset in older runs.
   */
  creditsSettle?: 'progress' | 'all';
  timerSeq: number;
  progressSeq: number;
  runs: number;
}

export interface ContractWorkflowOptions {
  /** Continue-as-new after this many messages in one run (the server allows 2,000 updates). */
  maxMessagesPerRun?: number;
}

export interface ContractWorkflowInput {
  terms: ContractTerms;
  options?: ContractWorkflowOptions;
  /** Set by continue-as-new: the state carried over. */
  resume?: ContractState;
}

/** Failed steps nobody has retried or resolved yet (the reconciliation report counts them). */
export function openFailedSteps(state: Pick<ContractState, 'failedSteps'>): FailedStep[] {
  return (state.failedSteps ?? []).filter((f) => f.status !== 'resolved');
}

/** Open failed steps plus whole effects that failed before steps were tracked. */
export function openFailureCount(state: Pick<ContractState, 'failedSteps' | 'failedEffects'>): number {
  return openFailedSteps(state).length + (state.failedEffects?.length ?? 0);
}

export interface UpdateOutcome {
  outcome: 'applied' | 'ignored';
  reason?: string;
  milestone?: MilestoneState;
  version?: number;
  /** What the update caused (set by the workflow once its effects are done). */
  caused?: { invoices: InvoiceSummary[]; creditMemos: CreditMemoSummary[]; timers: PendingTimer[] };
}

/** Who or what caused a log entry: an API key (name, role), a webhook source, a timer, a signal, a component. */
export interface Actor {
  type: 'key' | 'webhook' | 'timer' | 'signal' | 'system';
  name?: string;
  role?: string;
}

/** Sent by AR when an invoice of the contract becomes fully paid. */
export interface InvoicePaidInput {
  invoiceNumber: string;
  /** Business date of the payment that settled it. */
  paidOn: string;
}

export function currentVersion(state: Pick<ContractState, 'versions'>): TermsVersion {
  return state.versions[state.versions.length - 1]!;
}

export function currentTerms(state: Pick<ContractState, 'versions'>): ContractTerms {
  return currentVersion(state).terms;
}
