/**
 * The reconciliation report (DESIGN §10): what the contract workflow, invoicing, AR and the revenue
 * ledger each say, side by side, with the variance of every invariant. `reconcile` is pure (it
 * compares the figures); `createReconciliationUseCase` gathers them from the workflow and the
 * three services.
 */
import { transactionPrice } from '../../libs/accounting';
import type { Receivable } from '../../libs/contracts/ar';
import type { CreditMemo, Invoice } from '../../libs/contracts/invoicing';
import type { Balances } from '../../libs/contracts/revenue';
import type { ContractState } from '../../libs/domain/contract';
import type { ServiceClient } from '../../libs/service-client';
import type { ContractUseCases } from './contracts';
import { currentTerms, currentVersion, openFailureCount } from '../../libs/domain/contract';
import { Dec, dec, formatMoney, sumMoney } from '../../libs/money';

export interface ReconciliationInputs {
  state: ContractState;
  invoices: Array<{ total: string }>;
  creditMemos: Array<{ total: string }>;
  receivables: Array<{ amount: string; creditedAmount?: string }>;
  balances: Balances;
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

export type ReconciliationReport = ReturnType<typeof reconcile>;

/**
 * Reads what each part says about the contract — its state, invoicing's invoices and credit memos,
 * AR's receivables, the ledger's balances and trial balance — and reconciles them.
 */
export function createReconciliationUseCase(deps: {
  contracts: ContractUseCases;
  services: { invoicing: ServiceClient; revenue: ServiceClient; ar: ServiceClient };
}) {
  return async function reconciliationOf(contractId: string): Promise<{ state: ContractState; report: ReconciliationReport }> {
    const { contracts, services } = deps;
    const state = await contracts.state(contractId);
    const scope = { contractId: state.contractId, sandbox: String(state.sandbox), limit: '500' };
    const ledger = { contractId: state.contractId, sandbox: String(state.sandbox) };
    const [invoices, creditMemos, receivables, balances, trial] = await Promise.all([
      services.invoicing.get<{ data: Invoice[] }>('/invoices', scope),
      services.invoicing.get<{ data: CreditMemo[] }>('/credit-memos', scope),
      services.ar.get<{ data: Receivable[] }>('/receivables', scope),
      services.revenue.get<{ balances: Balances }>('/reports/balances', ledger),
      services.revenue.get<{ balanced: boolean }>('/reports/trial-balance', ledger),
    ]);
    const report = reconcile({
      state, invoices: invoices.data, creditMemos: creditMemos.data, receivables: receivables.data, balances: balances.balances, trialBalanced: trial.balanced,
    });
    return { state, report };
  };
}
