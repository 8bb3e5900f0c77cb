import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LockStore } from './locks.js';
import { PogResultStore } from './pog-results.js';

/**
 * The proof job's {@link PogResultStore} as the pipeline needs it: each recorded outcome also counts
 * towards its round, so the sync Lambda knows when a round has finished (no overlap, §4.1).
 */
export function createPogResultSink(
  doc: DynamoDBDocumentClient,
  tables: { readonly pogResults: string; readonly locks: string },
  netuid: number,
  now?: () => Date,
): PogResultStore {
  const locks = new LockStore(doc, tables.locks);
  return new PogResultStore(doc, tables.pogResults, {
    ...(now ? { now } : {}),
    onRecorded: (outcome) => locks.markRoundProgress(netuid, outcome.roundId),
  });
}
