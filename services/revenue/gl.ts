/**
 * The GL export: the journal lines of one closed month of the books, for the company's general
 * ledger, each with the company's account code (config TOLLGATE_GL_ACCOUNT_MAP). Only a closed
 * month is exported — its postings can no longer change, so the export is final. Entries are read
 * by (ledger, period), an indexed equality: the month's entries and nothing else.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ACCOUNTS, type Account } from '../../libs/accounting';
import type { Config } from '../../libs/config';
import { AppError } from '../../libs/domain/errors';
import { calendarMonth } from '../../libs/domain/terms';
import { dec, formatMoney, sumMoney } from '../../libs/money';
import type { EntryDoc } from './data/entries';
import { toCsv } from './reports';

/** Tollgate account → the company's account code. */
export type GlAccountMap = Partial<Record<Account, string>>;

const accountCode = z.string().trim().min(1).max(50);
const mapSchema = z.record(z.string(), accountCode).superRefine((m, ctx) => {
  for (const k of Object.keys(m)) {
    if (!(ACCOUNTS as readonly string[]).includes(k)) ctx.addIssue({ code: 'custom', path: [k], message: `not a Tollgate account (${ACCOUNTS.join(', ')})` });
  }
});

function parseMap(text: string, where: string): GlAccountMap {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${where} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = mapSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${where} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`);
  return parsed.data as GlAccountMap;
}

/** The configured mapping (file, then inline entries over it); empty when none is configured. */
export function loadGlAccountMap(config: Pick<Config, 'TOLLGATE_GL_ACCOUNT_MAP' | 'TOLLGATE_GL_ACCOUNT_MAP_FILE'>): GlAccountMap {
  let map: GlAccountMap = {};
  if (config.TOLLGATE_GL_ACCOUNT_MAP_FILE) {
    let text: string;
    try {
      text = readFileSync(config.TOLLGATE_GL_ACCOUNT_MAP_FILE, 'utf8');
    } catch (err) {
      throw new Error(`TOLLGATE_GL_ACCOUNT_MAP_FILE: cannot read ${config.TOLLGATE_GL_ACCOUNT_MAP_FILE}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    map = parseMap(text, `TOLLGATE_GL_ACCOUNT_MAP_FILE (${config.TOLLGATE_GL_ACCOUNT_MAP_FILE})`);
  }
  if (config.TOLLGATE_GL_ACCOUNT_MAP?.trim()) map = { ...map, ...parseMap(config.TOLLGATE_GL_ACCOUNT_MAP, 'TOLLGATE_GL_ACCOUNT_MAP') };
  return map;
}

export const glExportQuery = z.object({
  period: calendarMonth,
  format: z.enum(['json', 'csv']).default('json'),
});

const money = z.string().describe('decimal string');
export const glLineSchema = z.object({
  date: z.string().meta({ format: 'date' }).describe('the posting date'),
  account: z.enum(ACCOUNTS).describe('the Tollgate account'),
  glAccount: z.string().nullable().describe('the company\'s account code; null when the account is not mapped (see `unmapped`)'),
  debit: money,
  credit: money,
  currency: z.string(),
  contractId: z.string(),
  memo: z.string().describe('what caused the entry (source type and reference; the event date when it differs from the posting date)'),
  entryId: z.string(),
  seq: z.number().int().describe('the entry\'s number in its contract\'s sequence'),
});
export type GlLine = z.infer<typeof glLineSchema>;

export const glExportSchema = z.object({
  ledger: z.literal('books'),
  period: z.string().describe('YYYY-MM'),
  closedAt: z.string().describe('when the period was closed'),
  lines: z.array(glLineSchema),
  totals: z.record(z.string(), z.object({ debit: money, credit: money })).describe('per currency; debits equal credits'),
  mapping: z.record(z.string(), z.string()).describe('the configured mapping used'),
  unmapped: z.array(z.enum(ACCOUNTS)).describe('accounts with lines in this export and no company account code'),
});
export type GlExport = z.infer<typeof glExportSchema>;

export const GL_CSV_HEADER = ['date', 'account', 'glAccount', 'debit', 'credit', 'currency', 'contractId', 'memo', 'entryId'] as const;

export function glExportCsv(x: GlExport): string {
  return toCsv(GL_CSV_HEADER, x.lines.map((l) => [l.date, l.account, l.glAccount ?? '', l.debit, l.credit, l.currency, l.contractId, l.memo, l.entryId]));
}

/** The export's lines from the month's entries (pure). Zero lines are left out; the order is posting order. */
export function glLines(entries: readonly EntryDoc[], map: GlAccountMap): Pick<GlExport, 'lines' | 'totals' | 'unmapped'> {
  const sorted = [...entries].sort((a, b) => cmp(a.postingDate, b.postingDate) || cmp(a.createdAt, b.createdAt) || cmp(a.contractId, b.contractId) || a.seq - b.seq);
  const lines: GlLine[] = [];
  for (const e of sorted) {
    const memo = `${e.source.type} ${e.source.ref}${e.eventDate !== e.postingDate ? `; event ${e.eventDate}` : ''}`;
    for (const l of e.lines) {
      if (dec(l.debit).isZero() && dec(l.credit).isZero()) continue;
      lines.push({
        date: e.postingDate, account: l.account, glAccount: map[l.account] ?? null,
        debit: formatMoney(l.debit, e.currency), credit: formatMoney(l.credit, e.currency), currency: e.currency,
        contractId: e.contractId, memo, entryId: e.entryId, seq: e.seq,
      });
    }
  }
  const totals: GlExport['totals'] = {};
  for (const currency of [...new Set(lines.map((l) => l.currency))].sort()) {
    const mine = lines.filter((l) => l.currency === currency);
    totals[currency] = { debit: formatMoney(sumMoney(mine.map((l) => l.debit)), currency), credit: formatMoney(sumMoney(mine.map((l) => l.credit)), currency) };
  }
  const unmapped = ACCOUNTS.filter((a) => map[a] === undefined && lines.some((l) => l.account === a));
  return { lines, totals, unmapped };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The use case: the export of a closed month of the books; an open month is refused `not_allowed_in_state`. */
export function createGlExport(deps: {
  entries: { byPeriod(ledger: string, period: string): Promise<EntryDoc[]> };
  periods: { find(ledger: string, period: string): Promise<{ closedAt: string } | null> };
  map: GlAccountMap;
}) {
  return async (period: string): Promise<GlExport> => {
    const ledger = 'books' as const;
    const closed = await deps.periods.find(ledger, period);
    if (!closed) {
      throw new AppError('not_allowed_in_state', `period ${period} is not closed: only a closed period of the books is exported (close it first)`, [
        { path: 'query.period', message: `period ${period} is not closed` },
      ]);
    }
    const entries = await deps.entries.byPeriod(ledger, period);
    return { ledger, period, closedAt: closed.closedAt, ...glLines(entries, deps.map), mapping: deps.map as Record<string, string> };
  };
}
