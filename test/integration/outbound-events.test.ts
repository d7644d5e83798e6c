/**
 * Outbound events end to end (DESIGN §9, docs/events.md): a subscribed endpoint receives every
 * event of a contract's life — milestones accepted (on completion, sign-off and deemed), invoices
 * and a credit memo issued, a payment applied, invoices overdue — exactly once, signed, across a
 * restart of the gateway while deliveries were failing, with the retries in the delivery log.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from '../../libs/auth';
import { milestone, sandboxTerms, TestContract } from '../support/contracts';
import { http, startTestSystem, uniqueId, waitFor, type TestSystem } from '../support/system';

interface Receipt { id: string; type: string; status: number; signed: boolean; attempt: string; body: any }

/** An endpoint that checks each delivery's signature and answers 500 while `failing` (or for the next `failNext` requests). */
class Receiver {
  readonly receipts: Receipt[] = [];
  secret = '';
  failing = false;
  failNext = 0;
  private server?: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req).then((status) => { res.statusCode = status; res.end(status === 200 ? 'ok' : 'try later'); }));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/tollgate`;
  }

  private async handle(req: IncomingMessage): Promise<number> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    let signed = true;
    try {
      verifyWebhook({
        source: { name: 'tollgate', secrets: [this.secret] }, timestamp: req.headers['x-tollgate-timestamp'] as string,
        signature: req.headers['x-tollgate-signature'] as string, rawBody: raw, toleranceSeconds: 300,
      });
    } catch {
      signed = false;
    }
    const body = JSON.parse(raw.toString('utf8'));
    let status = 200;
    if (!signed) status = 401;
    else if (this.failing) status = 500;
    else if (this.failNext > 0) {
      this.failNext -= 1;
      status = 500;
    }
    this.receipts.push({ id: body.id, type: body.type, status, signed, attempt: req.headers['x-tollgate-attempt'] as string, body });
    return status;
  }

  /** Event ids acknowledged (2xx), with how many times each. */
  accepted(): Map<string, number> {
    const m = new Map<string, number>();
    for (const r of this.receipts) if (r.status === 200) m.set(r.id, (m.get(r.id) ?? 0) + 1);
    return m;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

let sys: TestSystem;
const receiver = new Receiver();

beforeAll(async () => {
  await receiver.start();
  sys = await startTestSystem({ TOLLGATE_EVENTS_POLL_MS: '100', TOLLGATE_EVENTS_RETRY_BASE_MS: '200', TOLLGATE_EVENTS_RETRY_MAX_MS: '1000' });
});

afterAll(async () => {
  await sys?.stop();
  await receiver.stop();
});

describe('outbound events', () => {
  it('a subscribed endpoint receives every event of a contract exactly once, signed, across a gateway restart, with retries in the delivery log', async () => {
    const customerId = uniqueId('cust-events');
    const sub = await http('POST', `${sys.gatewayUrl}/subscriptions`, {
      url: receiver.url, customerId, sandbox: true,
      events: ['invoice.issued', 'credit_memo.issued', 'milestone.accepted', 'payment.applied', 'invoice.overdue'],
    });
    expect(sub.status).toBe(201);
    expect(sub.body.secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    receiver.secret = sub.body.secret;
    // The secret is shown once: never again.
    const read = await http('GET', `${sys.gatewayUrl}/subscriptions/${sub.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body.secret).toBeUndefined();
    expect(read.body).toMatchObject({ id: sub.body.id, active: true, sandbox: true, customerId });

    const terms = sandboxTerms([
      milestone('m1'),
      milestone('m2', { trigger: { type: 'event', completion: 'customer_signoff' } }),
      milestone('m3', { trigger: { type: 'event', completion: 'vendor_declaration', deemedAcceptanceDays: 5 } }),
    ], { customer: { id: customerId, name: 'Events Corp' } });
    const c = await TestContract.create(sys.gatewayUrl, terms);

    // The first two deliveries are refused: retried with backoff.
    receiver.failNext = 2;
    expect((await c.on('2025-01-10', 'complete', 'm1')).body.outcome).toBe('applied');
    // The same fact again (a duplicate report) is no new event.
    expect((await c.op('complete', 'm1')).body.outcome).toBe('ignored');

    // The endpoint goes down; the gateway restarts while deliveries wait for their retry.
    receiver.failing = true;
    expect((await c.on('2025-01-15', 'complete', 'm2')).status).toBe(200);
    expect((await c.op('accept', 'm2')).body.outcome).toBe('applied');
    await c.settled();
    await waitFor(async () => (await http('GET', `${sys.gatewayUrl}/subscriptions/${sub.body.id}/deliveries?status=retrying`)).body.data.length, (n) => n >= 1);
    await sys.restartGateway();
    receiver.failing = false;

    // Deemed acceptance on the sandbox clock, a payment (retried with its key: one payment), an amendment with a credit memo.
    expect((await c.on('2025-01-20', 'declare', 'm3')).body.outcome).toBe('applied');
    const m2Invoice = (await c.invoices()).find((i) => i.for[0] === 'm2')!.number!;
    for (let i = 0; i < 2; i += 1) {
      const paid = await http('POST', `${sys.gatewayUrl}/contracts/${c.id}/payments`, { amount: '10000.00', invoiceFor: 'm2' }, { 'idempotency-key': `pay-${c.id}` });
      expect(paid.status).toBe(201);
    }
    expect((await c.clock('2025-01-26')).status).toBe(200);
    expect((await c.milestone('m3')).acceptance).toBe('deemed');
    expect((await c.clock('2025-02-01')).status).toBe(200);
    const state = await c.state();
    const amended = await c.post('/amendments', { baseVersion: state.version, effectiveDate: '2025-02-01', changes: { milestones: [{ id: 'm1', amount: '8000.00' }] } });
    expect([amended.status, amended.body.outcome]).toEqual([200, 'applied']);
    // Past the due dates (NET 30): m1's and m3's invoices are open, m2's is paid.
    expect((await c.clock('2025-03-01')).status).toBe(200);
    const s = await c.settled();

    const invoices = s.invoices.map((i: any) => ({ m: i.milestoneIds[0], number: i.number }));
    const number = (m: string) => invoices.find((i: any) => i.m === m)!.number;
    const memo = s.creditMemos[0].number;
    const expected = [
      `milestone.accepted:${c.id}:m1`, `milestone.accepted:${c.id}:m2`, `milestone.accepted:${c.id}:m3`,
      `invoice.issued:${number('m1')}`, `invoice.issued:${number('m2')}`, `invoice.issued:${number('m3')}`,
      `credit_memo.issued:${memo}`,
      `invoice.overdue:${number('m1')}`, `invoice.overdue:${number('m3')}`,
    ].sort();
    const payments = () => [...receiver.accepted().keys()].filter((id) => id.startsWith('payment.applied:') && id.endsWith(`:${m2Invoice}`));

    await waitFor(async () => receiver.accepted(), (acc) => expected.every((id) => acc.has(id)) && payments().length === 1, 30_000);
    // Quiet for a moment: nothing more arrives (no duplicate from the restart or from retried producers).
    await new Promise((r) => setTimeout(r, 1_500));

    const accepted = receiver.accepted();
    expect([...accepted.keys()].sort()).toEqual([...expected, ...payments()].sort());
    for (const [id, n] of accepted) expect([id, n]).toEqual([id, 1]);
    expect(receiver.receipts.every((r) => r.signed)).toBe(true);
    // By fact: each type as many times as there are facts of it.
    const byType = (t: string) => receiver.receipts.filter((r) => r.status === 200 && r.type === t).length;
    expect([byType('milestone.accepted'), byType('invoice.issued'), byType('credit_memo.issued'), byType('payment.applied'), byType('invoice.overdue')]).toEqual([3, 3, 1, 1, 2]);
    const accept = (m: string) => receiver.receipts.find((r) => r.status === 200 && r.id === `milestone.accepted:${c.id}:${m}`)!.body;
    expect([accept('m1').data.acceptance, accept('m2').data.acceptance, accept('m3').data.acceptance]).toEqual(['event', 'signoff', 'deemed']);
    expect(accept('m3')).toMatchObject({ contractId: c.id, customerId, sandbox: true, occurredOn: '2025-01-25' });
    const pay = receiver.receipts.find((r) => r.status === 200 && r.type === 'payment.applied')!.body;
    expect(pay.data).toMatchObject({ invoiceNumber: m2Invoice, amount: '10000.00', source: 'payment', invoice: { status: 'paid', openAmount: '0.00' } });
    const overdue = receiver.receipts.find((r) => r.status === 200 && r.id === `invoice.overdue:${number('m1')}`)!.body;
    expect(overdue.data).toMatchObject({ dueDate: '2025-02-09', overdueSince: '2025-02-10', openAmount: '8000.00' });

    // The delivery log: every delivery delivered once; the refused ones show their failed attempts.
    const log: any[] = [];
    let cursor: string | undefined;
    do {
      const page = await http('GET', `${sys.gatewayUrl}/subscriptions/${sub.body.id}/deliveries?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      log.push(...page.body.data);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(log).toHaveLength(expected.length + 1);
    expect(log.every((d) => d.status === 'delivered' && d.lastStatus === 200)).toBe(true);
    const retried = log.filter((d) => d.attempts > 1);
    expect(retried.length).toBeGreaterThanOrEqual(2);
    const detail = await http('GET', `${sys.gatewayUrl}/deliveries/${retried[0].id}`);
    expect(detail.body.attemptLog.map((a: any) => a.outcome)).toEqual([...Array(detail.body.attempts - 1).fill('failed'), 'delivered']);
    expect(detail.body.attemptLog[0]).toMatchObject({ status: 500, attempt: 1 });

    // The events of the contract, a page at a time.
    const events = await http('GET', `${sys.gatewayUrl}/events?contractId=${c.id}&limit=200`);
    expect(events.body.data.map((e: any) => e.id).sort()).toEqual([...expected, ...payments()].sort());

    // Redelivery on request: sent again (a deliberate duplicate, same event id).
    const again = await http('POST', `${sys.gatewayUrl}/deliveries/${log[0].id}/redeliver`, {});
    expect(again.status).toBe(200);
    await waitFor(async () => receiver.accepted().get(log[0].eventId), (n) => n === 2);
  });

  it('refuses a bad subscription naming each field, never shows a secret again, and a disabled subscription receives nothing until enabled', async () => {
    const bad = await http('POST', `${sys.gatewayUrl}/subscriptions`, { url: 'ftp://x', events: ['nope'] });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: any) => d.path).sort()).toEqual(['body.events.0', 'body.url']);
    expect((await http('POST', `${sys.gatewayUrl}/subscriptions/sub_nope/disable`, {})).status).toBe(404);
    expect((await http('GET', `${sys.gatewayUrl}/events`)).status).toBe(400);

    const customerId = uniqueId('cust-paused');
    const sub = await http('POST', `${sys.gatewayUrl}/subscriptions`, { url: receiver.url, customerId, sandbox: true, events: ['milestone.accepted'] });
    receiver.secret = sub.body.secret;
    const list = await http('GET', `${sys.gatewayUrl}/subscriptions`);
    expect(list.body.data.find((x: any) => x.id === sub.body.id)).toMatchObject({ active: true });
    expect(list.body.data.every((x: any) => x.secret === undefined)).toBe(true);
    expect((await http('POST', `${sys.gatewayUrl}/subscriptions/${sub.body.id}/disable`, {})).body.active).toBe(false);

    const c = await TestContract.create(sys.gatewayUrl, sandboxTerms([milestone('a'), milestone('b')], { customer: { id: customerId, name: 'Paused Corp' } }));
    await c.on('2025-01-05', 'complete', 'a');
    await c.settled();
    expect((await http('POST', `${sys.gatewayUrl}/subscriptions/${sub.body.id}/enable`, {})).body.active).toBe(true);
    await c.op('complete', 'b');
    await waitFor(async () => receiver.accepted(), (acc) => acc.has(`milestone.accepted:${c.id}:b`));
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.accepted().has(`milestone.accepted:${c.id}:a`)).toBe(false);
    // The event is recorded all the same: it is in the contract's events.
    const events = await http('GET', `${sys.gatewayUrl}/events?contractId=${c.id}&type=milestone.accepted`);
    expect(events.body.data.map((e: any) => e.id)).toEqual([`milestone.accepted:${c.id}:a`, `milestone.accepted:${c.id}:b`]);
  });
});
