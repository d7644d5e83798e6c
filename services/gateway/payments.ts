/**
 * Payments through the gateway (DESIGN §7): a payment of a contract's invoices — a milestone's
 * (`invoiceFor`, or `advance`), or named ones — goes to AR, which applies it, books it once in the
 * ledger and tells the workflow when an invoice is paid. The gateway checks the body against the
 * contract's currency and its clock (`future_date`) and resolves a milestone to its invoice numbers.
 */
import { randomUUID } from 'node:crypto';
import { dateInZone, maxDate } from '../../libs/dates';
import type { Payment, RecordPaymentRequest } from '../../libs/contracts/ar';
import { currentTerms, type ContractState } from '../../libs/domain/contract';
import { AppError } from '../../libs/domain/errors';
import { validate } from '../../libs/http';
import type { ServiceClient } from '../../libs/service-client';
import type { ContractUseCases } from './contracts';
import { paymentBody, paymentBodyFor } from './schemas';

/** Who sends the payment and the Idempotency-Key it came with (none: every request is a new payment). */
export interface PaymentCaller {
  name?: string;
  idempotencyKey?: string;
}

/** Today on the contract's clock: a sandbox's own clock; otherwise the date in its timezone (never before the clock). */
export function todayOf(state: ContractState): string {
  return state.sandbox ? state.clock : maxDate(state.clock, dateInZone(Date.now(), currentTerms(state).timezone));
}

export function createPaymentUseCases(deps: { contracts: ContractUseCases; services: { ar: ServiceClient } }) {
  return {
    /** Records a payment of the contract's invoices in AR; answers the payment as AR recorded it. */
    async record(contractId: string, body: unknown, caller: PaymentCaller): Promise<Payment> {
      validate(paymentBody, body);
      const state = await deps.contracts.state(contractId);
      const b = validate(paymentBodyFor(state.currency), body);
      const today = todayOf(state);
      if (b.date !== undefined && b.date > today) {
        throw new AppError('future_date', `payment date ${b.date} is after today (${today}) on contract ${state.contractId}'s clock`, [
          { path: 'body.date', message: `must not be after ${today}` },
        ]);
      }
      const invoiceNumbers = b.invoiceNumbers ?? state.invoices
        .filter((i) => i.number !== undefined && (b.invoiceFor === undefined || i.milestoneIds.includes(b.invoiceFor)))
        .map((i) => i.number!);
      if (b.invoiceFor !== undefined && invoiceNumbers.length === 0) {
        throw new AppError('not_found', `contract ${state.contractId} has no invoice for ${b.invoiceFor}`);
      }
      const date = b.date ?? state.clock;
      // Without an Idempotency-Key two equal payments are two payments (Stripe's semantics): only
      // the caller can say that a request is a retry.
      const key = caller.idempotencyKey !== undefined
        ? `${state.contractId}:payment:${caller.name ?? 'anonymous'}:${caller.idempotencyKey}`
        : `${state.contractId}:payment:${randomUUID()}`;
      const request: RecordPaymentRequest = {
        customerId: state.customerId, currency: state.currency, date, amount: b.amount, invoiceNumbers,
        contractId: state.contractId, sandbox: state.sandbox,
      };
      return deps.services.ar.post<Payment>('/payments', request, { idempotencyKey: key });
    },
  };
}

export type PaymentUseCases = ReturnType<typeof createPaymentUseCases>;
