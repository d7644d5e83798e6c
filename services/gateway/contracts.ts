/**
 * Gateway use cases: contracts are workflows. Creating one starts `contract-<id>`; events are
 * workflow updates (answered applied / ignored / refused with a code); reads are queries.
 */
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ContractState, MilestoneEventInput, UpdateOutcome } from '../../libs/domain/contract';
import { AppError, isErrorCode } from '../../libs/domain/errors';
import { CONTRACT_WORKFLOW, completeMilestoneUpdate, contractStateQuery, contractWorkflowId } from '../../libs/domain/messages';
import type { ContractTerms } from '../../libs/domain/terms';

/** Turns a Temporal failure into the API's error: refusals keep their code, unknown ids are 404. */
export function toAppError(err: unknown, contractId: string): unknown {
  if (err instanceof WorkflowNotFoundError || (err as { name?: string })?.name === 'WorkflowNotFoundError') {
    return new AppError('not_found', `no contract ${contractId}`);
  }
  let cause: unknown = err instanceof WorkflowUpdateFailedError ? err.cause : err;
  while (cause && !(cause instanceof ApplicationFailure) && (cause as { cause?: unknown }).cause) cause = (cause as { cause?: unknown }).cause;
  if (cause instanceof ApplicationFailure && isErrorCode(cause.type)) {
    return new AppError(cause.type, cause.message, cause.details?.[0]);
  }
  return err;
}

export function createContractUseCases(deps: { client: Client; taskQueue: string }) {
  const { client } = deps;
  const handle = (contractId: string) => client.workflow.getHandle(contractWorkflowId(contractId));

  return {
    async create(terms: ContractTerms): Promise<{ contractId: string; workflowId: string; version: number }> {
      const workflowId = contractWorkflowId(terms.contractId);
      try {
        await client.workflow.start(CONTRACT_WORKFLOW, {
          workflowId,
          taskQueue: deps.taskQueue,
          args: [{ terms }],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          workflowIdConflictPolicy: 'FAIL',
        });
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) {
          throw new AppError('duplicate_contract', `contract ${terms.contractId} already exists`);
        }
        throw err;
      }
      return { contractId: terms.contractId, workflowId, version: 1 };
    },

    async completeMilestone(contractId: string, event: MilestoneEventInput): Promise<UpdateOutcome> {
      try {
        return await handle(contractId).executeUpdate(completeMilestoneUpdate, { args: [event] });
      } catch (err) {
        throw toAppError(err, contractId);
      }
    },

    async state(contractId: string): Promise<ContractState> {
      try {
        return await handle(contractId).query(contractStateQuery);
      } catch (err) {
        throw toAppError(err, contractId);
      }
    },
  };
}

export type ContractUseCases = ReturnType<typeof createContractUseCases>;
