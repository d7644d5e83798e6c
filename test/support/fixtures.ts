/** Contract terms for tests: a small valid contract, varied per test by overrides. */
import type { ContractTermsInput } from '../../libs/domain/terms';
import { uniqueId } from './system';

export function simpleContract(overrides: Partial<ContractTermsInput> = {}): ContractTermsInput {
  return {
    contractId: uniqueId('c'),
    customer: { id: 'cust-acme', name: 'Acme Corp' },
    currency: 'USD',
    signedDate: '2026-01-05',
    paymentTerms: 'NET_30',
    obligations: [{ id: 'impl', name: 'Implementation', ssp: '50000.00', recognition: { method: 'milestones' } }],
    milestones: [
      {
        id: 'go-live',
        name: 'Go-live',
        description: 'Go-live of the HR system, milestone fee',
        obligationId: 'impl',
        amount: '50000.00',
        sequence: 1,
        trigger: { type: 'event', completion: 'external_event' },
      },
    ],
    ...overrides,
  };
}
