import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CoordinationStore } from './coordination.js';
import { PogResultStore } from './pog-results.js';

/**
 * The proof job's {@link PogResultStore} as the pipeline needs it: each recorded outcome also counts
 * towards its round, so the sync Lambda knows when a round has finished (no overlap, §4.1).
 */
export function createPogResultSink(
  doc: DynamoDBDocumentClient,
  tables: { readonly pogResults: string; readonly coordination: string },
  netuid: number,
  now?: () => Date,
): PogResultStore {
  const coordination = new CoordinationStore(doc, tables.coordination);
  return new PogResultStore(doc, tables.pogResults, {
    ...(now ? { now } : {}),
    onRecorded: (outcome) => coordination.markRoundProgress(netuid, outcome.roundId),
  });
}
