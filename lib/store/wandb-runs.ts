import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';

// what lib/wandb accepts as a run id; anything else in the table is ignored, not trusted
const RUN_ID = /^[a-z0-9]{1,64}$/;

/**
 * Our W&B run id per (netuid, hotkey), on the coordination table (`wandb-run#<netuid>#<hotkey>`, no TTL):
 * the reference caches it in its `wandb_runs` table (§6.1) so that a restart reuses the run instead
 * of looking it up by display name; here it saves that lookup on every cold start.
 */
export class WandbRunStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private key(netuid: number, hotkey: string) {
    return { pk: `wandb-run#${netuid}#${hotkey}` };
  }

  /** The stored run id, or undefined when none (or a malformed one) is stored. */
  async get(netuid: number, hotkey: string): Promise<string | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: this.key(netuid, hotkey), ConsistentRead: true }),
    );
    const runId = out.Item?.runId;
    return typeof runId === 'string' && RUN_ID.test(runId) ? runId : undefined;
  }

  async put(netuid: number, hotkey: string, runId: string): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...this.key(netuid, hotkey), runId, updatedAt: this.now().toISOString() },
      }),
    );
  }
}
