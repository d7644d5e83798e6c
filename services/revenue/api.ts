/**
 * The revenue service's API. Its request and response shapes are defined once, in
 * libs/contracts/revenue.ts (zod; types by `z.infer`), shared by this service (validation, its
 * OpenAPI document), its callers (the worker's activities, AR, the gateway) and the contract workflow.
 */
export * from '../../libs/contracts/revenue';

/** The ledger an entry belongs to: the real books, or the contract's own sandbox ledger. */
export function ledgerFor(contractId: string, sandbox: boolean): string {
  return sandbox ? `sandbox:${contractId}` : 'books';
}
