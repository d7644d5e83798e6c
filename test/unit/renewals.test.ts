/**
 * Renewals (services/gateway/renewals.ts, docs/renewals.md) without a stack: the successor's terms
 * built from the predecessor's (what is copied, shifted, renamed, new), the renew use case's
 * refusals and its healing of a lost link, and the chain read from the links.
 */
import { AppError } from '../../libs/domain/errors';
import { contractTermsSchema, type ContractTerms } from '../../libs/domain/terms';
import type { RenewalRecord, RenewalRepository } from '../../services/gateway/data/renewals';
import type { ContractUseCases } from '../../services/gateway/contracts';
import { addMonths, createRenewalUseCases, renewalBody, shiftDate, successorTerms } from '../../services/gateway/renewals';

const predecessor: ContractTerms = contractTermsSchema.parse({
  contractId: 'acme-2025', customer: { id: 'cust-acme', name: 'Acme' }, currency: 'EUR', signedDate: '2025-01-31', paymentTerms: 'NET_45',
  billingDay: 15, timezone: 'Europe/Paris', enforceSequence: true,
  obligations: [
    { id: 'impl', name: 'Implementation', ssp: '60000.00', recognition: { method: 'point_in_time', satisfiedBy: 'golive' } },
    { id: 'support', name: 'Support', ssp: '12000.00', recognition: { method: 'ratable', startDate: '2025-02-01', endDate: '2026-01-31' } },
  ],
  milestones: [
    { id: 'kickoff', name: 'Kick-off', description: 'k', obligationId: 'impl', amount: '20000.00', sequence: 1, trigger: { type: 'date', date: '2025-01-31' } },
    { id: 'golive', name: 'Go-live', description: 'g', obligationId: 'impl', amount: '40000.00', sequence: 2, trigger: { type: 'event', completion: 'customer_signoff', deemedAcceptanceDays: 10 }, plannedFinishDate: '2025-06-30' },
    { id: 'extra', name: 'Extra', description: 'x', obligationId: 'impl', amount: '5000.00', sequence: 3, trigger: { type: 'event', completion: 'external_event' } },
    { id: 'support-fee', name: 'Support', description: 's', obligationId: 'support', amount: '12000.00', sequence: 4, trigger: { type: 'date', date: '2025-02-01' } },
  ],
  advanceBilling: { amount: '1000.00', date: '2025-01-31' },
  contractValue: '77000.00',
});
/** As of its last version, `extra` is cancelled (the contract value then counts 72,000). */
const cancelled = ['extra'];
const withValue = { ...predecessor, contractValue: '72000.00' };

const body = (b: Record<string, unknown>) => renewalBody.parse(b);

describe('dates moved by a renewal', () => {
  it('adds months keeping the day or clamping it to the month\'s end, then days', () => {
    expect(addMonths('2025-01-31', 1)).toBe('2025-02-28');
    expect(addMonths('2024-01-31', 1)).toBe('2024-02-29');
    expect(addMonths('2025-11-15', 14)).toBe('2027-01-15');
    expect(shiftDate('2025-01-31', { months: 12 })).toBe('2026-01-31');
    expect(shiftDate('2025-01-31', { months: 1, days: 1 })).toBe('2025-03-01');
    expect(shiftDate('2025-12-31', { days: 1 })).toBe('2026-01-01');
  });
});

describe('the successor\'s terms', () => {
  it('copies the customer, currency, terms and obligations; shifts every date; drops cancelled milestones and the advance; links to the predecessor', () => {
    const t = contractTermsSchema.parse(successorTerms(withValue, cancelled, body({ contractId: 'acme-2026', signedDate: '2026-01-31', shift: { months: 12 } })));
    expect(t).toMatchObject({
      contractId: 'acme-2026', signedDate: '2026-01-31', renews: 'acme-2025', customer: { id: 'cust-acme', name: 'Acme' }, currency: 'EUR',
      paymentTerms: 'NET_45', billingDay: 15, timezone: 'Europe/Paris', enforceSequence: true, contractValue: '72000.00',
    });
    expect(t.advanceBilling).toBeUndefined();
    expect(t.sandbox).toBeUndefined();
    expect(t.milestones.map((m) => [m.id, m.amount, m.trigger.type === 'date' ? m.trigger.date : m.plannedFinishDate])).toEqual([
      ['kickoff', '20000.00', '2026-01-31'], ['golive', '40000.00', '2026-06-30'], ['support-fee', '12000.00', '2026-02-01'],
    ]);
    expect(t.milestones[1]!.trigger).toEqual({ type: 'event', completion: 'customer_signoff', deemedAcceptanceDays: 10 });
    expect(t.obligations[1]!.recognition).toEqual({ method: 'ratable', startDate: '2026-02-01', endDate: '2027-01-31' });
    expect(t.obligations[0]!.recognition).toEqual({ method: 'point_in_time', satisfiedBy: 'golive' });
    // The predecessor is not touched.
    expect(withValue.contractId).toBe('acme-2025');
    expect(withValue.milestones[0]!.trigger).toEqual({ type: 'date', date: '2025-01-31' });
  });

  it('shifts by the days between the signed dates when no shift is given', () => {
    const t = successorTerms(withValue, cancelled, body({ contractId: 'acme-2026', signedDate: '2025-03-02' }));
    // 2025-01-31 → 2025-03-02: 30 days.
    expect((t.milestones[0]!.trigger as { date: string }).date).toBe('2025-03-02');
    expect(t.milestones[1]!.plannedFinishDate).toBe('2025-07-30');
  });

  it('gives copied milestones new ids when asked; satisfiedBy follows', () => {
    const t = contractTermsSchema.parse(successorTerms(withValue, cancelled, body({ contractId: 'acme-2026', signedDate: '2026-01-31', shift: { days: 365 }, milestoneIdSuffix: '-y2' })));
    expect(t.milestones.map((m) => m.id)).toEqual(['kickoff-y2', 'golive-y2', 'support-fee-y2']);
    expect(t.obligations[0]!.recognition).toEqual({ method: 'point_in_time', satisfiedBy: 'golive-y2' });
  });

  it('takes a new schedule as given (the contract value dropped unless given) and a given recognition instead of the shifted one', () => {
    const schedule = [
      { id: 'y2-impl', name: 'Year 2', description: 'y', obligationId: 'impl', amount: '30000.00', sequence: 1, trigger: { type: 'date', date: '2026-03-01' } },
      { id: 'golive', name: 'Go-live', description: 'g', obligationId: 'impl', amount: '1.00', sequence: 2, trigger: { type: 'event', completion: 'external_event' } },
    ];
    const t = contractTermsSchema.parse(successorTerms(withValue, cancelled, body({
      contractId: 'acme-2026', signedDate: '2026-01-31', milestones: schedule,
      obligations: [{ id: 'support', recognition: { method: 'ratable', startDate: '2026-03-01', endDate: '2026-12-31' } }],
    })));
    expect(t.milestones.map((m) => m.id)).toEqual(['y2-impl', 'golive']);
    expect(t.contractValue).toBeUndefined();
    expect(t.obligations[1]!.recognition).toEqual({ method: 'ratable', startDate: '2026-03-01', endDate: '2026-12-31' });
    const valued = successorTerms(withValue, cancelled, body({ contractId: 'acme-2026', signedDate: '2026-01-31', milestones: schedule, contractValue: '30001.00' }));
    expect(contractTermsSchema.safeParse(valued).success).toBe(true);
    const wrong = contractTermsSchema.safeParse(successorTerms(withValue, cancelled, body({ contractId: 'acme-2026', signedDate: '2026-01-31', milestones: schedule, contractValue: '1.00' })));
    expect(wrong.success).toBe(false);
  });

  it('keeps a sandbox predecessor\'s successor on a sandbox clock (from its signed date, or the one given)', () => {
    const sbx = { ...withValue, sandbox: { clockStart: '2025-01-31' } };
    expect(successorTerms(sbx, cancelled, body({ contractId: 'n', signedDate: '2026-01-31' })).sandbox).toEqual({ clockStart: '2026-01-31' });
    expect(successorTerms(sbx, cancelled, body({ contractId: 'n', signedDate: '2026-01-31', sandbox: { clockStart: '2026-02-01' } })).sandbox).toEqual({ clockStart: '2026-02-01' });
  });

  it('refuses a body that mixes a new schedule with renamed copies, or an empty shift', () => {
    expect(renewalBody.safeParse({ contractId: 'n', signedDate: '2026-01-31', milestones: predecessor.milestones, milestoneIdSuffix: '-2' }).success).toBe(false);
    expect(renewalBody.safeParse({ contractId: 'n', signedDate: '2026-01-31', shift: {} }).success).toBe(false);
    expect(renewalBody.safeParse({ contractId: 'n', signedDate: '2026-01-31', customer: { id: 'other', name: 'x' } }).success).toBe(false);
  });

  it('a contract cannot renew itself (the terms schema)', () => {
    const r = contractTermsSchema.safeParse({ ...predecessor, renews: predecessor.contractId });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(['renews']);
  });
});

/** An in-memory link store with the collection's unique index on the successor. */
function memoryLinks(initial: RenewalRecord[] = []): RenewalRepository & { all: RenewalRecord[]; claims: Map<string, { successorId: string; createdAt: Date }> } {
  const all = [...initial];
  const claims = new Map<string, { successorId: string; createdAt: Date }>();
  return {
    all,
    claims,
    async claim(predecessorId, successorId, at) {
      if (claims.has(predecessorId)) return false;
      claims.set(predecessorId, { successorId, createdAt: at });
      return true;
    },
    async claimOf(predecessorId) { return claims.get(predecessorId); },
    async release(predecessorId, successorId) {
      if (claims.get(predecessorId)?.successorId === successorId) claims.delete(predecessorId);
    },
    async insert(doc) {
      if (all.some((r) => r.successorId === doc.successorId)) return false;
      all.push(doc);
      return true;
    },
    async ofSuccessor(id) { return all.find((r) => r.successorId === id); },
    async ofPredecessor(id) { return all.filter((r) => r.predecessorId === id); },
  };
}

const link = (predecessorId: string, successorId: string, n: number): RenewalRecord => ({
  predecessorId, successorId, customerId: 'cust-acme', signedDate: `202${n}-01-31`, createdAt: new Date(Date.UTC(2020 + n, 0, 31)),
});

function fakeContracts(existing: Record<string, ContractTerms>) {
  const created: ContractTerms[] = [];
  const stateOf = (id: string) => {
    const terms = existing[id];
    if (!terms) throw new AppError('not_found', `no contract ${id}`);
    return { contractId: id, customerId: terms.customer.id, sandbox: terms.sandbox !== undefined, versions: [{ version: 1, effectiveDate: terms.signedDate, terms, cancelled: id === 'acme-2025' ? cancelled : [] }] };
  };
  const contracts = {
    async state(id: string) { return stateOf(id); },
    async create(terms: ContractTerms) {
      // Starting a workflow takes a while: concurrent renewals interleave here.
      await new Promise((r) => setTimeout(r, 5));
      if (existing[terms.contractId]) throw new AppError('duplicate_contract', `contract ${terms.contractId} already exists`);
      existing[terms.contractId] = terms;
      created.push(terms);
      return { contractId: terms.contractId, workflowId: `contract-${terms.contractId}`, version: 1 };
    },
    async customerOf(id: string) { return stateOf(id).customerId; },
  } as unknown as ContractUseCases;
  return { contracts, created };
}

describe('the renew use case', () => {
  it('creates the successor through the create use case and records the link', async () => {
    const links = memoryLinks();
    const { contracts, created } = fakeContracts({ 'acme-2025': withValue });
    const uc = createRenewalUseCases({ contracts, renewals: links });
    await expect(uc.renew('acme-2025', { contractId: 'acme-2026', signedDate: '2026-01-31', shift: { months: 12 } }, 'finance'))
      .resolves.toEqual({ contractId: 'acme-2026', workflowId: 'contract-acme-2026', version: 1, renews: 'acme-2025' });
    expect(created[0]).toMatchObject({ contractId: 'acme-2026', renews: 'acme-2025' });
    expect(links.all).toEqual([expect.objectContaining({ predecessorId: 'acme-2025', successorId: 'acme-2026', customerId: 'cust-acme', signedDate: '2026-01-31', by: 'finance' })]);
    expect(await uc.renewedBy('acme-2025')).toBe('acme-2026');
    expect(await uc.renewedBy('acme-2026')).toBeUndefined();
  });

  it('refuses a second renewal of the same contract, the same id twice, a self-renewal and a successor that fails the terms rules', async () => {
    const links = memoryLinks();
    const { contracts, created } = fakeContracts({ 'acme-2025': withValue, 'taken': predecessor });
    const uc = createRenewalUseCases({ contracts, renewals: links });
    await uc.renew('acme-2025', { contractId: 'acme-2026', signedDate: '2026-01-31' });
    await expect(uc.renew('acme-2025', { contractId: 'acme-2026b', signedDate: '2026-01-31' })).rejects.toMatchObject({ code: 'not_allowed_in_state', message: 'contract acme-2025 is already renewed by acme-2026' });
    await expect(uc.renew('acme-2025', { contractId: 'acme-2026', signedDate: '2026-01-31' })).rejects.toMatchObject({ code: 'duplicate_contract' });
    await expect(uc.renew('acme-2026', { contractId: 'acme-2026', signedDate: '2027-01-31' })).rejects.toMatchObject({ code: 'validation_failed', details: [{ path: 'body.contractId' }] });
    await expect(uc.renew('acme-2026', { contractId: 'taken', signedDate: '2027-01-31' })).rejects.toMatchObject({ code: 'duplicate_contract' });
    // The taken id is an ordinary contract: no link is recorded for it.
    expect(links.all.map((r) => r.successorId)).toEqual(['acme-2026']);
    await expect(uc.renew('acme-2026', { contractId: 'acme-2027', signedDate: '2027-01-31', contractValue: '1.00' }))
      .rejects.toMatchObject({ code: 'validation_failed', details: [expect.objectContaining({ path: 'successor.contractValue' })] });
    await expect(uc.renew('nope', { contractId: 'x', signedDate: '2027-01-31' })).rejects.toMatchObject({ code: 'not_found' });
    expect(created).toHaveLength(1);
  });

  it('two renewals of one contract at the same instant under different ids: one successor, the other refused', async () => {
    const links = memoryLinks();
    const { contracts, created } = fakeContracts({ 'acme-2025': withValue });
    const uc = createRenewalUseCases({ contracts, renewals: links });
    const results = await Promise.allSettled([
      uc.renew('acme-2025', { contractId: 'acme-2026a', signedDate: '2026-01-31' }),
      uc.renew('acme-2025', { contractId: 'acme-2026b', signedDate: '2026-01-31' }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ code: 'not_allowed_in_state' });
    expect(created).toHaveLength(1);
    expect(links.all.map((r) => r.successorId)).toEqual([created[0]!.contractId]);
  });

  it('a renewal that failed to start releases its claim; one that died before starting is taken over once stale', async () => {
    const links = memoryLinks();
    const { contracts, created } = fakeContracts({ 'acme-2025': withValue, 'taken': predecessor });
    const uc = createRenewalUseCases({ contracts, renewals: links });
    await expect(uc.renew('acme-2025', { contractId: 'taken', signedDate: '2026-01-31' })).rejects.toMatchObject({ code: 'duplicate_contract' });
    expect(links.claims.size).toBe(0);
    // A claim whose successor never started: refused while fresh (a renewal may be in flight), taken over once stale.
    links.claims.set('acme-2025', { successorId: 'ghost', createdAt: new Date() });
    await expect(uc.renew('acme-2025', { contractId: 'acme-2026', signedDate: '2026-01-31' })).rejects.toMatchObject({ code: 'not_allowed_in_state', message: expect.stringContaining('being renewed by ghost') });
    links.claims.set('acme-2025', { successorId: 'ghost', createdAt: new Date(Date.now() - 10 * 60_000) });
    await expect(uc.renew('acme-2025', { contractId: 'acme-2026', signedDate: '2026-01-31' })).resolves.toMatchObject({ contractId: 'acme-2026' });
    expect(created.map((t) => t.contractId)).toEqual(['acme-2026']);
    expect(links.claims.get('acme-2025')).toMatchObject({ successorId: 'acme-2026' });
  });

  it('records a link lost between the start and the insert when the renewal is sent again', async () => {
    const links = memoryLinks();
    const successor = { ...withValue, contractId: 'acme-2026', signedDate: '2026-01-31', renews: 'acme-2025' };
    const { contracts } = fakeContracts({ 'acme-2025': withValue, 'acme-2026': successor });
    const uc = createRenewalUseCases({ contracts, renewals: links });
    await expect(uc.renew('acme-2025', { contractId: 'acme-2026', signedDate: '2026-01-31' })).rejects.toMatchObject({ code: 'duplicate_contract' });
    expect(links.all).toEqual([expect.objectContaining({ predecessorId: 'acme-2025', successorId: 'acme-2026' })]);
  });

  it('lists the chain oldest first from any contract in it', async () => {
    const links = memoryLinks([link('a', 'b', 1), link('b', 'c', 2), link('c', 'd', 3)]);
    const { contracts } = fakeContracts({});
    const uc = createRenewalUseCases({ contracts, renewals: links });
    for (const from of ['a', 'b', 'd']) expect((await uc.chain(from)).map((l) => l.contractId)).toEqual(['a', 'b', 'c', 'd']);
    expect(await uc.chain('b')).toEqual([
      { contractId: 'a', renewedBy: 'b' },
      { contractId: 'b', renews: 'a', renewedBy: 'c', signedDate: '2021-01-31', renewedAt: '2021-01-31T00:00:00.000Z' },
      { contractId: 'c', renews: 'b', renewedBy: 'd', signedDate: '2022-01-31', renewedAt: '2022-01-31T00:00:00.000Z' },
      { contractId: 'd', renews: 'c', signedDate: '2023-01-31', renewedAt: '2023-01-31T00:00:00.000Z' },
    ]);
    expect(await uc.chain('z')).toEqual([{ contractId: 'z' }]);
  });
});
