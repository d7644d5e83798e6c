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
import { ApplicationFailure, defaultPayloadConverter, type UpdateDefinition } from '@temporalio/common';
import type { ContractState, UpdateOutcome } from '../../libs/domain/contract';
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

/** A Temporal visibility string literal: quoted, with backslashes and quotes escaped. */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

export interface ContractListFilter {
  customer?: string;
  status?: 'active' | 'completed';
  currency?: string;
  pageSize: number;
  nextPageToken?: string;
}

export interface ContractListItem {
  contractId: string;
  customerId?: string;
  currency?: string;
  status?: string;
  workflowStatus: string;
  startedAt?: string;
}

const EXECUTION_STATUS = ['UNSPECIFIED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'CONTINUED_AS_NEW', 'TIMED_OUT'];

/** The visibility query of a listing: contract workflows of this deployment's task queue, current runs. */
export function listQuery(taskQueue: string, filter: Omit<ContractListFilter, 'pageSize' | 'nextPageToken'>): string {
  const clauses = [
    `WorkflowType = ${quoteLiteral(messages.CONTRACT_WORKFLOW)}`,
    `TaskQueue = ${quoteLiteral(taskQueue)}`,
    `ExecutionStatus != 'ContinuedAsNew'`,
  ];
  if (filter.customer !== undefined) clauses.push(`${messages.searchAttributes.customer.name} = ${quoteLiteral(filter.customer)}`);
  if (filter.status !== undefined) clauses.push(`${messages.searchAttributes.status.name} = ${quoteLiteral(filter.status)}`);
  if (filter.currency !== undefined) clauses.push(`${messages.searchAttributes.currency.name} = ${quoteLiteral(filter.currency)}`);
  return clauses.join(' AND ');
}

export type ContractOperation =
  | 'complete' | 'declare' | 'accept' | 'reject' | 'cost' | 'hold' | 'release' | 'amend' | 'advanceClock' | 'retryStep' | 'resolveStep';

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
  retryStep: messages.retryStepUpdate,
  resolveStep: messages.resolveStepUpdate,
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

    /** The customer a contract belongs to (its search attribute); 404 `not_found` when there is no such contract. */
    async customerOf(contractId: string): Promise<string | undefined> {
      try {
        const d = await handle(contractId).describe();
        return d.typedSearchAttributes.get(messages.searchAttributes.customer);
      } catch (err) {
        throw toAppError(err, contractId);
      }
    },

    /** Lists contracts from Temporal visibility (search attributes), one page at a time. */
    async list(filter: ContractListFilter): Promise<{ data: ContractListItem[]; nextPageToken?: string }> {
      const res = await client.workflowService.listWorkflowExecutions({
        namespace: client.options.namespace,
        pageSize: filter.pageSize,
        nextPageToken: filter.nextPageToken ? Buffer.from(filter.nextPageToken, 'base64url') : undefined,
        query: listQuery(deps.taskQueue, filter),
      });
      const attr = (fields: Record<string, unknown> | null | undefined, name: string): string | undefined => {
        const p = fields?.[name];
        if (!p) return undefined;
        const v = defaultPayloadConverter.fromPayload<unknown>(p as never);
        return typeof v === 'string' ? v : Array.isArray(v) ? String(v[0]) : undefined;
      };
      const data = (res.executions ?? []).map((e) => {
        const fields = e.searchAttributes?.indexedFields as Record<string, unknown> | undefined;
        const started = e.startTime?.seconds;
        return {
          contractId: (e.execution?.workflowId ?? '').replace(/^contract-/, ''),
          customerId: attr(fields, messages.searchAttributes.customer.name),
          currency: attr(fields, messages.searchAttributes.currency.name),
          status: attr(fields, messages.searchAttributes.status.name),
          workflowStatus: EXECUTION_STATUS[Number(e.status ?? 0)] ?? 'UNSPECIFIED',
          ...(started != null ? { startedAt: new Date(Number(started) * 1000).toISOString() } : {}),
        };
      });
      const token = res.nextPageToken && res.nextPageToken.length > 0 ? Buffer.from(res.nextPageToken).toString('base64url') : undefined;
      return { data, ...(token ? { nextPageToken: token } : {}) };
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
