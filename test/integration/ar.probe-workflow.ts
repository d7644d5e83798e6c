/**
 * Test-only workflow: stands in for the contract workflow (same id `contract-<id>`) and records every
 * `invoicePaid` signal AR sends, readable by the `paidSignals` query.
 */
import { condition, defineQuery, setHandler } from '@temporalio/workflow';
import type { InvoicePaidInput } from '../../libs/domain/contract';
import { invoicePaidSignal } from '../../libs/domain/messages';

export const paidSignalsQuery = defineQuery<InvoicePaidInput[]>('paidSignals');

export async function invoicePaidProbe(): Promise<void> {
  const received: InvoicePaidInput[] = [];
  setHandler(invoicePaidSignal, (input) => void received.push(input));
  setHandler(paidSignalsQuery, () => received);
  await condition(() => false);
}
