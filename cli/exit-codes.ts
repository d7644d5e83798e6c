/**
 * The CLI's exit codes, one per class of failure (docs/cli.md), and the one place that decides the
 * class of an API error. Pure: no I/O, tested alone (test/unit/cli-exit-codes.test.ts).
 */
import { ERROR_STATUS, isErrorCode } from '../libs/domain/errors';

export const EXIT = {
  ok: 0,
  /** Anything not foreseen: a bug (in the CLI, or a 5xx other than unavailable). */
  bug: 1,
  /** A bad command line: unknown command or option, missing or extra arguments, an unreadable file. */
  usage: 2,
  /** The API refused the request (a 4xx business or validation refusal). */
  refused: 3,
  notFound: 4,
  /** The API cannot be reached or answers 502/503/504: try again later. */
  unavailable: 5,
  /** No valid API key (401), or the key's role may not do this (403). */
  unauthorized: 6,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * The exit code for a failure: the API's error `code` decides when it is one the API defines
 * (libs/domain/errors.ts), else the HTTP `status`. The CLI's own codes: `usage` and `file` (a bad
 * command line), `unavailable` (the API cannot be reached, no status).
 */
export function exitCodeFor(failure: { code?: string; status?: number }): ExitCode {
  if (failure.code === 'usage' || failure.code === 'file') return EXIT.usage;
  const status = isErrorCode(failure.code) ? ERROR_STATUS[failure.code] : failure.status;
  if (status === undefined) return EXIT.bug;
  if (status === 404) return EXIT.notFound;
  if (status === 401 || status === 403) return EXIT.unauthorized;
  if (status === 502 || status === 503 || status === 504) return EXIT.unavailable;
  if (status >= 400 && status < 500) return EXIT.refused;
  return EXIT.bug;
}
