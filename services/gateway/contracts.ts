/**
 * Gateway use cases: contracts are workflows. Creating one starts `contract-<id>`; events are
 * workflow updates (answered applied / ignored, or refused with a code); reads are queries.
 */
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import type { AmendInput, ContractState, UpdateOutcome } from '../../libs/domain/contract';
import { AppError, isErrorCode } from '../../libs/domain/errors';
import * as messages from '../../libs/domain/messages';
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
  const message = (err as Error)?.message ?? '';
  if (/workflow execution already completed/i.test(message)) {
    return new AppError('not_allowed_in_state', `contract ${contractId} is completed`);
  }
  return err;
}

export type ContractOperation =
  | 'complete' | 'declare' | 'accept' | 'reject' | 'cost' | 'hold' | 'release' | 'amend' | 'advanceClock';

const UPDATES: Record<ContractOperation, UpdateDefinition<UpdateOutcome, [any]>> = {
  complete: messages.completeMilestoneUpdate,
  declare: messages.declareMilestoneUpdate,
  accept: messages.acceptMilestoneUpdate,
  reject: messages.rejectMilestoneUpdate,
  cost: messages.reportCostUpdate,
  hold: messages.holdUpdate,
  release: messages.releaseUpdate,
  amend: messages.amendUpdate,
  advanceClock: messages.advanceClockUpdate,
};

export function createContractUseCases(deps: { client: Client; taskQueue: string; messagesPerRun?: number }) {
  const { client } = deps;
  const handle = (contractId: string) => client.workflow.getHandle(messages.contractWorkflowId(contractId));
  const isCompleted = async (contractId: string) => {
    try {
      return (await handle(contractId).describe()).status.name === 'COMPLETED';
    } catch {
      return false;
    }
  };

  return {
    async create(terms: ContractTerms): Promise<{ contractId: string; workflowId: string; version: number }> {
      const workflowId = messages.contractWorkflowId(terms.contractId);
      try {
        await client.workflow.start(messages.CONTRACT_WORKFLOW, {
          workflowId,
          taskQueue: deps.taskQueue,
          args: [{ terms, options: { maxMessagesPerRun: deps.messagesPerRun } }],
          typedSearchAttributes: [
            { key: messages.searchAttributes.customer, value: terms.customer.id },
            { key: messages.searchAttributes.currency, value: terms.currency },
            { key: messages.searchAttributes.status, value: 'active' },
          ],
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

    /**
     * Sends one operation as a workflow update and returns its answer. A completed contract (every
     * milestone settled, revenue fully recognized) takes no more events: advancing its clock is
     * `ignored` (nothing is left to fire), anything else is refused `not_allowed_in_state`.
     */
    async send(contractId: string, operation: ContractOperation, input: unknown): Promise<UpdateOutcome> {
      try {
        return await handle(contractId).executeUpdate(UPDATES[operation], { args: [input] });
      } catch (err) {
        const mapped = toAppError(err, contractId);
        if (mapped instanceof AppError && mapped.code === 'not_found' && (await isCompleted(contractId))) {
          if (operation === 'advanceClock') return { outcome: 'ignored', reason: `contract ${contractId} is completed` };
          throw new AppError('not_allowed_in_state', `contract ${contractId} is completed`);
        }
        throw mapped;
      }
    },

    async amend(contractId: string, input: AmendInput): Promise<UpdateOutcome> {
      return this.send(contractId, 'amend', input);
    },

    async state(contractId: string): Promise<ContractState> {
      try {
        return await handle(contractId).query(messages.contractStateQuery);
      } catch (err) {
        throw toAppError(err, contractId);
      }
    },
  };
}

export type ContractUseCases = ReturnType<typeof createContractUseCases>;
