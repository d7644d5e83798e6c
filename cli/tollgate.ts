/**
 * `npx tollgate …`: the command line over the public API (docs/cli.md), on commander. Base URL from
 * TOLLGATE_URL (default http://127.0.0.1:3000), API key from TOLLGATE_API_KEY. Errors print
 * `code: message` on stderr and exit by class (cli/exit-codes.ts): 2 usage, 3 refused, 4 not found,
 * 5 unavailable, 6 unauthorized/forbidden, 1 anything else.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { hashApiKey } from '../libs/auth';
import { createHttpClient, errorOf, type HttpAnswer } from '../libs/http-client';
import { openFailedSteps, type ContractState, type LogEntry } from '../libs/domain/contract';
import { EXIT, exitCodeFor } from './exit-codes';

export interface Io {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
}

/** A failure with the API's code (or the CLI's: usage, file, unavailable) and the HTTP status if any. */
class CliError extends Error {
  constructor(readonly code: string, message: string, readonly status?: number) {
    super(message);
  }
}

/** Reads a JSON or YAML file (by extension; anything else is tried as JSON, then YAML). */
export function readDataFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError('file', `cannot read ${file}: ${(err as Error).message}`);
  }
  const ext = path.extname(file).toLowerCase();
  try {
    if (ext === '.yaml' || ext === '.yml') return parseYaml(text);
    if (ext === '.json') return JSON.parse(text);
    try {
      return JSON.parse(text);
    } catch {
      return parseYaml(text);
    }
  } catch (err) {
    throw new CliError('file', `${file} is not valid ${ext === '.json' ? 'JSON' : 'JSON or YAML'}: ${(err as Error).message}`);
  }
}

function api(io: Io, idempotencyKey?: string) {
  const call = exchange(io, idempotencyKey, 'application/json');
  return async function callJson<T = any>(method: 'GET' | 'POST', p: string, body?: unknown): Promise<T> {
    return (await call(method, p, body)).json as T;
  };
}

/** A GET whose answer is printed as it came (a CSV report). */
function apiText(io: Io) {
  const call = exchange(io, undefined, 'text/csv, application/json');
  return async (p: string): Promise<string> => (await call('GET', p)).text;
}

/** One call on the one HTTP client (libs/http-client.ts); a non-2xx answer becomes a CliError with the API's code. */
function exchange(io: Io, idempotencyKey: string | undefined, accept: string) {
  const base = io.env.TOLLGATE_URL ?? 'http://127.0.0.1:3000';
  const key = io.env.TOLLGATE_API_KEY;
  const client = createHttpClient({ baseUrl: base, headers: { accept, ...(key ? { authorization: `Bearer ${key}` } : {}) } });
  return async function call(method: 'GET' | 'POST', p: string, body?: unknown): Promise<{ text: string; json: any; bytes?: Buffer }> {
    let res: HttpAnswer;
    try {
      res = await client.request(method, p, { body, headers: idempotencyKey && method === 'POST' ? { 'idempotency-key': idempotencyKey } : {} });
    } catch (err) {
      throw new CliError('unavailable', `cannot reach ${base}: ${(err as Error).message} (is Tollgate running? set TOLLGATE_URL)`);
    }
    const json = res.json as any;
    if (!res.ok) {
      const e = errorOf(res);
      const details = Array.isArray(e.details) ? e.details.map((d: { path?: string; message?: string }) => `\n  ${d.path ?? ''} ${d.message ?? ''}`).join('') : '';
      throw new CliError(e.code ?? `http_${res.status}`, `${e.message ?? `${method} ${p} answered ${res.status}`}${details}`, res.status);
    }
    return { text: res.text, json, ...(res.bytes ? { bytes: res.bytes } : {}) };
  };
}

const enc = encodeURIComponent;

/** A whole number option (0 or more), else a usage error before anything is sent. */
function wholeNumber(value: string): number {
  if (!/^\d{1,6}$/.test(value)) throw new InvalidArgumentError('must be a whole number (0 or more)');
  return Number(value);
}

/** A plain-text table: a header row, then rows, columns padded to their widest cell. */
export function table(headers: string[], rows: Array<Array<string | undefined>>): string[] {
  const cells = [headers, ...rows.map((r) => r.map((c) => c ?? '—'))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

/** The contract's state as a readable report: milestones, timers, invoices, revenue to date. */
export function renderState(s: any): string[] {
  const terms = s.versions?.[s.versions.length - 1]?.terms ?? {};
  const amountOf = (id: string) => terms.milestones?.find((m: { id: string }) => m.id === id)?.amount;
  const lines: string[] = [];
  lines.push(`Contract ${s.contractId} — customer ${s.customerId} — ${s.currency} — version ${s.version} — ${s.status}${s.sandbox ? ` — sandbox clock ${s.clock}` : ''}`);
  if (s.hold) lines.push(`ON HOLD since ${s.hold.since}${s.heldInvoices?.length ? `; invoices waiting: ${s.heldInvoices.join(', ')}` : ''}`);
  lines.push('', 'Milestones');
  lines.push(...table(
    ['MILESTONE', 'STATUS', 'AMOUNT', 'COMPLETED', 'ACCEPTED', 'INVOICED', 'WAITING', 'INVOICES'],
    Object.values(s.milestones ?? {}).map((m: any) => [
      m.id, m.status + (m.acceptance ? ` (${m.acceptance})` : '') + (m.progress ? ` [${progressOf(m)}]` : ''), amountOf(m.id), m.completedOn ?? m.declaredOn, m.acceptedOn, m.invoicedOn,
      m.waiting ?? (m.rejection ? `rejected ${m.rejection.on}: ${m.rejection.reason}` : undefined), m.invoiceNumbers?.join(', ') || undefined,
    ]),
  ).map((l) => `  ${l}`));
  lines.push('', 'Pending timers');
  if (!s.timers?.length) lines.push('  (none)');
  else lines.push(...table(['FIRES', 'KIND', 'MILESTONE', 'PURPOSE'], s.timers.map((t: any) => [t.date, t.kind, t.milestoneId, t.purpose])).map((l) => `  ${l}`));
  lines.push('', 'Invoices');
  if (!s.invoices?.length) lines.push('  (none)');
  else {
    lines.push(...table(['NUMBER', 'KIND', 'FOR', 'DATE', 'DUE', 'AMOUNT', 'PAID'],
      s.invoices.map((i: any) => [i.number ?? '(issuing)', i.kind, i.milestoneIds.join(', ') || undefined, i.date, i.dueDate, i.amount, i.paid ? 'yes' : 'no'])).map((l) => `  ${l}`));
  }
  if (s.creditMemos?.length) {
    lines.push('', 'Credit memos');
    lines.push(...table(['NUMBER', 'MILESTONE', 'DATE', 'AMOUNT'], s.creditMemos.map((c: any) => [c.number ?? '(issuing)', c.milestoneId, c.date, c.amount])).map((l) => `  ${l}`));
  }
  lines.push('', `Revenue to date: ${s.recognizedTotal} recognized, ${s.billed} billed`);
  for (const [ob, amount] of Object.entries(s.recognized ?? {})) lines.push(`  ${ob}: ${String(amount)}`);
  const failed = openFailedSteps(s as ContractState);
  if (failed.length) {
    lines.push('', `FAILED STEPS: ${failed.length} (retry or resolve: POST /contracts/${s.contractId}/steps/<id>/retry|resolve)`);
    for (const f of failed) lines.push(`  ${f.id}  ${f.effect.kind} ${f.step}  ${f.code}: ${f.message}  (${f.status}, ${f.attempts} attempt(s), since ${f.on})`);
  }
  return lines;
}

/** A milestone billed by progress: its last percent and what its parts billed ("62.5 %, 625.00 billed in 2 parts"). */
function progressOf(m: any): string | undefined {
  const p = m?.progress;
  return p ? `${p.percent} %, ${p.billed} billed in ${p.parts} part${p.parts === 1 ? '' : 's'}` : undefined;
}

function outcomeLine(r: any): string {
  const m = r?.milestone;
  const parts = [r?.outcome ?? 'done'];
  if (r?.reason) parts.push(`— ${r.reason}`);
  const progress = progressOf(m);
  if (m) parts.push(`— ${m.id}: ${m.status}${progress ? ` [${progress}]` : ''}${m.invoiceNumbers?.length ? ` (${m.invoiceNumbers.join(', ')})` : ''}`);
  if (r?.version !== undefined && !m) parts.push(`— version ${r.version}`);
  return parts.join(' ');
}

const reasonOrCode = (e: LogEntry) => (e.code ? `${e.code}${e.reason ? `: ${e.reason}` : ''}` : e.reason);

/** The contract's log: every event received, in order, and what it did. */
export function renderLog(entries: LogEntry[]): string[] {
  if (!entries.length) return ['(no log entries)'];
  return table(
    ['SEQ', 'ON', 'KIND', 'VIA', 'MILESTONE', 'OUTCOME', 'REASON/CODE'],
    entries.map((e) => [String(e.seq), e.on, e.kind, e.via, e.milestoneId, e.outcome, reasonOrCode(e)]),
  );
}

/** The contract's invoices as the invoicing service keeps them (credits and payments as last reported to it). */
export function renderInvoices(invoices: any[]): string[] {
  if (!invoices.length) return ['(no invoices)'];
  return table(
    ['NUMBER', 'KIND', 'FOR', 'DATE', 'DUE', 'TOTAL', 'CREDITED', 'PAID', 'OPEN', 'STATUS'],
    invoices.map((i) => [
      i.number, i.kind, [...new Set((i.lines ?? []).map((l: { milestoneId: string }) => l.milestoneId))].join(', ') || undefined,
      i.date, i.dueDate, i.total, i.creditedAmount, i.paidAmount, i.openAmount, i.status,
    ]),
  );
}

/** AR aging as a table: one row per customer, then the total. */
export function renderAging(a: any): string[] {
  const buckets = ['current', 'days_1_30', 'days_31_60', 'days_61_90', 'days_over_90'];
  const row = (name: string, b: any) => [name, ...buckets.map((k) => b[k]), b.total, b.credit];
  const lines = [`Aging as of ${a.asOf} (${a.currency})`];
  lines.push(...table(['CUSTOMER', 'CURRENT', '1-30', '31-60', '61-90', '90+', 'TOTAL', 'CREDIT'], [...(a.customers ?? []).map((c: any) => row(c.customerId, c)), row('TOTAL', a.total ?? {})]));
  return lines;
}

/** Schedule templates as a table: name, latest version, milestones' percentages. */
export function renderTemplates(templates: any[]): string[] {
  if (!templates.length) return ['(no templates)'];
  return table(['NAME', 'VERSION', 'PERCENTS', 'DESCRIPTION'], templates.map((t) => [
    t.name, String(t.version), (t.milestones ?? []).map((m: { percent: string }) => m.percent).join('/'), t.description,
  ]));
}

const templateTrigger = (t: any): string => (t?.type === 'date' ? `date: signed + ${t.daysAfterSigning} d`
  : `${t?.completion}${t?.deemedAcceptanceDays !== undefined ? ` (deemed after ${t.deemedAcceptanceDays} d)` : ''}`);
const invoiceTiming = (t: any): string => (t?.type === 'days_after_acceptance' ? `${t.days} d after acceptance` : t?.type ?? 'immediate');

/** One version of a schedule template: its obligations and its milestones (percent of the fee, trigger, invoice timing, planned days). */
export function renderTemplate(t: any): string[] {
  const lines = [`Template ${t.name} — version ${t.version}${t.versions ? ` of ${t.versions.join(', ')}` : ''}${t.paymentTerms ? ` — ${t.paymentTerms}` : ''}${t.description ? ` — ${t.description}` : ''}`];
  lines.push('', 'Obligations');
  lines.push(...table(['OBLIGATION', 'NAME', 'RECOGNITION'], (t.obligations ?? []).map((o: any) => [o.id, o.name,
    o.recognition?.method === 'ratable' ? `ratable: signed + ${o.recognition.startAfterDays} d … + ${o.recognition.endAfterDays} d`
      : o.recognition?.satisfiedBy ? `${o.recognition.method} (by ${o.recognition.satisfiedBy})` : o.recognition?.method])).map((l) => `  ${l}`));
  lines.push('', 'Milestones');
  lines.push(...table(['MILESTONE', 'OBLIGATION', 'PERCENT', 'TRIGGER', 'INVOICE', 'PLANNED'], (t.milestones ?? []).map((m: any) => [
    m.id, m.obligationId, m.percent, templateTrigger(m.trigger), invoiceTiming(m.invoiceTiming), m.plannedFinishDays !== undefined ? `signed + ${m.plannedFinishDays} d` : undefined,
  ])).map((l) => `  ${l}`));
  return lines;
}

/** The milestones of terms built from a template: amounts and planned dates. */
function renderBuiltMilestones(terms: any): string[] {
  return table(['MILESTONE', 'AMOUNT', 'PLANNED'], (terms?.milestones ?? []).map((m: any) => [m.id, m.amount, m.plannedFinishDate])).map((l) => `  ${l}`);
}

interface Opts {
  json?: boolean;
  limit?: string;
  format?: string;
  asOf?: string;
  sandbox?: boolean;
  idempotencyKey?: string;
  date?: string;
  reason?: string;
  customer?: string;
  status?: string;
  currency?: string;
  all?: boolean;
}

const OVERVIEW_FOOTER = `
Every command takes -h/--help. Environment: TOLLGATE_URL (default http://127.0.0.1:3000),
TOLLGATE_API_KEY (sent as Authorization: Bearer).
Exit codes: 0 ok, 2 usage, 3 refused by the API, 4 not found, 5 unavailable,
6 unauthorized or forbidden, 1 anything else (docs/cli.md).`;

/** The commands, built afresh for each run (commander keeps parsed values on the command objects). */
function buildProgram(io: Io, setExitCode: (code: number) => void): Command {
  const program = new Command('tollgate')
    .description('Milestone billing on the Tollgate API: contracts, milestone events, state, log, invoices, reports and AR aging.')
    .usage('<command> [arguments] [options]')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, '')),
      writeErr: (s) => io.err(s.replace(/\n$/, '')),
      // A usage error reads like every other error: `usage: message`.
      outputError: (s, write) => write(s.replace(/^error: /, 'usage: ')),
    })
    .showHelpAfterError('(tollgate --help lists the commands)')
    .addHelpText('after', OVERVIEW_FOOTER);

  // Settings above are inherited by each subcommand; its own help is one `--help` away.
  const command = (name: string, summary: string, description = summary) =>
    program.command(name).summary(summary).description(description).showHelpAfterError(`(tollgate ${name} --help for its usage)`);
  const json = (c: Command) => c.option('--json', 'print the API\'s raw answer');
  const mutating = (c: Command) =>
    json(c).option('--idempotency-key <key>', 'send Idempotency-Key: a retry with the same key runs once (docs/api.md)');
  const dated = (c: Command) => c.option('--date <date>', 'when it happened (YYYY-MM-DD; default and latest: today on the contract\'s clock)');
  const contractArg = (c: Command) => c.argument('<contract>', 'the contract id');

  const context = (o: Opts) => ({
    call: api(io, o.idempotencyKey),
    date: o.date !== undefined ? { date: o.date } : {},
    print(value: unknown, readable: () => string[] | string) {
      if (o.json) io.out(JSON.stringify(value, null, 2));
      else for (const l of [readable()].flat()) io.out(l);
    },
  });
  /** Sends one operation on a contract and prints the workflow's answer in one line. */
  const operate = async (o: Opts, path: string, body: unknown) => {
    const { call, print } = context(o);
    const r = await call('POST', path, body);
    print(r, () => outcomeLine(r));
  };

  mutating(command('create', 'create a contract from its terms', 'Create a contract from its terms (DESIGN §3).'))
    .argument('<file>', 'the terms, JSON or YAML (by extension; other names: JSON, then YAML)')
    .action(async (file: string, o: Opts) => {
      const { call, print } = context(o);
      const r = await call('POST', '/contracts', readDataFile(file));
      print(r, () => `created ${r.contractId} (workflow ${r.workflowId}, version ${r.version})`);
    });

  const events = {
    complete: ['report a milestone done', 'Report a milestone done (the delivery system\'s fact).'],
    declare: ['declare a milestone done', 'Declare a milestone done: starts its deemed-acceptance window.'],
    accept: ['accept a completed or declared milestone', 'Accept a completed or declared milestone.'],
    reject: ['reject a completed or declared milestone', 'Reject a completed or declared milestone, with the reason.'],
  } as const;
  for (const [event, [summary, description]] of Object.entries(events)) {
    const c = dated(mutating(contractArg(command(event, summary, description)).argument('<milestone>', 'the milestone id')));
    if (event === 'reject') c.requiredOption('--reason <text>', 'why it is rejected');
    c.action(async (contract: string, milestone: string, o: Opts) => {
      const body = { ...context(o).date, ...(event === 'reject' ? { reason: o.reason } : {}) };
      await operate(o, `/contracts/${enc(contract)}/milestones/${enc(milestone)}/${event}`, body);
    });
  }

  dated(mutating(contractArg(command('progress', 'report the percent complete of a milestone billed by progress',
    'Report the percent complete of a milestone billed by progress (docs/progressive-billing.md): invoices the newly reached share of its amount; 100 completes it, as complete does.'))
    .argument('<milestone>', 'the milestone id')
    .argument('<percent>', 'percent complete: above 0, at most 100, at most 2 decimals (e.g. 62.5)')))
    .action(async (contract: string, milestone: string, percent: string, o: Opts) => {
      await operate(o, `/contracts/${enc(contract)}/milestones/${enc(milestone)}/progress`, { percent, ...context(o).date });
    });

  dated(mutating(contractArg(command('cost', 'report cost incurred on an obligation', 'Report cost incurred on an obligation measured by cost (cost-input revenue).'))))
    .argument('<obligation>', 'the obligation id')
    .argument('<amount>', 'a decimal amount in the contract\'s currency, e.g. 1200.00')
    .action(async (contract: string, obligationId: string, amount: string, o: Opts) => {
      await operate(o, `/contracts/${enc(contract)}/costs`, { obligationId, amount, ...context(o).date });
    });

  const holds = {
    hold: ['place a customer hold', 'Place a customer hold: invoices falling due are queued until it is released.'],
    release: ['release a customer hold', 'Release the customer hold: the queued invoices are issued.'],
  } as const;
  for (const [name, [summary, description]] of Object.entries(holds)) {
    dated(mutating(contractArg(command(name, summary, description)))).action(async (contract: string, o: Opts) => {
      await operate(o, `/contracts/${enc(contract)}/${name}`, { ...context(o).date });
    });
  }

  mutating(contractArg(command('amend', 'amend a contract', 'Amend a contract: changes to milestones and obligations, effective from a date.')))
    .argument('<file>', 'JSON or YAML {baseVersion?, effectiveDate?, changes}; baseVersion defaults to the current version')
    .action(async (contract: string, file: string, o: Opts) => {
      const amendment = readDataFile(file) as Record<string, unknown>;
      if (amendment && typeof amendment === 'object' && amendment.baseVersion === undefined) {
        amendment.baseVersion = (await context(o).call('GET', `/contracts/${enc(contract)}`)).version;
      }
      await operate(o, `/contracts/${enc(contract)}/amendments`, amendment);
    });

  mutating(contractArg(command('clock', 'advance a sandbox contract\'s clock', 'Advance a sandbox contract\'s business clock: the timers due fire in order.')))
    .argument('<date>', 'the new today (YYYY-MM-DD)')
    .action(async (contract: string, to: string, o: Opts) => {
      await operate(o, `/contracts/${enc(contract)}/clock`, { to });
    });

  dated(mutating(contractArg(command('pay', 'record a payment of a milestone\'s invoices', 'Record a payment (through AR) of a milestone\'s invoices, oldest first, or of the advance invoice.'))))
    .argument('<milestone|advance>', 'the milestone whose invoices are paid, oldest first, or advance')
    .argument('<amount>', 'a decimal amount in the contract\'s currency')
    .action(async (contract: string, invoiceFor: string, amount: string, o: Opts) => {
      const { call, date, print } = context(o);
      const r = await call('POST', `/contracts/${enc(contract)}/payments`, { amount, invoiceFor, ...date });
      print(r, () => `payment ${r.paymentId} recorded: ${r.amount ?? amount} ${r.currency ?? ''}`.trimEnd());
    });

  json(contractArg(command('show', 'the contract\'s live state as tables', 'The contract\'s live state as tables: milestones (status, amount, dates, waiting, invoices), pending timers, invoices, credit memos, revenue to date, failed steps.')))
    .action(async (contract: string, o: Opts) => {
      const { call, print } = context(o);
      const s = await call('GET', `/contracts/${enc(contract)}`);
      print(s, () => renderState(s));
    });

  mutating(contractArg(command('renew', 'renew a contract: create its successor', 'Renew a contract (POST /contracts/:id/renewals, docs/renewals.md): its successor gets the same customer, currency and obligations, a new id and signed date, and the predecessor\'s milestones shifted (--shift-days/--shift-months, by default the days between the signed dates) or a new schedule (--file); the two are linked both ways.')))
    .requiredOption('--id <contractId>', 'the successor\'s contract id')
    .requiredOption('--signed <date>', 'the successor\'s signed date (YYYY-MM-DD)')
    .option('--shift-days <n>', 'move the copied dates by this many days', wholeNumber)
    .option('--shift-months <n>', 'move the copied dates by this many months (before the days)', wholeNumber)
    .option('--suffix <text>', 'new ids for the copied milestones: the old id followed by this')
    .option('--file <file>', 'a new schedule: a JSON or YAML list of milestones, or an object with any renewal fields (milestones, obligations, advanceBilling, contractValue, …)')
    .action(async (contract: string, o: Opts & { id: string; signed: string; shiftDays?: number; shiftMonths?: number; suffix?: string; file?: string }) => {
      const { call, print } = context(o);
      const fromFile = o.file === undefined ? {} : readDataFile(o.file);
      if (fromFile === null || typeof fromFile !== 'object') throw new CliError('file', `${o.file} must hold a list of milestones or an object`);
      const body: Record<string, unknown> = {
        ...(Array.isArray(fromFile) ? { milestones: fromFile } : fromFile),
        contractId: o.id,
        signedDate: o.signed,
        ...(o.shiftDays !== undefined || o.shiftMonths !== undefined
          ? { shift: { ...(o.shiftMonths !== undefined ? { months: o.shiftMonths } : {}), ...(o.shiftDays !== undefined ? { days: o.shiftDays } : {}) } } : {}),
        ...(o.suffix !== undefined ? { milestoneIdSuffix: o.suffix } : {}),
      };
      const r = await call('POST', `/contracts/${enc(contract)}/renewals`, body);
      print(r, () => `renewed ${contract} as ${r.contractId} (workflow ${r.workflowId}, version ${r.version})`);
    });

  json(contractArg(command('renewals', 'the renewal chain of a contract', 'The renewal chain of a contract (GET /contracts/:id/renewals): its predecessors, itself and its successors, the oldest first.')))
    .action(async (contract: string, o: Opts) => {
      const data = await pages({ ...o, all: true }, `/contracts/${enc(contract)}/renewals`, new URLSearchParams());
      context(o).print({ data }, () => table(['CONTRACT', 'RENEWS', 'RENEWED BY', 'SIGNED', 'RENEWED AT'], data.map((l) => [l.contractId, l.renews, l.renewedBy, l.signedDate, l.renewedAt])));
    });

  contractArg(command('schedule', 'the contract\'s visual schedule (SVG or PNG)', 'The contract\'s milestones and invoices on a time axis as an SVG image (GET /contracts/:id/schedule.svg): printed, or written to a file with -o; a file ending in .png gets the PNG (GET /contracts/:id/schedule.png).'))
    .option('-o, --output <file>', 'write the image to this file instead of printing the SVG (.png: the PNG)')
    .option('--scale <n>', 'PNG only: pixels per SVG unit, 1 … 4 (default 2)')
    .action(async (contract: string, o: Opts & { output?: string; scale?: string }) => {
      const png = o.output !== undefined && /\.png$/i.test(o.output);
      if (o.scale !== undefined && !png) throw new CliError('usage', '--scale is for a PNG: give -o <file>.png');
      const query = png && o.scale !== undefined ? `?scale=${enc(o.scale)}` : '';
      const answer = await exchange(io, undefined, png ? 'image/png, application/json' : 'image/svg+xml, application/json')('GET', `/contracts/${enc(contract)}/schedule.${png ? 'png' : 'svg'}${query}`);
      if (o.output === undefined) {
        io.out(answer.text.replace(/\n$/, ''));
        return;
      }
      const bytes = png ? answer.bytes! : Buffer.from(answer.text);
      try {
        writeFileSync(o.output, bytes);
      } catch (err) {
        throw new CliError('file', `cannot write ${o.output}: ${(err as Error).message}`);
      }
      io.out(`schedule of ${contract} written to ${o.output} (${bytes.length} bytes)`);
    });

  json(contractArg(command('log', 'the contract\'s log of events', 'The contract\'s log as a table: every event received, in order, when (ON, the contract\'s business date), how (update, signal or timer) and what it did (applied, ignored, refused).')))
    .action(async (contract: string, o: Opts) => {
      const { call, print } = context(o);
      const r = await call<{ data: LogEntry[] }>('GET', `/contracts/${enc(contract)}/log`);
      print(r, () => renderLog(r.data));
    });

  /** Reads a list a page at a time (`limit`, `cursor`); `all` follows every page, else says there is more. */
  const pages = async (o: Opts, p: string, query: URLSearchParams): Promise<any[]> => {
    const { call } = context(o);
    if (o.limit !== undefined) query.set('limit', o.limit);
    const data: any[] = [];
    let cursor: string | undefined;
    do {
      if (cursor) query.set('cursor', cursor);
      const page = await call<{ data: any[]; nextCursor?: string }>('GET', `${p}${query.size ? `?${query}` : ''}`);
      data.push(...page.data);
      cursor = o.all ? page.nextCursor : undefined;
      if (!o.all && page.nextCursor) io.err(`(more: --all, or --limit; next cursor ${page.nextCursor})`);
    } while (cursor);
    return data;
  };

  json(command('invoices', 'a contract\'s or a customer\'s invoices', 'Invoices as a table, in issue order: a contract\'s (GET /contracts/:id/invoices) or, with --customer, a customer\'s across contracts (GET /customers/:id/invoices); amounts credited, paid and open as AR last reported, and the status.'))
    .argument('[contract]', 'the contract id (or --customer)')
    .option('--customer <id>', 'a customer\'s invoices across its contracts')
    .option('--sandbox', 'with --customer: the customer\'s sandbox (test) invoices')
    .addOption(new Option('--status <status>', 'only invoices in this status').choices(['issued', 'partially_paid', 'paid', 'credited']))
    .option('--limit <n>', 'invoices per page (1–200, default 50)')
    .option('--all', 'follow every page')
    .action(async (contract: string | undefined, o: Opts) => {
      if ((contract === undefined) === (o.customer === undefined)) throw new CliError('usage', 'name a contract or --customer <id> (one of the two)');
      const query = new URLSearchParams();
      if (o.status !== undefined) query.set('status', o.status);
      if (o.sandbox) {
        if (!o.customer) throw new CliError('usage', '--sandbox goes with --customer (a contract\'s invoices are all of one kind)');
        query.set('sandbox', 'true');
      }
      const data = await pages(o, contract !== undefined ? `/contracts/${enc(contract)}/invoices` : `/customers/${enc(o.customer!)}/invoices`, query);
      context(o).print({ data }, () => renderInvoices(data));
    });

  contractArg(command('reports', 'a revenue report of a contract', 'A revenue report of the contract by its DESIGN name (GET /contracts/:id/reports/:report): JSON, or CSV with --format csv.'))
    .argument('<report>', 'waterfall (= revenue-by-period), roll-forward, balances, month-end-balances, contract-balances, trial-balance or journal')
    .addOption(new Option('--format <format>', 'json (default) or csv').choices(['json', 'csv']).default('json'))
    .option('--as-of <date>', 'balances as of this date (YYYY-MM-DD)')
    .action(async (contract: string, report: string, o: Opts) => {
      const query = new URLSearchParams({ format: o.format ?? 'json' });
      if (o.asOf !== undefined) query.set('asOf', o.asOf);
      const p = `/contracts/${enc(contract)}/reports/${enc(report)}?${query}`;
      if (o.format === 'csv') io.out((await apiText(io)(p)).replace(/\r?\n$/, '').replace(/\r\n/g, '\n'));
      else io.out(JSON.stringify(await context(o).call('GET', p), null, 2));
    });

  json(command('aging', 'AR aging by customer', 'Accounts-receivable aging as a table (GET /aging): open amounts by days past due — current, 1–30, 31–60, 61–90, 90+ — per customer and in total, with customer credit.'))
    .option('--as-of <date>', 'aging as of this date (YYYY-MM-DD; default today)')
    .option('--customer <id>', 'one customer')
    .option('--currency <code>', 'the currency of the receivables (ISO 4217)', 'USD')
    .action(async (o: Opts) => {
      const { call, print } = context(o);
      const query = new URLSearchParams({ currency: o.currency ?? 'USD' });
      if (o.asOf !== undefined) query.set('asOf', o.asOf);
      if (o.customer !== undefined) query.set('customer', o.customer);
      const a = await call('GET', `/aging?${query}`);
      print(a, () => renderAging(a));
    });

  json(command('list', 'list contracts', 'List contracts, filtered. Visibility is eventually consistent: a new contract may show a moment later.'))
    .option('--customer <id>', 'only this customer\'s contracts')
    .addOption(new Option('--status <status>', 'only contracts in this status').choices(['active', 'completed']))
    .option('--currency <code>', 'only contracts in this currency (ISO 4217)')
    .option('--limit <n>', 'contracts per page (1–200, default 50)')
    .option('--all', 'follow every page')
    .action(async (o: Opts) => {
      const { print } = context(o);
      const query = new URLSearchParams();
      for (const k of ['customer', 'status', 'currency'] as const) if (o[k] !== undefined) query.set(k, o[k]);
      const data = await pages(o, '/contracts', query);
      print(data, () => table(['CONTRACT', 'CUSTOMER', 'CURRENCY', 'STATUS', 'STARTED'], data.map((c) => [c.contractId, c.customerId, c.currency, c.status, c.startedAt])));
    });

  json(command('templates', 'list schedule templates', 'Schedule templates (GET /templates, docs/templates.md): each one\'s latest version, by name, with its milestones\' percentages of the fee.'))
    .option('--limit <n>', 'templates per page (1–200, default 50)')
    .option('--all', 'follow every page')
    .action(async (o: Opts) => {
      const data = await pages(o, '/templates', new URLSearchParams());
      context(o).print({ data }, () => renderTemplates(data));
    });

  const template = command('template', 'show or save a schedule template', 'Show a schedule template (a version of it) or save one: a new name, or the next version of a name (docs/templates.md).');
  json(template.command('show').summary('a schedule template as tables').description('A schedule template as tables (GET /templates/:name, or a version of it): its obligations, and its milestones with their percentages of the fee.'))
    .argument('<name>', 'the template\'s name')
    .option('--version <n>', 'this version (default: the latest)', wholeNumber)
    .action(async (name: string, o: Opts & { version?: number }) => {
      const { call, print } = context(o);
      const t = await call('GET', o.version === undefined ? `/templates/${enc(name)}` : `/templates/${enc(name)}/versions/${o.version}`);
      print(t, () => renderTemplate(t));
    });
  mutating(template.command('create').summary('save a schedule template (or its next version)').description('Save a schedule template from a file (POST /templates): a new name is version 1, a name already saved gets its next version.'))
    .requiredOption('--file <file>', 'the template, JSON or YAML {name, description?, paymentTerms?, obligations, milestones}')
    .action(async (o: Opts & { file: string }) => {
      const { call, print } = context(o);
      const t = await call('POST', '/templates', readDataFile(o.file));
      print(t, () => `saved template ${t.name} version ${t.version} (${t.milestones.map((m: { percent: string }) => m.percent).join('/')} % of the fee)`);
    });

  const contractGroup = command('contract', 'contracts from schedule templates', 'Contracts from schedule templates (docs/templates.md).');
  mutating(contractGroup.command('from-template').summary('the terms a template gives for a fee, or the contract created').description(
    'Build a contract\'s terms from a schedule template and a fee (POST /templates/:name/contracts): the milestones get the template\'s percentages '
    + 'of the fee in the currency\'s minor units (rounded down, leftover units to the largest remainders). Prints the terms as JSON, to edit and '
    + 'create with `tollgate create <file>`; with --create, creates the contract at once.'))
    .argument('<name>', 'the template\'s name')
    .requiredOption('--fee <amount>', 'the total fee, a decimal amount in the currency (e.g. 1000001 JPY)')
    .requiredOption('--customer <id>', 'the customer\'s id')
    .requiredOption('--id <contractId>', 'the new contract\'s id')
    .requiredOption('--currency <code>', 'the contract\'s currency (ISO 4217)')
    .requiredOption('--signed <date>', 'the signed date (YYYY-MM-DD): planned dates are days after it')
    .option('--customer-name <name>', 'the customer\'s name (default: its id)')
    .option('--template-version <n>', 'this version of the template (default: the latest)', wholeNumber)
    .option('--payment-terms <terms>', 'NET_0 … NET_90 (default: the template\'s)')
    .option('--sandbox', 'a sandbox contract on its own clock, starting on the signed date')
    .option('--file <file>', 'more fields of the request, JSON or YAML (sspByObligation, estimatedTotalCostByObligation, advanceBilling, billingDay, timezone, …)')
    .option('--create', 'create the contract (as `tollgate create`), not just print its terms')
    .action(async (name: string, o: Opts & { fee: string; id: string; signed: string; customerName?: string; templateVersion?: number; paymentTerms?: string; file?: string; create?: boolean }) => {
      const { call } = context(o);
      const extra = o.file === undefined ? {} : readDataFile(o.file);
      if (extra === null || typeof extra !== 'object' || Array.isArray(extra)) throw new CliError('file', `${o.file} must hold an object of request fields`);
      const body = {
        ...extra,
        contractId: o.id,
        customer: { id: o.customer!, name: o.customerName ?? o.customer! },
        currency: o.currency,
        signedDate: o.signed,
        fee: o.fee,
        ...(o.templateVersion !== undefined ? { templateVersion: o.templateVersion } : {}),
        ...(o.paymentTerms !== undefined ? { paymentTerms: o.paymentTerms } : {}),
        ...(o.sandbox ? { sandbox: { clockStart: o.signed } } : {}),
        ...(o.create ? { create: true } : {}),
      };
      const r = await call('POST', `/templates/${enc(name)}/contracts`, body);
      if (o.json) {
        io.out(JSON.stringify(r, null, 2));
      } else if (o.create) {
        io.out(`created ${r.contract.contractId} from template ${r.template.name} version ${r.template.version} (workflow ${r.contract.workflowId}, version ${r.contract.version})`);
        for (const l of renderBuiltMilestones(r.terms)) io.out(l);
      } else {
        // The terms alone on stdout (to a file, edited, then `tollgate create`); what they came from on stderr.
        io.out(JSON.stringify(r.terms, null, 2));
        io.err(`terms of ${r.terms.contractId} from template ${r.template.name} version ${r.template.version}: ${r.terms.milestones.map((m: { amount: string }) => m.amount).join(' + ')} = ${r.terms.contractValue} ${r.terms.currency}`);
      }
    });

  command('scenarios', 'run acceptance scenario files', 'Run acceptance scenario files (same as npm run scenarios); exits 1 on any difference.')
    .argument('[files...]', 'scenario files (default: every .json file in ../shared/scenarios)')
    .action(async (files: string[]) => {
      const { runScenarioFiles, scenarioFiles } = await import('./run-scenarios');
      setExitCode(await runScenarioFiles(scenarioFiles(files), io.out));
    });

  json(command('hash-key', 'the sha256 of a key, for TOLLGATE_API_KEYS', 'Print the sha256 of an API key, to put in TOLLGATE_API_KEYS (only hashes are configured).'))
    .argument('<key>', 'the API key (make it long and random, e.g. openssl rand -hex 32)')
    .action((key: string, o: Opts) => {
      const hash = hashApiKey(key);
      context(o).print({ keyHash: hash }, () => [hash, `entry: {"name": "…", "keyHash": "${hash}", "role": "finance"}`]);
    });

  return program;
}

/** Runs one command line; the answer is the exit code (cli/exit-codes.ts). */
export async function main(argv: string[], io: Io): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = buildProgram(io, (code) => { exitCode = code; });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    // commander's own exits: help asked for (0), or a usage error it has already printed.
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (err instanceof CliError) {
      io.err(`${err.code}: ${err.message}`);
      return exitCodeFor(err);
    }
    io.err(`error: ${(err as Error).message}`);
    return EXIT.bug;
  }
}

export function runCli(argv = process.argv.slice(2)): void {
  // `tollgate list | head`: a closed pipe ends the command quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : 1));
  main(argv, { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`), env: process.env }).then(
    // Exit explicitly: `scenarios` may leave a stopped stack's handles behind (stdout to a pipe is synchronous).
    (code) => process.exit(code),
    (err) => { process.stderr.write(`error: ${(err as Error).message}\n`); process.exit(EXIT.bug); },
  );
}

if (require.main === module) runCli();
