/**
 * The console in a real browser (playwright-core driving Debian's chromium) on the real stack, with
 * API keys on: finance finds a sandbox contract created here, reads its timeline, its pending
 * deemed-acceptance timer, its documents and charts, amends it (an invalid field shown inline, then
 * a valid change) and holds / releases it — each checked through the API; a support key sees no
 * action at all; with no keys configured (open mode) an empty key works. Screenshots go to
 * test-results/screenshots/ (and the contract page to docs/images/console-contract.png, for the README).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { milestone, sandboxTerms } from '../support/contracts';
import { http, startTestSystem, testApiKeys, uniqueId, waitFor, type TestSystem } from '../support/system';

const CHROMIUM = process.env.TOLLGATE_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run',
  '--disable-component-update', '--disable-sync',
];
const REPO = path.resolve(__dirname, '../..');
const SCREENSHOTS = path.join(REPO, 'test-results', 'screenshots');
const README_SCREENSHOT = path.join(REPO, 'docs', 'images', 'console-contract.png');

/** A browser with a fresh profile; every page error and CSP violation is collected to be asserted on. */
async function openBrowser(): Promise<{ context: BrowserContext; problems: string[]; close: () => Promise<void> }> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: the browser tests need it (npm test runs deploy/local/tools --browser, which installs Debian's chromium; or set TOLLGATE_CHROMIUM)`);
  }
  const profile = mkdtempSync(path.join(os.tmpdir(), 'tollgate-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1440, height: 900 }, acceptDownloads: true,
  });
  const problems: string[] = [];
  const watch = (page: Page) => {
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (/Content Security Policy|Refused to (load|execute|apply)/i.test(msg.text())) problems.push(`CSP: ${msg.text()}`);
    });
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  return {
    context,
    problems,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** True when the chart's canvas has been drawn on (some pixel is not transparent). */
async function chartDrawn(page: Page, testId: string): Promise<boolean> {
  return page.getByTestId(testId).locator('canvas').evaluate((canvas: any) => {
    if (canvas.width === 0 || canvas.height === 0) return false;
    const data: ArrayLike<number> = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
    return false;
  });
}

async function signIn(page: Page, baseUrl: string, key: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.getByTestId('api-key-input').fill(key);
  await page.getByTestId('api-key-submit').click();
}

async function screenshot(page: Page, name: string, ...alsoTo: string[]): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  for (const other of alsoTo) {
    mkdirSync(path.dirname(other), { recursive: true });
    await page.screenshot({ path: other, fullPage: true });
  }
}

describe('the console, in a real browser, with API keys', () => {
  const auth = testApiKeys();
  const customerId = uniqueId('cust-console');
  const terms = sandboxTerms([
    milestone('kickoff', { name: 'Kick-off', description: 'Project kick-off', amount: '20000.00', sequence: 1, plannedFinishDate: '2025-01-20' }),
    milestone('design', {
      name: 'Design sign-off', description: 'Design phase', amount: '30000.00', sequence: 2, plannedFinishDate: '2025-02-28',
      trigger: { type: 'event', completion: 'vendor_declaration', deemedAcceptanceDays: 10 },
    }),
    milestone('go-live', {
      name: 'Go-live', description: 'Go-live of the platform', amount: '50000.00', sequence: 3, plannedFinishDate: '2025-04-30',
      trigger: { type: 'event', completion: 'customer_signoff' },
    }),
  ], { customer: { id: customerId, name: 'Console Test Corp' } });
  const id = terms.contractId;
  let sys: TestSystem;
  let browser: Awaited<ReturnType<typeof openBrowser>>;
  let api: (method: string, p: string, body?: unknown, key?: string) => Promise<{ status: number; body: any; text: string }>;

  const state = async () => {
    const res = await api('GET', `/contracts/${id}`);
    expect(res.status).toBe(200);
    return res.body;
  };
  const settled = () => waitFor(state, (s) => s.pendingEffects === 0);

  beforeAll(async () => {
    sys = await startTestSystem(auth.env);
    api = (method, p, body, key = 'finance') => http(method, `${sys.gatewayUrl}${p}`, body, auth.headers(key));
    // A sandbox contract: kick-off completed and invoiced; design declared (its deemed-acceptance
    // window of 10 days runs); an amendment lowering the invoiced kick-off (a credit memo) and
    // moving go-live's planned finish.
    const expectOk = (res: { status: number; text: string }, what: string) => {
      if (res.status >= 300) throw new Error(`${what}: ${res.status} ${res.text}`);
    };
    expectOk(await api('POST', '/contracts', terms), 'create');
    expectOk(await api('POST', `/contracts/${id}/clock`, { to: '2025-01-15' }), 'clock');
    expectOk(await api('POST', `/contracts/${id}/milestones/kickoff/complete`, {}, 'delivery'), 'complete kickoff');
    expectOk(await api('POST', `/contracts/${id}/clock`, { to: '2025-02-05' }), 'clock');
    expectOk(await api('POST', `/contracts/${id}/milestones/design/declare`, {}, 'delivery'), 'declare design');
    expectOk(await api('POST', `/contracts/${id}/amendments`, {
      baseVersion: 1, changes: { milestones: [{ id: 'kickoff', amount: '18000.00' }, { id: 'go-live', plannedFinishDate: '2025-05-15' }] },
    }), 'amend');
    const s = await settled();
    expect(s.version).toBe(2);
    expect(s.creditMemos).toHaveLength(1);
    browser = await openBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await sys?.stop();
  });

  afterEach(() => {
    // No script error and no Content-Security-Policy violation anywhere in the test.
    expect(browser.problems).toEqual([]);
  });

  test('finance finds the contract by customer and reads its timeline, timers, documents and charts', async () => {
    const page = await browser.context.newPage();
    await signIn(page, sys.gatewayUrl, auth.keys.finance!);
    await expect(page.getByTestId('whoami-role').textContent()).resolves.toBe('finance');

    // Search by customer (visibility is eventually consistent: search again until it is listed).
    await page.getByTestId('search-customer').fill(customerId);
    await page.getByTestId('search-submit').click();
    const row = page.locator(`[data-testid="contract-row"][data-contract-id="${id}"]`);
    await waitFor(async () => {
      if ((await row.count()) === 0) await page.getByTestId('search-refresh').click();
      return row.count();
    }, (n) => n === 1, 30_000);
    await expect(page.getByTestId('contract-row').count()).resolves.toBe(1);
    await row.getByRole('link', { name: id }).click();

    // The header and the timeline against the planned finish dates.
    await page.getByTestId('contract-page').waitFor();
    await expect(page.getByTestId('contract-version').textContent()).resolves.toBe('2');
    await expect(page.getByTestId('contract-clock').textContent()).resolves.toContain('2025-02-05');
    const milestoneRow = (mid: string) => page.locator(`[data-testid="milestone-row"][data-milestone-id="${mid}"]`);
    await expect(milestoneRow('kickoff').getAttribute('data-status')).resolves.toBe('invoiced');
    await expect(milestoneRow('kickoff').getByTestId('milestone-accepted').textContent()).resolves.toContain('2025-01-15');
    await expect(milestoneRow('kickoff').getByTestId('milestone-accepted-by').textContent()).resolves.toBe('by delivery (delivery)');
    await expect(milestoneRow('design').getAttribute('data-status')).resolves.toBe('declared');
    await expect(milestoneRow('go-live').getAttribute('data-status')).resolves.toBe('planned');
    await expect(milestoneRow('go-live').textContent()).resolves.toContain('2025-05-15');

    // The pending deemed-acceptance timer: fires on 2025-02-15, 10 days ahead on the sandbox clock.
    const timer = page.locator('[data-testid="timer-row"][data-kind="acceptance"][data-milestone-id="design"]');
    await expect(timer.getAttribute('data-date')).resolves.toBe('2025-02-15');
    await expect(timer.getByTestId('timer-countdown').textContent()).resolves.toBe('in 10 days (clock 2025-02-05)');

    // Terms versions: v2 says what the amendment changed.
    await expect(page.getByTestId('version-row').count()).resolves.toBe(2);
    const diff = await page.getByTestId('version-diff').textContent();
    expect(diff).toContain('kickoff changed — amount: 20000.00 → 18000.00');
    expect(diff).toContain('go-live changed — plannedFinishDate: 2025-04-30 → 2025-05-15');

    // Documents: the kick-off invoice (credited in part), its credit memo, and what is still to come.
    const s = await state();
    const invoiceNumber: string = s.invoices[0].number;
    const invoiceRow = page.locator(`[data-testid="document-row"][data-number="${invoiceNumber}"]`);
    await invoiceRow.waitFor();
    await expect(invoiceRow.getAttribute('data-status')).resolves.toBe('issued');
    await expect(page.locator(`[data-testid="document-row"][data-number="${s.creditMemos[0].number}"]`).getAttribute('data-status')).resolves.toBe('credit memo');
    await expect(page.locator('[data-testid="document-row"][data-status="future"]').count()).resolves.toBe(2);

    // The printable invoice opens (fetched with the key, shown from a blob URL).
    const [printable] = await Promise.all([browser.context.waitForEvent('page'), invoiceRow.getByTestId('doc-html').click()]);
    await printable.waitForLoadState();
    expect(printable.url()).toMatch(/^blob:/);
    await expect(printable.locator('body').textContent()).resolves.toContain(invoiceNumber);
    await printable.close();

    // The visual schedule: the SVG shown, and its PNG saved with the key (a download from a blob URL).
    await page.getByTestId('schedule-image').waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('schedule-png').click()]);
    expect(download.suggestedFilename()).toBe(`schedule-${id}.png`);
    const png = readFileSync((await download.path())!);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');

    // Billing vs revenue: drawn, and the figures behind it (January billed 20000 − nothing; February −2000 credit).
    await page.getByTestId('chart-billing-revenue').locator('canvas').waitFor();
    expect(await chartDrawn(page, 'chart-billing-revenue')).toBe(true);
    await expect(page.locator('[data-testid="billing-revenue-row"][data-month="2025-01"] td').nth(1).textContent()).resolves.toBe('20000.00');
    await expect(page.locator('[data-testid="billing-revenue-row"][data-month="2025-02"] td').nth(1).textContent()).resolves.toBe('-2000.00');

    await expect(page.getByTestId('action-panel').isVisible()).resolves.toBe(true);
    await screenshot(page, 'contract-finance', README_SCREENSHOT);
    await page.close();
  });

  test('finance amends the contract: an invalid amount is shown beside its field, a valid one makes version 3', async () => {
    const page = await browser.context.newPage();
    await signIn(page, sys.gatewayUrl, auth.keys.finance!);
    // Straight to the contract by its id.
    await page.getByTestId('search-contract-id').fill(id);
    await page.getByTestId('open-contract').click();
    await page.getByTestId('action-amend-form').waitFor();

    await page.getByTestId('action-amend-amount-go-live').fill('55000.001');
    await page.getByTestId('action-amend-submit').click();
    const fieldError = page.getByTestId('action-amend-error-go-live-amount');
    await fieldError.waitFor();
    await expect(fieldError.textContent()).resolves.toMatch(/decimal|minor|places|digits/i);
    await expect(page.getByTestId('action-amend-amount-go-live').getAttribute('aria-invalid')).resolves.toBe('true');
    expect((await state()).version).toBe(2);
    await screenshot(page, 'amendment-invalid');

    await page.getByTestId('action-amend-amount-go-live').fill('55000.00');
    await page.getByTestId('action-amend-submit').click();
    await expect(page.getByTestId('action-amend-result').textContent()).resolves.toContain('now version 3');
    await expect(fieldError.count()).resolves.toBe(0);
    const s = await settled();
    expect(s.version).toBe(3);
    expect(s.versions[2].terms.milestones.find((m: { id: string }) => m.id === 'go-live').amount).toBe('55000.00');
    expect(s.log.at(-1)).toMatchObject({ kind: 'amend', outcome: 'applied', actor: { type: 'key', name: 'finance', role: 'finance' } });
    await waitFor(() => page.getByTestId('contract-version').textContent(), (t) => t === '3');
    await page.close();
  });

  test('finance places a hold and releases it, as the API then shows', async () => {
    const page = await browser.context.newPage();
    await signIn(page, sys.gatewayUrl, auth.keys.finance!);
    await page.goto(`${sys.gatewayUrl}/#/contracts/${id}`);

    await page.getByTestId('action-hold').click();
    await waitFor(() => page.getByTestId('contract-hold').textContent(), (t) => t?.includes('on hold since 2025-02-05') === true);
    const held = await state();
    expect(held.hold).toEqual({ since: '2025-02-05' });
    expect(held.log.at(-1)).toMatchObject({ kind: 'hold', outcome: 'applied', actor: { name: 'finance', role: 'finance' } });

    await page.getByTestId('action-release').click();
    await waitFor(() => page.getByTestId('contract-hold').textContent(), (t) => t === 'none');
    const released = await state();
    expect(released.hold).toBeUndefined();
    expect(released.log.at(-1)).toMatchObject({ kind: 'release', outcome: 'applied', actor: { name: 'finance' } });
    await expect(page.getByTestId('action-result').textContent()).resolves.toContain('Release: applied');
    await page.close();
  });

  test('the finance page draws AR aging, the waterfall and the roll-forward, and shows the KPIs', async () => {
    const page = await browser.context.newPage();
    await signIn(page, sys.gatewayUrl, auth.keys.finance!);
    await page.goto(`${sys.gatewayUrl}/#/finance?currency=USD&contract=${id}&sandbox=true&from=2025-01&to=2025-03`);
    await page.getByTestId('finance-page').waitFor();
    for (const panel of ['aging', 'waterfall', 'roll-forward', 'kpi-panel']) {
      await page.locator(`[data-testid="${panel}"]:not([data-state="loading"])`).waitFor();
    }
    for (const chart of ['chart-aging', 'chart-waterfall', 'chart-roll-forward']) {
      await page.getByTestId(chart).locator('canvas').waitFor();
      expect(await chartDrawn(page, chart)).toBe(true);
    }
    // The KPIs of the sandbox contracts over the contract's months, from the events it produced.
    await page.getByTestId('kpi-values').waitFor();
    await expect(page.getByTestId('kpi-month').evaluateAll((rows) => rows.map((r: any) => r.getAttribute('data-month')))).resolves.toEqual(['2025-01', '2025-02', '2025-03']);
    // The kick-off invoice (2025-01-15) was issued the day it was accepted: cycle time 0, same day 1 of 1.
    await expect(page.getByTestId('kpi-same-day').textContent()).resolves.toContain('100.0 % 1 of 1');
    await expect(page.getByTestId('kpi-cycle-time').textContent()).resolves.toContain('median 0 · p90 0');
    expect(await chartDrawn(page, 'chart-kpi-cycle')).toBe(true);
    await expect(page.getByTestId('finance-page').getByTestId('error-banner').count()).resolves.toBe(0);
    await screenshot(page, 'finance');

    // The same reports over the whole (real) books: the ledger-wide routes answer.
    await page.goto(`${sys.gatewayUrl}/#/finance?currency=USD`);
    for (const panel of ['waterfall', 'roll-forward', 'kpi-panel']) {
      const settledPanel = page.locator(`[data-testid="${panel}"]:not([data-state="loading"])`);
      await settledPanel.waitFor();
      await expect(settledPanel.getAttribute('data-state')).resolves.toBe('loaded');
    }
    await expect(page.getByTestId('waterfall').textContent()).resolves.toContain('the books, USD');
    await expect(page.getByTestId('finance-page').getByTestId('error-banner').count()).resolves.toBe(0);
    await page.close();
  });

  test('a support key reads the contract but sees no action, and the API refuses it anyway', async () => {
    const page = await browser.context.newPage();
    await signIn(page, sys.gatewayUrl, auth.keys.support!);
    await expect(page.getByTestId('whoami-role').textContent()).resolves.toBe('support');
    // Support finds the contract from one of its invoice numbers.
    const invoiceNumber: string = (await state()).invoices[0].number;
    await page.getByTestId('search-invoice').fill(invoiceNumber);
    await page.getByTestId('open-invoice').click();
    await page.getByTestId('contract-page').waitFor();
    expect(page.url()).toBe(`${sys.gatewayUrl}/#/contracts/${id}`);
    await page.locator('[data-testid="milestone-row"][data-milestone-id="design"]').waitFor();
    await page.getByTestId('documents').waitFor();
    await expect(page.locator('[data-testid^="action-"]').count()).resolves.toBe(0);
    await expect(page.locator('form.amend, .actions').count()).resolves.toBe(0);
    await screenshot(page, 'contract-support');
    await page.close();

    const refused = await api('POST', `/contracts/${id}/hold`, {}, 'support');
    expect(refused.status).toBe(403);
  });

  /*
   * A schedule template of this run (docs/templates.md), saved once through the API with the finance
   * key: version 1 a 50/50 draft, version 2 the 30/40/30 policy (the latest, what the list shows).
   */
  const templateName = uniqueId('console-erp');
  const templateOf = (description: string, percents: [string, string, string] | [string, string]) => ({
    name: templateName,
    description,
    paymentTerms: 'NET_30',
    obligations: [
      { id: 'impl', name: 'ERP implementation', recognition: { method: 'milestones' } },
      { id: 'cutover', name: 'Production cutover', recognition: { method: 'point_in_time', satisfiedBy: 'golive' } },
    ],
    milestones: [
      { id: 'kickoff', name: 'Kick-off', description: 'Project kick-off', obligationId: 'impl', percent: percents[0],
        trigger: { type: 'event', completion: 'external_event' }, plannedFinishDays: 14 },
      ...(percents.length === 3 ? [{ id: 'uat', name: 'UAT sign-off', description: 'UAT signed off', obligationId: 'impl', percent: percents[1],
        trigger: { type: 'event', completion: 'customer_signoff', deemedAcceptanceDays: 10 },
        invoiceTiming: { type: 'days_after_acceptance', days: 5 }, plannedFinishDays: 60 }] : []),
      { id: 'golive', name: 'Go-live', description: 'Production go-live', obligationId: 'cutover', percent: percents[percents.length - 1],
        trigger: { type: 'date', daysAfterSigning: 90 }, invoiceTiming: { type: 'next_billing_cycle' } },
    ],
  });
  let templateSaved: Promise<void> | undefined;
  const saveTemplate = () => {
    templateSaved ??= (async () => {
      const v1 = await api('POST', '/templates', templateOf('Draft: half and half', ['50', '50']));
      expect([v1.status, v1.body.version]).toEqual([201, 1]);
      const v2 = await api('POST', '/templates', templateOf('Fixed-fee ERP implementation', ['30', '40', '30']));
      expect([v2.status, v2.body.version]).toEqual([201, 2]);
    })();
    return templateSaved;
  };

  test('finance finds a template, reads its versions, previews a JPY contract from it (1000001 by 30/40/30) and creates it', async () => {
    await saveTemplate();
    const contractId = uniqueId('tpl-contract');
    const tplCustomer = uniqueId('cust-tpl');
    const page = await browser.context.newPage();
    await signIn(page, sys.gatewayUrl, auth.keys.finance!);
    await page.getByTestId('nav-templates').click();

    // The list, a page at a time: Next until this run's template shows (each row its latest version).
    const row = page.locator(`[data-testid="template-row"][data-template-name="${templateName}"]`);
    const firstName = () => page.getByTestId('template-row').first().getAttribute('data-template-name');
    for (let pages = 1; pages <= 50; pages++) {
      await page.locator('[data-testid="template-list"][data-state="loaded"]').waitFor();
      if ((await row.count()) === 1 || await page.getByTestId('template-page-next').isDisabled()) break;
      const before = await firstName();
      await page.getByTestId('template-page-next').click();
      await waitFor(firstName, (n) => n !== before);
    }
    await expect(row.count()).resolves.toBe(1);
    await expect(row.getAttribute('data-version')).resolves.toBe('2');
    await expect(row.getByTestId('template-percents').textContent()).resolves.toBe('kickoff 30 % · uat 40 % · golive 30 %');
    await expect(row.textContent()).resolves.toContain('Fixed-fee ERP implementation');
    await screenshot(page, 'templates');
    await row.getByRole('link', { name: templateName }).click();

    // The template page: the latest version's obligations and milestones; version 1 can be picked.
    const templatePage = page.locator(`[data-testid="template-page"][data-template-name="${templateName}"]`);
    await expect(templatePage.getAttribute('data-version')).resolves.toBe('2');
    await expect(page.getByTestId('template-obligation-row').count()).resolves.toBe(2);
    const milestoneRow = (mid: string) => page.locator(`[data-testid="template-milestone-row"][data-milestone-id="${mid}"]`);
    await expect(page.getByTestId('template-milestone-row').count()).resolves.toBe(3);
    await expect(milestoneRow('uat').textContent()).resolves.toMatch(/40 %.*customer signoff, deemed accepted after 10 days.*5 days after acceptance.*60 days after signing/);
    await expect(milestoneRow('golive').textContent()).resolves.toContain('date: 90 days after signing');
    await page.getByTestId('template-version-select').selectOption('1');
    await page.locator('[data-testid="template-page"][data-version="1"]').waitFor();
    expect(page.url()).toBe(`${sys.gatewayUrl}/#/templates/${templateName}?version=1`);
    await expect(page.getByTestId('template-milestone-row').count()).resolves.toBe(2);
    await expect(page.getByTestId('template-header').getByTestId('template-percents').textContent()).resolves.toBe('kickoff 50 % · golive 50 %');
    await page.getByTestId('template-version-select').selectOption('2');
    await page.locator('[data-testid="template-page"][data-version="2"]').waitFor();

    // The form: a fee JPY cannot have (decimals) is refused by the API, shown beside the fee.
    await page.getByTestId('action-template-contractId').fill(contractId);
    await page.getByTestId('action-template-customerId').fill(tplCustomer);
    await page.getByTestId('action-template-customerName').fill('Template Test KK');
    await page.getByTestId('action-template-currency').fill('JPY');
    await page.getByTestId('action-template-signedDate').fill('2025-04-01');
    await page.getByTestId('action-template-clockStart').fill('2025-04-01');
    await page.getByTestId('action-template-fee').fill('1000001.5');
    await expect(page.getByTestId('action-template-create').isDisabled()).resolves.toBe(true);
    await page.getByTestId('action-template-preview').click();
    const feeError = page.getByTestId('action-template-error-fee');
    await feeError.waitFor();
    await expect(feeError.textContent()).resolves.toMatch(/decimal|minor|places|digits/i);
    await expect(page.getByTestId('action-template-fee').getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(page.getByTestId('template-preview').count()).resolves.toBe(0);

    // The preview: the amounts by the largest remainder (the leftover yen to uat), dates from the signed date.
    await page.getByTestId('action-template-fee').fill('1000001');
    await page.getByTestId('action-template-preview').click();
    await page.getByTestId('template-preview').waitFor();
    await expect(feeError.count()).resolves.toBe(0);
    const previewRow = (mid: string) => page.locator(`[data-testid="template-preview-row"][data-milestone-id="${mid}"]`);
    const amounts = await page.getByTestId('template-preview-amount').evaluateAll((cells) => cells.map((c: any) => c.getAttribute('data-amount')));
    expect(amounts).toEqual(['300000', '400001', '300000']);
    await expect(previewRow('uat').getByTestId('template-preview-amount').textContent()).resolves.toBe('400,001 JPY');
    await expect(previewRow('kickoff').getByTestId('template-preview-date').textContent()).resolves.toBe('2025-04-15');
    await expect(previewRow('uat').getByTestId('template-preview-date').textContent()).resolves.toBe('2025-05-31');
    await expect(previewRow('golive').getByTestId('template-preview-date').textContent()).resolves.toBe('2025-06-30');
    await expect(page.getByTestId('template-contract-value').textContent()).resolves.toBe('1,000,001 JPY');
    await expect(page.getByTestId('template-preview-sum').textContent()).resolves.toBe('1,000,001 JPY');
    // Nothing was created by the previews.
    expect((await api('GET', `/contracts/${contractId}`)).status).toBe(404);
    await screenshot(page, 'template-preview');

    // A change after the preview: Create waits for a new preview.
    await page.getByTestId('action-template-customerName').fill('Template Test');
    await page.getByTestId('template-preview-stale').waitFor();
    await expect(page.getByTestId('action-template-create').isDisabled()).resolves.toBe(true);
    await page.getByTestId('action-template-customerName').fill('Template Test KK');
    await expect(page.getByTestId('action-template-create').isDisabled()).resolves.toBe(false);

    // Create: the contract exists (the API says so, with the previewed terms) and its page opens from the link.
    await page.getByTestId('action-template-create').click();
    const created = page.getByTestId('template-created-link');
    await created.waitFor();
    await expect(page.getByTestId('action-template-result').textContent()).resolves.toContain(`from ${templateName} version 2`);
    const res = await api('GET', `/contracts/${contractId}`);
    expect(res.status).toBe(200);
    const terms = res.body.versions[0].terms;
    expect(terms.customer).toEqual({ id: tplCustomer, name: 'Template Test KK' });
    expect(terms.milestones.map((m: { id: string; amount: string }) => [m.id, m.amount])).toEqual([['kickoff', '300000'], ['uat', '400001'], ['golive', '300000']]);
    expect(terms.contractValue).toBe('1000001');
    expect(res.body.sandbox).toBe(true);
    await created.click();
    await page.locator(`[data-testid="contract-page"][data-contract-id="${contractId}"]`).waitFor();
    expect(page.url()).toBe(`${sys.gatewayUrl}/#/contracts/${contractId}`);
    await expect(page.locator('[data-testid="milestone-row"][data-milestone-id="uat"]').textContent()).resolves.toContain('400,001');
    await page.close();
  });

  test('a support key reads the template but gets no form to build a contract, and the API refuses it anyway', async () => {
    await saveTemplate();
    const page = await browser.context.newPage();
    await signIn(page, sys.gatewayUrl, auth.keys.support!);
    await expect(page.getByTestId('whoami-role').textContent()).resolves.toBe('support');
    await page.goto(`${sys.gatewayUrl}/#/templates/${templateName}`);
    await page.locator(`[data-testid="template-page"][data-template-name="${templateName}"]`).waitFor();
    await expect(page.getByTestId('template-milestone-row').count()).resolves.toBe(3);
    await expect(page.getByTestId('template-header').getByTestId('template-percents').textContent()).resolves.toBe('kickoff 30 % · uat 40 % · golive 30 %');
    await expect(page.getByTestId('action-template-form').count()).resolves.toBe(0);
    await expect(page.locator('[data-testid^="action-"]').count()).resolves.toBe(0);
    await page.close();

    const refused = await api('POST', `/templates/${templateName}/contracts`, {
      contractId: uniqueId('tpl-support'), customer: { id: 'cust-x', name: 'X' }, currency: 'JPY', signedDate: '2025-04-01', fee: '1000',
    }, 'support');
    expect(refused.status).toBe(403);
  });

  test('a wrong key is sent back to the sign-in form with the API\'s answer', async () => {
    const page = await browser.context.newPage();
    await signIn(page, sys.gatewayUrl, 'not-a-key');
    const banner = page.getByTestId('error-banner');
    await banner.waitFor();
    await expect(banner.textContent()).resolves.toContain('401 unauthorized');
    await expect(page.getByTestId('api-key-input').isVisible()).resolves.toBe(true);
    await page.close();
  });
});

describe('the console with no API keys configured (open mode)', () => {
  let sys: TestSystem;
  let browser: Awaited<ReturnType<typeof openBrowser>>;
  beforeAll(async () => {
    sys = await startTestSystem();
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await sys?.stop();
  });

  test('an empty key signs in as the open-mode admin and the shell carries its own CSP', async () => {
    const shell = await fetch(`${sys.gatewayUrl}/`);
    expect(shell.status).toBe(200);
    expect(shell.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await shell.text();
    expect(html).not.toMatch(/<script>(?!<)/);
    const asset = /src="(\/console\/assets\/app\.js\?v=[0-9a-f]+)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    expect((await fetch(`${sys.gatewayUrl}${asset}`)).headers.get('content-type')).toContain('javascript');

    const page = await browser.context.newPage();
    await signIn(page, sys.gatewayUrl, '');
    await expect(page.getByTestId('whoami-role').textContent()).resolves.toBe('admin');
    await page.getByTestId('contract-list').waitFor();
    await expect(page.getByTestId('error-banner').count()).resolves.toBe(0);
    await page.close();
    expect(browser.problems).toEqual([]);
  });
});
