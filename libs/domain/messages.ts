/**
 * Every message of the contract workflow, defined once (STYLE.md): the workflow, the gateway and
 * the tests import these. No Node dependencies.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ContractState, InvoicePaidInput, MilestoneEventInput, UpdateOutcome } from './contract';

export const CONTRACT_WORKFLOW = 'contractWorkflow';

export function contractWorkflowId(contractId: string): string {
  return `contract-${contractId}`;
}

/** Updates: validated and answered (applied / ignored, or refused with a code). */
export const completeMilestoneUpdate = defineUpdate<UpdateOutcome, [MilestoneEventInput]>('completeMilestone');

/** Signals: for raw senders that cannot wait for an answer; refusals are logged in the contract. */
export const milestoneCompletedSignal = defineSignal<[MilestoneEventInput]>('milestoneCompleted');

/** From AR (through its Temporal client) when an invoice of the contract becomes fully paid. */
export const invoicePaidSignal = defineSignal<[InvoicePaidInput]>('invoicePaid');

/** Queries: the whole live state. */
export const contractStateQuery = defineQuery<ContractState>('state');
