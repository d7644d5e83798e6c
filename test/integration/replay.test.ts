/**
 * Determinism guard: every recorded contract history (test/histories/) must replay on the current
 * workflow code, and a deliberately incompatible one must fail with a determinism error. Histories
 * are recorded with `npx tsx cli/record-histories.ts <tag>`.
 *
 * Replay only proves something for the paths the histories reach, so the recordings are checked to
 * reach every branch of the rules a running contract can take (`REACHED`: amendments, holds,
 * sequence, deemed acceptance, continue-as-new, the advance, failed steps, outbound events, the
 * wall clock) and every `patched()` marker of the code. test/unit/workflow-fingerprint.test.ts fails
 * when the workflow code changes without a new recording (or a new `patched()` id).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { patchMarkers, workflowFingerprint, type RecordedHistory } from '../../cli/workflow-fingerprint';

const DIR = path.resolve(__dirname, '..', 'histories');
const load = (file: string) => historyFromJSON(JSON.parse(readFileSync(file, 'utf8')));
const compatible = readdirSync(DIR).filter((f) => f.endsWith('.json') && f !== 'MANIFEST.json');
const bundle = () => ({ workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! } });

describe('replay of recorded histories', () => {
  it('has recorded histories to replay', () => {
    expect(compatible.length).toBeGreaterThanOrEqual(2);
  });

  it.each(compatible)('replays %s on the current workflow code', async (file) => {
    await expect(Worker.runReplayHistory(bundle(), load(path.join(DIR, file)), `replay-${file}`)).resolves.toBeUndefined();
  });

  it('refuses a history the current code did not produce, with a determinism error', async () => {
    const history = load(path.join(DIR, 'incompatible', 'renamed-activity.json'));
    await expect(Worker.runReplayHistory(bundle(), history, 'replay-incompatible')).rejects.toThrow(DeterminismViolationError);
  });
});

// ───────────────────────────── what the histories reach ─────────────────────────────

interface Payloads { payloads?: Array<{ data?: string }> }
interface RawEvent {
  eventType: string;
  workflowExecutionStartedEventAttributes?: { input?: Payloads };
  workflowExecutionUpdateAcceptedEventAttributes?: { protocolInstanceId: string; acceptedRequest: { input: { name: string; args?: Payloads } } };
  workflowExecutionUpdateCompletedEventAttributes?: { meta: { updateId: string }; outcome: { success?: Payloads; failure?: { message?: string; applicationFailureInfo?: { type?: string } } } };
  workflowExecutionSignaledEventAttributes?: { signalName: string; input?: Payloads };
  markerRecordedEventAttributes?: { markerName?: string; details?: Record<string, Payloads> };
}

const decode = (p?: Payloads, i = 0): any => {
  const data = p?.payloads?.[i]?.data;
  return data === undefined ? undefined : JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
};

interface Invoice { kind: string; milestoneIds: string[]; amount: string }
interface Update { name: string; input: any; result?: { outcome: string; milestone?: { id: string; waiting?: string }; caused?: { invoices: Invoice[]; creditMemos: Array<{ milestoneId: string; amount: string }>; timers: Array<{ kind: string; milestoneId?: string }> } }; failure?: string }
interface Story {
  file: string;
  terms: any;
  resumed: any;
  /** Updates and raw signals in history order. */
  messages: Array<({ type: 'update' } & Update) | { type: 'signal'; name: string; input: any }>;
  updates: Update[];
  /** Every step result of the local activities that ran the effects. */
  steps: Array<{ step: string; status: string }>;
  /** The step names of each local activity, in order (one batch each). */
  batches: string[][];
  eventTypes: Set<string>;
  patches: string[];
}

function readStory(file: string): Story {
  const raw = JSON.parse(readFileSync(path.join(DIR, file), 'utf8')) as { events: RawEvent[] };
  const started = decode(raw.events[0]!.workflowExecutionStartedEventAttributes?.input);
  const accepted = new Map<string, Update>();
  const messages: Story['messages'] = [];
  const steps: Story['steps'] = [];
  const batches: Story['batches'] = [];
  for (const e of raw.events) {
    const a = e.workflowExecutionUpdateAcceptedEventAttributes;
    if (a) {
      const u: Update & { type: 'update' } = { type: 'update', name: a.acceptedRequest.input.name, input: decode(a.acceptedRequest.input.args) };
      accepted.set(a.protocolInstanceId, u);
      messages.push(u);
    }
    const c = e.workflowExecutionUpdateCompletedEventAttributes;
    if (c) {
      const u = accepted.get(c.meta.updateId);
      if (u) {
        u.result = decode(c.outcome.success);
        u.failure = c.outcome.failure ? c.outcome.failure.applicationFailureInfo?.type ?? c.outcome.failure.message : undefined;
      }
    }
    const s = e.workflowExecutionSignaledEventAttributes;
    if (s) messages.push({ type: 'signal', name: s.signalName, input: decode(s.input) });
    const m = e.markerRecordedEventAttributes;
    if (m?.markerName === 'core_local_activity') {
      const result = decode(m.details?.result);
      if (Array.isArray(result)) {
        steps.push(...(result as Story['steps']));
        batches.push((result as Story['steps']).map((x) => x.step));
      }
    }
  }
  return {
    file,
    terms: started?.terms,
    resumed: started?.resume,
    messages,
    updates: messages.filter((x): x is Update & { type: 'update' } => x.type === 'update'),
    steps,
    batches,
    eventTypes: new Set(raw.events.map((e) => e.eventType)),
    patches: patchMarkers(raw as RecordedHistory),
  };
}

const applied = (u: Update) => u.result?.outcome === 'applied';
const amendments = (s: Story) => s.updates.filter((u) => u.name === 'amend' && applied(u));
const changedMilestones = (u: Update): Array<Record<string, any>> => u.input?.changes?.milestones ?? [];
/** The milestones' amounts before each amendment of the story, in order (from the terms and the amendments before it). */
function amountsBefore(s: Story): Array<{ amend: Update; amounts: Record<string, string> }> {
  const amounts: Record<string, string> = Object.fromEntries((s.terms?.milestones ?? []).map((m: { id: string; amount: string }) => [m.id, m.amount]));
  return amendments(s).map((amend) => {
    const before = { ...amounts };
    for (const m of changedMilestones(amend)) if (m.amount !== undefined) amounts[m.id] = m.amount;
    return { amend, amounts: before };
  });
}
const caused = (u: Update) => u.result?.caused ?? { invoices: [], creditMemos: [], timers: [] };

/** Each branch a running contract can take, and how a recorded history shows it took it. */
const REACHED: Record<string, (s: Story) => boolean> = {
  'amendment: an invoiced milestone raised → supplementary invoice': (s) => amendments(s).some((u) => caused(u).invoices.some((i) => i.kind === 'supplementary')),
  'amendment: an invoiced milestone lowered → credit memo': (s) => amendments(s).some((u) => caused(u).creditMemos.length > 0),
  'amendment: a paid milestone lowered → credit memo': (s) => {
    const numbers = new Map(s.updates.flatMap((u) => caused(u).invoices.map((i) => [(i as Invoice & { number?: string }).number, i.milestoneIds[0]] as const)));
    const paid = new Set(s.messages.flatMap((m) => (m.type === 'signal' && m.name === 'invoicePaid' ? [numbers.get(m.input?.invoiceNumber)] : [])));
    return amendments(s).some((u) => caused(u).creditMemos.some((c) => paid.has(c.milestoneId)));
  },
  // Commit 72bc005: an invoice the amendment itself releases is issued at the new amount, no correction.
  'amendment: an invoice it unblocks is issued at the new amount, with no correction': (s) => amendments(s).some((u) => {
    const raised = changedMilestones(u).filter((m) => m.amount !== undefined);
    const c = caused(u);
    return (u.input?.changes?.cancel ?? []).length > 0 && c.creditMemos.length === 0 && !c.invoices.some((i) => i.kind === 'supplementary')
      && raised.some((m) => c.invoices.some((i) => i.kind === 'milestone' && i.milestoneIds.includes(m.id) && i.amount === m.amount));
  }),
  'amendment: a cancellation': (s) => amendments(s).some((u) => (u.input?.changes?.cancel ?? []).length > 0),
  'amendment: a date trigger moved into the past fires at once': (s) => amendments(s).some((u) => changedMilestones(u).some((m) => m.trigger?.type === 'date'
    && caused(u).invoices.some((i) => i.milestoneIds.includes(m.id)))),
  'amendment: an SSP change': (s) => amendments(s).some((u) => (u.input?.changes?.obligations ?? []).some((o: { ssp?: string }) => o.ssp !== undefined)),
  'amendment: invoice timing changed with the invoice timer pending': (s) => amendments(s).some((u) => changedMilestones(u).some((m) => m.invoiceTiming !== undefined
    && (caused(u).invoices.some((i) => i.milestoneIds.includes(m.id)) || caused(u).timers.some((t) => t.kind === 'invoice' && t.milestoneId === m.id)))),
  'amendment: an accepted milestone stops billing': (s) => amendments(s).some((u) => changedMilestones(u).some((m) => m.billable === false)),
  'amendment: an accepted milestone starts billing': (s) => amountsBefore(s).some(({ amend, amounts }) => changedMilestones(amend)
    .some((m) => amounts[m.id] !== undefined && Number(amounts[m.id]) === 0 && caused(amend).invoices.some((i) => i.kind === 'milestone' && i.milestoneIds.includes(m.id)))),
  'amendment: a reduction goes back to the advance before any credit memo': (s) => s.terms?.advanceBilling !== undefined && amountsBefore(s).some(({ amend, amounts }) =>
    changedMilestones(amend).some((m) => m.amount !== undefined && caused(amend).creditMemos.some((c) => c.milestoneId === m.id
      && Number(c.amount) < Number(amounts[m.id]) - Number(m.amount)))),
  'advance: a milestone covered by the advance': (s) => s.terms?.advanceBilling !== undefined
    && s.updates.some((u) => u.name === 'completeMilestone' && applied(u) && caused(u).invoices.length === 0 && u.result?.milestone !== undefined && (u.result.milestone as { status?: string }).status === 'covered'),
  'hold: an invoice falling due is queued': (s) => s.updates.some((u) => u.result?.milestone?.waiting === 'customer_hold'),
  'hold: a duplicate hold and a release without a hold are ignored': (s) => s.updates.some((u) => u.name === 'hold' && u.result?.outcome === 'ignored')
    && s.updates.some((u) => u.name === 'release' && u.result?.outcome === 'ignored'),
  'hold: release issues the queued invoices in order': (s) => s.updates.some((u) => u.name === 'release' && applied(u) && caused(u).invoices.length >= 2),
  'hold: a sequence unblocked during the hold joins the queue': (s) => s.terms?.enforceSequence === true && amendments(s).some((u) => (u.input?.changes?.cancel ?? []).length > 0 && caused(u).invoices.length === 0)
    && s.updates.some((u) => u.name === 'hold' && applied(u)),
  'sequence: an invoice waits for an earlier milestone': (s) => s.updates.some((u) => u.result?.milestone?.waiting === 'awaiting_sequence'),
  'sequence: waiting invoices are issued in order when the blocker is': (s) => s.terms?.enforceSequence === true
    && s.updates.some((u) => u.name !== 'release' && u.name !== 'amend' && caused(u).invoices.length >= 2),
  'deemed acceptance: the window lapses': (s) => s.updates.some((u) => u.name === 'advanceClock' && caused(u).invoices.some((i) => s.updates.some((d) => d.name === 'declareMilestone' && d.input?.milestoneId === i.milestoneIds[0]))),
  'deemed acceptance: a declaration whose window already lapsed is deemed at once': (s) => s.updates.some((u) => u.name === 'declareMilestone' && u.input?.date !== undefined && caused(u).invoices.length > 0),
  'deemed acceptance: a rejection inside the window, then a new declaration': (s) => s.updates.some((u, i) => u.name === 'rejectMilestone' && applied(u)
    && s.updates.slice(i + 1).some((d) => d.name === 'declareMilestone' && applied(d) && d.input?.milestoneId === u.input?.milestoneId)),
  'deemed acceptance: a rejection after it (window_closed, a raw signal)': (s) => s.messages.some((m) => m.type === 'signal' && m.name === 'milestoneRejected')
    && s.updates.some((u) => u.name === 'declareMilestone' && caused(u).invoices.length > 0),
  'signals: raw messages handled in the workflow': (s) => s.messages.some((m) => m.type === 'signal' && m.name !== 'invoicePaid'),
  'continue-as-new: a run ends continuing as new': (s) => s.eventTypes.has('EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW'),
  'continue-as-new: a run resumes a carried-over state with a hold or queued invoices': (s) => s.resumed !== undefined
    && (s.resumed.hold !== undefined || (s.resumed.heldInvoices ?? []).length > 0),
  'failed steps: a refused step, a retry refused again, a retry that goes through': (s) => s.steps.some((x) => x.status === 'refused')
    && s.updates.some((u) => u.name === 'retryStep' && u.failure !== undefined)
    && s.updates.some((u) => u.name === 'retryStep' && applied(u) && u.failure === undefined),
  'failed steps: resolved by hand': (s) => s.updates.some((u) => u.name === 'resolveStep' && applied(u)),
  'outbound events: milestone.accepted announced in its invoice\'s batch (patch announce-in-batch)': (s) => s.patches.includes('announce-in-batch')
    && s.batches.some((b) => b[0] === 'announce' && b.includes('invoice')),
  'outbound events: milestone.accepted announced in its revenue posting\'s batch (patch announce-in-batch)': (s) => s.patches.includes('announce-in-batch')
    && s.batches.some((b) => b.length === 2 && b[0] === 'announce' && b[1] === 'ledger'),
  'outbound events: milestone.accepted announced (patch outbound-events)': (s) => s.patches.includes('outbound-events') && s.steps.some((x) => x.step === 'announce' && x.status === 'done'),
  'wall clock: a Temporal timer for the next business timer': (s) => s.terms?.sandbox === undefined && s.eventTypes.has('EVENT_TYPE_TIMER_STARTED'),
  'progress billing: a part invoiced on a report': (s) => s.updates.some((u) => u.name === 'reportProgress' && caused(u).invoices.some((i) => (i as { part?: number }).part !== undefined)),
  'progress billing: parts queued by a hold, issued as one on release': (s) => s.updates.some((u) => u.name === 'release' && caused(u).invoices.some((i) => (i as { part?: number }).part !== undefined)),
  'progress billing: an amendment re-targets the parts (supplementary, then credits newest first)': (s) => amendments(s).some((u) => caused(u).invoices.some((i) => i.kind === 'supplementary' && (i as { progress?: unknown }).progress !== undefined))
    && amendments(s).some((u) => caused(u).creditMemos.some((c) => (c as { seq?: number }).seq !== undefined)),
  'progress billing: a raw progress signal': (s) => s.messages.some((m) => m.type === 'signal' && m.name === 'progressReported'),
  'credited in full: a part credited whole by an amendment, the milestone paid and the contract completed (patch credited-parts-settle)': (s) => s.patches.includes('credited-parts-settle')
    && amendments(s).some((u) => caused(u).creditMemos.some((c) => s.updates.some((x) => caused(x).invoices.some((i) => (i as { part?: number }).part !== undefined && i.amount === c.amount))))
    && s.eventTypes.has('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED'),
  'cost input: costs reported': (s) => s.updates.some((u) => u.name === 'reportCost' && applied(u)),
  'ratable: month ends posted': (s) => (s.terms?.obligations ?? []).some((o: { recognition?: { method?: string } }) => o.recognition?.method === 'ratable'),
};

describe('what the recorded histories reach', () => {
  const stories = compatible.map(readStory);

  it.each(Object.keys(REACHED))('some recorded history reaches: %s', (branch) => {
    const reaching = stories.filter(REACHED[branch]!).map((s) => s.file);
    expect({ branch, reaching: reaching.length > 0 ? 'yes' : 'no recorded history' }).toEqual({ branch, reaching: 'yes' });
  });

  it('every patched() id of the workflow code is a marker in some recorded history', () => {
    const recorded = new Set(stories.flatMap((s) => s.patches));
    const { patches } = workflowFingerprint();
    expect(patches.length).toBeGreaterThan(0);
    expect(patches.filter((p) => !recorded.has(p))).toEqual([]);
  });

  it('has histories recorded before each patch, which replay on the path the patch keeps', () => {
    const { patches } = workflowFingerprint();
    for (const p of patches) expect({ p, before: stories.some((s) => !s.patches.includes(p)) }).toEqual({ p, before: true });
  });
});
