/** Thin HTTP routes over the revenue use cases; reports answer JSON or CSV (`?format=csv`). */
import { Router, type Response } from 'express';
import { ACCOUNTS } from '../../libs/accounting';
import { validate } from '../../libs/http';
import { requireIdempotencyKey } from '../../libs/idempotency';
import {
  balancesQuery,
  closePeriodSchema,
  entriesQuery,
  journalQuery,
  ledgerFor,
  periodsQuery,
  postPlanSchema,
  postingSchema,
  reportQuery,
  seriesQuery,
} from './api';
import { AppError } from '../../libs/domain/errors';
import { glExportCsv, glExportQuery, type GlExport } from './gl';
import type { LedgerUseCases } from './ledger';
import { revenueOpenApi } from './openapi';
import { toCsv, type ReportUseCases } from './reports';
import { formatMoney, sumMoney } from '../../libs/money';

function sendCsv(res: Response, name: string, header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): void {
  res.type('text/csv').setHeader('Content-Disposition', `attachment; filename="${name}.csv"`);
  res.send(toCsv(header, rows));
}

export function ledgerRoutes(ledger: LedgerUseCases, reports: ReportUseCases, glExport?: (period: string) => Promise<GlExport>): Router {
  const router = Router();

  const openapi = revenueOpenApi();
  router.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });

  router.post('/plans', async (req, res) => {
    const key = requireIdempotencyKey(req.get('idempotency-key'));
    const { result, created } = await ledger.plan(validate(postPlanSchema, req.body), key);
    if (!created) res.setHeader('Idempotent-Replayed', 'true');
    res.status(created ? 201 : 200).json(result);
  });
  router.get('/plans', async (req, res) => {
    const q = validate(periodsQuery.required({ contractId: true }), req.query, 'query');
    res.json({ data: await ledger.plans(q.contractId, q.sandbox === 'true') });
  });

  router.post('/postings', async (req, res) => {
    const key = requireIdempotencyKey(req.get('idempotency-key'));
    const { entry, created } = await ledger.post(validate(postingSchema, req.body), key);
    if (!created) res.setHeader('Idempotent-Replayed', 'true');
    res.status(created ? 201 : 200).json(entry);
  });

  router.post('/periods/close', async (req, res) => {
    const result = await ledger.closePeriod(validate(closePeriodSchema, req.body));
    res.status(result.outcome === 'closed' ? 201 : 200).json(result);
  });
  router.get('/periods', async (req, res) => {
    const q = validate(periodsQuery, req.query, 'query');
    const ledgerName = q.sandbox === 'true' ? ledgerFor(q.contractId ?? '', true) : 'books';
    res.json({ ledger: ledgerName, closed: await ledger.closedPeriods(ledgerName) });
  });

  router.get('/entries', async (req, res) => {
    const q = validate(entriesQuery, req.query, 'query');
    const sandbox = q.sandbox === undefined ? undefined : q.sandbox === 'true';
    res.json({ data: await ledger.entries({ contractId: q.contractId, sandbox }, q.limit, q.offset), limit: q.limit, offset: q.offset });
  });
  router.get('/balances', async (req, res) => {
    const q = validate(balancesQuery, req.query, 'query');
    res.json(await ledger.balances(q.contractId, q.sandbox === 'true', q.asOf));
  });

  router.get('/reports/revenue-by-period', async (req, res) => {
    const q = validate(seriesQuery, req.query, 'query');
    const r = await reports.revenueByPeriod(q);
    if (q.format === 'json') return void res.json(r);
    const periods = Object.keys(r.revenueByPeriod);
    const rows = r.contracts.map((c) => [c.contractId, ...periods.map((p) => c.revenueByPeriod[p] ?? '0'), sum(Object.values(c.revenueByPeriod), r.currency)]);
    rows.push(['TOTAL', ...periods.map((p) => r.revenueByPeriod[p]!), sum(Object.values(r.revenueByPeriod), r.currency)]);
    sendCsv(res, 'revenue-by-period', ['contractId', ...periods, 'total'], rows);
  });
  router.get('/reports/balances', async (req, res) => {
    const q = validate(reportQuery, req.query, 'query');
    const r = await reports.balances(q);
    if (q.format === 'json') return void res.json(r);
    sendCsv(res, 'balances', ['account', 'balance'], ACCOUNTS.map((a) => [a, r.balances[a]]));
  });
  router.get('/reports/month-end-balances', async (req, res) => {
    const q = validate(seriesQuery, req.query, 'query');
    const r = await reports.monthEndBalances(q);
    if (q.format === 'json') return void res.json(r);
    sendCsv(res, 'month-end-balances', ['period', ...ACCOUNTS], Object.entries(r.balances).map(([p, b]) => [p, ...ACCOUNTS.map((a) => b[a])]));
  });
  router.get('/reports/roll-forward', async (req, res) => {
    const q = validate(seriesQuery, req.query, 'query');
    const r = await reports.rollForward(q);
    if (q.format === 'json') return void res.json(r);
    const rows = (['deferred_revenue', 'unbilled_ar'] as const).flatMap((a) => r[a].map((x) => [a, x.period, x.opening, x.additions, x.releases, x.closing]));
    sendCsv(res, 'roll-forward', ['account', 'period', 'opening', 'additions', 'releases', 'closing'], rows);
  });
  router.get('/reports/contract-balances', async (req, res) => {
    const q = validate(reportQuery, req.query, 'query');
    const r = await reports.contractBalances(q);
    if (q.format === 'json') return void res.json(r);
    sendCsv(res, 'contract-balances', ['contractId', ...ACCOUNTS, 'position'], r.contracts.map((c) => [c.contractId, ...ACCOUNTS.map((a) => c[a]), c.position]));
  });
  router.get('/reports/trial-balance', async (req, res) => {
    const q = validate(reportQuery, req.query, 'query');
    const r = await reports.trialBalance(q);
    if (q.format === 'json') return void res.json(r);
    const rows = r.accounts.map((a) => [a.account, a.debit, a.credit]);
    rows.push(['TOTAL', r.totals.debit, r.totals.credit]);
    sendCsv(res, 'trial-balance', ['account', 'debit', 'credit'], rows);
  });
  router.get('/reports/journal', async (req, res) => {
    const q = validate(journalQuery, req.query, 'query');
    const { ledger: ledgerName, entries } = await reports.select(q, { limit: q.limit, offset: q.offset });
    const data = entries.map(({ idempotencyKey, requestHash, ...e }) => (void idempotencyKey, void requestHash, { ...e, _id: undefined }));
    if (q.format === 'json') return void res.json({ ledger: ledgerName, data, limit: q.limit, offset: q.offset });
    const rows = data.flatMap((e) => e.lines.map((l) => [e.entryId, e.contractId, e.seq, e.eventDate, e.postingDate, e.source.type, e.source.ref, l.account, l.debit, l.credit]));
    sendCsv(res, 'journal', ['entryId', 'contractId', 'seq', 'eventDate', 'postingDate', 'sourceType', 'sourceRef', 'account', 'debit', 'credit'], rows);
  });

  // The GL export of a closed month of the books (services/revenue/gl.ts); 409 for an open month.
  router.get('/gl/export', async (req, res) => {
    const q = validate(glExportQuery, req.query, 'query');
    if (!glExport) throw new AppError('not_found', 'no GL export on this revenue service');
    const x = await glExport(q.period);
    if (q.format === 'json') return void res.json(x);
    res.type('text/csv').setHeader('Content-Disposition', `attachment; filename="gl-${x.period}.csv"`);
    if (x.unmapped.length) res.setHeader('X-Tollgate-Unmapped-Accounts', x.unmapped.join(','));
    res.send(glExportCsv(x));
  });

  return router;
}

function sum(values: readonly string[], currency: string): string {
  return formatMoney(sumMoney(values), currency);
}
