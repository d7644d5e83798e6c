/**
 * `npm run bench -- --store`: the store's own cost as a collection grows, on a throwaway FerretDB
 * built by deploy/local/tools (the patched one), with the operations and document shape of
 * ../shared/STACK.md's table (~1.5 KB ledger-like documents; unique idempotencyKey,
 * {ledger, contractId, seq}, {ledger, postingDate}), so the figures compare line by line.
 * Prints medians in ms and writes bench/results/store-<date>.{json,md}. Asserts nothing.
 * `--ferretdb=PATH` measures another build (e.g. upstream v1.24.2, for the before/after).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import mongoose from 'mongoose';
import { freePort, startFerretDb, toolPath } from '../deploy/local/servers';

const SIZES = (process.argv.find((a) => a.startsWith('--store-sizes='))?.split('=')[1] ?? '1000,10000,50000').split(',').map(Number);
const SAMPLES = 25;
const BINARY = process.argv.find((a) => a.startsWith('--ferretdb='))?.split('=')[1];

function doc(i: number) {
  return {
    _id: `e-${i}`,
    idempotencyKey: `key-${i}`,
    ledger: 'books',
    contractId: `contract-${Math.floor(i / 10)}`,
    seq: (i % 10) + 1,
    postingDate: `2026-${String((i % 12) + 1).padStart(2, '0')}-15`,
    lines: Array.from({ length: 4 }, (_, k) => ({ account: ['ar', 'revenue', 'deferred_revenue', 'unbilled_ar'][k], debit: '1234.56', credit: '0.00', memo: 'x'.repeat(200) })),
    source: { type: 'milestone', ref: `m-${i % 10}` },
    createdAt: new Date(1_700_000_000_000 + i * 1000).toISOString(),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function time(fn: (i: number) => Promise<unknown>, base: number): Promise<number> {
  const ms: number[] = [];
  for (let k = 0; k < SAMPLES; k += 1) {
    const t = process.hrtime.bigint();
    await fn(base + k);
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(ms);
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'tollgate-store-'));
  const ferret = await startFerretDb({ port: await freePort(), dataDir: path.join(tmp, 'ferretdb'), binary: BINARY });
  const version = execFileSync(BINARY ?? toolPath('ferretdb'), ['--version']).toString().split('\n')[0];
  const conn = await mongoose.createConnection(ferret.address, { dbName: 'storebench' }).asPromise();
  const coll = conn.db!.collection<Record<string, unknown>>('entries');
  await coll.createIndex({ idempotencyKey: 1 }, { unique: true });
  await coll.createIndex({ ledger: 1, contractId: 1, seq: 1 }, { unique: true });
  await coll.createIndex({ ledger: 1, postingDate: 1 });
  const rows: Record<string, Record<number, number>> = {};
  const put = (op: string, size: number, v: number) => ((rows[op] ??= {})[size] = Number(v.toFixed(2)));
  let filled = 0;
  try {
    for (const size of SIZES) {
      while (filled < size) {
        const n = Math.min(1000, size - filled);
        await coll.insertMany(Array.from({ length: n }, (_, k) => doc(filled + k)) as never[], { ordered: false });
        filled += n;
        process.stderr.write(`\rfilling ${filled}/${size}`);
      }
      process.stderr.write('\n');
      const pick = (i: number) => (i * 7919) % size;
      put('insertOne (unique index checked)', size, await time((i) => coll.insertOne({ ...doc(10_000_000 + size + i) } as never), 0));
      put('findOne by _id', size, await time((i) => coll.findOne({ _id: `e-${pick(i)}` } as never), 0));
      put('findOne by an indexed field', size, await time((i) => coll.findOne({ idempotencyKey: `key-${pick(i)}` }), 0));
      put('find by {ledger, contractId} (10 docs)', size, await time((i) => coll.find({ ledger: 'books', contractId: `contract-${Math.floor(pick(i) / 10)}` }).toArray(), 0));
      put('updateOne by _id', size, await time((i) => coll.updateOne({ _id: `e-${pick(i)}` } as never, { $set: { touched: i } }), 0));
      put('aggregate $match {ledger, contractId} + $group', size, await time((i) => coll.aggregate([{ $match: { ledger: 'books', contractId: `contract-${Math.floor(pick(i) / 10)}` } }, { $group: { _id: '$ledger', n: { $sum: 1 } } }]).toArray(), 0));
      process.stderr.write(`measured at ${size}\n`);
    }
  } finally {
    await conn.close();
    await ferret.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
  const header = `| operation | ${SIZES.map((s) => s.toLocaleString('en-US')).join(' | ')} | ${SIZES.at(-1)!.toLocaleString('en-US')} ÷ ${SIZES[0]!.toLocaleString('en-US')} |`;
  const lines = [header, `|---|${SIZES.map(() => '---').join('|')}|---|`];
  for (const [op, bySize] of Object.entries(rows)) {
    lines.push(`| ${op} | ${SIZES.map((s) => bySize[s]).join(' | ')} | ${(bySize[SIZES.at(-1)!]! / bySize[SIZES[0]!]!).toFixed(2)}× |`);
  }
  const facts = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${version}`;
  const md = [`# Store cost as a collection grows (median ms of ${SAMPLES})`, '', `Machine: ${facts}. ${new Date().toISOString()}`, '', ...lines, ''].join('\n');
  process.stdout.write(`\n${md}`);
  const dir = path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = `${new Date().toISOString().slice(0, 10)}${BINARY ? '-baseline' : ''}`;
  writeFileSync(path.join(dir, `store-${stamp}.md`), md);
  writeFileSync(path.join(dir, `store-${stamp}.json`), JSON.stringify({ machine: facts, samples: SAMPLES, sizes: SIZES, rows }, null, 2));
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
