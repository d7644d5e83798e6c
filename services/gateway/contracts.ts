/**
 * Gateway use cases: contracts are workflows. Creating one starts `contract-<id>`; events are
 * workflow updates (answered applied / ignored, or refused with a code); reads are queries.
 *
 * Every call to Temporal is bounded: queries, describes, lists and starts by
 * `limits.queryTimeoutMs`, updates (their effects included) by `limits.updateTimeoutMs`; and while a
 * query or an update waits, the task queue is checked for a live worker. Temporal unreachable, a
 * deadline passed or no worker polling all answer 503 `unavailable` with `Retry-After` — never a
 * 500 after the SDK's own retries.
 */
import {
  isGrpcServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter, type UpdateDefinition } from '@temporalio/common';
import type { Actor, ContractState, UpdateOutcome } from '../../libs/domain/contract';
import { AppError, isErrorCode } from '../../libs/domain/errors';
import * as messages from '../../libs/domain/messages';
import { contractDetails, contractSummary } from '../../libs/domain/summary';
import type { ContractTerms } from '../../libs/domain/terms';
import { UnavailableError } from '../../libs/http';

/** gRPC status codes meaning "Temporal did not answer" (not a refusal): CANCELLED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, UNAVAILABLE. */
const UNAVAILABLE_GRPC_CODES = new Set([1, 4, 8, 14]);

/** gRPC codes of a query the server could not get answered now: UNKNOWN, FAILED_PRECONDITION, ABORTED, INTERNAL. */
const QUERY_NOT_NOW_GRPC_CODES = new Set([2, 9, 10, 13]);

function hasGrpcCode(err: unknown, codes: Set<number>): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth += 1) {
    if (isGrpcServiceError(e) && codes.has(e.code)) return true;
  }
  return false;
}

/** True when an error of the Temporal client means Temporal (or the path to it) did not answer. */
export function isTemporalUnavailable(err: unknown): boolean {
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || (err as { name?: string })?.name === 'WorkflowUpdateRPCTimeoutOrCancelledError') return true;
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth += 1) {
    if (isGrpcServiceError(e) && UNAVAILABLE_GRPC_CODES.has(e.code)) return true;
  }
  return false;
}

/**
 * Turns a Temporal failure into the API's error, by type and code, never by message text: a
 * refusal (an `ApplicationFailure` typed with a DESIGN code) keeps its code; `WorkflowNotFoundError`
 * (gRPC NOT_FOUND) is 404 — also what the SDK throws for an update sent to a completed contract
 * (the server's "workflow execution already completed" is NOT_FOUND), which `send` then tells
 * apart by the execution's status; a gRPC code meaning "no answer" is 503.
 */
export function toAppError(err: unknown, contractId: string): unknown {
  // By name too: an error from another copy of the SDK package is not `instanceof` this one's class.
  if (err instanceof WorkflowNotFoundError || (err as { name?: string })?.name === 'WorkflowNotFoundError') {
    return new AppError('not_found', `no contract ${contractId}`);
  }
  let cause: unknown = err instanceof WorkflowUpdateFailedError ? err.cause : err;
  while (cause && !(cause instanceof ApplicationFailure) && (cause as { cause?: unknown }).cause) cause = (cause as { cause?: unknown }).cause;
  if (cause instanceof ApplicationFailure && isErrorCode(cause.type)) {
    return new AppError(cause.type, cause.message, cause.details?.[0]);
  }
  if (isTemporalUnavailable(err)) {
    return new UnavailableError(`Temporal did not answer about contract ${contractId}; retry later`, { reason: 'temporal_unavailable' });
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
  | 'complete' | 'declare' | 'accept' | 'reject' | 'progress' | 'cost' | 'hold' | 'release' | 'amend' | 'advanceClock' | 'retryStep' | 'resolveStep';

const UPDATES: Record<ContractOperation, UpdateDefinition<UpdateOutcome, [any, Actor?]>> = {
  complete: messages.completeMilestoneUpdate,
  declare: messages.declareMilestoneUpdate,
  accept: messages.acceptMilestoneUpdate,
  reject: messages.rejectMilestoneUpdate,
  progress: messages.reportProgressUpdate,
  cost: messages.reportCostUpdate,
  hold: messages.holdUpdate,
  release: messages.releaseUpdate,
  amend: messages.amendUpdate,
  advanceClock: messages.advanceClockUpdate,
  retryStep: messages.retryStepUpdate,
  resolveStep: messages.resolveStepUpdate,
};

export interface TemporalLimits {
  /** Bound of a query, describe, list or start (ms). */
  queryTimeoutMs: number;
  /** Bound of an update, the effects it waits for included (ms). */
  updateTimeoutMs: number;
  /** After this long without an answer, check that a worker polls the task queue (then every few seconds) (ms). */
  workerCheckMs: number;
  /** `Retry-After` of the 503s (seconds). */
  retryAfterSeconds: number;
}

export const DEFAULT_TEMPORAL_LIMITS: TemporalLimits = { queryTimeoutMs: 10_000, updateTimeoutMs: 30_000, workerCheckMs: 1_000, retryAfterSeconds: 5 };

/** A poller not seen for this long is gone (live ones come back at least every ~70 s: long polls last a minute). */
const POLLER_STALE_MS = 2 * 60_000;
const WORKFLOW_TASK_QUEUE = 1;

/**
 * True when a worker has polled the task queue's workflow tasks lately, false when none has
 * (undefined: Temporal did not answer within 2 s). `track` sees the call (to await it before closing).
 */
export async function workerPolls(client: Client, taskQueue: string, track: (call: Promise<unknown>) => void = () => undefined): Promise<boolean | undefined> {
  try {
    const call = client.connection.withDeadline(Date.now() + 2_000, () => client.workflowService.describeTaskQueue({
      namespace: client.options.namespace, taskQueue: { name: taskQueue }, taskQueueType: WORKFLOW_TASK_QUEUE,
    }));
    track(call);
    const res = await call;
    const now = Date.now();
    return (res.pollers ?? []).some((p) => now - Number(p.lastAccessTime?.seconds ?? 0) * 1000 < POLLER_STALE_MS);
  } catch {
    return undefined;
  }
}

export function createContractUseCases(deps: { client: Client; taskQueue: string; messagesPerRun?: number; limits?: Partial<TemporalLimits> }) {
  const { client } = deps;
  const limits: TemporalLimits = { ...DEFAULT_TEMPORAL_LIMITS, ...deps.limits };
  const handle = (contractId: string) => client.workflow.getHandle(messages.contractWorkflowId(contractId));
  const unavailable = (message: string, reason: string) => new UnavailableError(message, { reason }, limits.retryAfterSeconds);
  /** Calls to Temporal not finished yet (also those given up on): the connection closes only after them. */
  const pending = new Set<Promise<unknown>>();
  const track = (call: Promise<unknown>) => {
    pending.add(call);
    void call.catch(() => undefined).finally(() => pending.delete(call));
  };

  const noWorkerPolls = async (): Promise<boolean | undefined> => {
    const polls = await workerPolls(client, deps.taskQueue, track);
    return polls === undefined ? undefined : !polls;
  };

  /**
   * Runs `fn` (calls to Temporal) within `timeoutMs`; with `needsWorker`, also gives up as soon as
   * no worker polls the task queue. Either way: 503 `unavailable`, the gRPC call cancelled.
   */
  async function bounded<T>(what: string, timeoutMs: number, needsWorker: boolean, fn: () => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const gaveUp = new Promise<never>((_resolve, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
    });
    gaveUp.catch(() => undefined);
    const timers: NodeJS.Timeout[] = [];
    timers.push(setTimeout(() => controller.abort(unavailable(
      `Temporal did not answer ${what} within ${Math.round(timeoutMs / 100) / 10} s (Temporal slow or unreachable, or the contract's work is waiting on a service); retry later`,
      'timeout',
    )), timeoutMs));
    if (needsWorker) {
      const check = async () => {
        if (controller.signal.aborted) return;
        if (await noWorkerPolls()) {
          controller.abort(unavailable(`no worker is polling task queue ${deps.taskQueue}: ${what} cannot run now; retry later`, 'no_worker'));
        } else if (!controller.signal.aborted) {
          timers.push(setTimeout(() => void check(), Math.max(limits.workerCheckMs, 5_000)));
        }
      };
      timers.push(setTimeout(() => void check(), limits.workerCheckMs));
    }
    try {
      // The deadline too: the SDK retries an unreachable server in the background even once the
      // call is cancelled; past the deadline each retry fails at once, so the call ends.
      const deadline = Date.now() + timeoutMs;
      const work = client.connection.withAbortSignal(controller.signal, () => client.connection.withDeadline(deadline, fn));
      track(work);
      return await Promise.race([work, gaveUp]);
    } catch (err) {
      throw controller.signal.aborted ? controller.signal.reason : err;
    } finally {
      for (const t of timers) clearTimeout(t);
      if (!controller.signal.aborted) controller.abort();
    }
  }

  const isCompleted = async (contractId: string) => {
    try {
      return (await bounded(`a describe of contract ${contractId}`, limits.queryTimeoutMs, false, () => handle(contractId).describe())).status.name === 'COMPLETED';
    } catch {
      return false;
    }
  };

  return {
    async create(terms: ContractTerms): Promise<{ contractId: string; workflowId: string; version: number }> {
      const workflowId = messages.contractWorkflowId(terms.contractId);
      try {
        await bounded(`the start of contract ${terms.contractId}`, limits.queryTimeoutMs, false, () => client.workflow.start(messages.CONTRACT_WORKFLOW, {
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
          // What the Temporal UI shows of it (docs/workflow.md): one line, and the terms as markdown.
          staticSummary: contractSummary(terms),
          staticDetails: contractDetails(terms),
          // Whether it runs on a sandbox clock: what the console's KPIs split live and sandbox figures by.
          memo: { sandbox: terms.sandbox !== undefined },
        }));
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) {
          throw new AppError('duplicate_contract', `contract ${terms.contractId} already exists`);
        }
        throw toAppError(err, terms.contractId);
      }
      return { contractId: terms.contractId, workflowId, version: 1 };
    },

    /**
     * Sends one operation as a workflow update and returns its answer. A completed contract (every
     * milestone settled, revenue fully recognized) takes no more events: advancing its clock is
     * `ignored` (nothing is left to fire), anything else is refused `not_allowed_in_state`.
     */
    async send(contractId: string, operation: ContractOperation, input: unknown, opts: { updateId?: string; actor?: Actor } = {}): Promise<UpdateOutcome> {
      try {
        // With an updateId (e.g. from the caller's Idempotency-Key), Temporal runs the update once
        // in a run even if a retry after a 503 sends it again.
        return await bounded(`the ${operation} update of contract ${contractId}`, limits.updateTimeoutMs, true,
          () => handle(contractId).executeUpdate(UPDATES[operation], { args: opts.actor ? [input, opts.actor] : [input], ...(opts.updateId ? { updateId: opts.updateId } : {}) }));
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
        const d = await bounded(`a describe of contract ${contractId}`, limits.queryTimeoutMs, false, () => handle(contractId).describe());
        return d.typedSearchAttributes.get(messages.searchAttributes.customer);
      } catch (err) {
        throw toAppError(err, contractId);
      }
    },

    /** Lists contracts from Temporal visibility (search attributes), one page at a time. */
    async list(filter: ContractListFilter): Promise<{ data: ContractListItem[]; nextPageToken?: string }> {
      let res;
      try {
        res = await bounded('the contract listing', limits.queryTimeoutMs, false, () => client.workflowService.listWorkflowExecutions({
          namespace: client.options.namespace,
          pageSize: filter.pageSize,
          nextPageToken: filter.nextPageToken ? Buffer.from(filter.nextPageToken, 'base64url') : undefined,
          query: listQuery(deps.taskQueue, filter),
        }));
      } catch (err) {
        if (isTemporalUnavailable(err)) throw unavailable('Temporal did not answer the contract listing; retry later', 'temporal_unavailable');
        throw err;
      }
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

    /** Answers when Temporal does (within `timeoutMs`), for `/readyz`. */
    async ping(timeoutMs = 3_000): Promise<void> {
      try {
        await bounded('a health check', timeoutMs, false, () => client.workflowService.getSystemInfo({}));
      } catch (err) {
        throw isTemporalUnavailable(err) ? unavailable('Temporal did not answer a health check', 'temporal_unavailable') : err;
      }
    },

    /**
     * Resolves once every call to Temporal has ended, those given up on included (they end by their
     * deadline): await before closing the connection, or the SDK's pending retries throw.
     */
    async drain(): Promise<void> {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },

    async state(contractId: string): Promise<ContractState> {
      try {
        return await bounded(`the state query of contract ${contractId}`, limits.queryTimeoutMs, true, () => handle(contractId).query(messages.contractStateQuery));
      } catch (err) {
        const mapped = toAppError(err, contractId);
        // A query the server could not get answered now (its workflow task timed out with a killed
        // worker, the server busy): "not now", like a timeout — the cause is logged with the 503. A
        // query the workflow failed (a bug) stays a 500.
        if (mapped === err && hasGrpcCode(err, QUERY_NOT_NOW_GRPC_CODES)) {
          throw unavailable(`Temporal could not answer the state query of contract ${contractId} now; retry later`, 'query_not_answered');
        }
        throw mapped;
      }
    },
  };
}

export type ContractUseCases = ReturnType<typeof createContractUseCases>;
