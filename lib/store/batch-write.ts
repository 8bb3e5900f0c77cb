import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PogValidatorError } from '../errors.js';

/** DynamoDB's BatchWriteItem limit. */
const BATCH_LIMIT = 25;
const MAX_ROUNDS = 8;

export type WriteRequest =
  | { readonly PutRequest: { readonly Item: Record<string, unknown> } }
  | { readonly DeleteRequest: { readonly Key: Record<string, unknown> } };

/** A store operation that DynamoDB kept refusing (throttling, unprocessed items). */
export class StoreError extends PogValidatorError {}

/**
 * Writes any number of put/delete requests in chunks of 25, re-sending unprocessed items with a
 * short backoff; throws {@link StoreError} when some are still unprocessed after the last round.
 * @returns the number of BatchWriteItem calls made (for request accounting).
 */
export async function batchWriteAll(
  doc: DynamoDBDocumentClient,
  tableName: string,
  requests: readonly WriteRequest[],
): Promise<number> {
  let calls = 0;
  for (let i = 0; i < requests.length; i += BATCH_LIMIT) {
    let pending = requests.slice(i, i + BATCH_LIMIT) as WriteRequest[];
    for (let round = 0; pending.length > 0; round++) {
      if (round >= MAX_ROUNDS) {
        throw new StoreError(`${pending.length} writes to ${tableName} stayed unprocessed`);
      }
      if (round > 0) await new Promise((r) => setTimeout(r, 25 * 2 ** round));
      const out = await doc.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
      calls++;
      pending = (out.UnprocessedItems?.[tableName] ?? []) as WriteRequest[];
    }
  }
  return calls;
}
