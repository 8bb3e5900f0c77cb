import { DeleteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { parseWith } from '../validation.js';
import { batchWriteAll } from './batch-write.js';
import { scanAll } from './scan.js';

// a local row is {gpu_name, num_gpus}; an external (consensus) entry may carry any dict (§2.3)
const GpuSpecsSchema = z.record(z.string(), z.unknown());

/** One per-uid stats entry (§5 `stats`); `score` is on the 0-100 scale. */
export const StatsEntrySchema = z.object({
  hotkey: z.string(),
  gpu_specs: GpuSpecsSchema.nullable(),
  score: z.number(),
  allocated: z.boolean(),
  own_score: z.boolean(),
  reliability_score: z.number(),
});
export type StatsEntry = z.infer<typeof StatsEntrySchema>;

const StatsRowSchema = StatsEntrySchema.extend({
  uid: z.number().int().nonnegative(),
  updatedAt: z.string(),
});
export type StatsRow = z.infer<typeof StatsRowSchema>;

/** What {@link StatsStore.writeAll} takes: the scoring core's per-uid stat. */
export interface StatsInput {
  readonly hotkey: string;
  readonly gpu_specs: object | null;
  readonly score: number;
  readonly allocated: boolean;
  readonly own_score: boolean;
  readonly reliability_score: number;
}

/** The per-uid stats table: the reference's `write_stats` / `retrieve_stats`. */
export class StatsStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Upserts every entry (keyed by uid as text, as the scoring core returns them). */
  async writeAll(stats: Readonly<Record<string, StatsInput>>): Promise<number> {
    const updatedAt = this.now().toISOString();
    const requests = Object.entries(stats).map(([uid, entry]) => ({
      PutRequest: {
        Item: {
          uid: Number(uid),
          hotkey: entry.hotkey,
          gpu_specs: entry.gpu_specs,
          score: entry.score,
          allocated: entry.allocated,
          own_score: entry.own_score,
          reliability_score: entry.reliability_score,
          updatedAt,
        },
      },
    }));
    return batchWriteAll(this.doc, this.tableName, requests);
  }

  /** Every stored entry keyed by uid as text. */
  async readAll(): Promise<Record<string, StatsRow>> {
    const out: Record<string, StatsRow> = {};
    for (const item of await scanAll(this.doc, this.tableName)) {
      const row = parseWith(StatsRowSchema, item, 'stats row');
      out[String(row.uid)] = row;
    }
    return out;
  }

  async delete(uid: number): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { uid } }));
  }
}
