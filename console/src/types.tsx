/** The API's answers, as the console reads them (docs/api.md; the OpenAPI document at /openapi.json). */
import type { z } from 'zod';
import type { ContractTerms } from '../../libs/domain/terms';
import type {
  actorSchema, failedStepSchema, invoiceSummarySchema, logEntrySchema, milestoneStateSchema, pendingTimerSchema, PublicContract,
} from '../../services/gateway/public-state';
import type { fromTemplateBody, scheduleTemplateSchema } from '../../services/gateway/templates';

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

/*
 * The contract's state and log in the API's public shape: the gateway's own zod schemas
 * (services/gateway/public-state.ts) and terms (libs/domain/terms.ts), imported as types only —
 * one definition, erased from the bundle.
 */
export type Actor = z.infer<typeof actorSchema>;
export type LogEntry = z.infer<typeof logEntrySchema>;
export type MilestoneState = z.infer<typeof milestoneStateSchema>;
export type MilestoneStatus = MilestoneState['status'];
export type InvoiceSummary = z.infer<typeof invoiceSummarySchema>;
export type PendingTimer = z.infer<typeof pendingTimerSchema>;
export type FailedStep = z.infer<typeof failedStepSchema>;
export type Terms = ContractTerms;
export type MilestoneTerms = Terms['milestones'][number];
export type ObligationTerms = Terms['obligations'][number];
export type Trigger = MilestoneTerms['trigger'];
export type Contract = Omit<PublicContract, 'versions'> & {
  versions: Array<Omit<PublicContract['versions'][number], 'terms'> & { terms: Terms }>;
};

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
  /** Progress billing: the progress the invoice bills (docs/progressive-billing.md). */
  progress?: InvoiceSummary['progress'];
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

/*
 * Schedule templates (docs/templates.md), in the gateway's own schemas (services/gateway/templates.ts),
 * imported as types only.
 */
export type ScheduleTemplate = z.infer<typeof scheduleTemplateSchema>;
export type TemplateMilestone = ScheduleTemplate['milestones'][number];
export type TemplateObligation = ScheduleTemplate['obligations'][number];
/** `GET /templates/:name`: the latest version, with every version's number. */
export type TemplateWithVersions = ScheduleTemplate & { versions: number[] };
/** `POST /templates/:name/contracts`: the request. */
export type FromTemplateRequest = z.input<typeof fromTemplateBody>;
/** … and its answer: the terms, and with `create: true` the contract created. */
export interface TermsFromTemplate {
  template: { name: string; version: number };
  terms: Terms;
  contract?: { contractId: string; workflowId: string; version: number };
}
