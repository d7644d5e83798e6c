/**
 * What the merged terms of an amendment must still satisfy that the workflow's amendment rules do
 * not check (DESIGN §11, docs/templates.md): at least one SSP above zero, and `contractValue`
 * matching the billable milestones not cancelled. The terms are merged once; the gateway refuses
 * such an amendment `validation_failed` before sending it. A stale baseVersion and malformed or
 * negative amounts are left to the workflow (`stale_version`, `invalid_amendment`).
 */
import { mergeAmendment } from './amendment';
import type { AmendInput } from './inputs';
import { contractValueProblem, hasPositiveSsp, SSP_ABOVE_ZERO, type ContractTerms } from './terms';

export interface AmendmentRefusal {
  message: string;
  details: Array<{ path: string; message: string }>;
}

/** The first problem of the merged terms, or null; `current` and `cancelled` are the version the amendment is based on. */
export function mergedTermsProblem(current: ContractTerms, cancelled: readonly string[], amendment: Pick<AmendInput, 'changes'>): AmendmentRefusal | null {
  const changes = amendment.changes;
  const sspChanges = changes.obligations ?? [];
  const merged = mergeAmendment(current, changes);
  if (sspChanges.some((o) => o.ssp !== undefined) && !sspChanges.some((o) => o.ssp?.startsWith('-')) && !hasPositiveSsp(merged.obligations)) {
    return {
      message: `invalid body: ${SSP_ABOVE_ZERO}`,
      details: sspChanges.flatMap((o, i) => (o.ssp !== undefined ? [{ path: `body.changes.obligations.${i}.ssp`, message: SSP_ABOVE_ZERO }] : [])),
    };
  }
  const problem = contractValueProblem(merged, [...cancelled, ...(changes.cancel ?? [])]);
  if (problem === null) return null;
  const path = changes.contractValue !== undefined ? 'body.changes.contractValue' : 'body.changes';
  return { message: `invalid body: ${path} ${problem}`, details: [{ path, message: problem }] };
}
