/** Closed periods (calendar months) per ledger. Returns plain objects. */
import { Schema, type Connection } from 'mongoose';

export interface PeriodDoc {
  ledger: string;
  period: string;
  closedAt: string;
  asOf: string;
}

const periodSchema = new Schema<PeriodDoc>(
  {
    ledger: { type: String, required: true },
    period: { type: String, required: true },
    closedAt: { type: String, required: true },
    asOf: { type: String, required: true },
  },
  { versionKey: false },
);
periodSchema.index({ ledger: 1, period: 1 }, { unique: true });

export function periodRepository(conn: Connection) {
  const Periods = conn.model<PeriodDoc>('ClosedPeriod', periodSchema, 'closed_periods');
  return {
    async find(ledger: string, period: string) {
      return Periods.findOne({ ledger, period }).lean<PeriodDoc>();
    },
    async list(ledger: string) {
      return Periods.find({ ledger }).sort({ period: 1 }).lean<PeriodDoc[]>();
    },
    /** Fails with a duplicate-key error (11000) when the period is already closed. */
    async insert(doc: PeriodDoc) {
      await Periods.create(doc);
    },
  };
}

export type PeriodRepository = ReturnType<typeof periodRepository>;
