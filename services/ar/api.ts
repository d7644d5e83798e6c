/** The accounts-receivable service's request and response shapes (zod), shared with its callers. */
import { z } from 'zod';
import { businessDate, moneyString } from '../../libs/domain/terms';

export const openReceivableSchema = z.object({
  invoiceNumber: z.string().min(1),
  contractId: z.string().min(1),
  customerId: z.string().min(1),
  currency: z.string().regex(/^[A-Z]{3}$/),
  amount: moneyString,
  issueDate: businessDate,
  dueDate: businessDate,
  milestoneIds: z.array(z.string()).default([]),
  sandbox: z.boolean().default(false),
});

export type OpenReceivableRequest = z.input<typeof openReceivableSchema>;

export interface Receivable {
  invoiceNumber: string;
  contractId: string;
  customerId: string;
  currency: string;
  amount: string;
  openAmount: string;
  issueDate: string;
  dueDate: string;
  milestoneIds: string[];
  status: 'open' | 'partially_paid' | 'paid';
  sandbox: boolean;
}

export const listReceivablesQuery = z.object({
  contractId: z.string().optional(),
  customerId: z.string().optional(),
  status: z.enum(['open', 'partially_paid', 'paid']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
