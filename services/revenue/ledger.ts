/** Revenue use cases: post balanced entries exactly once, report balances. */
import { randomUUID } from 'node:crypto';
import { ACCOUNTS, isBalanced, paymentEntry, positionEntry, type Account, type JournalLine } from '../../libs/accounting';
import { AppError } from '../../libs/domain/errors';
import { createOnce, requestHash, withoutStorageFields } from '../../libs/idempotency';
import { Dec, formatMoney } from '../../libs/money';
import { ledgerFor, type Balances, type JournalEntry, type postingSchema } from './api';
import type { EntryDoc, EntryRepository } from './data/entries';
import type { z } from 'zod';

type Posting = z.output<typeof postingSchema>;

/** Debit-normal accounts show debit − credit; credit-normal ones credit − debit (DESIGN §6). */
const DEBIT_NORMAL: ReadonlySet<Account> = new Set<Account>(['ar', 'unbilled_ar', 'cash']);

export function balancesOf(entries: readonly { lines: readonly JournalLine[] }[], currency: string): Balances {
  const totals = Object.fromEntries(ACCOUNTS.map((a) => [a, new Dec(0)])) as Record<Account, InstanceType<typeof Dec>>;
  for (const e of entries) {
    for (const l of e.lines) {
      const signed = new Dec(l.debit).minus(l.credit);
      totals[l.account] = totals[l.account].plus(DEBIT_NORMAL.has(l.account) ? signed : signed.negated());
    }
  }
  return Object.fromEntries(ACCOUNTS.map((a) => [a, formatMoney(totals[a], currency)])) as Balances;
}

export function createLedgerUseCases(repo: EntryRepository, now: () => Date = () => new Date()) {
  async function contractBalances(ledger: string, contractId: string, currency: string, asOf?: string): Promise<Balances> {
    const entries = await repo.list({ ledger, contractId, postingDateTo: asOf });
    return balancesOf(entries, currency);
  }

  return {
    /**
     * Posts one event. Contract events follow the contract-position rule against the contract's
     * current unbilled AR / deferred revenue. The contract workflow sends a contract's postings one
     * at a time, so the balances read here are current.
     */
    async post(input: Posting, key: string): Promise<{ entry: JournalEntry; created: boolean }> {
      const ledger = ledgerFor(input.contractId, input.sandbox);
      const hash = requestHash(input);
      let lines: JournalLine[] = [];
      const existing = await repo.findByKey(key);
      if (!existing) {
        if (input.kind === 'payment') {
          lines = paymentEntry(input.amount, input.currency);
        } else {
          const b = await contractBalances(ledger, input.contractId, input.currency);
          lines = positionEntry({
            currency: input.currency,
            unbilledAr: b.unbilled_ar,
            deferredRevenue: b.deferred_revenue,
            billed: input.billed,
            recognized: input.recognized,
          });
        }
        if (!isBalanced(lines)) throw new AppError('unbalanced_entry', 'the entry does not balance', { lines });
      }
      const { doc, created } = await createOnce(repo, key, hash, (): EntryDoc => ({
        entryId: randomUUID(),
        idempotencyKey: key,
        requestHash: hash,
        ledger,
        contractId: input.contractId,
        currency: input.currency,
        eventDate: input.eventDate,
        postingDate: input.eventDate,
        source: input.source,
        lines,
        createdAt: now().toISOString(),
      }));
      return { entry: withoutStorageFields(doc), created };
    },

    async entries(filter: { contractId?: string; sandbox?: boolean }, limit: number, offset: number): Promise<JournalEntry[]> {
      const ledger = filter.contractId && filter.sandbox !== undefined ? ledgerFor(filter.contractId, filter.sandbox) : undefined;
      return (await repo.list({ ledger, contractId: filter.contractId }, limit, offset)).map(withoutStorageFields);
    },

    async balances(contractId: string, sandbox: boolean, asOf?: string): Promise<Balances> {
      const ledger = ledgerFor(contractId, sandbox);
      const entries = await repo.list({ ledger, contractId, postingDateTo: asOf });
      return balancesOf(entries, entries[0]?.currency ?? 'USD');
    },
  };
}

export type LedgerUseCases = ReturnType<typeof createLedgerUseCases>;
