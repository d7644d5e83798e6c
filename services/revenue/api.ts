/** The revenue service's request and response shapes (zod), shared with its callers. */
import { z } from 'zod';
import type { Account, JournalLine } from '../../libs/accounting';
import { businessDate, moneyString, signedMoneyString } from '../../libs/domain/terms';

const source = z.object({
  type: z.enum(['milestone', 'advance', 'amendment', 'payment', 'ratable_month', 'cost', 'release']),
  ref: z.string().min(1),
});

const common = {
  contractId: z.string().min(1),
  currency: z.string().regex(/^[A-Z]{3}$/),
  eventDate: businessDate,
  source,
  sandbox: z.boolean().default(false),
};

/** A contract event that bills and/or recognizes (signed amounts); the service applies DESIGN §6. */
export const postContractEventSchema = z.object({
  kind: z.literal('contract_event'),
  ...common,
  billed: signedMoneyString.default('0'),
  recognized: signedMoneyString.default('0'),
});

export const postPaymentSchema = z.object({
  kind: z.literal('payment'),
  ...common,
  amount: moneyString,
});

export const postingSchema = z.discriminatedUnion('kind', [postContractEventSchema, postPaymentSchema]);
export type PostingRequest = z.input<typeof postingSchema>;

export interface JournalEntry {
  entryId: string;
  ledger: string;
  contractId: string;
  currency: string;
  eventDate: string;
  postingDate: string;
  source: { type: string; ref: string };
  lines: JournalLine[];
  createdAt: string;
}

export type Balances = Record<Account, string>;

export const entriesQuery = z.object({
  contractId: z.string().optional(),
  sandbox: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(500),
  offset: z.coerce.number().int().min(0).default(0),
});

export const balancesQuery = z.object({
  contractId: z.string().min(1),
  sandbox: z.enum(['true', 'false']).optional(),
  asOf: businessDate.optional(),
});

/** The ledger an entry belongs to: the real books, or the contract's own sandbox ledger. */
export function ledgerFor(contractId: string, sandbox: boolean): string {
  return sandbox ? `sandbox:${contractId}` : 'books';
}
