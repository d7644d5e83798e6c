/** The invoicing service's request and response shapes (zod), shared with its callers. */
import { z } from 'zod';
import { businessDate, moneyString } from '../../libs/domain/terms';

export const invoiceLineSchema = z.object({
  milestoneId: z.string().min(1),
  description: z.string().min(1),
  amount: moneyString,
});

export const issueInvoiceSchema = z.object({
  kind: z.enum(['milestone', 'advance', 'supplementary']),
  contractId: z.string().min(1),
  customer: z.object({ id: z.string().min(1), name: z.string().min(1) }),
  currency: z.string().regex(/^[A-Z]{3}$/),
  termsVersion: z.number().int().min(1),
  date: businessDate,
  paymentTerms: z.string().regex(/^NET_\d+$/),
  lines: z.array(invoiceLineSchema).min(1),
  sandbox: z.boolean().default(false),
});

export type IssueInvoiceRequest = z.input<typeof issueInvoiceSchema>;

export interface Invoice {
  number: string;
  kind: 'milestone' | 'advance' | 'supplementary';
  contractId: string;
  customer: { id: string; name: string };
  currency: string;
  termsVersion: number;
  date: string;
  dueDate: string;
  paymentTerms: string;
  lines: { milestoneId: string; description: string; amount: string }[];
  total: string;
  status: 'issued' | 'partially_paid' | 'paid' | 'credited';
  sandbox: boolean;
  createdAt: string;
}

export const listInvoicesQuery = z.object({
  contractId: z.string().optional(),
  customerId: z.string().optional(),
  status: z.enum(['issued', 'partially_paid', 'paid', 'credited']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
