/**
 * Schedule templates (docs/templates.md), in the gateway's database. Each version is its own
 * document in `schedule_templates`, inserted once under the unique index (name, version) and never
 * updated (FerretDB has no transactions and does not make concurrent updates of one document
 * atomic; a unique insert is the one write it does). Two finance users saving a new version at once
 * both succeed, as consecutive versions: the loser of an insert race reads the latest again and
 * takes the next number. `schedule_template_names` holds one record per name (unique), inserted
 * before the name's first version: what `GET /templates` pages through by name.
 */
import { Schema, type Connection } from 'mongoose';
import { insertUnique } from '../../../libs/mongo';

export interface TemplateObligation {
  id: string;
  name: string;
  recognition:
    | { method: 'point_in_time'; satisfiedBy?: string }
    | { method: 'milestones' }
    | { method: 'cost_input' }
    | { method: 'ratable'; startAfterDays: number; endAfterDays: number };
}

export interface TemplateMilestone {
  id: string;
  name: string;
  description: string;
  obligationId: string;
  /** The share of the fee, a decimal string (> 0; a template's percents sum to exactly 100). */
  percent: string;
  trigger:
    | { type: 'event'; completion: 'customer_signoff' | 'external_event' | 'vendor_declaration'; deemedAcceptanceDays?: number }
    | { type: 'date'; daysAfterSigning: number };
  invoiceTiming: { type: 'immediate' } | { type: 'days_after_acceptance'; days: number } | { type: 'next_billing_cycle' };
  /** The planned finish date, as days after the contract's signed date. */
  plannedFinishDays?: number;
  allowDateChange?: boolean;
  /** Billed in parts as progress is reported (docs/progressive-billing.md). */
  progressBilling?: boolean;
}

export interface TemplateRecord {
  name: string;
  version: number;
  description?: string;
  paymentTerms?: string;
  enforceSequence?: boolean;
  obligations: TemplateObligation[];
  milestones: TemplateMilestone[];
  createdAt: Date;
  /** The API key that saved this version. */
  createdBy?: string;
}

interface NameRecord { name: string; createdAt: Date }

const templateSchema = new Schema<TemplateRecord>(
  {
    name: { type: String, required: true },
    version: { type: Number, required: true },
    description: String,
    paymentTerms: String,
    enforceSequence: Boolean,
    obligations: { type: Schema.Types.Mixed, required: true },
    milestones: { type: Schema.Types.Mixed, required: true },
    createdAt: { type: Date, required: true },
    createdBy: String,
  },
  { versionKey: false, collection: 'schedule_templates' },
);
templateSchema.index({ name: 1, version: 1 }, { unique: true });

const nameSchema = new Schema<NameRecord>(
  { name: { type: String, required: true }, createdAt: { type: Date, required: true } },
  { versionKey: false, collection: 'schedule_template_names' },
);
nameSchema.index({ name: 1 }, { unique: true });

function plain<T>(doc: T & { _id?: unknown }): T {
  const { _id, ...rest } = doc;
  void _id;
  return rest as T;
}

/** How many times a new version retries after losing an insert race before answering 409. */
const VERSION_ATTEMPTS = 5;
/** Most versions listed for one name. */
const VERSIONS_READ = 1000;

export function templateRepository(conn: Connection) {
  const Templates = conn.model<TemplateRecord>('ScheduleTemplate', templateSchema);
  const Names = conn.model<NameRecord>('ScheduleTemplateName', nameSchema);

  const latest = async (name: string): Promise<TemplateRecord | null> => {
    const doc = await Templates.findOne({ name }).sort({ version: -1 }).lean<TemplateRecord>();
    return doc ? plain(doc) : null;
  };

  return {
    latest,

    async version(name: string, version: number): Promise<TemplateRecord | null> {
      const doc = await Templates.findOne({ name, version }).lean<TemplateRecord>();
      return doc ? plain(doc) : null;
    },

    /** The version numbers of a name, oldest first. */
    async versions(name: string): Promise<number[]> {
      const docs = await Templates.find({ name }, { version: 1 }).sort({ version: 1 }).limit(VERSIONS_READ).lean<Array<{ version: number }>>();
      return docs.map((d) => d.version);
    },

    /**
     * Saves the next version of `doc.name` (1 for a new name) and answers it; undefined when
     * VERSION_ATTEMPTS inserts in a row lost to concurrent saves.
     */
    async saveNext(doc: Omit<TemplateRecord, 'version'>): Promise<TemplateRecord | undefined> {
      // The name first (once): a name whose first version failed to insert lists nothing (see `page`).
      await insertUnique(Names, { name: doc.name, createdAt: doc.createdAt });
      for (let attempt = 0; attempt < VERSION_ATTEMPTS; attempt += 1) {
        const version = ((await latest(doc.name))?.version ?? 0) + 1;
        const record: TemplateRecord = { ...doc, version };
        if (await insertUnique(Templates, record)) return record;
      }
      return undefined;
    },

    /**
     * A page of names after `after` (by name), with each one's latest version; `more` when names
     * follow. A name without a version yet (its first insert failed or is under way) is left out.
     */
    async page(after: string | undefined, limit: number): Promise<{ data: TemplateRecord[]; last?: string; more: boolean }> {
      const names = await Names.find(after === undefined ? {} : { name: { $gt: after } }, { name: 1 }).sort({ name: 1 }).limit(limit + 1).lean<NameRecord[]>();
      const shown = names.slice(0, limit);
      const data = (await Promise.all(shown.map((n) => latest(n.name)))).filter((t): t is TemplateRecord => t !== null);
      return { data, last: shown[shown.length - 1]?.name, more: names.length > limit };
    },
  };
}

export type TemplateRepository = ReturnType<typeof templateRepository>;
