import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { parseWith } from '../validation.js';
import { batchWriteAll } from './batch-write.js';
import { scanAll } from './scan.js';

const MinerRowSchema = z.object({
  uid: z.number().int().nonnegative(),
  hotkey: z.string().min(1),
  /**
   * A locally allocated miner (§4.1: never challenged; published as ours in `allocated_hotkeys`).
   * Nothing in the deployed stack sets it (this validator rents out no miners, and there is no
   * allocation tooling), so it stays false: allocated miners are known only from W&B.
   */
  allocated: z.boolean().default(false),
  updatedAt: z.string(),
});
export type MinerRow = z.infer<typeof MinerRowSchema>;

/** uid → hotkey as last seen, plus the local allocation flag (false unless written by hand; see `allocated`). */
export class MinerStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async readAll(): Promise<Map<number, MinerRow>> {
    const rows = new Map<number, MinerRow>();
    for (const item of await scanAll(this.doc, this.tableName)) {
      const row = parseWith(MinerRowSchema, item, 'miner row');
      rows.set(row.uid, row);
    }
    return rows;
  }

  /** Records the hotkey now registered at each uid; a changed hotkey drops the allocation flag. */
  async putHotkeys(entries: readonly { uid: number; hotkey: string }[]): Promise<number> {
    const updatedAt = this.now().toISOString();
    return batchWriteAll(
      this.doc,
      this.tableName,
      entries.map((e) => ({
        PutRequest: { Item: { uid: e.uid, hotkey: e.hotkey, allocated: false, updatedAt } },
      })),
    );
  }

  /** Marks a uid allocated or not. No deployed component calls this; it is for tests and manual use. */
  async setAllocated(uid: number, allocated: boolean): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { uid },
        UpdateExpression: 'SET allocated = :a, updatedAt = :t',
        ConditionExpression: 'attribute_exists(uid)',
        ExpressionAttributeValues: { ':a': allocated, ':t': this.now().toISOString() },
      }),
    );
  }
}
