/**
 * What the gateway saw, for the console's KPIs (docs/console.md), in the gateway's database:
 * - `contract_signals`: one record per contract event the gateway answered `ignored` (a duplicate)
 *   or refused with a 4xx code (a refusal of the workflow, of validation, of access);
 * - `reconciliation_checks`: one record per reconciliation report computed
 *   (`GET /contracts/:id/reconciliation`): ok or not, and the sum of its absolute variances.
 * Insert only (never updated: FerretDB updates are not atomic, and nothing here needs one), each
 * read one month at a time by an indexed equality on (month, sandbox). `month` is the month the
 * gateway answered (UTC wall clock), not a business date.
 */
import { Schema, type Connection } from 'mongoose';
import { insertPlain } from '../../../libs/mongo';

export interface SignalRecord {
  month: string;
  kind: 'ignored' | 'refused';
  /** The refusal's code (`window_closed`, `validation_failed`, …). */
  code?: string;
  status?: number;
  /** The route, e.g. `POST /contracts/:id/milestones/:mid/accept`. */
  operation: string;
  contractId?: string;
  customerId?: string;
  sandbox: boolean;
  at: Date;
}

export interface ReconciliationRecord {
  month: string;
  contractId: string;
  customerId: string;
  sandbox: boolean;
  currency: string;
  ok: boolean;
  /** The sum of the absolute money variances of its checks (decimal string, the contract's currency). */
  absVariance: string;
  /** How many checks were not ok. */
  failedChecks: number;
  checkedAt: Date;
}

const signalSchema = new Schema<SignalRecord>(
  {
    month: { type: String, required: true },
    kind: { type: String, required: true },
    code: String,
    status: Number,
    operation: { type: String, required: true },
    contractId: String,
    customerId: String,
    sandbox: { type: Boolean, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false, collection: 'contract_signals' },
);
signalSchema.index({ month: 1, sandbox: 1 });

const reconciliationSchema = new Schema<ReconciliationRecord>(
  {
    month: { type: String, required: true },
    contractId: { type: String, required: true },
    customerId: { type: String, required: true },
    sandbox: { type: Boolean, required: true },
    currency: { type: String, required: true },
    ok: { type: Boolean, required: true },
    absVariance: { type: String, required: true },
    failedChecks: { type: Number, required: true },
    checkedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'reconciliation_checks' },
);
reconciliationSchema.index({ month: 1, sandbox: 1 });

const plain = <T>(docs: T[]): T[] => docs.map((d) => {
  const { _id, ...rest } = d as T & { _id?: unknown };
  void _id;
  return rest as T;
});

/** The month (YYYY-MM, UTC) of an instant. */
export const monthOf = (at: Date): string => at.toISOString().slice(0, 7);

export function activityRepository(conn: Connection) {
  const Signals = conn.model<SignalRecord>('ContractSignal', signalSchema);
  const Reconciliations = conn.model<ReconciliationRecord>('ReconciliationCheck', reconciliationSchema);
  return {
    signals: {
      async insert(doc: SignalRecord): Promise<void> {
        await insertPlain(Signals, doc);
      },
      /** One month's records, live or sandbox (an indexed equality). */
      async ofMonth(month: string, sandbox: boolean): Promise<SignalRecord[]> {
        return plain(await Signals.find({ month, sandbox }).lean<SignalRecord[]>());
      },
    },
    reconciliations: {
      async insert(doc: ReconciliationRecord): Promise<void> {
        await insertPlain(Reconciliations, doc);
      },
      async ofMonth(month: string, sandbox: boolean): Promise<ReconciliationRecord[]> {
        return plain(await Reconciliations.find({ month, sandbox }).lean<ReconciliationRecord[]>());
      },
    },
  };
}

export type ActivityRepository = ReturnType<typeof activityRepository>;
