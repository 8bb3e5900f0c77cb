import { DeleteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { UidStat } from '../ports.js';
import { parseWith } from '../validation.js';
import { batchWriteAll } from './batch-write.js';
import { scanAll } from './scan.js';

// a local row is {gpu_name, num_gpus}; an external (consensus) entry may carry any dict (§2.3)
const GpuSpecsSchema = z.record(z.string(), z.unknown());

const StatsRowSchema = z.object({
  hotkey: z.string(),
  gpu_specs: GpuSpecsSchema.nullable(),
  score: z.number(),
  allocated: z.boolean(),
  own_score: z.boolean(),
  reliability_score: z.number(),
  uid: z.number().int().nonnegative(),
  updatedAt: z.string(),
});

/** A stored entry of the stats table (§5 `stats`): the uid's stat, its uid always set, and when it was written. */
export interface StatsRow extends UidStat {
  readonly uid: number;
  readonly updatedAt: string;
}

/** The per-uid stats table: the reference's `write_stats` / `retrieve_stats`. */
export class StatsStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Upserts every entry (keyed by uid as text, as the scoring core returns them). */
  async writeAll(stats: Readonly<Record<string, UidStat>>): Promise<number> {
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
      const row: StatsRow = parseWith(StatsRowSchema, item, 'stats row');
      out[String(row.uid)] = row;
    }
    return out;
  }

  async delete(uid: number): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { uid } }));
  }
}
