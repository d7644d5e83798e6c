/**
 * Records contract-workflow histories for the replay tests (test/histories/). Run after an
 * intended change of workflow behaviour, on a throwaway local stack:
 *   npx tsx cli/record-histories.ts [tag]     (files: test/histories/<story>[.<tag>].json)
 * Old histories must keep replaying: never delete one to make a change pass (use `patched()`);
 * give new recordings a tag so the old ones stay. `npx tsx cli/record-histories.ts <tag> <story>…`
 * records only the stories named.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { contractWorkflowId } from '../libs/domain/messages';
import { createLogger } from '../libs/logger';
import { REPO_ROOT, toolPath } from '../deploy/local/servers';
import { startEphemeralStack } from '../deploy/local/ephemeral';
import type { RunningSystem } from '../deploy/local/system';
import { createServiceClient } from '../libs/service-client';
import { httpApi } from './scenarios';

type Step = [method: string, path: string, body?: unknown, expectStatus?: number];

interface Story {
  terms: Record<string, unknown>;
  /** Run before the steps, with the stack and the contract id (e.g. to make a service refuse a step). */
  before?: (stack: RunningSystem, contractId: string) => Promise<void>;
  steps: Step[];
}

const STORIES: Record<string, Story> = {
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
    async before(stack, contractId) {
      await createServiceClient('ar', stack.arUrl, { token: stack.serviceToken }).post('/receivables', {
        invoiceNumber: `SQUAT-${contractId}`, contractId, customerId: 'cust-rec', currency: 'USD', amount: '1.00',
        issueDate: '2025-01-01', dueDate: '2025-01-31', milestoneIds: ['m1'], sandbox: true,
      }, { idempotencyKey: `${contractId}:m1:v1:milestone:receivable` });
    },
    steps: [
      ['POST', '/clock', { to: '2025-01-10' }],
      ['POST', '/milestones/m1/complete', {}],
      ['POST', '/steps/2:receivable/retry', {}, 409],
      ['POST', '/steps/2:receivable/resolve', { reason: 'booked by hand' }],
      ['POST', '/milestones/m2/complete', {}],
    ],
  },
};

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
  const file = path.join(REPO_ROOT, 'test', 'histories', 'incompatible', 'renamed-activity.json');
  writeFileSync(file, `${JSON.stringify(history)}\n`);
  process.stdout.write(`wrote ${file}\n`);
}

async function main(): Promise<void> {
  const logger = createLogger('record-histories', 'warn');
  const stack = await startEphemeralStack(logger, 'silent');
  const api = httpApi(stack.gatewayUrl);
  try {
    const only = process.argv.slice(3);
    for (const [name, story] of Object.entries(STORIES)) {
      if (only.length > 0 && !only.includes(name)) continue;
      const contractId = `rec-${name}`;
      const created = await api.call('POST', '/contracts', { ...story.terms, contractId });
      if (created.status !== 201) throw new Error(`${name}: create: ${JSON.stringify(created.body)}`);
      await story.before?.(stack, contractId);
      for (const [method, p, body, expected] of story.steps) {
        const res = await api.call(method, `/contracts/${contractId}${p}`, body);
        if (expected !== undefined ? res.status !== expected : res.status >= 300) throw new Error(`${name}: ${method} ${p}: ${res.status} ${JSON.stringify(res.body)}`);
      }
      // The CLI writes the history JSON format that historyFromJSON and the Temporal UI read.
      const json = execFileSync(toolPath('temporal'), [
        'workflow', 'show', '--address', stack.temporalAddress, '--workflow-id', contractWorkflowId(contractId), '--output', 'json',
      ], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      const history = JSON.parse(json) as { events: unknown[] };
      const tag = process.argv[2] ? `.${process.argv[2]}` : '';
      const file = path.join(REPO_ROOT, 'test', 'histories', `${name}${tag}.json`);
      writeFileSync(file, `${JSON.stringify(history)}\n`);
      process.stdout.write(`recorded ${file} (${history.events.length} events)\n`);
      if (name === 'signoff-deemed-hold-amend') writeIncompatible(JSON.parse(json));
    }
  } finally {
    await stack.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
