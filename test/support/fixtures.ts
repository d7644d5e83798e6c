/** A small wall-clock contract for tests (one external-event milestone), varied per test by overrides. */
import type { ContractTermsInput } from '../../libs/domain/terms';
import { milestone, sandboxTerms } from './contracts';

export function simpleContract(overrides: Partial<ContractTermsInput> = {}): ContractTermsInput {
  const { sandbox, ...terms } = sandboxTerms(
    [milestone('go-live', { name: 'Go-live', description: 'Go-live of the HR system, milestone fee', amount: '50000.00' })],
    { customer: { id: 'cust-acme', name: 'Acme Corp' }, signedDate: '2026-01-05', obligations: [{ id: 'impl', name: 'Implementation', ssp: '50000.00', recognition: { method: 'milestones' } }], ...overrides },
  );
  void sandbox;
  return terms;
}
