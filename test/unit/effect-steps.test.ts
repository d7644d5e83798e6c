/**
 * The batch executor of an effect's steps (activities/index.ts `runEffectSteps`): order, numbers
 * filled from an earlier step, refusals answered per step with their dependants skipped, anything
 * else thrown so the whole batch is retried. The step functions are fakes (this is one piece).
 */
import { ApplicationFailure } from '@temporalio/common';
import { createEffectActivities } from '../../activities';
import type { StepActivity, StepCall } from '../../libs/domain/contract';
import type { EventInput } from '../../libs/domain/events';
import type { EventPublisher } from '../../libs/event-publisher';
import { createLogger } from '../../libs/logger';

const logger = createLogger('test', 'silent');

type Fake = (request: never, key: string) => Promise<unknown>;

function executor(overrides: Partial<Record<StepActivity, Fake>> = {}) {
  const calls: Array<{ activity: StepActivity; request: Record<string, unknown>; key: string }> = [];
  const record = (activity: StepActivity, answer: (request: Record<string, unknown>) => unknown): Fake => async (request, key) => {
    calls.push({ activity, request: request as Record<string, unknown>, key });
    return answer(request as Record<string, unknown>);
  };
  const steps: Record<StepActivity, Fake> = {
    registerRevenuePlan: record('registerRevenuePlan', () => ({ recognized: {} })),
    issueInvoice: record('issueInvoice', () => ({ number: 'INV-2026-000042' })),
    openReceivable: record('openReceivable', (r) => ({ invoiceNumber: r.invoiceNumber })),
    postToLedger: record('postToLedger', () => ({ recognized: { impl: '10.00' } })),
    issueCreditMemo: record('issueCreditMemo', () => ({ number: 'CM-2026-000007' })),
    applyCreditMemo: record('applyCreditMemo', () => ({ applied: true })),
    publishEvents: record('publishEvents', () => ({ published: 1 })),
  };
  for (const [k, fn] of Object.entries(overrides)) {
    const activity = k as StepActivity;
    steps[activity] = async (request, key) => {
      calls.push({ activity, request: request as Record<string, unknown>, key });
      return fn!(request, key);
    };
  }
  return { run: createEffectActivities(() => steps, { logger }).runEffectSteps, calls };
}

const invoiceBatch = (): StepCall[] => [
  { step: 'invoice', activity: 'issueInvoice', request: { contractId: 'c1' }, key: 'c1:m1:v1:milestone:invoice' },
  { step: 'receivable', activity: 'openReceivable', request: { contractId: 'c1' }, key: 'c1:m1:v1:milestone:receivable', needs: 'invoice', fill: { field: 'invoiceNumber', from: 'invoice' } },
  { step: 'ledger', activity: 'postToLedger', request: { contractId: 'c1' }, key: 'c1:m1:v1:milestone:post', needs: 'invoice' },
];

describe('runEffectSteps', () => {
  it('runs the steps in order with their own keys and fills the invoice number into the receivable', async () => {
    const { run, calls } = executor();
    const results = await run(invoiceBatch());
    expect(calls.map((c) => [c.activity, c.key])).toEqual([
      ['issueInvoice', 'c1:m1:v1:milestone:invoice'],
      ['openReceivable', 'c1:m1:v1:milestone:receivable'],
      ['postToLedger', 'c1:m1:v1:milestone:post'],
    ]);
    expect(calls[1]!.request.invoiceNumber).toBe('INV-2026-000042');
    expect(results.map((r) => r.status)).toEqual(['done', 'done', 'done']);
    expect(results[0]).toEqual({ step: 'invoice', status: 'done', result: { number: 'INV-2026-000042' } });
  });

  it('leaves the caller\'s request as it was (the workflow\'s copy is its state)', async () => {
    const { run } = executor();
    const batch = invoiceBatch();
    await run(batch);
    expect(batch[1]!.request).toEqual({ contractId: 'c1' });
  });

  it('keeps a known number when the step it would come from is not in the batch (a retry of the receivable alone)', async () => {
    const { run, calls } = executor();
    await run([{ step: 'receivable', activity: 'openReceivable', request: { invoiceNumber: 'INV-2026-000001' }, key: 'k', needs: 'invoice' }]);
    expect(calls[0]!.request.invoiceNumber).toBe('INV-2026-000001');
  });

  it('answers a refusal as the step\'s result and skips the steps that need it', async () => {
    const { run, calls } = executor({
      issueInvoice: async () => { throw ApplicationFailure.nonRetryable('customer unknown', 'validation_failed'); },
    });
    const results = await run(invoiceBatch());
    expect(results).toEqual([
      { step: 'invoice', status: 'refused', code: 'validation_failed', message: 'customer unknown' },
      { step: 'receivable', status: 'skipped' },
      { step: 'ledger', status: 'skipped' },
    ]);
    expect(calls.map((c) => c.activity)).toEqual(['issueInvoice']);
  });

  it('runs the steps that do not need a refused one', async () => {
    const { run, calls } = executor({
      openReceivable: async () => { throw ApplicationFailure.nonRetryable('receivable exists with another amount', 'conflict'); },
    });
    const results = await run(invoiceBatch());
    expect(results.map((r) => r.status)).toEqual(['done', 'refused', 'done']);
    expect(calls.map((c) => c.activity)).toEqual(['issueInvoice', 'openReceivable', 'postToLedger']);
  });

  it('throws anything that is not a refusal, so the batch is retried whole', async () => {
    const { run } = executor({
      postToLedger: async () => { throw ApplicationFailure.retryable('revenue unreachable', 'unavailable'); },
    });
    await expect(run(invoiceBatch())).rejects.toThrow('revenue unreachable');
    const bug = executor({ openReceivable: async () => { throw new TypeError('x is undefined'); } });
    await expect(bug.run(invoiceBatch())).rejects.toThrow(TypeError);
  });

  it('answers a step with nothing to call as done without calling anything', async () => {
    const { run, calls } = executor();
    const results = await run([
      { step: 'credit_memo', activity: 'issueCreditMemo', request: {}, key: 'c1:m1:v2:credit-memo:issue' },
      { step: 'apply_credit', needs: 'credit_memo' },
    ]);
    expect(results).toEqual([
      { step: 'credit_memo', status: 'done', result: { number: 'CM-2026-000007' } },
      { step: 'apply_credit', status: 'done' },
    ]);
    expect(calls).toHaveLength(1);
  });

  it('fills the credit memo number into its application', async () => {
    const { run, calls } = executor();
    await run([
      { step: 'credit_memo', activity: 'issueCreditMemo', request: {}, key: 'a' },
      { step: 'apply_credit', activity: 'applyCreditMemo', request: { invoiceNumber: 'INV-1' }, key: 'b', needs: 'credit_memo', fill: { field: 'creditMemoNumber', from: 'credit_memo' } },
    ]);
    expect(calls[1]!.request).toEqual({ invoiceNumber: 'INV-1', creditMemoNumber: 'CM-2026-000007' });
  });
});

describe('the outbound events of a batch', () => {
  const event = (id: string): EventInput => ({ id, type: 'invoice.issued', contractId: 'c1', customerId: 'cust', sandbox: false, occurredOn: '2026-01-01', data: {} });
  /** Steps that publish through the publisher the batch gives them, as the real ones do. */
  const publishingSteps = (made: EventInput[][]) => (events: EventPublisher | undefined): Record<StepActivity, Fake> => {
    const publishing = (answer: unknown, list: EventInput[]): Fake => async () => {
      made.push(list);
      await events?.publish(list);
      return answer;
    };
    const plain = (answer: unknown): Fake => async () => answer;
    return {
      registerRevenuePlan: plain({}), openReceivable: plain({}), postToLedger: plain({}), applyCreditMemo: plain({}),
      publishEvents: publishing({ published: 1 }, [event('milestone.accepted:c1:m1')]),
      issueInvoice: publishing({ number: 'INV-1' }, [event('invoice.issued:INV-1')]),
      issueCreditMemo: publishing({ number: 'CM-1' }, [event('credit_memo.issued:CM-1')]),
    };
  };
  const batch: StepCall[] = [
    { step: 'announce', activity: 'publishEvents', request: {}, key: 'a' },
    { step: 'invoice', activity: 'issueInvoice', request: {}, key: 'i' },
    { step: 'receivable', activity: 'openReceivable', request: {}, key: 'r', needs: 'invoice' },
  ];

  it('go to the gateway in one request after every step ran, in the order the steps made them', async () => {
    const sent: EventInput[][] = [];
    const made: EventInput[][] = [];
    const run = createEffectActivities(publishingSteps(made), { logger, events: { publish: async (list) => { sent.push(list); } } }).runEffectSteps;
    const results = await run(batch);
    expect(results.map((r) => r.status)).toEqual(['done', 'done', 'done']);
    expect(made).toHaveLength(2);
    expect(sent).toEqual([[event('milestone.accepted:c1:m1'), event('invoice.issued:INV-1')]]);
  });

  it('a failed publish fails the batch (retried whole: nothing dropped); without a publisher none is made', async () => {
    const run = createEffectActivities(publishingSteps([]), { logger, events: { publish: async () => { throw new Error('gateway down'); } } }).runEffectSteps;
    await expect(run(batch)).rejects.toThrow('gateway down');
    const quiet = createEffectActivities(publishingSteps([]), { logger }).runEffectSteps;
    await expect(quiet(batch)).resolves.toHaveLength(3);
  });
});
