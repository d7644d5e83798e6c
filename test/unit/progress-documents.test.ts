/**
 * Progress billing on the documents (docs/progressive-billing.md): the invoicing service keeps an
 * invoice's progress and answers it (replays too), and the public state shows a milestone's progress
 * and an invoice's part without the workflow's bookkeeping.
 */
import type { ContractState, UpdateOutcome } from '../../libs/domain/contract';
import { AppError } from '../../libs/domain/errors';
import { publicAnswer, publicContract, publicContractSchema, updateAnswerSchema } from '../../services/gateway/public-state';
import { issueInvoiceSchema, invoiceResponseSchema, type IssueInvoiceRequest } from '../../services/invoicing/api';
import type { InvoiceDoc, NumberSlot } from '../../services/invoicing/data/invoices';
import { createInvoiceUseCases } from '../../services/invoicing/invoices';

/** The invoice store in memory: what the issue path uses (claim by key with a unique index, numbers, reads). */
function memoryRepository() {
  const invoices = new Map<string, InvoiceDoc>();
  const slots = new Map<string, NumberSlot>();
  const duplicate = () => Object.assign(new Error('E11000 duplicate key'), { code: 11000 });
  const copy = <T>(v: T | undefined): T | null => (v === undefined ? null : structuredClone(v));
  return {
    stored: invoices,
    invoices: {
      async findByKey(key: string) { return copy(invoices.get(key)); },
      async findByNumber(number: string) { return copy([...invoices.values()].find((d) => d.number === number)); },
      async insert(doc: InvoiceDoc) {
        if (invoices.has(doc.idempotencyKey)) throw duplicate();
        invoices.set(doc.idempotencyKey, structuredClone(doc));
      },
      async setNumber(key: string, placeholder: string, number: string) {
        const doc = invoices.get(key);
        if (!doc || doc.number !== placeholder) return false;
        doc.number = number;
        return true;
      },
    },
    numbers: {
      async slotOf(owner: string) { return [...slots.values()].find((s) => s.owner === owner) ?? null; },
      async firstFree(sequence: string, known = 0) {
        let n = known + 1;
        while (slots.has(`${sequence}:${n}`)) n += 1;
        return n;
      },
      async claim(slot: NumberSlot) {
        if (slots.has(`${slot.sequence}:${slot.n}`) || [...slots.values()].some((s) => s.owner === slot.owner)) return false;
        slots.set(`${slot.sequence}:${slot.n}`, slot);
        return true;
      },
    },
  };
}

const part = (overrides: Partial<IssueInvoiceRequest> = {}): IssueInvoiceRequest => ({
  kind: 'milestone', contractId: 'acme-001', customer: { id: 'cust-acme', name: 'Acme Corp' }, currency: 'USD', termsVersion: 1,
  date: '2026-03-16', paymentTerms: 'NET_30', lines: [{ milestoneId: 'build', description: 'Build phase', amount: '325' }],
  progress: { percent: '62.5', cumulative: '625', previouslyBilled: '300' },
  ...overrides,
});

function useCases() {
  const repo = memoryRepository();
  const cases = createInvoiceUseCases(repo as never, () => new Date('2026-03-16T09:00:00Z'));
  const issue = (body: IssueInvoiceRequest, key: string) => cases.issue(issueInvoiceSchema.parse(body), key);
  return { repo, cases, issue };
}

describe('the invoicing service keeps the progress an invoice bills', () => {
  it('stores it with the invoice and answers it, amounts in the currency\'s minor units', async () => {
    const { repo, cases, issue } = useCases();
    const { invoice, created } = await issue(part(), 'c1:v1:milestone:part-2');
    expect(created).toBe(true);
    expect(invoice).toMatchObject({ number: 'INV-2026-000001', total: '325.00', progress: { percent: '62.5', cumulative: '625.00', previouslyBilled: '300.00' } });
    expect(repo.stored.get('c1:v1:milestone:part-2')!.progress).toEqual({ percent: '62.5', cumulative: '625.00', previouslyBilled: '300.00' });
    expect(invoiceResponseSchema.parse(invoice)).toEqual(invoice);
    expect((await cases.get('INV-2026-000001')).progress).toEqual({ percent: '62.5', cumulative: '625.00', previouslyBilled: '300.00' });
  });

  it('answers it on an idempotent replay, with the same number', async () => {
    const { issue } = useCases();
    const first = await issue(part(), 'k');
    const replay = await issue(part(), 'k');
    expect(replay.created).toBe(false);
    expect(replay.invoice).toEqual(first.invoice);
    expect(replay.invoice.progress).toEqual({ percent: '62.5', cumulative: '625.00', previouslyBilled: '300.00' });
  });

  it('refuses a replay whose progress differs (another body under the same key)', async () => {
    const { issue } = useCases();
    await issue(part(), 'k');
    await expect(issue(part({ progress: { percent: '70', cumulative: '700', previouslyBilled: '300' } }), 'k')).rejects.toMatchObject({ code: 'idempotency_conflict' });
  });

  it('refuses progress amounts finer than the currency (nothing is rounded) or a billed to date below what was billed before', async () => {
    const { issue, repo } = useCases();
    const err = await issue(part({ currency: 'JPY', lines: [{ milestoneId: 'b', description: 'B', amount: '333' }], progress: { percent: '33.33', cumulative: '333.3', previouslyBilled: '0' } }), 'a').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'validation_failed', details: [{ path: 'body.progress.cumulative' }] });
    await expect(issue(part({ progress: { percent: '30', cumulative: '200', previouslyBilled: '300' } }), 'b')).rejects.toMatchObject({ code: 'validation_failed' });
    expect(repo.stored.size).toBe(0);
  });

  it('leaves it out of an invoice that bills no progress', async () => {
    const { issue } = useCases();
    const { invoice } = await issue(part({ progress: undefined }), 'plain');
    expect(invoice).not.toHaveProperty('progress');
  });
});

/** A contract with a milestone billed by progress: two parts, a credit memo of an amendment. */
const state = {
  contractId: 'acme-001', customerId: 'cust-acme', currency: 'USD', sandbox: false, clock: '2026-03-20', status: 'active', version: 2,
  versions: [{ version: 1, effectiveDate: '2026-03-01', terms: {}, cancelled: [] }],
  milestones: {
    build: { id: 'build', status: 'planned', invoicedOn: '2026-03-02', invoiceNumbers: ['INV-2026-000001', 'INV-2026-000002'], progress: { percent: '62.5', billed: '625.00', parts: 2, finalDue: false } },
    design: { id: 'design', status: 'planned', invoiceNumbers: [] },
  },
  invoices: [
    { number: 'INV-2026-000001', kind: 'milestone', milestoneIds: ['build'], amount: '300.00', date: '2026-03-02', dueDate: '2026-04-01', termsVersion: 1, paid: false, part: 1, progress: { percent: '30', cumulative: '300.00', previouslyBilled: '0.00' } },
    { number: 'INV-2026-000002', kind: 'milestone', milestoneIds: ['build'], amount: '325.00', date: '2026-03-16', dueDate: '2026-04-15', termsVersion: 1, paid: false, part: 2, progress: { percent: '62.5', cumulative: '625.00', previouslyBilled: '300.00' } },
  ],
  creditMemos: [{ number: 'CM-2026-000001', milestoneId: 'build', originalInvoiceNumber: 'INV-2026-000002', amount: '25.00', date: '2026-03-18', amendmentVersion: 2, invoiceIndex: 1, seq: 1 }],
  timers: [], heldInvoices: [], recognized: {}, recognizedTotal: '0.00', billed: '600.00', costToDate: {}, log: [], outbox: [], failedSteps: [],
  effectsDone: 0, effectsQueued: 0, timerSeq: 0, progressSeq: 0, runs: 1,
} as unknown as ContractState;

describe('the public state of a milestone billed by progress', () => {
  const pub = publicContract(state);

  it('shows the milestone\'s progress (percent, billed, parts) without the workflow\'s finalDue', () => {
    expect(pub.milestones.build!.progress).toEqual({ percent: '62.5', billed: '625.00', parts: 2 });
    expect(pub.milestones.design).not.toHaveProperty('progress');
    // The workflow's state is not changed by the mapping.
    expect(state.milestones.build!.progress!.finalDue).toBe(false);
  });

  it('shows each invoice\'s part and progress', () => {
    expect(pub.invoices.map((i) => [i.number, i.part, i.progress?.percent])).toEqual([['INV-2026-000001', 1, '30'], ['INV-2026-000002', 2, '62.5']]);
  });

  it('keeps credit memos in their shape: no invoice index or sequence', () => {
    expect(pub.creditMemos).toEqual([{ number: 'CM-2026-000001', milestoneId: 'build', originalInvoiceNumber: 'INV-2026-000002', amount: '25.00', date: '2026-03-18', amendmentVersion: 2 }]);
  });

  it('says nothing its schema does not describe (parsing strips nothing)', () => {
    expect(publicContractSchema.parse(pub)).toEqual(pub);
  });

  it('an update\'s answer maps its milestone and the memos it caused the same way', () => {
    const outcome: UpdateOutcome = {
      outcome: 'applied', milestone: state.milestones.build!,
      caused: { invoices: [state.invoices[1]!], creditMemos: [state.creditMemos[0]!], timers: [] },
    };
    const answer = publicAnswer(outcome);
    expect(answer.milestone!.progress).toEqual({ percent: '62.5', billed: '625.00', parts: 2 });
    expect(answer.caused.creditMemos[0]).not.toHaveProperty('invoiceIndex');
    expect(answer.caused.creditMemos[0]).not.toHaveProperty('seq');
    expect(answer.caused.invoices[0]).toMatchObject({ part: 2, progress: { percent: '62.5', cumulative: '625.00', previouslyBilled: '300.00' } });
    expect(updateAnswerSchema.parse(answer)).toEqual(answer);
  });
});
