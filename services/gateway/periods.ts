/**
 * Period close through the gateway (DESIGN §6, §11): a month of the contract's ledger — the books,
 * or the contract's own sandbox ledger — closed in the revenue service, "today" being the
 * contract's clock (only a month that has ended can be closed; closing it twice is `ignored`).
 */
import type { ClosePeriodRequest, CloseResult } from '../../libs/contracts/revenue';
import { validate } from '../../libs/http';
import type { ServiceClient } from '../../libs/service-client';
import type { ContractUseCases } from './contracts';
import { closePeriodBody } from './schemas';

export function createPeriodUseCases(deps: { contracts: ContractUseCases; services: { revenue: ServiceClient } }) {
  return {
    async close(contractId: string, body: unknown): Promise<CloseResult> {
      const b = validate(closePeriodBody, body);
      const state = await deps.contracts.state(contractId);
      const request: ClosePeriodRequest = { period: b.period, sandbox: state.sandbox, contractId: state.contractId, asOf: state.clock };
      return deps.services.revenue.post<CloseResult>('/periods/close', request, { idempotencyKey: `${state.contractId}:close:${b.period}` });
    },
  };
}

export type PeriodUseCases = ReturnType<typeof createPeriodUseCases>;
