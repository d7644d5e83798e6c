/** Contract terms for tests, with no server: the one milestone builder of the unit and integration tests. */
import type { ContractTermsInput } from '../../libs/domain/terms';

export type MilestoneInput = ContractTermsInput['milestones'][number];

/** A billable milestone of obligation `impl` (external event, immediate invoice, 10000.00) unless overridden. */
export function milestone(id: string, overrides: Partial<MilestoneInput> = {}): MilestoneInput {
  return {
    id,
    name: `Milestone ${id}`,
    description: `${id} milestone fee`,
    obligationId: 'impl',
    amount: '10000.00',
    sequence: 1,
    trigger: { type: 'event', completion: 'external_event' },
    ...overrides,
  };
}
