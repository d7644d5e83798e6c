/**
 * The error codes of DESIGN §4 and §9, with their HTTP status. Pure: imported by the workflow
 * (as ApplicationFailure types), the services and the gateway.
 */
export const ERROR_STATUS = {
  validation_failed: 400,
  future_date: 422,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  duplicate_contract: 409,
  idempotency_conflict: 409,
  request_in_progress: 409,
  stale_version: 409,
  not_allowed_in_state: 409,
  window_closed: 409,
  requires_amendment: 409,
  invalid_amendment: 422,
  unbalanced_entry: 422,
  period_closed: 409,
  payload_too_large: 413,
  unavailable: 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_STATUS, value);
}

/** A refusal with a code: thrown by use cases, turned into `{code, message, details}` by the http kit. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}
