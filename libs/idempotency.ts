/**
 * Idempotency for service writes (DESIGN §2): every create carries a key; the key is a unique index
 * on the resource; a replay with the same body returns the original, a replay with another body is
 * refused `idempotency_conflict`.
 */
import { createHash } from 'node:crypto';
import { AppError } from './domain/errors';
import { isDuplicateKeyError } from './mongo';

/** A stable hash of a JSON body (object keys sorted), stored beside the key. */
export function requestHash(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** Throws `idempotency_conflict` when a stored request under this key had another body. */
export function assertSameRequest(key: string, storedHash: string, hash: string): void {
  if (storedHash !== hash) {
    throw new AppError('idempotency_conflict', `idempotency key ${key} was already used with a different request body`);
  }
}

export function requireIdempotencyKey(header: string | undefined): string {
  if (!header || !/^[\x21-\x7e]{1,255}$/.test(header)) {
    throw new AppError('validation_failed', 'the Idempotency-Key header is required (1–255 visible ASCII characters)', [
      { path: 'header.Idempotency-Key', message: 'required' },
    ]);
  }
  return header;
}

/**
 * Creates a document once per idempotency key. The insert comes first and the unique index on the
 * key decides: a new key costs one insert, no lookup. When the key is taken (a replay, or a
 * concurrent duplicate that won the insert) the stored document is read and returned, if its body
 * matches. A caller that has just looked the key up passes what it found as `known` (the stored
 * document is then returned without a write).
 */
export async function createOnce<D extends { idempotencyKey: string; requestHash: string }>(
  store: { findByKey(key: string): Promise<D | null>; insert(doc: D): Promise<void> },
  key: string,
  hash: string,
  build: () => D,
  known?: D | null,
): Promise<{ doc: D; created: boolean }> {
  if (known) {
    assertSameRequest(key, known.requestHash, hash);
    return { doc: known, created: false };
  }
  const doc = build();
  try {
    await store.insert(doc);
    return { doc, created: true };
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    const winner = await store.findByKey(key);
    if (!winner) throw err;
    assertSameRequest(key, winner.requestHash, hash);
    return { doc: winner, created: false };
  }
}

/** Drops the storage-only fields of a document before it leaves a service. */
export function withoutStorageFields<D extends { idempotencyKey: string; requestHash: string }>(
  doc: D,
): Omit<D, 'idempotencyKey' | 'requestHash' | '_id'> {
  const { idempotencyKey, requestHash: hash, _id, ...rest } = doc as D & { _id?: unknown };
  void idempotencyKey;
  void hash;
  void _id;
  return rest;
}
