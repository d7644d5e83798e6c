/**
 * The days the overdue sweep has finished (services/ar/events.ts): one document per due date whose
 * open receivables have all been announced `invoice.overdue`, inserted once (unique `dueDate`).
 * The sweep walks back from yesterday to the last finished day, one indexed lookup per day.
 */
import { Schema, type Connection } from 'mongoose';
import { insertUnique } from '../../../libs/mongo';

export interface OverdueScanDoc {
  /** The due date (YYYY-MM-DD) whose receivables were announced. */
  dueDate: string;
  announced: number;
  at: string;
}

const schema = new Schema<OverdueScanDoc>(
  {
    dueDate: { type: String, required: true, unique: true },
    announced: { type: Number, required: true },
    at: { type: String, required: true },
  },
  { versionKey: false, collection: 'overdue_scans' },
);

export function overdueScanRepository(conn: Connection) {
  const Scans = conn.model<OverdueScanDoc>('OverdueScan', schema);
  return {
    async done(dueDate: string): Promise<boolean> {
      return (await Scans.findOne({ dueDate }).lean<OverdueScanDoc>()) !== null;
    },
    async finish(doc: OverdueScanDoc): Promise<void> {
      await insertUnique(Scans, doc);
    },
  };
}

export type OverdueScanRepository = ReturnType<typeof overdueScanRepository>;
