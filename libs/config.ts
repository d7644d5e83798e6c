/**
 * All configuration in one place: environment variables validated with zod, with documented
 * defaults (see docs/configuration.md). Nothing else reads process.env.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);

export const configSchema = z.object({
  /** Temporal frontend address; when unset, `npm start` runs a local dev server there. */
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('tollgate-contracts'),
  TEMPORAL_UI_PORT: port.default(8233),
  /** MongoDB (or FerretDB) URL; when unset, `npm start` runs a local FerretDB there. */
  MONGO_URL: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// URL').default('mongodb://127.0.0.1:27017/'),
  /** Each service's database is `<prefix>_<service>` (tollgate_invoicing, tollgate_revenue, tollgate_ar). */
  MONGO_DB_PREFIX: z.string().regex(/^[A-Za-z0-9_]+$/).default('tollgate'),
  HOST: z.string().default('127.0.0.1'),
  GATEWAY_PORT: port.default(3000),
  INVOICING_PORT: port.default(3001),
  REVENUE_PORT: port.default(3002),
  AR_PORT: port.default(3003),
  /** Where the gateway and the worker's activities reach the services. */
  INVOICING_URL: z.url().optional(),
  REVENUE_URL: z.url().optional(),
  AR_URL: z.url().optional(),
  /** Where the worker and AR hand outbound events to the gateway (`/internal/events`); default http://HOST:GATEWAY_PORT. */
  GATEWAY_URL: z.url().optional(),
  /** Outbound events (docs/events.md): how often the gateway looks for deliveries due (ms). */
  TOLLGATE_EVENTS_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(1_000),
  /** The first retry of a failed delivery waits about this long (ms); each next one twice as long, with jitter. */
  TOLLGATE_EVENTS_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(10_000),
  /** The longest wait between two attempts of a delivery (ms); retries never stop. */
  TOLLGATE_EVENTS_RETRY_MAX_MS: z.coerce.number().int().min(10).max(86_400_000).default(3_600_000),
  /** How long the gateway waits for a subscriber's endpoint to answer (ms). */
  TOLLGATE_EVENTS_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** Deliveries sent at once by one gateway process. */
  TOLLGATE_EVENTS_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  /** A contract workflow continues as new after this many messages in one run (server cap: 2,000 updates). */
  CONTRACT_MESSAGES_PER_RUN: z.coerce.number().int().min(1).max(1900).default(1000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BODY_LIMIT: z.string().default('1mb'),
  /**
   * API keys of the gateway (docs/api.md): a JSON array of `{name, keyHash, role, customerId?}`
   * (keyHash = sha256 hex of the key; `npx tollgate hash-key KEY`), inline or in a file. With
   * neither set the gateway runs open (every caller is admin) and logs a warning.
   */
  TOLLGATE_API_KEYS: z.string().optional(),
  TOLLGATE_API_KEYS_FILE: z.string().optional(),
  /** Refuse to start the gateway without API keys (production). */
  TOLLGATE_REQUIRE_API_KEYS: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** Webhook secrets per source: JSON `{"source": "secret"}` or `{"source": {"secret", "customerId"}}`. */
  TOLLGATE_WEBHOOK_SECRETS: z.string().optional(),
  /** Accepted clock difference of a webhook's timestamp, seconds. */
  TOLLGATE_WEBHOOK_TOLERANCE_SECONDS: z.coerce.number().int().min(1).max(3600).default(300),
  /** How long the gateway keeps Idempotency-Key results (Stripe: at least 24 h). */
  TOLLGATE_IDEMPOTENCY_TTL_HOURS: z.coerce.number().int().min(24).max(24 * 30).default(24),
  /**
   * The service credential: the invoicing, revenue and AR services refuse every caller that does
   * not send it (`Authorization: Bearer <token>`); the gateway, the worker and AR send it. Inline or
   * in a file (one of the two); at least 32 visible characters (`openssl rand -hex 32`). `npm start`
   * generates one under DATA_DIR when neither is set.
   */
  TOLLGATE_SERVICE_TOKEN: z.string().optional(),
  TOLLGATE_SERVICE_TOKEN_FILE: z.string().min(1).optional(),
  /** How long the gateway waits for Temporal on a query, describe, list or start (ms); then 503. */
  TOLLGATE_TEMPORAL_QUERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(10_000),
  /** How long the gateway waits for a contract workflow's update, its effects included (ms); then 503. */
  TOLLGATE_TEMPORAL_UPDATE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** The `Retry-After` (seconds) of a 503 `unavailable`. */
  TOLLGATE_RETRY_AFTER_SECONDS: z.coerce.number().int().min(1).max(3600).default(5),
  /**
   * On SIGTERM, how long each component waits for in-flight work (HTTP requests, sweeps, the
   * worker's running activities) before it closes what is left (ms).
   */
  TOLLGATE_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  /**
   * Who issues the invoices and credit memos: printed at the head of every printable document
   * (docs/configuration.md). Address lines are separated by `\n`; empty values are not printed.
   */
  TOLLGATE_SELLER_NAME: z.string().min(1).max(200).default('Tollgate'),
  TOLLGATE_SELLER_ADDRESS: z.string().max(1000).default(''),
  TOLLGATE_SELLER_TAX_ID: z.string().max(100).default(''),
  TOLLGATE_SELLER_EMAIL: z.union([z.literal(''), z.email()]).default(''),
  /**
   * The GL export's mapping of Tollgate accounts to the company's chart of accounts: JSON
   * `{"ar": "1200", "cash": "1000", …}`, inline or in a file (both: the inline entries win).
   * Accounts left out are exported unmapped and listed as such.
   */
  TOLLGATE_GL_ACCOUNT_MAP: z.string().optional(),
  TOLLGATE_GL_ACCOUNT_MAP_FILE: z.string().min(1).optional(),
  /** Local data (SQLite files of the dev servers) for `npm start`. */
  DATA_DIR: z.string().default('.data'),
});

export type RawConfig = z.infer<typeof configSchema>;
export interface Config extends Omit<RawConfig, 'TOLLGATE_SERVICE_TOKEN_FILE'> {
  /** The service credential, read from TOLLGATE_SERVICE_TOKEN or TOLLGATE_SERVICE_TOKEN_FILE. Never log it. */
  TOLLGATE_SERVICE_TOKEN?: string;
  INVOICING_URL: string;
  REVENUE_URL: string;
  AR_URL: string;
  GATEWAY_URL: string;
}

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const { TOLLGATE_SERVICE_TOKEN_FILE: tokenFile, ...c } = parsed.data;
  const local = (p: number) => `http://${c.HOST}:${p}`;
  return {
    ...c,
    TOLLGATE_SERVICE_TOKEN: serviceTokenFrom(c.TOLLGATE_SERVICE_TOKEN, tokenFile),
    INVOICING_URL: c.INVOICING_URL ?? local(c.INVOICING_PORT),
    REVENUE_URL: c.REVENUE_URL ?? local(c.REVENUE_PORT),
    AR_URL: c.AR_URL ?? local(c.AR_PORT),
    GATEWAY_URL: c.GATEWAY_URL ?? local(c.GATEWAY_PORT),
  };
}

/** A service credential: at least 32 visible ASCII characters, no spaces (it travels in a header). */
const SERVICE_TOKEN = /^[\x21-\x7e]{32,4096}$/;

function serviceTokenFrom(inline: string | undefined, file: string | undefined): string | undefined {
  if (inline !== undefined && inline !== '' && file !== undefined) {
    throw new ConfigError('invalid configuration: set TOLLGATE_SERVICE_TOKEN or TOLLGATE_SERVICE_TOKEN_FILE, not both');
  }
  let token = inline === '' ? undefined : inline;
  let where = 'TOLLGATE_SERVICE_TOKEN';
  if (file !== undefined) {
    where = `TOLLGATE_SERVICE_TOKEN_FILE (${file})`;
    try {
      token = readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(`invalid configuration: TOLLGATE_SERVICE_TOKEN_FILE: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  // The message never contains the token itself.
  if (token !== undefined && !SERVICE_TOKEN.test(token)) {
    throw new ConfigError(`invalid configuration: ${where}: the service token must be 32 to 4096 visible ASCII characters without spaces (e.g. openssl rand -hex 32)`);
  }
  return token;
}

/**
 * The service credential a component needs (the services to check callers, the gateway, the
 * worker and AR to call them); a clear refusal to start without one.
 */
export function requireServiceToken(config: Pick<Config, 'TOLLGATE_SERVICE_TOKEN'>, component: string): string {
  const token = config.TOLLGATE_SERVICE_TOKEN;
  if (!token) {
    throw new ConfigError(
      `${component}: no service credential configured — set TOLLGATE_SERVICE_TOKEN or TOLLGATE_SERVICE_TOKEN_FILE to the same secret on the gateway, the worker and every service (docs/configuration.md; \`npm start\` generates one)`,
    );
  }
  return token;
}
