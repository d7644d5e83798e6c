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
