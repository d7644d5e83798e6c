/**
 * Every message of the contract workflow, defined once (STYLE.md): the workflow, the gateway and
 * the tests import these. No Node dependencies.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  Actor, AdvanceClockInput, AmendInput, ContractState, CostReportInput, DatedInput, InvoicePaidInput,
  MilestoneEventInput, ProgressInput, RejectInput, StepInput, UpdateOutcome,
} from './contract';

export const CONTRACT_WORKFLOW = 'contractWorkflow';

export function contractWorkflowId(contractId: string): string {
  return `contract-${contractId}`;
}

/**
 * Updates: validated and answered (applied / ignored, with what they caused), or refused with a code
 * (ApplicationFailure type). The second argument names the caller for the contract's log.
 */
export const completeMilestoneUpdate = defineUpdate<UpdateOutcome, [MilestoneEventInput, Actor?]>('completeMilestone');
export const declareMilestoneUpdate = defineUpdate<UpdateOutcome, [MilestoneEventInput, Actor?]>('declareMilestone');
export const acceptMilestoneUpdate = defineUpdate<UpdateOutcome, [MilestoneEventInput, Actor?]>('acceptMilestone');
export const rejectMilestoneUpdate = defineUpdate<UpdateOutcome, [RejectInput, Actor?]>('rejectMilestone');
/** Progress of a milestone billed by progress (docs/progressive-billing.md). */
export const reportProgressUpdate = defineUpdate<UpdateOutcome, [ProgressInput, Actor?]>('reportProgress');
export const reportCostUpdate = defineUpdate<UpdateOutcome, [CostReportInput, Actor?]>('reportCost');
export const holdUpdate = defineUpdate<UpdateOutcome, [DatedInput, Actor?]>('hold');
export const releaseUpdate = defineUpdate<UpdateOutcome, [DatedInput, Actor?]>('release');
export const amendUpdate = defineUpdate<UpdateOutcome, [AmendInput, Actor?]>('amend');
export const advanceClockUpdate = defineUpdate<UpdateOutcome, [AdvanceClockInput, Actor?]>('advanceClock');
/** Finance: run a failed step again (after a fix), or mark it resolved by hand. */
export const retryStepUpdate = defineUpdate<UpdateOutcome, [StepInput, Actor?]>('retryStep');
export const resolveStepUpdate = defineUpdate<UpdateOutcome, [StepInput, Actor?]>('resolveStep');

/** Signals: for raw senders that cannot wait for an answer; ignored and refused ones are logged. */
export const milestoneCompletedSignal = defineSignal<[MilestoneEventInput]>('milestoneCompleted');
export const milestoneDeclaredSignal = defineSignal<[MilestoneEventInput]>('milestoneDeclared');
export const milestoneAcceptedSignal = defineSignal<[MilestoneEventInput]>('milestoneAccepted');
export const milestoneRejectedSignal = defineSignal<[RejectInput]>('milestoneRejected');
export const costReportedSignal = defineSignal<[CostReportInput]>('costReported');
export const progressReportedSignal = defineSignal<[ProgressInput]>('progressReported');

/** From AR (through its Temporal client) when an invoice of the contract becomes fully paid. */
export const invoicePaidSignal = defineSignal<[InvoicePaidInput]>('invoicePaid');

/** Queries: the whole live state. */
export const contractStateQuery = defineQuery<ContractState>('state');

/** Search attributes the gateway lists and searches contracts by (registered on the server). */
export const searchAttributes = {
  customer: defineSearchAttributeKey('TollgateCustomer', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('TollgateStatus', SearchAttributeType.KEYWORD),
  currency: defineSearchAttributeKey('TollgateCurrency', SearchAttributeType.KEYWORD),
};
