/**
 * Only business refusals (DESIGN codes) are caught and recorded by the workflow; every other error
 * must propagate so Temporal retries it (workflows/engine.ts refusalOf).
 */
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { REFUSAL_CODES, refusal, refusalOf } from '../../workflows/engine';

const fromActivity = (cause: Error) => new ActivityFailure('activity failed', 'openReceivable', '3', RetryState.NON_RETRYABLE_FAILURE, 'worker', cause);

describe('refusalOf', () => {
  it.each(REFUSAL_CODES)('recognizes %s from the rules and from an activity', (code) => {
    expect(refusalOf(refusal(code, 'no'))?.type).toBe(code);
    expect(refusalOf(fromActivity(ApplicationFailure.nonRetryable('no', code)))?.type).toBe(code);
  });

  it('does not take a bug, an outage or an unknown failure type for a refusal', () => {
    expect(refusalOf(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBeUndefined();
    expect(refusalOf(new Error('boom'))).toBeUndefined();
    expect(refusalOf(ApplicationFailure.create({ message: 'x', type: 'internal' }))).toBeUndefined();
    expect(refusalOf(fromActivity(ApplicationFailure.create({ message: '401', type: 'unauthorized' })))).toBeUndefined();
    expect(refusalOf(fromActivity(new TypeError('x')))).toBeUndefined();
    expect(refusalOf(undefined)).toBeUndefined();
  });
});
