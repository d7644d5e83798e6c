/**
 * Records contract-workflow histories for the replay tests (test/histories/). Run after an
 * intended change of workflow behaviour (or a refactor of workflow code), on a throwaway local stack:
 *   npx tsx cli/record-histories.ts <tag>          (files: test/histories/<story>.<tag>.json)
 * Old histories must keep replaying: never delete one to make a change pass (use `patched()`).
 * The tag must be new (no file of this tag exists): a recording never replaces another. A full
 * recording also writes test/histories/MANIFEST.json: the fingerprint of the workflow code it was
 * recorded on and its `patched()` ids (cli/workflow-fingerprint.ts), which
 * test/unit/workflow-fingerprint.test.ts compares with the code.
 * `npx tsx cli/record-histories.ts <tag> <story>…` records only the stories named (a trial; the
 * manifest is left as it is).
 *
 * The stories drive real contracts through the gateway (and raw signals, and the services, where a
 * story needs them) so that the recorded histories reach every branch of the workflow's rules:
 * test/integration/replay.test.ts checks that they still do (`REACHED`).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import mongoose from 'mongoose';
import { loadConfig, type Config } from '../libs/config';
import { contractWorkflowId } from '../libs/domain/messages';
import { createLogger } from '../libs/logger';
import { freePort, REPO_ROOT, startFerretDb, startTemporalDevServer, toolPath } from '../deploy/local/servers';
import { startSystem, type RunningSystem } from '../deploy/local/system';
import { createServiceClient } from '../libs/service-client';
import { WORKFLOWS_PATH } from '../worker';
import { MANIFEST_PATH, patchMarkers, workflowFingerprint, type HistoryManifest, type RecordedHistory } from './workflow-fingerprint';
import { httpApi } from './scenarios';

const HISTORIES = path.join(REPO_ROOT, 'test', 'histories');

/** What a story's hooks get: the running stack, the contract, and ways to reach past the gateway. */
interface StoryContext {
  stack: RunningSystem;
  config: Config;
  contractId: string;
  temporal: Client;
  /** The contract's whole live state (the workflow's `state` query: outbox and log sequence included). */
  state(): Promise<any>;
  /** A call to the gateway under /contracts/<id>, failing unless it answers `expectStatus` (default any 2xx). */
  call(method: string, path: string, body?: unknown, expectStatus?: number): Promise<void>;
}

/** A call to the gateway under /contracts/<id> (expected status, default any 2xx), or a hook. */
type Step = [method: string, path: string, body?: unknown, expectStatus?: number] | ((ctx: StoryContext) => Promise<void>);

interface Story {
  terms: Record<string, unknown>;
  /** Config of the stack this story runs on (e.g. a tiny CONTRACT_MESSAGES_PER_RUN); own stack when set. */
  config?: Record<string, string>;
  /** Run before the steps (e.g. to make a service refuse a step). */
  before?: (ctx: StoryContext) => Promise<void>;
  steps: Step[];
}

const customer = { id: 'cust-rec', name: 'Recorder Corp' };
const sandbox = (currency = 'USD') => ({ customer, currency, signedDate: '2025-01-01', paymentTerms: 'NET_30', sandbox: { clockStart: '2025-01-01' } });
const impl = (ssp = '1000.00') => ({ id: 'impl', name: 'Implementation', ssp, recognition: { method: 'milestones' } });
const event = (id: string, amount: string, sequence: number, extra: Record<string, unknown> = {}) => ({
  id, name: id.toUpperCase(), description: `${id} fee`, obligationId: 'impl', amount, sequence, trigger: { type: 'event', completion: 'external_event' }, ...extra,
});
const vendor = (id: string, amount: string, sequence: number) => event(id, amount, sequence, { trigger: { type: 'event', completion: 'vendor_declaration', deemedAcceptanceDays: 5 } });
const amend = (baseVersion: number, changes: Record<string, unknown>, effectiveDate?: string): Step =>
  ['POST', '/amendments', { baseVersion, ...(effectiveDate ? { effectiveDate } : {}), changes }];
const clock = (to: string): Step => ['POST', '/clock', { to }];
const complete = (id: string, date?: string): Step => ['POST', `/milestones/${id}/complete`, date ? { date } : {}];
const progress = (id: string, percent: string): Step => ['POST', `/milestones/${id}/progress`, { percent }];

/** A raw signal to the contract workflow (what a sender that cannot wait for an answer sends). */
const signal = (name: string, input: Record<string, unknown>): Step => async (ctx) => {
  const seen = (await ctx.state()).logSeq as number;
  await ctx.temporal.workflow.getHandle(contractWorkflowId(ctx.contractId)).signal(name, input);
  // Signals have no answer: read the state until the log has the signal's entry.
  await until(ctx, `signal ${name} is handled`, (s) => s.logSeq > seen);
};

/** Waits until the contract's state satisfies `done` (for what arrives on its own: AR's invoicePaid). */
async function until(ctx: StoryContext, what: string, done: (state: any) => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await ctx.state();
    if (done(state)) return;
    if (Date.now() > deadline) throw new Error(`${ctx.contractId}: timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
/** Finance acts on the contract's failed `step` (its id has the effect's number, which depends on the code's effects). */
const failedStep = (step: string, verb: 'retry' | 'resolve', body: Record<string, unknown> = {}, expectStatus?: number): Step => async (ctx) => {
  const failed = ((await ctx.state()).failedSteps as Array<{ id: string; step: string }>).find((f) => f.step === step);
  if (!failed) throw new Error(`${ctx.contractId}: no failed ${step} step`);
  await ctx.call('POST', `/steps/${failed.id}/${verb}`, body, expectStatus);
};
const paid = (id: string): Step => (ctx) => until(ctx, `${id} is paid`, (s) => s.milestones[id]?.status === 'paid');

/** Takes the idempotency key of a milestone's receivable with another body: AR refuses the workflow's request. */
async function occupyReceivableKey(ctx: StoryContext, milestoneId: string): Promise<void> {
  await createServiceClient('ar', ctx.stack.arUrl, { token: ctx.stack.serviceToken }).post('/receivables', {
    invoiceNumber: `SQUAT-${ctx.contractId}`, contractId: ctx.contractId, customerId: 'cust-rec', currency: 'USD', amount: '1.00',
    issueDate: '2025-01-01', dueDate: '2025-01-31', milestoneIds: [milestoneId], sandbox: true,
  }, { idempotencyKey: `${ctx.contractId}:${milestoneId}:v1:milestone:receivable` });
}

/** The fix of a refused receivable: the receivable that took its key is removed from AR's store. */
async function freeReceivableKey(ctx: StoryContext, milestoneId: string): Promise<void> {
  const conn = await mongoose.createConnection(ctx.config.MONGO_URL).asPromise();
  try {
    await conn.useDb(`${ctx.config.MONGO_DB_PREFIX}_ar`).collection('receivables').deleteOne({ idempotencyKey: `${ctx.contractId}:${milestoneId}:v1:milestone:receivable` });
  } finally {
    await conn.close();
  }
}

/** A calendar date `days` from today (UTC), for the wall-clock story. */
const fromToday = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

const STORIES: Record<string, Story> = {
  // ── recorded before issue 14 (kept: their recordings replay as they ran) ──
  'signoff-deemed-hold-amend': {
    terms: {
      customer: { id: 'cust-rec', name: 'Recorder Corp' }, currency: 'USD', signedDate: '2025-01-01', paymentTerms: 'NET_30',
      sandbox: { clockStart: '2025-01-01' },
      obligations: [{ id: 'impl', name: 'Implementation', ssp: '100.00', recognition: { method: 'milestones' } }],
      milestones: [
        { id: 'kickoff', name: 'Kickoff', description: 'Kickoff fee', obligationId: 'impl', amount: '10.00', sequence: 1, trigger: { type: 'date', date: '2025-01-10' } },
        { id: 'design', name: 'Design', description: 'Design fee', obligationId: 'impl', amount: '30.00', sequence: 2, trigger: { type: 'event', completion: 'customer_signoff' } },
        { id: 'build', name: 'Build', description: 'Build fee', obligationId: 'impl', amount: '60.00', sequence: 3, trigger: { type: 'event', completion: 'vendor_declaration', deemedAcceptanceDays: 5 }, invoiceTiming: { type: 'next_billing_cycle' } },
      ],
    },
    steps: [
      ['POST', '/clock', { to: '2025-02-01' }],
      ['POST', '/milestones/design/complete', {}],
      ['POST', '/milestones/design/accept', {}],
      ['POST', '/hold', {}],
      ['POST', '/milestones/build/declare', {}],
      ['POST', '/clock', { to: '2025-03-02' }],
      ['POST', '/release', {}],
      ['POST', '/amendments', { baseVersion: 1, changes: { milestones: [{ id: 'design', amount: '25.00' }] } }],
      ['POST', '/clock', { to: '2025-03-31' }],
    ],
  },
  'advance-sequence-cost': {
    terms: {
      customer: { id: 'cust-rec', name: 'Recorder Corp' }, currency: 'JPY', signedDate: '2025-01-01', paymentTerms: 'NET_15', enforceSequence: true,
      sandbox: { clockStart: '2025-01-01' }, advanceBilling: { amount: '5000', date: '2025-01-01' },
      obligations: [{ id: 'build', name: 'Build', ssp: '20000', recognition: { method: 'cost_input', estimatedTotalCost: '8000' } }],
      milestones: [
        { id: 'a', name: 'A', description: 'A fee', obligationId: 'build', amount: '8000', sequence: 1, trigger: { type: 'event', completion: 'external_event' } },
        { id: 'b', name: 'B', description: 'B fee', obligationId: 'build', amount: '12000', sequence: 2, trigger: { type: 'event', completion: 'external_event' } },
      ],
    },
    steps: [
      ['POST', '/clock', { to: '2025-01-20' }],
      ['POST', '/milestones/b/complete', {}],
      ['POST', '/costs', { obligationId: 'build', amount: '3000' }],
      ['POST', '/clock', { to: '2025-02-10' }],
      ['POST', '/milestones/a/complete', {}],
      ['POST', '/costs', { obligationId: 'build', amount: '5000' }],
    ],
  },
  'paid-and-completed': {
    terms: {
      customer: { id: 'cust-rec', name: 'Recorder Corp' }, currency: 'KWD', signedDate: '2025-01-01', paymentTerms: 'NET_30',
      sandbox: { clockStart: '2025-01-01' },
      obligations: [
        { id: 'support', name: 'Support', ssp: '1.500', recognition: { method: 'ratable', startDate: '2025-01-01', endDate: '2025-02-28' } },
        { id: 'setup', name: 'Setup', ssp: '1.000', recognition: { method: 'point_in_time' } },
      ],
      milestones: [
        { id: 'fee', name: 'Fee', description: 'Support fee', obligationId: 'support', amount: '1.200', sequence: 1, trigger: { type: 'date', date: '2025-01-01' } },
        { id: 'setup', name: 'Setup', description: 'Setup fee', obligationId: 'setup', amount: '0.800', sequence: 2, trigger: { type: 'event', completion: 'external_event' } },
      ],
    },
    steps: [
      ['POST', '/clock', { to: '2025-01-15' }],
      ['POST', '/milestones/setup/complete', {}],
      ['POST', '/payments', { invoiceFor: 'fee', amount: '1.200' }],
      ['POST', '/payments', { invoiceFor: 'setup', amount: '0.800' }],
      ['POST', '/clock', { to: '2025-02-28' }],
    ],
  },
  'refused-receivable-resolved': {
    terms: {
      customer: { id: 'cust-rec', name: 'Recorder Corp' }, currency: 'USD', signedDate: '2025-01-01', paymentTerms: 'NET_30',
      sandbox: { clockStart: '2025-01-01' },
      obligations: [{ id: 'impl', name: 'Implementation', ssp: '100.00', recognition: { method: 'milestones' } }],
      milestones: [
        { id: 'm1', name: 'M1', description: 'M1 fee', obligationId: 'impl', amount: '40.00', sequence: 1, trigger: { type: 'event', completion: 'external_event' } },
        { id: 'm2', name: 'M2', description: 'M2 fee', obligationId: 'impl', amount: '60.00', sequence: 2, trigger: { type: 'event', completion: 'external_event' } },
      ],
    },
    // AR refuses m1's receivable (its idempotency key is taken with another body): the ledger step
    // still runs (the `independent-effect-steps` patch), a retry is refused again, finance resolves it.
    before: (ctx) => occupyReceivableKey(ctx, 'm1'),
    steps: [
      ['POST', '/clock', { to: '2025-01-10' }],
      ['POST', '/milestones/m1/complete', {}],
      failedStep('receivable', 'retry', {}, 409),
      failedStep('receivable', 'resolve', { reason: 'booked by hand' }),
      ['POST', '/milestones/m2/complete', {}],
    ],
  },

  // ── issue 14: a story per branch of the rules a running contract can reach ──

  /** Corrections of what was billed before the amendment: a supplementary invoice, credit memos (an invoice paid, one not), an SSP change. */
  'amend-billed-corrections': {
    terms: {
      ...sandbox(),
      obligations: [impl('150.00'), { id: 'ops', name: 'Operations', ssp: '50.00', recognition: { method: 'point_in_time' } }],
      milestones: [event('m1', '100.00', 1), event('m2', '50.00', 2), event('m3', '50.00', 3, { obligationId: 'ops' })],
    },
    steps: [
      clock('2025-01-10'),
      complete('m1'),
      complete('m2'),
      ['POST', '/payments', { invoiceFor: 'm2', amount: '50.00' }],
      paid('m2'),
      clock('2025-02-01'),
      // m1 up (supplementary invoice), m2 down after it was paid (credit memo), an SSP change (plan re-allocated).
      amend(1, { milestones: [{ id: 'm1', amount: '120.00' }, { id: 'm2', amount: '30.00' }], obligations: [{ id: 'impl', ssp: '160.00' }] }),
      // m1 down below what it billed with its supplementary: a credit memo.
      amend(2, { milestones: [{ id: 'm1', amount: '90.00' }] }, '2025-01-20'),
      complete('m3'),
    ],
  },
  /**
   * An invoice the amendment itself releases is issued at the new amount, with no correction
   * (commit 72bc005, scenario q-d2): b waits for a; the amendment cancels a and raises b. Then a
   * date trigger moved into the past fires at once, on the amendment's date; a cancellation.
   */
  'amend-released-by-amendment': {
    terms: {
      ...sandbox(), enforceSequence: true, obligations: [impl('150.00')],
      milestones: [
        event('a', '40.00', 1), event('b', '60.00', 2),
        event('c', '20.00', 3, { trigger: { type: 'date', date: '2025-06-01' } }), event('d', '30.00', 4),
      ],
    },
    steps: [
      clock('2025-01-15'),
      complete('b'),
      amend(1, { cancel: ['a'], milestones: [{ id: 'b', amount: '70.00' }] }),
      clock('2025-02-01'),
      amend(2, { milestones: [{ id: 'c', trigger: { type: 'date', date: '2025-01-20' } }] }),
      amend(3, { cancel: ['d'] }),
    ],
  },
  /** Accepted milestones whose invoice is not out yet: timing changed with a timer pending, billing stopped and started. */
  'amend-accepted-pending': {
    terms: {
      ...sandbox(), billingDay: 15, obligations: [impl('200.00')],
      milestones: [
        event('x', '60.00', 1, { invoiceTiming: { type: 'next_billing_cycle' } }),
        event('y', '40.00', 2, { invoiceTiming: { type: 'days_after_acceptance', days: 30 } }),
        event('z', '25.00', 3, { invoiceTiming: { type: 'days_after_acceptance', days: 30 } }),
        event('w', '0.00', 4),
      ],
    },
    steps: [
      clock('2025-01-05'),
      complete('x'), complete('y'), complete('z'), complete('w'),
      amend(1, {
        milestones: [
          { id: 'x', invoiceTiming: { type: 'immediate' } },
          { id: 'y', invoiceTiming: { type: 'days_after_acceptance', days: 10 } },
          { id: 'z', billable: false },
          { id: 'w', amount: '15.00' },
        ],
      }),
      clock('2025-02-20'),
    ],
  },
  /** The advance: milestones covered by it, and a reduction that goes back to the advance before any credit memo. */
  'advance-amend': {
    terms: {
      ...sandbox(), advanceBilling: { amount: '50.00', date: '2025-01-01' }, obligations: [impl('90.00')],
      milestones: [event('m1', '30.00', 1), event('m2', '60.00', 2)],
    },
    steps: [
      ['POST', '/payments', { invoiceFor: 'advance', amount: '50.00' }],
      clock('2025-01-10'),
      complete('m1'),
      complete('m2'),
      amend(1, { milestones: [{ id: 'm2', amount: '10.00' }] }),
    ],
  },
  /**
   * Progressive billing (docs/progressive-billing.md, issue 15): parts net of the advance, a duplicate
   * and a refused lower report, a raw progress signal, parts queued by a hold and issued as one on
   * release, amendments re-targeting the parts (a supplementary invoice, then credits newest first),
   * completion at 100 % and the rest on acceptance.
   */
  'progress-billing': {
    terms: {
      ...sandbox(), advanceBilling: { amount: '50.00', date: '2025-01-01' }, obligations: [impl('1100.00')],
      milestones: [
        event('p', '1000.00', 1, { trigger: { type: 'event', completion: 'customer_signoff' }, progressBilling: true }),
        event('q', '100.00', 2, { progressBilling: true }),
      ],
    },
    steps: [
      ['POST', '/payments', { invoiceFor: 'advance', amount: '50.00' }],
      clock('2025-01-10'),
      progress('p', '30'),
      progress('p', '30'),
      ['POST', '/milestones/p/progress', { percent: '20' }, 409],
      signal('progressReported', { milestoneId: 'q', percent: '40' }),
      ['POST', '/hold', {}],
      clock('2025-01-15'),
      progress('p', '50'),
      progress('p', '62.5'),
      ['POST', '/release', {}],
      amend(1, { milestones: [{ id: 'p', amount: '1200.00' }] }),
      amend(2, { milestones: [{ id: 'p', amount: '800.00' }] }),
      progress('p', '100'),
      ['POST', '/milestones/p/accept', {}],
      progress('q', '100'),
    ],
  },
  /**
   * An invoice credited in full (patch credited-invoices-settle): a part of a milestone billed by
   * progress credited whole by an amendment, the others paid — the milestone becomes paid and the
   * contract completes (AR never reports a fully credited invoice paid).
   */
  'credited-in-full': {
    terms: { ...sandbox(), obligations: [impl('1000.00')], milestones: [event('p', '1000.00', 1, { progressBilling: true })] },
    steps: [
      clock('2025-01-10'),
      progress('p', '30'),
      progress('p', '60'),
      amend(1, { milestones: [{ id: 'p', amount: '500.00' }] }),
      progress('p', '100'),
      ['POST', '/payments', { invoiceFor: 'p', amount: '500.00' }],
      paid('p'),
      (ctx) => until(ctx, 'the contract completes', (s) => s.status === 'completed'),
    ],
  },
  /** Holds: the advance and invoices queued, a sequence unblocked during the hold joins the queue, release issues in order; duplicates ignored. */
  'hold-queue-release': {
    terms: {
      ...sandbox(), enforceSequence: true, advanceBilling: { amount: '20.00', date: '2025-01-05' }, obligations: [impl('130.00')],
      milestones: [event('p', '30.00', 1), event('q', '40.00', 2), event('r', '50.00', 3), event('s', '10.00', 4)],
    },
    steps: [
      clock('2025-01-03'),
      complete('q'),
      ['POST', '/hold', {}],
      ['POST', '/hold', {}],
      clock('2025-01-10'),
      amend(1, { cancel: ['p'] }),
      complete('r'),
      ['POST', '/release', {}],
      ['POST', '/release', {}],
      complete('s'),
    ],
  },
  /** enforceSequence: later milestones wait for an earlier one and are issued in order when it is. */
  'sequence-waits': {
    terms: {
      ...sandbox(), enforceSequence: true, obligations: [impl('100.00')],
      milestones: [
        event('a', '50.00', 1, { trigger: { type: 'date', date: '2025-01-20' } }),
        event('b', '30.00', 2),
        event('c', '20.00', 3, { trigger: { type: 'event', completion: 'customer_signoff' } }),
      ],
    },
    steps: [
      clock('2025-01-05'),
      complete('b'),
      complete('c'),
      ['POST', '/milestones/c/accept', {}],
      clock('2025-01-25'),
    ],
  },
  /** Deemed acceptance: a window lapsing, a rejection inside the window and a new declaration, a backdated declaration, window_closed. */
  'deemed-acceptance': {
    terms: {
      ...sandbox(), obligations: [impl('100.00')],
      milestones: [vendor('v1', '40.00', 1), vendor('v2', '30.00', 2), vendor('v3', '30.00', 3)],
    },
    steps: [
      clock('2025-01-10'),
      ['POST', '/milestones/v1/declare', {}],
      clock('2025-01-20'),
      ['POST', '/milestones/v2/declare', {}],
      ['POST', '/milestones/v2/reject', { reason: 'acceptance tests fail', date: '2025-01-20' }],
      clock('2025-01-22'),
      ['POST', '/milestones/v2/declare', {}],
      ['POST', '/milestones/v2/accept', {}],
      // Declared with a date whose window lapsed already: deemed accepted at once.
      ['POST', '/milestones/v3/declare', { date: '2025-01-02' }],
      // A raw rejection after deemed acceptance: refused window_closed, recorded in the log.
      signal('milestoneRejected', { milestoneId: 'v3', reason: 'too late' }),
      signal('milestoneAccepted', { milestoneId: 'v2' }),
    ],
  },
  /** A tiny CONTRACT_MESSAGES_PER_RUN: the contract continues as new twice, carrying a hold and queued invoices over. */
  'continue-as-new': {
    config: { CONTRACT_MESSAGES_PER_RUN: '3' },
    terms: {
      ...sandbox(), obligations: [impl('100.00')],
      milestones: [event('m1', '10.00', 1), event('m2', '20.00', 2), event('m3', '30.00', 3), event('m4', '40.00', 4)],
    },
    steps: [
      clock('2025-01-05'),
      complete('m1'),
      ['POST', '/hold', {}],
      complete('m2'),
      ['POST', '/release', {}],
      complete('m3'),
      complete('m4'),
      ['POST', '/payments', { invoiceFor: 'm4', amount: '40.00' }],
      paid('m4'),
    ],
  },
  /** A refused step: the retry is refused again, the cause is fixed, the retry goes through (the `only` path). */
  'failed-step-retried': {
    terms: { ...sandbox(), obligations: [impl('100.00')], milestones: [event('m1', '40.00', 1), event('m2', '60.00', 2)] },
    before: (ctx) => occupyReceivableKey(ctx, 'm1'),
    steps: [
      clock('2025-01-10'),
      complete('m1'),
      failedStep('receivable', 'retry', {}, 409),
      (ctx) => freeReceivableKey(ctx, 'm1'),
      failedStep('receivable', 'retry'),
      // Resolved by the retry: a second one is answered `ignored`.
      failedStep('receivable', 'retry'),
      complete('m2'),
    ],
  },
};

/** A wall-clock contract (no sandbox): dates from today, so its timers are real Temporal timers. */
function wallClockStory(): Story {
  return {
    terms: {
      customer, currency: 'USD', signedDate: fromToday(-75), paymentTerms: 'NET_30',
      obligations: [impl('100.00'), { id: 'care', name: 'Care', ssp: '30.00', recognition: { method: 'ratable', startDate: fromToday(-75), endDate: fromToday(60) } }],
      milestones: [
        event('due', '40.00', 1, { trigger: { type: 'date', date: fromToday(-10) } }),
        event('later', '60.00', 2, { trigger: { type: 'date', date: fromToday(40) } }),
        event('care', '30.00', 3, { obligationId: 'care', trigger: { type: 'date', date: fromToday(-70) } }),
      ],
    },
    steps: [
      // The date trigger moved to yesterday fires at once; the Temporal timer waits for the next month end.
      amend(1, { milestones: [{ id: 'later', trigger: { type: 'date', date: fromToday(-1) } }] }),
    ],
  };
}

/**
 * A history the current code must refuse to replay: the same story, but as if an older workflow
 * had scheduled a different activity first (a renamed activity: a determinism break).
 */
function writeIncompatible(history: { events: Array<{ eventType?: string; activityTaskScheduledEventAttributes?: { activityType?: { name?: string } } }> }): void {
  const scheduled = history.events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name);
  // Since effects run as local activities there is no scheduled activity to rename: the file
  // recorded before stays (it still must fail to replay).
  if (!scheduled) return;
  scheduled.activityTaskScheduledEventAttributes!.activityType!.name = 'registerRevenuePlanV0';
  const file = path.join(HISTORIES, 'incompatible', 'renamed-activity.json');
  writeFileSync(file, `${JSON.stringify(history)}\n`);
  process.stdout.write(`wrote ${file}\n`);
}

function temporalCli(address: string, args: string[]): string {
  return execFileSync(toolPath('temporal'), [...args, '--address', address], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
}

/** Every run of the contract's workflow, oldest first (more than one when it continued as new). */
function runsOf(address: string, workflowId: string): string[] {
  const out = temporalCli(address, ['workflow', 'list', '--query', `WorkflowId = '${workflowId}'`, '--output', 'json']).trim();
  const rows: Array<{ execution?: { runId?: string }; startTime?: string }> = out.startsWith('[')
    ? JSON.parse(out)
    : out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  return rows.sort((a, b) => String(a.startTime).localeCompare(String(b.startTime))).map((r) => r.execution!.runId!);
}

const fileOf = (story: string, run: number, runs: number, tag: string) => `${story}${runs > 1 && run < runs ? `.run${run}` : ''}.${tag}.json`;

async function main(): Promise<void> {
  const tag = process.argv[2];
  const only = process.argv.slice(3);
  if (!tag || !/^[a-z0-9][a-z0-9-]*$/.test(tag)) {
    process.stderr.write('usage: npx tsx cli/record-histories.ts <tag> [story…]   (tag: a new name, lower case, e.g. issue-15)\n');
    process.exit(2);
  }
  const stories: Record<string, Story> = { ...STORIES, 'wall-clock': wallClockStory() };
  const unknown = only.filter((n) => !(n in stories));
  if (unknown.length > 0) throw new Error(`unknown stories: ${unknown.join(', ')} (known: ${Object.keys(stories).join(', ')})`);
  const taken = Object.keys(stories).filter((n) => existsSync(path.join(HISTORIES, fileOf(n, 1, 1, tag))));
  if (taken.length > 0) throw new Error(`tag "${tag}" is taken (${taken.map((n) => fileOf(n, 1, 1, tag)).join(', ')}): recordings are never replaced; pick a new tag`);

  const code = workflowFingerprint();
  const logger = createLogger('record-histories', 'warn');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'tollgate-record-'));
  const [temporalPort, mongoPort] = [await freePort(), await freePort()];
  const [temporal, ferret] = await Promise.all([
    startTemporalDevServer({ port: temporalPort, dbFile: path.join(tmp, 'temporal.sqlite') }),
    startFerretDb({ port: mongoPort, dataDir: path.join(tmp, 'ferretdb') }),
  ]);
  const stacks = new Map<string, { stack: RunningSystem; config: Config }>();
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection });
  const recordings: HistoryManifest['recordings'] = {};
  try {
    const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } });
    /** One stack per distinct story config, on the same servers (own databases and task queue). */
    const stackFor = async (overrides: Record<string, string> = {}) => {
      const key = JSON.stringify(overrides);
      let entry = stacks.get(key);
      if (!entry) {
        const n = stacks.size;
        const config = loadConfig({
          TEMPORAL_ADDRESS: temporal.address, MONGO_URL: ferret.address, MONGO_DB_PREFIX: `rec${n}`, TEMPORAL_TASK_QUEUE: `tollgate-record-${n}`,
          GATEWAY_PORT: '0', INVOICING_PORT: '0', REVENUE_PORT: '0', AR_PORT: '0', LOG_LEVEL: 'silent', ...overrides,
        });
        const stack = await startSystem(config, logger, { workflowBundle: { code: bundle.code } });
        entry = { stack, config };
        stacks.set(key, entry);
      }
      return entry;
    };

    for (const [name, story] of Object.entries(stories)) {
      if (only.length > 0 && !only.includes(name)) continue;
      const { stack, config } = await stackFor(story.config);
      const api = httpApi(stack.gatewayUrl);
      const contractId = `rec-${name}`;
      const ctx: StoryContext = {
        stack, config, contractId, temporal: client,
        state: () => client.workflow.getHandle(contractWorkflowId(contractId)).query('state'),
        async call(method, p, body, expected) {
          const res = await api.call(method, `/contracts/${contractId}${p}`, body);
          if (expected !== undefined ? res.status !== expected : res.status >= 300) throw new Error(`${name}: ${method} ${p}: ${res.status} ${JSON.stringify(res.body)}`);
        },
      };
      const created = await api.call('POST', '/contracts', { ...story.terms, contractId });
      if (created.status !== 201) throw new Error(`${name}: create: ${JSON.stringify(created.body)}`);
      await story.before?.(ctx);
      for (const step of story.steps) {
        if (typeof step === 'function') {
          await step(ctx);
          continue;
        }
        await ctx.call(...step);
      }
      // Every effect done before the history is taken (the last update waited for its own).
      await until(ctx, 'the outbox is empty', (s) => s.outbox.length === 0);
      const workflowId = contractWorkflowId(contractId);
      const runs = runsOf(temporal.address, workflowId);
      for (const [i, runId] of runs.entries()) {
        // The CLI writes the history JSON format that historyFromJSON and the Temporal UI read.
        const json = temporalCli(temporal.address, ['workflow', 'show', '--workflow-id', workflowId, '--run-id', runId, '--output', 'json']);
        const history = JSON.parse(json) as RecordedHistory;
        const file = fileOf(name, i + 1, runs.length, tag);
        writeFileSync(path.join(HISTORIES, file), `${JSON.stringify(history)}\n`);
        recordings[file] = { story: name, events: history.events.length, patchMarkers: patchMarkers(history), ...(runs.length > 1 ? { runs: `${i + 1} of ${runs.length}` } : {}) };
        process.stdout.write(`recorded test/histories/${file} (${history.events.length} events)\n`);
        if (name === 'signoff-deemed-hold-amend') writeIncompatible(JSON.parse(json));
      }
    }
    if (only.length === 0) {
      const manifest: HistoryManifest = {
        about: 'Written by cli/record-histories.ts: the workflow code the histories of the last recording were made on. '
          + 'test/unit/workflow-fingerprint.test.ts fails when the code changes without a new recording or a new patched() id '
          + '(docs/workflow.md "Changing the workflow safely").',
        recordedTag: tag,
        recordedAt: new Date().toISOString(),
        ...code,
        recordings,
      };
      writeFileSync(MANIFEST_PATH, `${JSON.stringify(manifest, null, 2)}\n`);
      process.stdout.write(`wrote ${path.relative(REPO_ROOT, MANIFEST_PATH)} (fingerprint ${code.fingerprint.slice(0, 16)}…, patches ${code.patches.join(', ')})\n`);
    } else {
      process.stdout.write('only some stories recorded: test/histories/MANIFEST.json left as it is (a full recording writes it)\n');
    }
  } finally {
    for (const { stack } of [...stacks.values()].reverse()) await stack.stop().catch(() => undefined);
    await connection.close().catch(() => undefined);
    await Promise.all([temporal.stop(), ferret.stop()]);
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  });
}
