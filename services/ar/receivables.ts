/** AR use cases: a receivable per invoice, opened exactly once. */
import { AppError } from '../../libs/domain/errors';
import { createOnce, requestHash, withoutStorageFields } from '../../libs/idempotency';
import { formatMoney } from '../../libs/money';
import type { OpenReceivableRequest, Receivable } from './api';
import type { ReceivableDoc, ReceivableRepository } from './data/receivables';

type ParsedOpen = Required<Pick<OpenReceivableRequest, 'sandbox' | 'milestoneIds'>> & OpenReceivableRequest;

export function createReceivableUseCases(repo: ReceivableRepository) {
  return {
    async open(input: ParsedOpen, key: string): Promise<{ receivable: Receivable; created: boolean }> {
      const { doc, created } = await createOnce(repo, key, requestHash(input), (): ReceivableDoc => ({
        ...input,
        idempotencyKey: key,
        requestHash: requestHash(input),
        amount: formatMoney(input.amount, input.currency),
        openAmount: formatMoney(input.amount, input.currency),
        status: 'open',
      }));
      return { receivable: withoutStorageFields(doc), created };
    },
    async get(invoiceNumber: string): Promise<Receivable> {
      const doc = await repo.findByInvoice(invoiceNumber);
      if (!doc) throw new AppError('not_found', `no receivable for invoice ${invoiceNumber}`);
      return withoutStorageFields(doc);
    },
    async list(filter: { contractId?: string; customerId?: string; status?: string }, limit: number, offset: number) {
      return (await repo.list(filter, limit, offset)).map(withoutStorageFields);
    },
  };
}

export type ReceivableUseCases = ReturnType<typeof createReceivableUseCases>;
