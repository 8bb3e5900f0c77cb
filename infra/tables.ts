import { RemovalPolicy, type Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { TABLE_DEFINITIONS, TABLE_KEYS, type TableKey } from '../lib/store/tables.js';

/** The pipeline's DynamoDB tables by logical key (lib/store/tables.ts). */
export type PipelineTables = Readonly<Record<TableKey, dynamodb.Table>>;

const attributeType = (type: 'S' | 'N'): dynamodb.AttributeType =>
  dynamodb.AttributeType[type === 'S' ? 'STRING' : 'NUMBER'];

/**
 * One on-demand table per {@link TABLE_DEFINITIONS} entry (its keys and TTL), with point-in-time
 * recovery and AWS-managed encryption, kept when the stack goes. Created in the stack's own scope:
 * the logical id (`PogResultsTable…`) is the deployed table, and a new one would replace it.
 */
export function addTables(stack: Stack): PipelineTables {
  return Object.fromEntries(
    TABLE_KEYS.map((key) => {
      const def = TABLE_DEFINITIONS[key];
      const table = new dynamodb.Table(stack, `${key[0]?.toUpperCase()}${key.slice(1)}Table`, {
        partitionKey: { name: def.partitionKey.name, type: attributeType(def.partitionKey.type) },
        ...(def.sortKey
          ? { sortKey: { name: def.sortKey.name, type: attributeType(def.sortKey.type) } }
          : {}),
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        ...(def.timeToLiveAttribute ? { timeToLiveAttribute: def.timeToLiveAttribute } : {}),
        // scores, audit and PoG history are the validator's record: keep them when the stack goes
        removalPolicy: RemovalPolicy.RETAIN,
      });
      return [key, table];
    }),
  ) as Record<TableKey, dynamodb.Table>;
}
