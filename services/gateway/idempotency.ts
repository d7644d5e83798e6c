/**
 * `Idempotency-Key` on mutating requests, with Stripe's semantics (DESIGN §9): the first request
 * under a key claims it and its response is saved; a replay gets the saved status and body with
 * `Idempotent-Replayed: true` and no second effect; the same key with another request is refused
 * `idempotency_conflict`; a duplicate arriving while the first is in flight gets
 * `request_in_progress`. Keys are scoped to the caller (API key name, or webhook source).
 * Responses that a retry may change are not saved: 5xx (the service was unavailable) and 400
 * `validation_failed` (nothing was attempted) give the key back.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AppError } from '../../libs/domain/errors';
import { requestHash } from '../../libs/idempotency';
import type { IdempotencyRepository } from './data/idempotency';

export interface IdempotencyClaim {
  identity: string;
  key: string;
}

export const REPLAYED_HEADER = 'Idempotent-Replayed';

export function idempotencyKeyOf(req: Request): string | undefined {
  const header = req.get('idempotency-key');
  if (header === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(header)) {
    throw new AppError('validation_failed', 'the Idempotency-Key header must be 1–255 visible ASCII characters', [
      { path: 'header.Idempotency-Key', message: 'must be 1–255 visible ASCII characters' },
    ]);
  }
  return header;
}

/**
 * Middleware: runs the rest of the request once per claim (`claimOf` returns undefined when the
 * request carries no key), answering duplicates from the saved response.
 */
export function idempotencyGuard(repo: IdempotencyRepository, claimOf: (req: Request) => IdempotencyClaim | undefined): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const claim = claimOf(req);
    if (!claim) return next();
    const path = req.originalUrl.split('?')[0]!;
    const hash = requestHash({ method: req.method, path, body: req.body ?? null });
    const result = await repo.claim({ ...claim, method: req.method, path, requestHash: hash });
    if (result.kind === 'existing') {
      const r = result.record;
      if (r.requestHash !== hash) {
        throw new AppError('idempotency_conflict', `idempotency key ${claim.key} was already used with a different request (${r.method} ${r.path})`);
      }
      if (r.state !== 'done') {
        throw new AppError('request_in_progress', `a request with idempotency key ${claim.key} is still in progress; retry later`);
      }
      res.setHeader(REPLAYED_HEADER, 'true');
      res.status(r.status ?? 200).json(JSON.parse(r.body ?? 'null'));
      return;
    }
    const send = res.json.bind(res);
    let saved = false;
    res.json = (body: unknown) => {
      if (saved) return send(body);
      saved = true;
      const status = res.statusCode;
      const retryable = status >= 500 || (body as { code?: string } | undefined)?.code === 'validation_failed';
      void (retryable ? repo.release(result.id) : repo.complete(result.id, status, body)).then(
        () => send(body),
        (err: unknown) => {
          req.log.error({ err, key: claim.key }, 'could not save the idempotent response');
          send(body);
        },
      );
      return res;
    };
    next();
  };
}
