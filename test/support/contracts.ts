/** Driving sandbox contracts through the public API in tests. */
import type { ContractTermsInput } from '../../libs/domain/terms';
import { http, uniqueId } from './system';
import { milestone, type MilestoneInput } from './terms';

export { milestone };

/** A sandbox contract starting 2025-01-01, one milestones-method obligation, given milestones. */
export function sandboxTerms(milestones: MilestoneInput[], overrides: Partial<ContractTermsInput> = {}): ContractTermsInput {
  return {
    contractId: uniqueId('sbx'),
    customer: { id: 'cust-test', name: 'Test Corp' },
    currency: 'USD',
    signedDate: '2025-01-01',
    paymentTerms: 'NET_30',
    obligations: [{ id: 'impl', name: 'Implementation', ssp: '100000.00', recognition: { method: 'milestones' } }],
    milestones,
    sandbox: { clockStart: '2025-01-01' },
    ...overrides,
  };
}

export class TestContract {
  constructor(readonly gatewayUrl: string, readonly id: string) {}

  static async create(gatewayUrl: string, terms: ContractTermsInput): Promise<TestContract> {
    const res = await http('POST', `${gatewayUrl}/contracts`, terms);
    if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`);
    return new TestContract(gatewayUrl, terms.contractId);
  }

  private url(path: string): string {
    return `${this.gatewayUrl}/contracts/${this.id}${path}`;
  }

  clock(to: string) {
    return http('POST', this.url('/clock'), { to });
  }

  /** Advances the clock to `on`, then sends the operation (as the scenario files do). */
  async on(on: string, op: 'complete' | 'declare' | 'accept' | 'reject', milestoneId: string, body: Record<string, unknown> = {}) {
    const c = await this.clock(on);
    if (c.status !== 200) throw new Error(`clock failed: ${c.status} ${c.text}`);
    return http('POST', this.url(`/milestones/${milestoneId}/${op}`), body);
  }

  op(op: 'complete' | 'declare' | 'accept' | 'reject', milestoneId: string, body: Record<string, unknown> = {}) {
    return http('POST', this.url(`/milestones/${milestoneId}/${op}`), body);
  }

  post(path: string, body: unknown) {
    return http('POST', this.url(path), body);
  }

  async state(): Promise<any> {
    const res = await http('GET', this.url(''));
    if (res.status !== 200) throw new Error(`state failed: ${res.status} ${res.text}`);
    return res.body;
  }

  /** The state once no effect is pending (creation answers before the first effects have run); fails when time runs out. */
  async settled(timeoutMs = 20_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.state();
      if (s.pendingEffects === 0) return s;
      if (Date.now() > deadline) throw new Error(`contract ${s.contractId}: ${s.pendingEffects} effect(s) still pending after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async milestone(id: string): Promise<any> {
    return (await this.state()).milestones[id];
  }

  async invoices(): Promise<Array<{ for: string[]; date: string; due: string; amount: string; kind: string; number?: string }>> {
    return (await this.state()).invoices.map((i: any) => ({ for: i.milestoneIds, date: i.date, due: i.dueDate, amount: i.amount, kind: i.kind, number: i.number }));
  }
}
