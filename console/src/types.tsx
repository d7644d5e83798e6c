/** The API's answers, as the console reads them (docs/api.md; the OpenAPI document at /openapi.json). */

export type Permission = 'read' | 'deliver' | 'approve' | 'manage';

/** `GET /me`: who the key is and what it may do. */
export interface Me {
  name: string;
  role: string;
  customerId?: string;
  permissions: Permission[];
}

export interface Page<T> {
  data: T[];
  nextCursor?: string;
}

export interface ContractListItem {
  contractId: string;
  customerId: string;
  currency: string;
  status: string;
  workflowStatus?: string;
  startedAt?: string;
}

export interface Actor {
  type: 'key' | 'webhook' | 'timer' | 'signal' | 'system';
  name?: string;
  role?: string;
}

export interface LogEntry {
  seq: number;
  on: string;
  kind: string;
  via: 'update' | 'signal' | 'timer';
  actor?: Actor;
  milestoneId?: string;
  date?: string;
  outcome: 'applied' | 'ignored' | 'refused';
  code?: string;
  reason?: string;
}

export type MilestoneStatus = 'planned' | 'completed' | 'declared' | 'rejected' | 'accepted' | 'invoiced' | 'covered' | 'paid' | 'cancelled';

export interface MilestoneState {
  id: string;
  status: MilestoneStatus;
  completedOn?: string;
  declaredOn?: string;
  acceptedOn?: string;
  acceptance?: 'date' | 'event' | 'signoff' | 'deemed';
  invoicedOn?: string;
  invoiceNumbers: string[];
  rejection?: { on: string; reason: string };
  waiting?: 'awaiting_sequence' | 'customer_hold';
  cancelledOn?: string;
}

export interface Trigger {
  type: 'date' | 'event';
  date?: string;
  completion?: 'customer_signoff' | 'external_event' | 'vendor_declaration';
  deemedAcceptanceDays?: number;
}

export interface MilestoneTerms {
  id: string;
  name: string;
  description: string;
  obligationId: string;
  amount: string;
  weight?: string;
  billable?: boolean;
  sequence: number;
  trigger: Trigger;
  plannedFinishDate?: string;
  allowDateChange?: boolean;
  invoiceTiming?: { type: string; days?: number };
}

export interface ObligationTerms {
  id: string;
  name: string;
  ssp: string;
  recognition: { method: string; [k: string]: unknown };
}

export interface Terms {
  contractId: string;
  customer: { id: string; name: string };
  currency: string;
  signedDate: string;
  paymentTerms: string;
  timezone?: string;
  enforceSequence?: boolean;
  obligations: ObligationTerms[];
  milestones: MilestoneTerms[];
  advanceBilling?: { amount: string; date: string };
  sandbox?: { clockStart: string };
}

export interface InvoiceSummary {
  number?: string;
  kind: 'milestone' | 'advance' | 'supplementary';
  milestoneIds: string[];
  amount: string;
  date: string;
  dueDate: string;
  termsVersion: number;
  originalInvoiceNumber?: string;
  paid: boolean;
}

export interface PendingTimer {
  kind: 'advance' | 'acceptance' | 'invoice' | 'month_end';
  date: string;
  milestoneId?: string;
  purpose: string;
  deemed?: boolean;
}

export interface FailedStep {
  id: string;
  step: string;
  effect: string;
  code: string;
  message: string;
  on: string;
  attempts: number;
  status: 'failed' | 'retrying' | 'resolved';
  resolution?: { on: string; reason: string };
}

export interface Contract {
  contractId: string;
  customerId: string;
  currency: string;
  sandbox: boolean;
  clock: string;
  status: 'active' | 'completed';
  version: number;
  versions: Array<{ version: number; effectiveDate: string; terms: Terms; cancelled: string[] }>;
  milestones: Record<string, MilestoneState>;
  invoices: InvoiceSummary[];
  creditMemos: Array<{ number?: string; milestoneId: string; originalInvoiceNumber?: string; amount: string; date: string; amendmentVersion: number }>;
  timers: PendingTimer[];
  hold?: { since: string };
  heldInvoices: string[];
  advance?: { amount: string; issued: boolean; applied: string };
  recognized: Record<string, string>;
  recognizedTotal: string;
  billed: string;
  log: LogEntry[];
  failedSteps: FailedStep[];
  pendingEffects: number;
  openFailures: number;
}

/** `GET /contracts/:id/invoices` items (the invoicing service's invoice, with AR's figures). */
export interface Invoice {
  number: string;
  kind: 'milestone' | 'advance' | 'supplementary';
  contractId: string;
  customer: { id: string; name: string };
  currency: string;
  termsVersion: number;
  date: string;
  dueDate: string;
  lines: Array<{ milestoneId: string; description: string; amount: string }>;
  total: string;
  status: 'issued' | 'partially_paid' | 'paid' | 'credited';
  sandbox: boolean;
  originalInvoiceNumber?: string;
  creditedAmount?: string;
  creditMemoNumbers?: string[];
  paidAmount?: string;
  openAmount?: string;
}

export interface CreditMemo {
  number: string;
  contractId: string;
  currency: string;
  originalInvoiceNumber: string;
  amendmentVersion: number;
  date: string;
  lines: Array<{ milestoneId: string; description: string; amount: string }>;
  total: string;
}

export interface RevenueByPeriod {
  currency: string;
  revenueByPeriod: Record<string, string>;
}

export interface RollForwardRow {
  period: string;
  opening: string;
  additions: string;
  releases: string;
  closing: string;
}

export interface RollForward {
  currency: string;
  deferred_revenue: RollForwardRow[];
  unbilled_ar: RollForwardRow[];
}

export const AGING_BUCKETS = ['current', 'days_1_30', 'days_31_60', 'days_61_90', 'days_over_90'] as const;
export type AgingBucket = (typeof AGING_BUCKETS)[number];

export interface Aging {
  asOf: string;
  currency: string;
  total: Record<AgingBucket, string> & { total: string; credit: string };
  customers: Array<Record<AgingBucket, string> & { customerId: string; total: string; credit: string }>;
}
