/**
 * The visual schedule (services/gateway/schedule.ts): a well-formed SVG with one row per milestone
 * and per invoice, planned against actual dates, status colours, the legend and the currency, every
 * text escaped, the same bytes for the same state; and the operations' OpenAPI description.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import type { ContractState } from '../../libs/domain/contract';
import { gatewayDocs } from '../../services/gateway/openapi';
import { renewalOperations } from '../../services/gateway/renewals';
import { escapeXml, scheduleModel, scheduleSvg, STATUS_COLOURS, type ScheduleModel } from '../../services/gateway/schedule';
import { allElements, parseXml, textOf, type XmlElement } from '../support/xml';

const terms = {
  contractId: 'acme-001', customer: { id: 'cust-acme', name: 'Acme <Tools> & "Sons"' }, currency: 'JPY', signedDate: '2025-01-01', paymentTerms: 'NET_30',
  billingDay: 1, timezone: 'UTC', enforceSequence: false,
  obligations: [{ id: 'impl', name: 'Implementation', ssp: '1000001', recognition: { method: 'milestones' } }],
  milestones: [
    { id: 'design', name: 'Design <&> review', description: 'd', obligationId: 'impl', amount: '300000', billable: true, sequence: 1, trigger: { type: 'event', completion: 'external_event' }, plannedFinishDate: '2025-02-01', allowDateChange: true, invoiceTiming: { type: 'immediate' } },
    { id: 'build', name: 'Build', description: 'b', obligationId: 'impl', amount: '400001', billable: true, sequence: 2, trigger: { type: 'date', date: '2025-04-01' }, allowDateChange: true, invoiceTiming: { type: 'immediate' } },
    { id: 'golive', name: 'Go-live', description: 'g', obligationId: 'impl', amount: '300000', billable: true, sequence: 3, trigger: { type: 'event', completion: 'customer_signoff' }, plannedFinishDate: '2025-05-15', allowDateChange: true, invoiceTiming: { type: 'immediate' } },
  ],
};

/** A state as the workflow's query answers it (the fields the schedule reads). */
const state = {
  contractId: 'acme-001', currency: 'JPY', clock: '2025-03-10',
  versions: [{ version: 1, effectiveDate: '2025-01-01', terms, cancelled: [] }],
  milestones: {
    design: { id: 'design', status: 'invoiced', completedOn: '2025-02-10', acceptedOn: '2025-02-10', invoicedOn: '2025-02-10', invoiceNumbers: ['INV-2025-000001'] },
    build: { id: 'build', status: 'planned', invoiceNumbers: [] },
    golive: { id: 'golive', status: 'completed', completedOn: '2025-03-01', invoiceNumbers: [] },
  },
  invoices: [
    { number: 'INV-2025-000001', kind: 'milestone', milestoneIds: ['design'], amount: '300000', date: '2025-02-10', dueDate: '2025-03-12', termsVersion: 1, paid: true },
    { kind: 'milestone', milestoneIds: ['golive'], amount: '300000', date: '2025-03-10', dueDate: '2025-04-09', termsVersion: 1, paid: false },
  ],
} as unknown as ContractState;

const byClass = (root: XmlElement, cls: string) => allElements(root).filter((e) => e.attrs.class === cls);

describe('the schedule model', () => {
  it('takes the current terms\' milestones by sequence, planned (trigger date or planned finish) and actual dates, and every invoice', () => {
    const m = scheduleModel(state);
    expect(m).toMatchObject({ contractId: 'acme-001', currency: 'JPY', signedDate: '2025-01-01', today: '2025-03-10', customerName: 'Acme <Tools> & "Sons"' });
    expect(m.milestones).toEqual([
      { id: 'design', name: 'Design <&> review', amount: '300000', status: 'invoiced', billable: true, planned: '2025-02-01', done: '2025-02-10', accepted: '2025-02-10', invoiced: '2025-02-10' },
      { id: 'build', name: 'Build', amount: '400001', status: 'planned', billable: true, planned: '2025-04-01' },
      { id: 'golive', name: 'Go-live', amount: '300000', status: 'completed', billable: true, planned: '2025-05-15', done: '2025-03-01' },
    ]);
    expect(m.invoices.map((i) => i.number)).toEqual(['INV-2025-000001', undefined]);
  });
});

describe('the schedule SVG', () => {
  const svg = scheduleSvg(scheduleModel(state));
  const root = parseXml(svg);

  it('is a well-formed SVG document naming the contract and its currency', () => {
    expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(root.name).toBe('svg');
    expect(root.attrs).toMatchObject({ 'data-contract-id': 'acme-001', 'data-currency': 'JPY', role: 'img' });
    expect(Number(root.attrs.height)).toBeGreaterThan(200);
    expect(textOf(root.children.find((c) => c.name === 'title')!)).toBe('Schedule of contract acme-001 (JPY)');
    expect(textOf(root)).toContain('currency JPY');
  });

  it('has one row per milestone with its status colour, planned diamond and actual markers', () => {
    const rows = byClass(root, 'milestone');
    expect(rows.map((r) => [r.attrs['data-id'], r.attrs['data-status'], r.attrs['data-planned']])).toEqual([
      ['design', 'invoiced', '2025-02-01'], ['build', 'planned', '2025-04-01'], ['golive', 'completed', '2025-05-15'],
    ]);
    const design = rows[0]!;
    const marks = (row: XmlElement) => row.children.map((c) => c.attrs.class).filter(Boolean);
    expect(marks(design)).toEqual(['late', 'planned', 'done', 'accepted', 'invoiced']);
    expect(design.children.find((c) => c.attrs.class === 'accepted')!.attrs.fill).toBe(STATUS_COLOURS.invoiced);
    expect(marks(rows[1]!)).toEqual(['planned']);
    // Done before its plan: on time.
    expect(marks(rows[2]!)).toEqual(['on-time', 'planned', 'done']);
    expect(textOf(design)).toContain('300000 JPY');
  });

  it('places dates on one axis: later dates further right', () => {
    const x = (row: XmlElement, cls: string) => {
      const el = row.children.find((c) => c.attrs.class === cls)!;
      return Number(el.attrs.cx ?? /^M([\d.]+)/.exec(el.attrs.d!)![1]);
    };
    const [design, build, golive] = byClass(root, 'milestone');
    expect(x(design!, 'planned')).toBeLessThan(x(design!, 'done'));
    expect(x(design!, 'done')).toBeLessThan(x(build!, 'planned'));
    expect(x(golive!, 'done')).toBeLessThan(x(golive!, 'planned'));
  });

  it('has one row per invoice with its number, amount and dates; a paid invoice filled, an open one hollow', () => {
    const rows = byClass(root, 'invoice');
    expect(rows.map((r) => [r.attrs['data-number'], r.attrs['data-date'], r.attrs['data-amount']])).toEqual([
      ['INV-2025-000001', '2025-02-10', '300000'], ['', '2025-03-10', '300000'],
    ]);
    expect(textOf(rows[0]!)).toContain('INV-2025-000001 milestone design');
    expect(textOf(rows[1]!)).toContain('(being issued)');
    const issued = (r: XmlElement) => r.children.find((c) => c.attrs.class === 'issued')!;
    expect(issued(rows[0]!).attrs.fill).not.toBe('#fff');
    expect(issued(rows[1]!).attrs.fill).toBe('#fff');
  });

  it('has a legend (markers, status colours, invoice kinds) and a line at today', () => {
    const legend = textOf(byClass(root, 'legend')[0]!);
    for (const word of ['planned finish', 'completed / declared', 'accepted', 'late', 'on time', 'due date', 'rejected', 'cancelled', 'advance invoice', 'amounts in JPY']) expect(legend).toContain(word);
    expect(textOf(byClass(root, 'today')[0]!)).toBe('today 2025-03-10');
    expect(byClass(root, 'tick').length).toBeGreaterThanOrEqual(4);
  });

  it('escapes every text taken from the contract', () => {
    expect(svg).toContain('Acme &lt;Tools&gt; &amp; &quot;Sons&quot;');
    expect(svg).toContain('Design &lt;&amp;&gt; review');
    expect(svg).not.toContain('<Tools>');
    expect(textOf(root)).toContain('Design <&> review');
    expect(escapeXml('a\u0001b<\'')).toBe('ab&lt;&apos;');
  });

  it('is the same text for the same state, and changes with it', () => {
    expect(scheduleSvg(scheduleModel(structuredClone(state)))).toBe(svg);
    const later = structuredClone(state) as unknown as { milestones: Record<string, { status: string; acceptedOn?: string }> };
    later.milestones.golive!.status = 'accepted';
    later.milestones.golive!.acceptedOn = '2025-03-05';
    expect(scheduleSvg(scheduleModel(later as unknown as ContractState))).not.toBe(svg);
  });

  it('draws a contract with no dates but its signing, and no invoices', () => {
    const bare: ScheduleModel = { contractId: 'c', customerName: 'C', currency: 'USD', signedDate: '2025-01-01', today: '2025-01-01', milestones: [{ id: 'm1', name: 'M', amount: '1.00', status: 'planned', billable: true }], invoices: [] };
    const doc = parseXml(scheduleSvg(bare));
    expect(byClass(doc, 'milestone')).toHaveLength(1);
    expect(textOf(doc)).toContain('none issued yet');
  });

  it('draws each invoice of a milestone billed by progress on its row (two parts and the rest) and names each part', () => {
    const progressive = structuredClone(state) as unknown as {
      versions: Array<{ terms: { milestones: Array<Record<string, unknown>> } }>;
      milestones: Record<string, Record<string, unknown>>;
      invoices: Array<Record<string, unknown>>;
    };
    progressive.versions[0]!.terms.milestones[2]!.progressBilling = true;
    progressive.milestones.golive = {
      id: 'golive', status: 'invoiced', completedOn: '2025-03-01', acceptedOn: '2025-03-05', invoicedOn: '2025-02-15',
      invoiceNumbers: ['INV-2025-000002', 'INV-2025-000003', 'INV-2025-000004'], progress: { percent: '100', billed: '300000', parts: 2, finalDue: true },
    };
    progressive.invoices = [
      progressive.invoices[0]!,
      { number: 'INV-2025-000002', kind: 'milestone', milestoneIds: ['golive'], amount: '90000', date: '2025-02-15', dueDate: '2025-03-17', termsVersion: 1, paid: true, part: 1, progress: { percent: '30', cumulative: '90000', previouslyBilled: '0' } },
      { number: 'INV-2025-000003', kind: 'milestone', milestoneIds: ['golive'], amount: '97500', date: '2025-02-25', dueDate: '2025-03-27', termsVersion: 1, paid: false, part: 2, progress: { percent: '62.5', cumulative: '187500', previouslyBilled: '90000' } },
      { number: 'INV-2025-000004', kind: 'milestone', milestoneIds: ['golive'], amount: '112500', date: '2025-03-05', dueDate: '2025-04-04', termsVersion: 1, paid: false, progress: { percent: '100', cumulative: '300000', previouslyBilled: '187500' } },
    ];
    const model = scheduleModel(progressive as unknown as ContractState);
    expect(model.milestones[2]).toMatchObject({ id: 'golive', invoiced: '2025-02-15', progress: { percent: '100', billed: '300000', parts: 2 } });
    expect(model.milestones[2]).not.toHaveProperty('progress.finalDue');
    expect(model.invoices.map((i) => [i.number, i.part, i.progress])).toEqual([
      ['INV-2025-000001', undefined, undefined], ['INV-2025-000002', 1, '30'], ['INV-2025-000003', 2, '62.5'], ['INV-2025-000004', undefined, '100'],
    ]);

    const doc = parseXml(scheduleSvg(model));
    const golive = byClass(doc, 'milestone').find((r) => r.attrs['data-id'] === 'golive')!;
    expect(golive.attrs).toMatchObject({ 'data-progress': '100', 'data-billed': '300000' });
    expect(textOf(golive)).toContain('300000 JPY · 100 %');
    const invoiced = golive.children.filter((c) => c.attrs.class === 'invoiced');
    expect(invoiced).toHaveLength(3);
    expect(invoiced.map((c) => c.attrs['data-part'])).toEqual(['1', '2', undefined]);
    expect(invoiced.map((c) => textOf(c))).toEqual([
      'golive invoiced 2025-02-15 (part 1, 30 %): 90000 JPY (INV-2025-000002)',
      'golive invoiced 2025-02-25 (part 2, 62.5 %): 97500 JPY (INV-2025-000003)',
      'golive invoiced 2025-03-05 (the rest): 112500 JPY (INV-2025-000004)',
    ]);
    // Each on its own date, in order along the axis.
    const xs = invoiced.map((c) => Number(/^M([\d.]+)/.exec(c.attrs.d!)![1]));
    expect(xs[0]!).toBeLessThan(xs[1]!);
    expect(xs[1]!).toBeLessThan(xs[2]!);
    // The other milestones keep one marker each (design: its one invoice; build: none).
    const design = byClass(doc, 'milestone').find((r) => r.attrs['data-id'] === 'design')!;
    expect(design.children.filter((c) => c.attrs.class === 'invoiced')).toHaveLength(1);

    const rows = byClass(doc, 'invoice');
    expect(rows.map((r) => [r.attrs['data-number'], r.attrs['data-part'], r.attrs['data-progress']])).toEqual([
      ['INV-2025-000001', undefined, undefined], ['INV-2025-000002', '1', '30'], ['INV-2025-000003', '2', '62.5'], ['INV-2025-000004', undefined, '100'],
    ]);
    expect(textOf(rows[1]!)).toContain('INV-2025-000002 milestone golive part 1');
    expect(textOf(rows[3]!)).toContain('INV-2025-000004 milestone golive rest');
  });

  it('refuses what is not well-formed (the checker checks)', () => {
    expect(() => parseXml('<svg><g></svg>')).toThrow(/closes <g>/);
    expect(() => parseXml('<svg><text>a & b</text></svg>')).toThrow(/bare "&"/);
    expect(() => parseXml('<svg a="1" a="2"/>')).toThrow(/twice/);
  });
});

describe('the renewal and schedule operations in the OpenAPI document', () => {
  const ops = renewalOperations({} as never);
  const { document: doc } = gatewayDocs(ops);

  it('are valid OpenAPI 3.1 with named answers, roles and an SVG media type', async () => {
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
    expect(ops.map((o) => o.operationId)).toEqual(['renewContract', 'listContractRenewals', 'getContractSchedule', 'getContractSchedulePng']);
    const renew = doc.paths['/contracts/{id}/renewals']!.post!;
    expect(renew['x-roles']).toEqual(['finance', 'admin']);
    expect(renew.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/RenewalInput' });
    expect(renew.responses['409'].description).toMatch(/`duplicate_contract`/);
    expect(Object.keys(doc.paths['/contracts/{id}/schedule.svg']!.get!.responses['200'].content)).toEqual(['image/svg+xml']);
    const png = doc.paths['/contracts/{id}/schedule.png']!.get!;
    expect(Object.keys(png.responses['200'].content)).toEqual(['image/png']);
    expect(png.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['id', 'scale']));
    expect(png['x-roles']).toEqual(expect.arrayContaining(['support', 'finance']));
    expect(doc.paths['/contracts/{id}/renewals']!.get!.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['id', 'limit', 'cursor']));
  });
});
