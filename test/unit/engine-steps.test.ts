/**
 * Failed steps of effects on workflows/engine.ts alone: the steps each effect makes, what a failed
 * step leaves undone, recording a refusal, retrying and resolving by hand (and their refusals).
 */
import type { Effect } from '../../libs/domain/contract';
import * as engine from '../../workflows/engine';
import { codeOf, ms, refusalOf, start, terms } from '../support/engine-fixtures';

const invoiceEffect: Effect = { id: 7, kind: 'issue_invoice', invoiceIndex: 0 };
const memoEffect: Effect = { id: 8, kind: 'issue_credit_memo', memoIndex: 0 };

describe('the steps of an effect', () => {
  it('lists each effect’s steps in order', () => {
    expect(engine.stepsOf({ id: 1, kind: 'register_plan', version: 1, effectiveDate: '2026-01-01' })).toEqual(['plan']);
    expect(engine.stepsOf(invoiceEffect)).toEqual(['invoice', 'receivable', 'ledger']);
    expect(engine.stepsOf(memoEffect)).toEqual(['credit_memo', 'apply_credit', 'ledger']);
    expect(engine.stepsOf({ id: 2, kind: 'post_progress', date: '2026-01-01', source: { type: 'cost', ref: 'o' }, progress: {}, key: 'k' })).toEqual(['ledger']);
    expect(engine.stepsOf({ id: 3, kind: 'announce', event: {} as never })).toEqual(['announce']);
  });

  it('runs all steps, or only those a retry asked for (in the effect’s order)', () => {
    expect(engine.stepsToRun(invoiceEffect)).toEqual(['invoice', 'receivable', 'ledger']);
    expect(engine.stepsToRun({ ...invoiceEffect, only: ['ledger', 'receivable'] })).toEqual(['receivable', 'ledger']);
    expect(engine.stepsToRun({ ...invoiceEffect, only: [] })).toEqual([]);
  });

  it('a failed step leaves undone the steps that need it, directly or not', () => {
    expect(engine.dependentsOf('invoice', ['invoice', 'receivable', 'ledger'])).toEqual(['receivable', 'ledger']);
    expect(engine.dependentsOf('receivable', ['invoice', 'receivable', 'ledger'])).toEqual([]);
    expect(engine.dependentsOf('credit_memo', ['credit_memo', 'apply_credit', 'ledger'])).toEqual(['apply_credit']);
    expect(engine.dependentsOf('plan', ['plan'])).toEqual([]);
  });
});

describe('failed steps: record, retry, resolve', () => {
  function failed() {
    const s = start(terms([ms('a')]));
    const f = engine.stepFailed(s, { ...invoiceEffect, only: ['invoice'] }, 'invoice', 'validation_failed', 'bad line');
    return { s, f };
  }

  it('records the refusal with the steps a retry runs, once per step id, counting attempts', () => {
    const { s, f } = failed();
    expect(f).toEqual({
      id: '7:invoice', step: 'invoice', effect: invoiceEffect, retrySteps: ['invoice', 'receivable', 'ledger'], code: 'validation_failed', message: 'bad line',
      on: '2026-01-01', attempts: 1, status: 'failed',
    });
    expect(s.log[s.log.length - 1]).toMatchObject({ kind: 'step_failed', via: 'timer', outcome: 'refused', code: 'validation_failed', reason: 'issue_invoice invoice: bad line' });
    s.clock = '2026-01-05';
    const again = engine.stepFailed(s, invoiceEffect, 'invoice', 'not_found', 'still bad');
    expect(again).toBe(f);
    expect(s.failedSteps).toHaveLength(1);
    expect(s.failedSteps[0]).toMatchObject({ attempts: 2, code: 'not_found', message: 'still bad', on: '2026-01-05' });
  });

  it('retry: queues the effect again with only the failed step and its dependants; a second retry while running is ignored', () => {
    const { s } = failed();
    s.outbox = [];
    const queued = s.effectsQueued;
    expect(() => engine.checkRetryStep(s, { stepId: '7:invoice' })).not.toThrow();
    expect(engine.retryStep(s, { stepId: '7:invoice' })).toEqual({ outcome: 'applied', reason: 'retrying issue_invoice invoice, receivable, ledger' });
    expect(s.outbox).toEqual([{ ...invoiceEffect, only: ['invoice', 'receivable', 'ledger'] }]);
    expect(s.effectsQueued).toBe(queued + 1);
    expect(s.failedSteps[0]!.status).toBe('retrying');
    expect(engine.retryStep(s, { stepId: '7:invoice' })).toEqual({ outcome: 'ignored', reason: 'step 7:invoice is retrying' });
    expect(codeOf(() => engine.resolveStep(s, { stepId: '7:invoice', reason: 'x' }))).toBe('not_allowed_in_state');
  });

  it('a retried step that went through is resolved; again changes nothing', () => {
    const { s } = failed();
    engine.retryStep(s, { stepId: '7:invoice' });
    s.clock = '2026-01-03';
    engine.stepSucceeded(s, invoiceEffect, 'invoice');
    expect(s.failedSteps[0]).toMatchObject({ status: 'resolved', resolution: { on: '2026-01-03', reason: 'retried: invoice succeeded' } });
    expect(s.log[s.log.length - 1]).toMatchObject({ kind: 'step_retried', via: 'update', outcome: 'applied', reason: 'issue_invoice invoice' });
    const logLength = s.log.length;
    engine.stepSucceeded(s, invoiceEffect, 'invoice');
    engine.stepSucceeded(s, invoiceEffect, 'ledger');
    expect(s.log).toHaveLength(logLength);
  });

  it('resolve by hand needs a reason; resolving twice is ignored; unknown steps are not_found', () => {
    const { s } = failed();
    expect(codeOf(() => engine.checkRetryStep(s, { stepId: 'nope' }))).toBe('not_found');
    expect(codeOf(() => engine.retryStep(s, { stepId: 'nope' }))).toBe('not_found');
    expect(codeOf(() => engine.checkResolveStep(s, { stepId: 'nope', reason: 'x' }))).toBe('not_found');
    for (const reason of [undefined, '', '  ']) {
      const failure = refusalOf(() => engine.checkResolveStep(s, { stepId: '7:invoice', reason }));
      expect(failure.type).toBe('validation_failed');
      expect(failure.details).toEqual([{ path: 'body.reason', message: 'required' }]);
    }
    s.clock = '2026-01-04';
    expect(engine.resolveStep(s, { stepId: '7:invoice', reason: 'issued by hand' })).toEqual({ outcome: 'applied', reason: 'step 7:invoice resolved' });
    expect(s.failedSteps[0]).toMatchObject({ status: 'resolved', resolution: { on: '2026-01-04', reason: 'issued by hand' } });
    expect(s.log[s.log.length - 1]).toMatchObject({ kind: 'step_resolved', outcome: 'applied', reason: '7:invoice: issued by hand' });
    expect(engine.resolveStep(s, { stepId: '7:invoice', reason: 'again' })).toEqual({ outcome: 'ignored', reason: 'step 7:invoice is already resolved' });
    expect(engine.retryStep(s, { stepId: '7:invoice' })).toEqual({ outcome: 'ignored', reason: 'step 7:invoice is resolved' });
  });
});

describe('the log', () => {
  it('numbers entries without repeating, even after the log is trimmed, on the contract clock', () => {
    const s = start(terms([ms('a')]));
    engine.record(s, { kind: 'x', via: 'update', outcome: 'applied' });
    engine.record(s, { kind: 'y', via: 'signal', outcome: 'ignored', reason: 'r' });
    expect(s.log).toEqual([
      { seq: 1, on: '2026-01-01', kind: 'x', via: 'update', outcome: 'applied' },
      { seq: 2, on: '2026-01-01', kind: 'y', via: 'signal', outcome: 'ignored', reason: 'r' },
    ]);
    s.log.splice(0, 2);
    engine.record(s, { kind: 'z', via: 'timer', outcome: 'applied' });
    expect(s.log.map((e) => e.seq)).toEqual([3]);
    const old = start(terms([ms('a')]));
    old.log = [{ seq: 1, on: 'x', kind: 'k', via: 'update', outcome: 'applied' }];
    engine.record(old, { kind: 'k2', via: 'update', outcome: 'applied' });
    expect(old.log.map((e) => e.seq)).toEqual([1, 2]);
  });

  it('enqueue numbers effects in order', () => {
    const s = start(terms([ms('a')]));
    const n = s.effectsQueued;
    expect(engine.enqueue(s, { kind: 'register_plan', version: 9, effectiveDate: '2026-01-01' })).toBe(n + 1);
    expect(s.outbox[s.outbox.length - 1]).toEqual({ id: n + 1, kind: 'register_plan', version: 9, effectiveDate: '2026-01-01' });
  });

  it('refusal builds a non-retryable failure typed with the code, details wrapped once', () => {
    const f = engine.refusal('future_date', 'too soon', { a: 1 });
    expect([f.type, f.message, f.nonRetryable, f.details]).toEqual(['future_date', 'too soon', true, [{ a: 1 }]]);
    expect(engine.refusal('not_found', 'x').details).toBeUndefined();
  });
});
