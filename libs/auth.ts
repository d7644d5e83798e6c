/**
 * Access control of the public API (DESIGN §9): API keys → role and optional customer scope, and
 * HMAC-signed webhooks for delivery systems. Keys are configured (never in code) and kept hashed:
 * only the sha256 of a key is stored; a presented key is hashed and looked up, then compared in
 * constant time.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AppError } from './domain/errors';

export const ROLES = ['delivery', 'approver', 'finance', 'support', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What a caller may do; `admin` may do everything, every role may read. */
export type Permission = 'read' | 'deliver' | 'approve' | 'manage';

const GRANTS: Record<Role, readonly Permission[]> = {
  delivery: ['read', 'deliver'],
  approver: ['read', 'approve'],
  finance: ['read', 'manage'],
  support: ['read'],
  admin: ['read', 'deliver', 'approve', 'manage'],
};

/** The roles holding a permission (for error messages and the API docs). */
export function rolesFor(permission: Permission): Role[] {
  return ROLES.filter((r) => GRANTS[r].includes(permission));
}

/** Who is calling: an API key's name, role and scope (or the open-mode admin, or a webhook source). */
export interface Principal {
  name: string;
  role: Role;
  /** Set for a customer-scoped key: it sees and acts on this customer's contracts only. */
  customerId?: string;
}

export const OPEN_PRINCIPAL: Principal = { name: 'open-mode', role: 'admin' };

const sha256Hex = /^[0-9a-f]{64}$/;
const apiKeyEntry = z.object({
  name: z.string().min(1).max(100),
  keyHash: z.string().toLowerCase().regex(sha256Hex, 'must be the sha256 of the key, 64 hex digits'),
  role: z.enum(ROLES),
  customerId: z.string().min(1).max(100).optional(),
}).strict();
const apiKeyList = z.array(apiKeyEntry).superRefine((keys, ctx) => {
  const seen = new Set<string>();
  for (const [i, k] of keys.entries()) {
    if (seen.has(k.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate key name ${k.name}` });
    seen.add(k.name);
  }
});
export type ApiKeyEntry = z.infer<typeof apiKeyEntry>;

/** The sha256 hex of an API key: what the configuration stores. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

function parseJson<T>(text: string, schema: z.ZodType<T>, where: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${where} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`${where} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** Reads the configured keys (inline JSON and/or a file); empty when none are configured. */
export function loadApiKeys(config: { TOLLGATE_API_KEYS?: string; TOLLGATE_API_KEYS_FILE?: string }): ApiKeyEntry[] {
  const keys: ApiKeyEntry[] = [];
  if (config.TOLLGATE_API_KEYS?.trim()) keys.push(...parseJson(config.TOLLGATE_API_KEYS, apiKeyList, 'TOLLGATE_API_KEYS'));
  if (config.TOLLGATE_API_KEYS_FILE) {
    let text: string;
    try {
      text = readFileSync(config.TOLLGATE_API_KEYS_FILE, 'utf8');
    } catch (err) {
      throw new Error(`TOLLGATE_API_KEYS_FILE cannot be read: ${(err as Error).message}`);
    }
    keys.push(...parseJson(text, apiKeyList, `TOLLGATE_API_KEYS_FILE (${config.TOLLGATE_API_KEYS_FILE})`));
  }
  apiKeyList.parse(keys);
  return keys;
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The presented key: `Authorization: Bearer <key>` or `X-Api-Key: <key>`. */
export function presentedKey(headers: { authorization?: string; 'x-api-key'?: string | string[] }): string | undefined {
  const auth = headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m ? m[1] : undefined;
  }
  const x = headers['x-api-key'];
  return typeof x === 'string' && x.length > 0 ? x : undefined;
}

export interface Authenticator {
  /** True when no keys are configured: every caller is admin (local development). */
  readonly open: boolean;
  /** The caller of a request, or 401 `unauthorized`. */
  authenticate(headers: { authorization?: string; 'x-api-key'?: string | string[] }): Principal;
}

export function createAuthenticator(keys: ApiKeyEntry[]): Authenticator {
  const entries = keys.map((k) => ({ ...k, keyHash: k.keyHash.toLowerCase() }));
  return {
    open: entries.length === 0,
    authenticate(headers) {
      if (entries.length === 0) return OPEN_PRINCIPAL;
      const key = presentedKey(headers);
      if (!key) throw new AppError('unauthorized', 'an API key is required: send Authorization: Bearer <key> (or X-Api-Key)');
      const hash = hashApiKey(key);
      // Compare against every entry (constant time each), so timing tells nothing about which matched.
      let found: (typeof entries)[number] | undefined;
      for (const e of entries) if (sameHash(e.keyHash, hash)) found = e;
      if (!found) throw new AppError('unauthorized', 'the API key is not valid');
      return { name: found.name, role: found.role, ...(found.customerId ? { customerId: found.customerId } : {}) };
    },
  };
}

/** 403 `forbidden` unless the caller's role grants the permission. */
export function authorize(principal: Principal, permission: Permission, what: string): void {
  if (!GRANTS[principal.role].includes(permission)) {
    throw new AppError('forbidden', `role ${principal.role} may not ${what} (needs ${rolesFor(permission).join(' or ')})`, {
      role: principal.role,
      required: rolesFor(permission),
    });
  }
}

/** 403 `forbidden` when a customer-scoped caller creates a contract of another customer. */
export function authorizeNewContract(principal: Principal | undefined, customerId: string): void {
  const scope = principal?.customerId;
  if (scope !== undefined && customerId !== scope) throw new AppError('forbidden', `this key may only create contracts of customer ${scope}`);
}

/** 403 `forbidden` when a customer-scoped caller writes something every customer shares (`what`: "templates"). */
export function authorizeSharedWrite(principal: Principal | undefined, what: string): void {
  if (principal?.customerId !== undefined) throw new AppError('forbidden', `${what} are shared by every customer: a customer-scoped key may not save them`);
}

// ---------------------------------------------------------------------------------------------
// Webhooks: HMAC-SHA256 over `${timestamp}.${raw body}`, hex, in X-Tollgate-Signature.

export interface WebhookSource {
  name: string;
  secrets: string[];
  customerId?: string;
}

const webhookSecrets = z.record(
  z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'source names: letters, digits and . _ - only'),
  z.union([
    z.string().min(16, 'a secret needs at least 16 characters'),
    z.object({
      secret: z.union([z.string().min(16), z.array(z.string().min(16)).min(1)]),
      customerId: z.string().min(1).max(100).optional(),
    }).strict(),
  ]),
);

export function loadWebhookSources(config: { TOLLGATE_WEBHOOK_SECRETS?: string }): Map<string, WebhookSource> {
  const sources = new Map<string, WebhookSource>();
  if (!config.TOLLGATE_WEBHOOK_SECRETS?.trim()) return sources;
  for (const [name, v] of Object.entries(parseJson(config.TOLLGATE_WEBHOOK_SECRETS, webhookSecrets, 'TOLLGATE_WEBHOOK_SECRETS'))) {
    if (typeof v === 'string') sources.set(name, { name, secrets: [v] });
    else sources.set(name, { name, secrets: Array.isArray(v.secret) ? v.secret : [v.secret], ...(v.customerId ? { customerId: v.customerId } : {}) });
  }
  return sources;
}

/** The signature a sender puts in X-Tollgate-Signature (hex; `sha256=` prefix optional). */
export function signWebhook(secret: string, timestamp: string | number, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/**
 * Checks a webhook's timestamp (unix seconds, within `toleranceSeconds` of now) and signature
 * (against every secret of the source, in constant time); throws 401 `unauthorized` otherwise.
 */
export function verifyWebhook(opts: {
  source: WebhookSource | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  rawBody: Buffer | undefined;
  toleranceSeconds: number;
  nowMs?: number;
}): void {
  const { source, timestamp, signature, rawBody } = opts;
  if (!source) throw new AppError('unauthorized', 'unknown webhook source');
  if (!timestamp || !/^\d{1,15}$/.test(timestamp)) throw new AppError('unauthorized', 'X-Tollgate-Timestamp (unix seconds) is required');
  const skew = Math.abs((opts.nowMs ?? Date.now()) / 1000 - Number(timestamp));
  if (skew > opts.toleranceSeconds) {
    throw new AppError('unauthorized', `the webhook timestamp is outside the ${opts.toleranceSeconds} s window`);
  }
  const given = signature?.replace(/^sha256=/i, '').toLowerCase();
  if (!given || !sha256Hex.test(given) || !rawBody) throw new AppError('unauthorized', 'X-Tollgate-Signature (hex HMAC-SHA256) is required');
  let ok = false;
  for (const secret of source.secrets) if (sameHash(signWebhook(secret, timestamp, rawBody), given)) ok = true;
  if (!ok) throw new AppError('unauthorized', 'the webhook signature does not match');
}
