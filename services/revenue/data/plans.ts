/** Revenue plans: one document per ledger, contract and terms version. Returns plain objects. */
import { Schema, type Connection } from 'mongoose';
import { insertPlain } from '../../../libs/mongo';
import type { Position, RevenuePlan } from '../api';

export interface PlanDoc extends RevenuePlan {
  ledger: string;
  idempotencyKey: string;
  requestHash: string;
  transactionPrice: string;
  allocated: Record<string, string>;
  /** The idempotency key of this version's catch-up entry (deterministic from ledger, contract, version). */
  entryKey: string;
  /** The contract's cumulative recognized and position as this plan took effect (for replays). */
  result: { recognized: Record<string, string>; position: Position; posted: boolean };
  createdAt: string;
}

const planSchema = new Schema<PlanDoc>(
  {
    ledger: { type: String, required: true },
    contractId: { type: String, required: true },
    version: { type: Number, required: true },
    idempotencyKey: { type: String, required: true, unique: true },
    requestHash: { type: String, required: true },
    sandbox: { type: Boolean, required: true },
    currency: { type: String, required: true },
    effectiveDate: { type: String, required: true },
    obligations: { type: Schema.Types.Mixed, required: true },
    milestones: { type: Schema.Types.Mixed, required: true },
    cancelled: { type: [String], default: [] },
    transactionPrice: { type: String, required: true },
    allocated: { type: Schema.Types.Mixed, required: true },
    entryKey: { type: String, required: true },
    result: { type: Schema.Types.Mixed, required: true },
    createdAt: { type: String, required: true },
  },
  { versionKey: false, minimize: false },
);
planSchema.index({ ledger: 1, contractId: 1, version: 1 }, { unique: true });

export function planRepository(conn: Connection) {
  const Plans = conn.model<PlanDoc>('RevenuePlan', planSchema, 'revenue_plans');
  return {
    async findByKey(idempotencyKey: string) {
      return Plans.findOne({ idempotencyKey }).lean<PlanDoc>();
    },
    async latest(ledger: string, contractId: string) {
      return Plans.findOne({ ledger, contractId }).sort({ version: -1 }).lean<PlanDoc>();
    },
    async list(ledger: string, contractId: string) {
      return Plans.find({ ledger, contractId }).sort({ version: 1 }).lean<PlanDoc[]>();
    },
    async insert(doc: PlanDoc) {
      await insertPlain(Plans, doc);
    },
  };
}

export type PlanRepository = ReturnType<typeof planRepository>;
