/**
 * The reconciliation report (DESIGN §10): what the contract workflow, invoicing, AR and the revenue
 * ledger each say, side by side, with the variance of every invariant. Pure: the route gathers the
 * figures, this compares them.
 */
import { transactionPrice } from '../../libs/accounting';
import type { ContractState } from '../../libs/domain/contract';
import { currentTerms, currentVersion, openFailureCount } from '../../libs/domain/contract';
import { Dec, dec, formatMoney, sumMoney } from '../../libs/money';

export interface ReconciliationInputs {
  state: ContractState;
  invoices: Array<{ total: string }>;
  creditMemos: Array<{ total: string }>;
  receivables: Array<{ amount: string; creditedAmount?: string }>;
  balances: { ar: string; unbilled_ar: string; deferred_revenue: string; revenue: string; cash: string };
  trialBalanced: boolean;
}

export interface ReconciliationCheck {
  name: string;
  ok: boolean;
  expected: string;
  actual: string;
  variance: string;
}

export function reconcile(input: ReconciliationInputs): { contractId: string; ok: boolean; checks: ReconciliationCheck[] } {
  const { state, balances } = input;
  const cur = state.currency;
  const m = (v: InstanceType<typeof Dec>) => formatMoney(v, cur);
  const checks: ReconciliationCheck[] = [];
  const compare = (name: string, expected: InstanceType<typeof Dec>, actual: InstanceType<typeof Dec>) =>
    checks.push({ name, ok: expected.equals(actual), expected: m(expected), actual: m(actual), variance: m(actual.minus(expected)) });

  const workflowBilled = sumMoney(state.invoices.map((i) => i.amount)).minus(sumMoney(state.creditMemos.map((c) => c.amount)));
  const invoicingBilled = sumMoney(input.invoices.map((i) => i.total)).minus(sumMoney(input.creditMemos.map((c) => c.total)));
  const arBilled = sumMoney(input.receivables.map((r) => dec(r.amount).minus(r.creditedAmount ?? '0')));
  const ledgerBilled = dec(balances.ar).plus(balances.cash);
  const position = dec(balances.unbilled_ar).minus(balances.deferred_revenue);
  const revenue = dec(balances.revenue);
  const price = dec(transactionPrice(currentTerms(state), currentVersion(state).cancelled));

  compare('billed: invoicing (invoices − credit memos) = contract', workflowBilled, invoicingBilled);
  compare('billed: AR receivables (net of credits) = invoicing', invoicingBilled, arBilled);
  compare('billed: revenue ledger (ar + cash) = invoicing', invoicingBilled, ledgerBilled);
  compare('recognized: revenue ledger = contract', dec(state.recognizedTotal), revenue);
  compare('position: unbilled_ar − deferred_revenue = recognized − billed', revenue.minus(ledgerBilled), position);
  checks.push({
    name: 'position: only one of unbilled_ar and deferred_revenue is non-zero',
    ok: dec(balances.unbilled_ar).isZero() || dec(balances.deferred_revenue).isZero(),
    expected: m(new Dec(0)),
    actual: m(Dec.min(dec(balances.unbilled_ar), dec(balances.deferred_revenue))),
    variance: m(Dec.min(dec(balances.unbilled_ar), dec(balances.deferred_revenue))),
  });
  checks.push({
    name: 'recognized never above the transaction price',
    ok: revenue.lessThanOrEqualTo(price),
    expected: `≤ ${m(price)}`,
    actual: m(revenue),
    variance: m(Dec.max(revenue.minus(price), 0)),
  });
  const failed = openFailureCount(state);
  checks.push({
    name: 'no step refused by a service left unresolved (failed steps)',
    ok: failed === 0,
    expected: '0',
    actual: String(failed),
    variance: String(failed),
  });
  checks.push({ name: 'every journal entry balances (trial balance)', ok: input.trialBalanced, expected: 'balanced', actual: input.trialBalanced ? 'balanced' : 'unbalanced', variance: m(new Dec(0)) });
  return { contractId: state.contractId, ok: checks.every((c) => c.ok), checks };
}
