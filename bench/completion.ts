/** Milestones per benchmark contract. */
export const BENCH_MILESTONES = 10;

/**
 * The benchmarks' contract: real books (no sandbox: today's dates, the current year's invoice
 * numbers), one obligation, 10 event-triggered milestones of 1,000.00. Shared by bench/grow.ts and
 * bench/load.ts.
 */
export function benchTerms(contractId: string, customer: { id: string; name: string }, signedDate: string) {
  return {
    contractId,
    customer,
    currency: 'USD',
    signedDate,
    paymentTerms: 'NET_30',
    obligations: [{ id: 'impl', name: 'Implementation', ssp: `${BENCH_MILESTONES * 1000}.00`, recognition: { method: 'milestones' as const } }],
    milestones: Array.from({ length: BENCH_MILESTONES }, (_, i) => ({
      id: `m${i + 1}`, name: `M${i + 1}`, description: `Milestone ${i + 1} fee`, obligationId: 'impl', amount: '1000.00', sequence: i + 1,
      trigger: { type: 'event', completion: 'external_event' },
    })),
  };
}

/**
 * One milestone completion through the API, timed: the latency in ms when the answer says it was
 * applied and invoiced, otherwise undefined with the reason pushed to `errors` (the benchmarks
 * count failures; they never throw mid-phase). Shared by bench/grow.ts and bench/load.ts.
 */
export async function timedCompletion(
  send: () => Promise<{ status: number; body: any }>,
  what: string,
  errors: string[],
): Promise<number | undefined> {
  const t = Number(process.hrtime.bigint()) / 1e6;
  try {
    const r = await send();
    const ms = Number(process.hrtime.bigint()) / 1e6 - t;
    if (r.status !== 200 || r.body?.outcome !== 'applied' || !r.body?.milestone?.invoiceNumbers?.length) {
      errors.push(`${what}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      return undefined;
    }
    return ms;
  } catch (err) {
    errors.push(`${what}: ${(err as Error).message}`);
    return undefined;
  }
}
