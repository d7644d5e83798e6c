/**
 * `npx tollgate …`: the command line over the public API (docs/cli.md). Base URL from TOLLGATE_URL
 * (default http://127.0.0.1:3000), API key from TOLLGATE_API_KEY. Errors print `code: message`
 * and exit non-zero (1 a refusal or failure, 2 a usage error).
 */
import { openFailedSteps, type ContractState } from '../libs/domain/contract';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { hashApiKey } from '../libs/auth';

export interface Io {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
}

class CliError extends Error {
  constructor(readonly code: string, message: string, readonly exitCode = 1) {
    super(message);
  }
}

const USAGE = `usage: tollgate <command> [arguments] [options]

  create <file.json|file.yaml>                      create a contract from its terms
  complete|declare|accept <contract> <milestone>    send a milestone event   [--date D]
  reject <contract> <milestone> --reason R          reject a milestone       [--date D]
  cost <contract> <obligation> <amount>             report cost incurred     [--date D]
  hold|release <contract>                           place or release a customer hold [--date D]
  amend <contract> <file>                           amend (baseVersion defaults to the current version)
  clock <contract> <date>                           advance a sandbox contract's clock
  pay <contract> <milestone|advance> <amount>       record a payment of that milestone's invoices [--date D]
  show <contract>                                   the contract's live state as tables
  list [--customer C] [--status S] [--currency X]   list contracts (--all follows every page)
  scenarios [files…]                                run acceptance scenario files
  hash-key <key>                                    the sha256 to put in TOLLGATE_API_KEYS

options: --json (print the raw answer), --idempotency-key K (mutating commands)
environment: TOLLGATE_URL (default http://127.0.0.1:3000), TOLLGATE_API_KEY`;

interface Args {
  positional: string[];
  options: Record<string, string | true>;
}

const FLAGS = new Set(['json', 'all', 'help']);

export function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const options: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i]!;
    if (a === '-h') options.help = true;
    else if (a.startsWith('--')) {
      const [name, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
      if (FLAGS.has(name)) options[name] = true;
      else if (inline !== undefined) options[name] = inline;
      else {
        const v = argv[i + 1];
        if (v === undefined) throw new CliError('usage', `--${name} needs a value`, 2);
        options[name] = v;
        i += 1;
      }
    } else positional.push(a);
  }
  return { positional, options };
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
  const base = io.env.TOLLGATE_URL ?? 'http://127.0.0.1:3000';
  const key = io.env.TOLLGATE_API_KEY;
  return async function call<T = any>(method: 'GET' | 'POST', p: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(new URL(p, base), {
        method,
        headers: {
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(idempotencyKey && method === 'POST' ? { 'idempotency-key': idempotencyKey } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new CliError('unavailable', `cannot reach ${base}: ${(err as Error).message} (is Tollgate running? set TOLLGATE_URL)`);
    }
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const details = Array.isArray(json?.details) ? json.details.map((d: { path?: string; message?: string }) => `\n  ${d.path ?? ''} ${d.message ?? ''}`).join('') : '';
      throw new CliError(json?.code ?? `http_${res.status}`, `${json?.message ?? `${method} ${p} answered ${res.status}`}${details}`);
    }
    return json as T;
  };
}

const enc = encodeURIComponent;

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
      m.id, m.status + (m.acceptance ? ` (${m.acceptance})` : ''), amountOf(m.id), m.completedOn ?? m.declaredOn, m.acceptedOn, m.invoicedOn,
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

function outcomeLine(r: any): string {
  const m = r?.milestone;
  const parts = [r?.outcome ?? 'done'];
  if (r?.reason) parts.push(`— ${r.reason}`);
  if (m) parts.push(`— ${m.id}: ${m.status}${m.invoiceNumbers?.length ? ` (${m.invoiceNumbers.join(', ')})` : ''}`);
  if (r?.version !== undefined && !m) parts.push(`— version ${r.version}`);
  return parts.join(' ');
}

export async function main(argv: string[], io: Io): Promise<number> {
  try {
    const { positional, options } = parseArgs(argv);
    const [command, ...rest] = positional;
    if (!command || options.help || command === 'help') {
      io.out(USAGE);
      return command || options.help ? 0 : 2;
    }
    const need = (n: number, what: string) => {
      if (rest.length < n) throw new CliError('usage', `${command} needs ${what}\n\n${USAGE}`, 2);
      return rest;
    };
    const call = api(io, typeof options['idempotency-key'] === 'string' ? options['idempotency-key'] : undefined);
    const date = typeof options.date === 'string' ? { date: options.date } : {};
    const print = (value: unknown, readable: () => string[] | string) => {
      if (options.json) io.out(JSON.stringify(value, null, 2));
      else for (const l of [readable()].flat()) io.out(l);
    };

    switch (command) {
      case 'create': {
        const [file] = need(1, 'a terms file');
        const r = await call('POST', '/contracts', readDataFile(file!));
        print(r, () => `created ${r.contractId} (workflow ${r.workflowId}, version ${r.version})`);
        return 0;
      }
      case 'complete': case 'declare': case 'accept': case 'reject': {
        const [contract, milestone] = need(2, '<contract> <milestone>');
        const body: Record<string, unknown> = { ...date };
        if (command === 'reject') {
          if (typeof options.reason !== 'string') throw new CliError('usage', 'reject needs --reason R', 2);
          body.reason = options.reason;
        }
        const r = await call('POST', `/contracts/${enc(contract!)}/milestones/${enc(milestone!)}/${command}`, body);
        print(r, () => outcomeLine(r));
        return 0;
      }
      case 'cost': {
        const [contract, obligationId, amount] = need(3, '<contract> <obligation> <amount>');
        const r = await call('POST', `/contracts/${enc(contract!)}/costs`, { obligationId, amount, ...date });
        print(r, () => outcomeLine(r));
        return 0;
      }
      case 'hold': case 'release': {
        const [contract] = need(1, '<contract>');
        const r = await call('POST', `/contracts/${enc(contract!)}/${command}`, { ...date });
        print(r, () => outcomeLine(r));
        return 0;
      }
      case 'amend': {
        const [contract, file] = need(2, '<contract> <file>');
        const amendment = readDataFile(file!) as Record<string, unknown>;
        if (amendment && typeof amendment === 'object' && amendment.baseVersion === undefined) {
          amendment.baseVersion = (await call('GET', `/contracts/${enc(contract!)}`)).version;
        }
        const r = await call('POST', `/contracts/${enc(contract!)}/amendments`, amendment);
        print(r, () => outcomeLine(r));
        return 0;
      }
      case 'clock': {
        const [contract, to] = need(2, '<contract> <date>');
        const r = await call('POST', `/contracts/${enc(contract!)}/clock`, { to });
        print(r, () => outcomeLine(r));
        return 0;
      }
      case 'pay': {
        const [contract, invoiceFor, amount] = need(3, '<contract> <milestone|advance> <amount>');
        const r = await call('POST', `/contracts/${enc(contract!)}/payments`, { amount, invoiceFor, ...date });
        print(r, () => `payment ${r.paymentId} recorded: ${r.amount ?? amount} ${r.currency ?? ''}`.trimEnd());
        return 0;
      }
      case 'show': {
        const [contract] = need(1, '<contract>');
        const s = await call('GET', `/contracts/${enc(contract!)}`);
        print(s, () => renderState(s));
        return 0;
      }
      case 'list': {
        const query = new URLSearchParams();
        for (const k of ['customer', 'status', 'currency', 'pageSize'] as const) if (typeof options[k] === 'string') query.set(k, options[k] as string);
        const data: any[] = [];
        let token: string | undefined;
        do {
          if (token) query.set('nextPageToken', token);
          const page = await call('GET', `/contracts?${query}`);
          data.push(...page.data);
          token = options.all ? page.nextPageToken : undefined;
          if (!options.all && page.nextPageToken) io.err(`(more: --all, or --pageSize; next page token ${page.nextPageToken})`);
        } while (token);
        print(data, () => table(['CONTRACT', 'CUSTOMER', 'CURRENCY', 'STATUS', 'STARTED'], data.map((c) => [c.contractId, c.customerId, c.currency, c.status, c.startedAt])));
        return 0;
      }
      case 'scenarios': {
        const { runScenarioFiles, scenarioFiles } = await import('./run-scenarios');
        return await runScenarioFiles(scenarioFiles(rest), io.out);
      }
      case 'hash-key': {
        const [key] = need(1, '<key>');
        const hash = hashApiKey(key!);
        print({ keyHash: hash }, () => [hash, `entry: {"name": "…", "keyHash": "${hash}", "role": "finance"}`]);
        return 0;
      }
      default:
        throw new CliError('usage', `unknown command ${command}\n\n${USAGE}`, 2);
    }
  } catch (err) {
    if (err instanceof CliError) {
      io.err(`${err.code}: ${err.message}`);
      return err.exitCode;
    }
    io.err(`error: ${(err as Error).message}`);
    return 1;
  }
}

export function runCli(argv = process.argv.slice(2)): void {
  // `tollgate list | head`: a closed pipe ends the command quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : 1));
  main(argv, { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`), env: process.env }).then(
    // Exit explicitly: `scenarios` may leave a stopped stack's handles behind (stdout to a pipe is synchronous).
    (code) => process.exit(code),
    (err) => { process.stderr.write(`error: ${(err as Error).message}\n`); process.exit(1); },
  );
}

if (require.main === module) runCli();
