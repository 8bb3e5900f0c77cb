import { type DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { WeightSubmissionReceipt } from '../ports.js';
import { parseWith } from '../validation.js';

export const AuditRowSchema = z.object({
  netuid: z.number().int().nonnegative(),
  sk: z.string(),
  mode: z.enum(['scores', 'burn']),
  kind: z.string(),
  call: z.string(),
  blockHash: z.string(),
  blockNumber: z.number().int().nonnegative(),
  extrinsicHash: z.string(),
  uids: z.array(z.number().int()),
  weights: z.array(z.number().int()),
  versionKey: z.number().int(),
  submittedAt: z.string(),
  /** Timelocked commits: the drand round and the epoch window the chain reveals it in. */
  revealRound: z.number().int().optional(),
  commitEpoch: z.number().int().optional(),
  revealFirstBlock: z.number().int().optional(),
  revealLastBlock: z.number().int().optional(),
  /** Timelocked commits, set by a later tick: whether the chain revealed it (its reveal event). */
  revealed: z.boolean().optional(),
  revealCheckedAtBlock: z.number().int().optional(),
});
export type AuditRow = z.infer<typeof AuditRowSchema>;

/** Confirmed weight submissions (D7), one row each, sorted by block. */
export class AuditStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async append(netuid: number, mode: 'scores' | 'burn', receipt: WeightSubmissionReceipt): Promise<AuditRow> {
    const submittedAt = this.now().toISOString();
    const row: AuditRow = {
      netuid,
      // zero-padded block first so the sort key orders by block
      sk: `${String(receipt.blockNumber).padStart(12, '0')}#${receipt.extrinsicHash}`,
      mode,
      kind: receipt.kind,
      call: receipt.call,
      blockHash: receipt.blockHash,
      blockNumber: receipt.blockNumber,
      extrinsicHash: receipt.extrinsicHash,
      uids: [...receipt.uids],
      weights: [...receipt.weights],
      versionKey: receipt.versionKey,
      submittedAt,
      ...(receipt.revealRound === undefined ? {} : { revealRound: receipt.revealRound }),
      ...(receipt.revealWindow === undefined
        ? {}
        : {
            commitEpoch: receipt.revealWindow.commitEpoch,
            revealFirstBlock: receipt.revealWindow.firstBlock,
            revealLastBlock: receipt.revealWindow.lastBlock,
          }),
    };
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: row }));
    return row;
  }

  /** The newest submission for a subnet, or null. */
  async latest(netuid: number): Promise<AuditRow | null> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'netuid = :n',
        ExpressionAttributeValues: { ':n': netuid },
        ScanIndexForward: false,
        Limit: 1,
      }),
    );
    const item = out.Items?.[0];
    return item === undefined ? null : parseWith(AuditRowSchema, item, 'audit row');
  }

  /**
   * Timelocked commits whose reveal is not confirmed yet, oldest first, among the newest `scan` rows
   * (older unconfirmed rows stay as they are: a tick only confirms what is recent).
   */
  async unconfirmedCommits(netuid: number, scan = 50): Promise<AuditRow[]> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'netuid = :n',
        ExpressionAttributeValues: { ':n': netuid },
        ScanIndexForward: false,
        Limit: scan,
      }),
    );
    return (out.Items ?? [])
      .map((item) => parseWith(AuditRowSchema, item, 'audit row'))
      .filter((row) => row.commitEpoch !== undefined && row.revealed === undefined)
      .reverse();
  }

  /** Records whether the chain revealed a timelocked commit. */
  async recordReveal(netuid: number, sk: string, revealed: boolean, checkedAtBlock: number): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { netuid, sk },
        UpdateExpression: 'SET revealed = :r, revealCheckedAtBlock = :b',
        ConditionExpression: 'attribute_exists(sk)',
        ExpressionAttributeValues: { ':r': revealed, ':b': checkedAtBlock },
      }),
    );
  }
}
