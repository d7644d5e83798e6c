/**
 * What the Temporal UI shows of a contract workflow (docs/workflow.md, "In the Temporal UI"): the
 * static summary and details given at start (the gateway), and the current details the workflow
 * keeps up to date (milestones, pending timers, hold, failed steps). Pure text builders over the
 * terms and the state — no I/O, no clock — so the workflow can call them without commands.
 */
import { transactionPrice } from '../accounting';
import type { ContractState, PendingTimer } from './contract';
import type { ContractTerms, Milestone } from './terms';

/** A decimal string with thousands separators (`120000.00` → `120,000.00`); never parsed into a number. */
export function groupedAmount(value: string): string {
  const [int = '', frac] = value.split('.');
  const sign = int.startsWith('-') ? '-' : '';
  const digits = sign ? int.slice(1) : int;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${grouped}${frac !== undefined ? `.${frac}` : ''}`;
}

/** Markdown table cells must not break the table. */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

function triggerText(m: Milestone): string {
  const t = m.trigger;
  if (t.type === 'date') return `on ${t.date}`;
  if (t.completion === 'vendor_declaration') return `vendor declaration${t.deemedAcceptanceDays !== undefined ? `, deemed accepted after ${t.deemedAcceptanceDays} days` : ''}`;
  return t.completion === 'customer_signoff' ? 'customer sign-off' : 'external event';
}

function timingText(m: Milestone): string {
  const t = m.invoiceTiming;
  if (t.type === 'immediate') return 'immediate';
  return t.type === 'days_after_acceptance' ? `${t.days} days after acceptance` : 'next billing cycle';
}

/** One line: "Contract acme-001 · Acme Corp · USD 120,000.00 · 4 milestones" (sandbox contracts say so). */
export function contractSummary(terms: ContractTerms): string {
  const n = terms.milestones.length;
  return [
    `Contract ${terms.contractId}`, terms.customer.name, `${terms.currency} ${groupedAmount(transactionPrice(terms))}`, `${n} milestone${n === 1 ? '' : 's'}`,
    ...(terms.sandbox ? [`sandbox from ${terms.sandbox.clockStart}`] : []),
  ].join(' · ');
}

/** Markdown: the customer, currency and terms, and each milestone with its amount, trigger and invoice timing. */
export function contractDetails(terms: ContractTerms): string {
  const lines = [
    `**Customer:** ${terms.customer.name} (\`${terms.customer.id}\`)`,
    `**Currency:** ${terms.currency} · **Price:** ${groupedAmount(transactionPrice(terms))} · **Payment terms:** ${terms.paymentTerms} · **Signed:** ${terms.signedDate} · **Timezone:** ${terms.timezone ?? 'UTC'}`,
    ...(terms.advanceBilling ? [`**Advance:** ${groupedAmount(terms.advanceBilling.amount)} on ${terms.advanceBilling.date}`] : []),
    ...(terms.sandbox ? [`**Sandbox:** business clock from ${terms.sandbox.clockStart} (a separate ledger)`] : []),
    '',
    '| # | Milestone | Amount | Trigger | Invoice | Planned finish |',
    '|---|---|---|---|---|---|',
    ...[...terms.milestones].sort((a, b) => a.sequence - b.sequence).map((m) => `| ${m.sequence} | ${cell(`${m.id} — ${m.name}`)} | ${groupedAmount(m.amount)}${m.billable ? '' : ' (not billed)'} | ${cell(triggerText(m))} | ${timingText(m)} | ${m.plannedFinishDate ?? '—'} |`),
  ];
  return lines.join('\n');
}

/** A timer in words with its business date: "deem go-live accepted on 2026-01-20". */
export function timerText(t: Pick<PendingTimer, 'purpose' | 'date'>): string {
  return `${t.purpose} on ${t.date}`;
}

/**
 * Markdown of the live position: the clock, the hold, each milestone's status with its dates, the
 * pending timers with their business dates, and the failed steps waiting for finance.
 */
export function liveDetails(state: ContractState, terms: ContractTerms): string {
  const ms = [...terms.milestones].sort((a, b) => a.sequence - b.sequence).map((m) => {
    const s = state.milestones[m.id];
    if (!s) return `| ${cell(m.id)} | planned | |`;
    const dates = [
      s.completedOn && `completed ${s.completedOn}`, s.declaredOn && `declared ${s.declaredOn}`,
      s.acceptedOn && `accepted ${s.acceptedOn}${s.acceptance ? ` (${s.acceptance})` : ''}`, s.invoicedOn && `invoiced ${s.invoicedOn}`,
      s.invoiceNumbers.length > 0 && s.invoiceNumbers.join(', '), s.rejection && `rejected ${s.rejection.on}: ${s.rejection.reason}`,
      s.waiting && `waiting: ${s.waiting}`, s.cancelledOn && `cancelled ${s.cancelledOn}`,
    ].filter(Boolean).join(' · ');
    return `| ${cell(m.id)} | ${s.status} | ${cell(dates)} |`;
  });
  const timers = [...state.timers].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.seq - b.seq));
  const failed = state.failedSteps.filter((f) => f.status !== 'resolved');
  return [
    `**${state.status === 'completed' ? 'Completed' : 'Active'}** · clock ${state.clock}${state.sandbox ? ' (sandbox)' : ''} · terms v${state.version} · billed ${groupedAmount(state.billed)} · recognized ${groupedAmount(state.recognizedTotal)} ${state.currency}`,
    state.hold ? `**On hold** since ${state.hold.since}${state.heldInvoices.length ? ` · queued: ${state.heldInvoices.join(', ')}` : ''}` : '',
    '',
    '| Milestone | Status | |',
    '|---|---|---|',
    ...ms,
    '',
    timers.length ? `**Pending timers** (00:00 ${terms.timezone ?? 'UTC'}):` : '**No pending timers**',
    ...timers.slice(0, 20).map((t) => `- ${t.date}: ${t.purpose}`),
    ...(timers.length > 20 ? [`- … and ${timers.length - 20} more`] : []),
    ...(failed.length ? ['', `**Failed steps** (${failed.length}, finance retries or resolves them):`, ...failed.slice(0, 10).map((f) => `- ${f.id} ${f.step}: ${f.code} — ${cell(f.message)}`)] : []),
  ].filter((l, i, all) => !(l === '' && all[i - 1] === '')).join('\n');
}
