/** The tables of `tollgate log` and `tollgate invoices` (pure rendering of the API's answers). */
import { renderInvoices, renderLog } from '../../cli/tollgate';

describe('log and invoices tables', () => {
  it('shows each log entry\'s seq, date, kind, via, milestone, outcome and the refusal\'s code with its reason', () => {
    const lines = renderLog([
      { seq: 1, on: '2025-01-10', kind: 'complete', via: 'update', milestoneId: 'kickoff', outcome: 'applied' },
      { seq: 2, on: '2025-01-11', kind: 'complete', via: 'update', milestoneId: 'kickoff', outcome: 'ignored', reason: 'milestone kickoff is already invoiced' },
      { seq: 3, on: '2025-01-12', kind: 'step_failed', via: 'timer', outcome: 'refused', code: 'period_closed', reason: 'invoice ledger: 2025-01 is closed' },
    ]);
    expect(lines[0]).toMatch(/^SEQ\s+ON\s+KIND\s+VIA\s+MILESTONE\s+OUTCOME\s+REASON\/CODE$/);
    expect(lines[1]).toMatch(/^1\s+2025-01-10\s+complete\s+update\s+kickoff\s+applied\s+—$/);
    expect(lines[2]).toMatch(/ignored\s+milestone kickoff is already invoiced$/);
    expect(lines[3]).toMatch(/^3\s+2025-01-12\s+step_failed\s+timer\s+—\s+refused\s+period_closed: invoice ledger: 2025-01 is closed$/);
    expect(renderLog([])).toEqual(['(no log entries)']);
  });

  it('shows each invoice\'s milestones, dates, amounts and status', () => {
    const lines = renderInvoices([{
      number: 'INV-2025-000001', kind: 'milestone', date: '2025-01-10', dueDate: '2025-02-09', total: '2500.00', status: 'partially_paid',
      paidAmount: '1000.00', openAmount: '1500.00', lines: [{ milestoneId: 'kickoff', amount: '2000.00' }, { milestoneId: 'kickoff', amount: '500.00' }],
    }]);
    expect(lines[0]).toMatch(/^NUMBER\s+KIND\s+FOR\s+DATE\s+DUE\s+TOTAL\s+CREDITED\s+PAID\s+OPEN\s+STATUS$/);
    expect(lines[1]).toMatch(/^INV-2025-000001\s+milestone\s+kickoff\s+2025-01-10\s+2025-02-09\s+2500\.00\s+—\s+1000\.00\s+1500\.00\s+partially_paid$/);
    expect(renderInvoices([])).toEqual(['(no invoices)']);
  });
});
