import {
  type AttributeDefinition,
  CreateTableCommand,
  type DynamoDBClient,
  type KeySchemaElement,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';

/** Logical tables of the pipeline. Physical names come from config (CDK generates them). */
export type TableKey = 'pogResults' | 'stats' | 'miners' | 'audit' | 'coordination' | 'commits';

export type TableNames = Readonly<Record<TableKey, string>>;

export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N';
}

/** Key schema of one table: the single source for the CDK stack, the tests and the local cycle. */
export interface TableDefinition {
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** Attribute DynamoDB expires items by (epoch seconds). */
  readonly timeToLiveAttribute?: string;
}

/**
 * The pipeline's DynamoDB tables.
 * - pogResults: one row per finished PoG session; sort key `sk` = `<ISO time>#<roundId>` so a
 *   descending query returns the newest rows first (§4.6 keeps 4 per hotkey).
 * - stats: the per-uid scoring snapshot (§5 `stats`).
 * - miners: uid → hotkey as last seen, plus the local allocation flag (D9 purge, §4.1 skip).
 * - audit: every confirmed weight submission (D7), newest last.
 * - coordination: what concurrent Lambdas agree on: round state, per-(round, hotkey) attempt state,
 *   idempotency claims, the weight run's single-flight lock and our W&B run id; TTL on `expiresAt`.
 * - commits: v2 hash commits awaiting their reveal (`pk` = `<netuid>#<hotkey>`, `commitHash`); the reveal
 *   step deletes each row once the chain no longer holds its commit.
 */
export const TABLE_DEFINITIONS: Readonly<Record<TableKey, TableDefinition>> = {
  pogResults: { partitionKey: { name: 'hotkey', type: 'S' }, sortKey: { name: 'sk', type: 'S' } },
  stats: { partitionKey: { name: 'uid', type: 'N' } },
  miners: { partitionKey: { name: 'uid', type: 'N' } },
  audit: { partitionKey: { name: 'netuid', type: 'N' }, sortKey: { name: 'sk', type: 'S' } },
  coordination: { partitionKey: { name: 'pk', type: 'S' }, timeToLiveAttribute: 'expiresAt' },
  commits: { partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'commitHash', type: 'S' } },
};

export const TABLE_KEYS = Object.keys(TABLE_DEFINITIONS) as TableKey[];

function keySchema(def: TableDefinition): KeySchemaElement[] {
  const keys: KeySchemaElement[] = [{ AttributeName: def.partitionKey.name, KeyType: 'HASH' }];
  if (def.sortKey) keys.push({ AttributeName: def.sortKey.name, KeyType: 'RANGE' });
  return keys;
}

function attributes(def: TableDefinition): AttributeDefinition[] {
  const attrs = [def.partitionKey, ...(def.sortKey ? [def.sortKey] : [])];
  return attrs.map((a) => ({ AttributeName: a.name, AttributeType: a.type }));
}

/**
 * Creates every pipeline table on the given client (emulators and the local cycle; AWS gets them
 * from the CDK stack). Tables that already exist are left as they are.
 */
export async function createTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  for (const key of TABLE_KEYS) {
    const def = TABLE_DEFINITIONS[key];
    try {
      await client.send(
        new CreateTableCommand({
          TableName: names[key],
          BillingMode: 'PAY_PER_REQUEST',
          KeySchema: keySchema(def),
          AttributeDefinitions: attributes(def),
        }),
      );
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
  }
}

/** Table names derived from one prefix, for tests and the local cycle. */
export function tableNamesWithPrefix(prefix: string): TableNames {
  return {
    pogResults: `${prefix}-pog-results`,
    stats: `${prefix}-stats`,
    miners: `${prefix}-miners`,
    audit: `${prefix}-audit`,
    coordination: `${prefix}-coordination`,
    commits: `${prefix}-commits`,
  };
}
