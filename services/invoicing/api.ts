/**
 * The invoicing service's API. Its request and response shapes are defined once, in
 * libs/contracts/invoicing.ts (zod; types by `z.infer`), shared by this service (validation, its
 * OpenAPI document), its callers (the worker's activities, AR, the gateway) and the contract workflow.
 */
export * from '../../libs/contracts/invoicing';
