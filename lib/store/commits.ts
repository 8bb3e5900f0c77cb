import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { parseWith } from '../validation.js';

const u16 = z.number().int().min(0).max(65535);

/** A v2 hash commit's preimage, kept until the chain's reveal window (lib/chain `CommitStore`). */
export const CommitRowSchema = z.object({
  netuid: z.number().int().nonnegative(),
  hotkey: z.string().min(1).max(64),
  commitHash: z.string().regex(/^0x[0-9a-f]{64}$/),
  uids: z.array(u16).max(65536),
  weights: z.array(u16).max(65536),
  salt: z.array(u16).max(64),
  versionKey: z.number().int().nonnegative(),
  committedAtBlock: z.number().int().nonnegative(),
});
export type CommitRow = z.infer<typeof CommitRowSchema>;

/**
 * DynamoDB home of pending v2 commits (table `commits`): the weight Lambda commits in one invocation and
 * reveals in a later one, so the salt must outlive the container. Rows are deleted by the reveal step once
 * the chain no longer holds their commit (revealed, expired). Structurally a lib/chain `CommitStore`.
 */
export class CommitRowStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(commit: CommitRow): Promise<void> {
    const row = parseWith(CommitRowSchema, commit, 'commit row');
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: `${row.netuid}#${row.hotkey}`, ...row },
      }),
    );
  }

  async list(netuid: number, hotkey: string): Promise<readonly CommitRow[]> {
    const rows: CommitRow[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `${netuid}#${hotkey}` },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) {
        const { pk: _pk, ...rest } = item;
        rows.push(parseWith(CommitRowSchema, rest, 'commit row'));
      }
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
    return rows.sort((a, b) => a.committedAtBlock - b.committedAtBlock);
  }

  async delete(netuid: number, hotkey: string, commitHash: string): Promise<void> {
    await this.doc.send(
      new DeleteCommand({ TableName: this.tableName, Key: { pk: `${netuid}#${hotkey}`, commitHash } }),
    );
  }
}
