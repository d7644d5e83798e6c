/**
 * Which milestones may be billed by progress (docs/progressive-billing.md): one rule, pure (no zod),
 * for the terms schema, templates and the amendment checks the workflow makes.
 */

/** Why a milestone cannot be billed by progress (a date trigger, not billable), or null. */
export function progressBillingProblem(m: { progressBilling?: boolean; billable?: boolean; trigger?: { type?: string } }): string | null {
  if (m.progressBilling !== true) return null;
  if (m.trigger?.type === 'date') return 'a date-triggered milestone is accepted on its date; it cannot be billed by progress';
  if (m.billable === false) return 'a milestone that does not bill cannot be billed by progress';
  return null;
}
