/**
 * Revenue use cases: revenue plans, postings and period closes, each exactly once per idempotency
 * key. The rules themselves (allocation, progress, cumulative recognition, the contract-position
 * entry, the closed-period shift) live in libs/accounting; this file only feeds them the facts.
 *
 * Consistency without transactions: a posting's only write is its journal entry, which carries
 * the contract's facts after it. The next posting for the contract reads the latest entry (by
 * `seq`) and inserts seq + 1; the unique index {ledger, contractId, seq} lets exactly one of two
 * racing writers win, and the loser recomputes from the winner's facts.
 */
import { randomUUID } from 'node:crypto';
import {
  ACCOUNTS,
  allocatePrice,
  catchUp,
  contractPosition,
  cumulativeRecognized,
  isBalanced,
  paymentEntry,
  positionEntry,
  postingDateFor,
  transactionPrice,
  type Account,
  type JournalLine,
  type TermsForRevenue,
} from '../../libs/accounting';
import { lastDayOfMonth, maxDate } from '../../libs/dates';
import { AppError } from '../../libs/domain/errors';
import { assertSameRequest, requestHash, withoutStorageFields } from '../../libs/idempotency';
import { Dec, dec, formatMoney } from '../../libs/money';
import { isDuplicateKeyError } from '../../libs/mongo';
import {
  closePeriodSchema,
  ledgerFor,
  postPlanSchema,
  type Balances,
  type ContractEventPosting,
  type ContractFacts,
  type JournalEntry,
  type PlanResult,
  type Position,
  type Posting,
} from './api';
import type { EntryDoc, EntryRepository } from './data/entries';
import type { PeriodRepository } from './data/periods';
import type { PlanDoc, PlanRepository } from './data/plans';
import type { z } from 'zod';

type PlanInput = z.output<typeof postPlanSchema>;
/** What the rules need of a stored plan. */
export type PlanRules = Pick<PlanDoc, 'currency' | 'obligations' | 'milestones' | 'cancelled' | 'version' | 'effectiveDate'>;
type CloseInput = z.output<typeof closePeriodSchema>;

/** Debit-normal accounts show debit − credit; credit-normal ones credit − debit (DESIGN §6). */
export const DEBIT_NORMAL: ReadonlySet<Account> = new Set<Account>(['ar', 'unbilled_ar', 'cash']);

export function balancesOf(entries: readonly { lines: readonly JournalLine[] }[], currency: string): Balances {
  const totals = Object.fromEntries(ACCOUNTS.map((a) => [a, new Dec(0)])) as Record<Account, Dec>;
  for (const e of entries) {
    for (const l of e.lines) {
      const signed = new Dec(l.debit).minus(l.credit);
      totals[l.account] = totals[l.account].plus(DEBIT_NORMAL.has(l.account) ? signed : signed.negated());
    }
  }
  return Object.fromEntries(ACCOUNTS.map((a) => [a, formatMoney(totals[a], currency)])) as Balances;
}

/** A contract before its first entry. */
function emptyState(currency: string): { facts: ContractFacts; recognized: Record<string, string>; position: Position } {
  const zero = formatMoney('0', currency);
  return {
    facts: { planVersion: 0, accepted: [], costToDate: {}, ratableThrough: {} },
    recognized: {},
    position: { billed: zero, recognized: zero },
  };
}

function termsOf(plan: PlanRules): TermsForRevenue {
  return { currency: plan.currency, obligations: plan.obligations, milestones: plan.milestones };
}

function cumulativeFor(plan: PlanRules, facts: ContractFacts): Record<string, string> {
  return cumulativeRecognized(termsOf(plan), {
    accepted: facts.accepted,
    cancelled: plan.cancelled,
    costToDate: facts.costToDate,
    ratableThrough: facts.ratableThrough,
  });
}

function invalid(path: string, message: string): AppError {
  return new AppError('validation_failed', `invalid body: ${path} ${message}`, [{ path, message }]);
}

export type NewEntry = Omit<EntryDoc, 'entryId' | 'idempotencyKey' | 'requestHash' | 'seq' | 'createdAt' | 'ledger' | 'contractId'>;

/** The contract's state after its latest entry. */
export function stateOf(latest: Pick<JournalEntry, 'facts' | 'recognized' | 'position'> | null, currency: string) {
  return latest ? { facts: latest.facts, recognized: latest.recognized, position: latest.position } : emptyState(currency);
}

/** Builds a contract-position entry (DESIGN §6) for `billed` and `revenue` against the previous position. */
export function positionLines(currency: string, before: Position, billed: string, revenue: string): JournalLine[] {
  const { unbilledAr, deferredRevenue } = contractPosition(before.recognized, before.billed, currency);
  return positionEntry({ currency, unbilledAr, deferredRevenue, billed, recognized: revenue });
}


/** The new facts after a contract event's progress, checked against the plan. */
export function progressFacts(plan: PlanRules, facts: ContractFacts, input: ContractEventPosting): ContractFacts {
  const p = input.progress;
  if (!p) return { ...facts, planVersion: plan.version };
  const milestoneIds = new Set(plan.milestones.map((m) => m.id));
  const obligation = (id: string) => plan.obligations.find((o) => o.id === id);
  const accepted = [...facts.accepted];
  (p.accepted ?? []).forEach((m, i) => {
    if (!milestoneIds.has(m)) throw invalid(`body.progress.accepted.${i}`, `unknown milestone ${m} in plan v${plan.version}`);
    if (!accepted.includes(m)) accepted.push(m);
  });
  const costToDate = { ...facts.costToDate };
  if (p.cost) {
    if (!obligation(p.cost.obligationId)) throw invalid('body.progress.cost.obligationId', `unknown obligation ${p.cost.obligationId}`);
    costToDate[p.cost.obligationId] = formatMoney(dec(costToDate[p.cost.obligationId] ?? '0').plus(p.cost.amount), plan.currency);
  }
  const ratableThrough = { ...facts.ratableThrough };
  if (p.ratableThrough !== undefined) {
    const targets = p.ratableObligations ?? plan.obligations.filter((o) => o.recognition.method === 'ratable').map((o) => o.id);
    targets.forEach((id, i) => {
      if (obligation(id)?.recognition.method !== 'ratable') throw invalid(`body.progress.ratableObligations.${i}`, `${id} is not a ratable obligation`);
      const before = ratableThrough[id];
      ratableThrough[id] = before === undefined ? p.ratableThrough! : maxDate(before, p.ratableThrough!);
    });
  }
  return { planVersion: plan.version, accepted, costToDate, ratableThrough };
}

export type ContractState = ReturnType<typeof stateOf>;

/** The entry of a plan's catch-up against the contract's state (DESIGN §6 amendments). */
export function catchUpEntry(plan: PlanRules, s: ContractState, postingDate: string): NewEntry {
  const cum = cumulativeFor(plan, s.facts);
  const d = catchUp(cum, s.recognized, plan.currency);
  const zero = formatMoney('0', plan.currency);
  return {
    kind: 'amendment',
    currency: plan.currency,
    eventDate: plan.effectiveDate,
    postingDate,
    source: { type: 'amendment', ref: `v${plan.version}` },
    lines: positionLines(plan.currency, s.position, zero, d.total),
    billed: zero,
    revenue: d.total,
    recognized: cum,
    position: { billed: s.position.billed, recognized: formatMoney(dec(s.position.recognized).plus(d.total), plan.currency) },
    facts: { ...s.facts, planVersion: plan.version },
  };
}

/** The entry of a contract event: billed + the recognized delta from its progress, net (DESIGN §6). */
export function contractEventEntry(plan: PlanRules | null, s: ContractState, input: ContractEventPosting, postingDate: string): NewEntry {
  const billed = formatMoney(input.billed, input.currency);
  let facts = s.facts;
  let recognized = s.recognized;
  let revenue = formatMoney(input.recognized ?? '0', input.currency);
  if (plan) {
    facts = progressFacts(plan, s.facts, input);
    recognized = cumulativeFor(plan, facts);
    revenue = catchUp(recognized, s.recognized, input.currency).total;
  }
  return {
    kind: 'contract_event',
    currency: input.currency,
    eventDate: input.eventDate,
    postingDate,
    source: input.source,
    lines: positionLines(input.currency, s.position, billed, revenue),
    billed,
    revenue,
    recognized,
    position: {
      billed: formatMoney(dec(s.position.billed).plus(billed), input.currency),
      recognized: formatMoney(dec(s.position.recognized).plus(revenue), input.currency),
    },
    facts,
  };
}

export function createLedgerUseCases(
  repos: { entries: EntryRepository; plans: PlanRepository; periods: PeriodRepository },
  now: () => Date = () => new Date(),
) {
  const { entries: repo, plans, periods } = repos;

  async function closedPeriods(ledger: string): Promise<Set<string>> {
    return new Set((await periods.list(ledger)).map((p) => p.period));
  }

  /**
   * Appends one entry to a contract's sequence exactly once per key. `build` gets the contract's
   * latest entry (its current facts) and returns the new entry, or throws a refusal. The insert is
   * the check: its key and its `seq` are unique, so a key already used (a replay, a concurrent
   * duplicate) or a sequence moved on by another writer makes it fail; then the key is looked up
   * (a stored entry is the answer) and otherwise the entry is recomputed from the new latest.
   * `latest`: the latest entry the caller has just read (saves reading it again).
   */
  async function append(
    ledger: string,
    contractId: string,
    key: string,
    hash: string,
    build: (latest: EntryDoc | null) => Promise<NewEntry> | NewEntry,
    latest?: EntryDoc | null,
  ): Promise<{ doc: EntryDoc; created: boolean }> {
    let last = latest === undefined ? await repo.latest(ledger, contractId) : latest;
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const next = await build(last);
      if (!isBalanced(next.lines)) throw new AppError('unbalanced_entry', 'the entry does not balance', { lines: next.lines });
      // A posting that changes no balance is no journal entry; its facts still join the sequence.
      const changes = next.lines.some((l) => !dec(l.debit).isZero() || !dec(l.credit).isZero());
      const doc: EntryDoc = {
        entryId: randomUUID(),
        idempotencyKey: key,
        requestHash: hash,
        ledger,
        contractId,
        seq: (last?.seq ?? 0) + 1,
        ...next,
        period: next.postingDate.slice(0, 7),
        ...(changes ? {} : { lines: [], journal: false as const }),
        createdAt: now().toISOString(),
      };
      try {
        await repo.insert(doc);
        return { doc, created: true };
      } catch (err) {
        // Another writer took this key or this seq: the key's entry is the answer, else recompute.
        if (!isDuplicateKeyError(err)) throw err;
      }
      const existing = await repo.findByKey(key);
      if (existing) {
        assertSameRequest(key, existing.requestHash, hash);
        return { doc: existing, created: false };
      }
      last = await repo.latest(ledger, contractId);
    }
    throw new AppError('request_in_progress', `contract ${contractId} is being posted to concurrently; retry`);
  }

  /**
   * Posts a plan's cumulative catch-up (DESIGN §6 amendments) unless the contract's facts already
   * use this plan version. Zero catch-ups post nothing. Also run before any posting whose facts
   * lag the latest plan, so a catch-up lost to a crash between the plan write and its entry is
   * posted before later events.
   */
  async function applyPlan(plan: PlanDoc, read?: { latest: EntryDoc | null; closed: Set<string> }): Promise<EntryDoc | null> {
    // With the contract's latest entry just read (`read`): facts behind this plan mean its
    // catch-up entry is not stored (entries after it would carry its version), so no key lookup.
    if (!read) {
      const existing = await repo.findByKey(plan.entryKey);
      if (existing) return existing;
    }
    const latest = read ? read.latest : await repo.latest(plan.ledger, plan.contractId);
    const state = stateOf(latest, plan.currency);
    if (state.facts.planVersion >= plan.version) return null;
    const cumulative = cumulativeFor(plan, state.facts);
    const delta = catchUp(cumulative, state.recognized, plan.currency);
    if (Object.values(delta.perObligation).every((v) => dec(v).isZero())) return null;
    const postingDate = postingDateFor(plan.effectiveDate, read ? read.closed : await closedPeriods(plan.ledger));
    const { doc } = await append(plan.ledger, plan.contractId, plan.entryKey, plan.requestHash, (l) => catchUpEntry(plan, stateOf(l, plan.currency), postingDate), latest);
    return doc;
  }

  function planResult(plan: PlanDoc, entry: EntryDoc | null): PlanResult {
    return {
      plan: {
        contractId: plan.contractId,
        ledger: plan.ledger,
        version: plan.version,
        effectiveDate: plan.effectiveDate,
        currency: plan.currency,
        transactionPrice: plan.transactionPrice,
        allocated: plan.allocated,
      },
      entry: entry ? withoutStorageFields(entry) : null,
      recognized: entry ? entry.recognized : plan.result.recognized,
      position: entry ? entry.position : plan.result.position,
    };
  }

  /**
   * A contract event: the plan, the latest entry and the closed months are read at once; a plan
   * the facts have not caught up with yet (the first event after a plan, or a crash between a plan
   * and its catch-up) is applied first.
   */
  async function postContractEvent(input: ContractEventPosting, key: string, hash: string, ledger: string) {
    const [plan, latest, closed] = await Promise.all([plans.latest(ledger, input.contractId), repo.latest(ledger, input.contractId), closedPeriods(ledger)]);
    if (!plan && input.recognized === undefined) throw new AppError('not_found', `no revenue plan for contract ${input.contractId}`);
    if (plan && input.recognized !== undefined) {
      throw invalid('body.recognized', 'contract has a revenue plan: its revenue comes from progress, not an explicit amount');
    }
    if (plan && plan.currency !== input.currency) throw invalid('body.currency', `the contract's plan is in ${plan.currency}`);
    // Usually caught up: the contract's entries already carry the plan's version.
    const caughtUp = !plan || stateOf(latest, input.currency).facts.planVersion >= plan.version;
    const caughtUpNow = caughtUp ? null : await applyPlan(plan, { latest, closed });
    const postingDate = postingDateFor(input.eventDate, closed);
    // After a catch-up entry the latest entry is read again; with none posted, it is still `latest`.
    return append(ledger, input.contractId, key, hash, (l) => contractEventEntry(plan, stateOf(l, input.currency), input, postingDate), caughtUpNow ? undefined : latest);
  }

  async function postPayment(input: Extract<Posting, { kind: 'payment' }>, key: string, hash: string, ledger: string) {
    const [latest, closed] = await Promise.all([repo.latest(ledger, input.contractId), closedPeriods(ledger)]);
    return append(ledger, input.contractId, key, hash, (l) => {
      const s = stateOf(l, input.currency);
      return {
        kind: 'payment',
        currency: input.currency,
        eventDate: input.eventDate,
        postingDate: postingDateFor(input.eventDate, closed),
        source: input.source,
        lines: paymentEntry(input.amount, input.currency),
        billed: formatMoney('0', input.currency),
        revenue: formatMoney('0', input.currency),
        recognized: s.recognized,
        position: s.position,
        facts: s.facts,
      };
    }, latest);
  }

  return {
    /**
     * POST /postings: a contract event (billing and progress, DESIGN §6) or a payment. The key is
     * not looked up first: the entry's insert fails on a known key and `append` answers the stored
     * entry. A replay refused while computing (the plan has changed since, say) is answered the
     * stored entry too: the key is looked up before any refusal leaves.
     */
    async post(input: Posting, key: string): Promise<{ entry: JournalEntry; created: boolean }> {
      const ledger = ledgerFor(input.contractId, input.sandbox);
      const hash = requestHash(input);
      try {
        const { doc, created } = input.kind === 'contract_event'
          ? await postContractEvent(input, key, hash, ledger)
          : await postPayment(input, key, hash, ledger);
        return { entry: withoutStorageFields(doc), created };
      } catch (err) {
        if (!(err instanceof AppError) || err.code === 'idempotency_conflict') throw err;
        const known = await repo.findByKey(key);
        if (!known) throw err;
        assertSameRequest(key, known.requestHash, hash);
        return { entry: withoutStorageFields(known), created: false };
      }
    },

    /** POST /plans: the revenue plan of terms version N; a later version posts its catch-up. */
    async plan(input: PlanInput, key: string): Promise<{ result: PlanResult; created: boolean }> {
      const ledger = ledgerFor(input.contractId, input.sandbox);
      const hash = requestHash(input);
      const replay = async (known: PlanDoc) => {
        assertSameRequest(key, known.requestHash, hash);
        return { result: planResult(known, (await applyPlan(known)) ?? (await repo.findByKey(known.entryKey))), created: false };
      };
      // The latest plan is read anyway (a version must be above it); a replay usually finds its own
      // plan there, so the key is looked up only when that is not so and the request is refused.
      const [previous, latest] = await Promise.all([plans.latest(ledger, input.contractId), repo.latest(ledger, input.contractId)]);
      if (previous?.idempotencyKey === key) return replay(previous);
      let draft: PlanDoc;
      try {
        if (previous && input.version <= previous.version) {
          throw new AppError('stale_version', `contract ${input.contractId} already has revenue plan v${previous.version}`);
        }
        let allocated: Record<string, string>;
        try {
          allocated = allocatePrice(input, input.cancelled);
        } catch (err) {
          throw invalid('body.obligations', `cannot allocate the price: ${(err as Error).message}`);
        }
        const state = stateOf(latest, input.currency);
        draft = {
          ...input,
          ledger,
          idempotencyKey: key,
          requestHash: hash,
          transactionPrice: transactionPrice(input, input.cancelled),
          allocated,
          entryKey: `plan:${ledger}:${input.contractId}:v${input.version}:catch-up`,
          result: { recognized: state.recognized, position: state.position, posted: false },
          createdAt: now().toISOString(),
        };
        const cumulative = cumulativeFor(draft, state.facts);
        const delta = catchUp(cumulative, state.recognized, input.currency);
        draft.result = {
          recognized: cumulative,
          position: { billed: state.position.billed, recognized: formatMoney(dec(state.position.recognized).plus(delta.total), input.currency) },
          posted: Object.values(delta.perObligation).some((v) => !dec(v).isZero()),
        };
      } catch (err) {
        // Refused: unless the key is known (a replay of an older version, or another body: 409).
        if (!(err instanceof AppError)) throw err;
        const known = await plans.findByKey(key);
        if (known) return replay(known);
        throw err;
      }
      try {
        await plans.insert(draft);
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        const winner = await plans.findByKey(key);
        if (!winner) throw new AppError('stale_version', `contract ${input.contractId} already has revenue plan v${input.version}`);
        return replay(winner);
      }
      // A contract's first plan: until it was stored no posting could change the contract's facts
      // (progress needs a plan), so the catch-up computed above is the one; when it is zero (it
      // always is for a first plan) there is nothing to post and nothing to read again.
      if (!previous && !draft.result.posted) return { result: planResult(draft, null), created: true };
      return { result: planResult(draft, await applyPlan(draft)), created: true };
    },

    /** The contract's revenue plans, every version. */
    async plans(contractId: string, sandbox: boolean) {
      return (await plans.list(ledgerFor(contractId, sandbox), contractId)).map((p) => withoutStorageFields(p));
    },

    /** POST /periods/close: only a month that has ended; a second close is `ignored`. */
    async closePeriod(input: CloseInput): Promise<{ ledger: string; period: string; outcome: 'closed' | 'ignored'; closedAt: string }> {
      const ledger = input.sandbox ? ledgerFor(input.contractId!, true) : 'books';
      const asOf = input.asOf ?? now().toISOString().slice(0, 10);
      const existing = await periods.find(ledger, input.period);
      if (existing) return { ledger, period: input.period, outcome: 'ignored', closedAt: existing.closedAt };
      const lastDay = lastDayOfMonth(`${input.period}-01`);
      if (asOf <= lastDay) {
        throw new AppError('not_allowed_in_state', `period ${input.period} has not ended (as of ${asOf}); only an ended month can be closed`);
      }
      const doc = { ledger, period: input.period, closedAt: now().toISOString(), asOf };
      try {
        await periods.insert(doc);
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        const winner = await periods.find(ledger, input.period);
        return { ledger, period: input.period, outcome: 'ignored', closedAt: winner?.closedAt ?? doc.closedAt };
      }
      return { ledger, period: input.period, outcome: 'closed', closedAt: doc.closedAt };
    },

    async closedPeriods(ledger: string) {
      return (await periods.list(ledger)).map(({ period, closedAt, asOf }) => ({ period, closedAt, asOf }));
    },

    async entries(filter: { contractId?: string; sandbox?: boolean }, limit: number, offset: number): Promise<JournalEntry[]> {
      const ledger = filter.contractId && filter.sandbox !== undefined ? ledgerFor(filter.contractId, filter.sandbox) : undefined;
      return (await repo.list({ ledger, contractId: filter.contractId }, limit, offset)).map(withoutStorageFields);
    },

    async balances(contractId: string, sandbox: boolean, asOf?: string): Promise<Balances> {
      const ledger = ledgerFor(contractId, sandbox);
      const entries = await repo.list({ ledger, contractId, postingDateTo: asOf });
      return balancesOf(entries, entries[0]?.currency ?? 'USD');
    },
  };
}

export type LedgerUseCases = ReturnType<typeof createLedgerUseCases>;
