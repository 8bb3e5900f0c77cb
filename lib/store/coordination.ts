import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { parseWith } from '../validation.js';
import { isConditionFailure, updateIf } from './conditional.js';

/** State of the current PoG round of a subnet (one item, `round#<netuid>`). */
export const RoundStateSchema = z.object({
  roundId: z.string(),
  startBlock: z.number().int().nonnegative(),
  nextRoundBlock: z.number().int().nonnegative(),
  expected: z.number().int().nonnegative(),
  done: z.number().int().nonnegative(),
  /** Epoch seconds after which an unfinished round no longer blocks the next one. */
  deadline: z.number(),
  /**
   * Epoch seconds until which a sync invocation may still be fanning this round out (its own timeout):
   * no other tick resumes the fan-out before then. Absent once the fan-out finished or failed.
   */
  fanOutUntil: z.number().optional(),
});
export type RoundState = z.infer<typeof RoundStateSchema>;

export type ClaimResult = 'claimed' | 'duplicate' | 'busy';

/** One conditional update inside a DynamoDB transaction. */
export type TransactUpdate = NonNullable<
  NonNullable<TransactWriteCommandInput['TransactItems']>[number]['Update']
>;

/**
 * The claim key guarding "a verifier job runs for this round": the worker takes it before SubmitJob
 * and completes it with the job id; the job drops it when it has drained (conditional on that id).
 */
export function verifierClaimKey(roundId: string): string {
  return `verifier#${roundId}`;
}

/**
 * The coordination table: what concurrent Lambdas agree on through conditional writes (the weight
 * run's single-flight lock, idempotency claims such as a round's verifier start, and round state;
 * lib/store/pog-results.ts and wandb-runs.ts keep their own items here). Every write is conditional,
 * so concurrent Lambdas never both win; items carry `expiresAt` (TTL) so nothing stays locked if a
 * holder dies.
 */
export class CoordinationStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  /** Takes `name` for `owner` unless someone else holds an unexpired lock. */
  async acquire(name: string, owner: string, ttlSeconds: number): Promise<boolean> {
    const now = this.nowSeconds();
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `lock#${name}`, owner, expiresAt: now + ttlSeconds },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now OR #o = :owner',
          ExpressionAttributeNames: { '#o': 'owner' },
          ExpressionAttributeValues: { ':now': now, ':owner': owner },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** Releases `name` if `owner` still holds it. */
  async release(name: string, owner: string): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: `lock#${name}` },
          ConditionExpression: '#o = :owner',
          ExpressionAttributeNames: { '#o': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /**
   * Claims an idempotency key before a side effect. `duplicate`: the effect already happened;
   * `busy`: another holder claimed it less than `staleAfterSeconds` ago (retry later); a stale,
   * unfinished claim is taken over, since its holder died between claim and effect.
   */
  async claim(key: string, ttlSeconds: number, staleAfterSeconds: number): Promise<ClaimResult> {
    const now = this.nowSeconds();
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `claim#${key}`, claimedAt: now, expiresAt: now + ttlSeconds },
          ConditionExpression:
            'attribute_not_exists(pk) OR (attribute_not_exists(doneRef) AND claimedAt < :stale)',
          ExpressionAttributeValues: { ':stale': now - staleAfterSeconds },
        }),
      );
      return 'claimed';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const existing = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: `claim#${key}` }, ConsistentRead: true }),
    );
    return existing.Item?.doneRef !== undefined ? 'duplicate' : 'busy';
  }

  /** Marks a claim done, recording what the effect produced (e.g. the Batch job id). */
  async complete(key: string, doneRef: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `claim#${key}` },
        UpdateExpression: 'SET doneRef = :r',
        ExpressionAttributeValues: { ':r': doneRef },
      }),
    );
  }

  /** The recorded result of a finished claim, if any. */
  async claimRef(key: string): Promise<string | null> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: `claim#${key}` }, ConsistentRead: true }),
    );
    const ref = out.Item?.doneRef;
    return typeof ref === 'string' ? ref : null;
  }

  /** Drops an unfinished claim so a redelivery can retry the effect at once. */
  async abandon(key: string): Promise<void> {
    await this.doc
      .send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: `claim#${key}` },
          ConditionExpression: 'attribute_not_exists(doneRef)',
        }),
      )
      .catch((error: unknown) => {
        if (!isConditionFailure(error)) throw error;
      });
  }

  /**
   * Drops a finished claim if it still records `doneRef`: the verifier job releases its round's
   * claim when it exits, so a bundle enqueued later starts a new verifier.
   */
  async releaseDone(key: string, doneRef: string): Promise<void> {
    await this.doc
      .send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: `claim#${key}` },
          ConditionExpression: 'doneRef = :r',
          ExpressionAttributeValues: { ':r': doneRef },
        }),
      )
      .catch((error: unknown) => {
        if (!isConditionFailure(error)) throw error;
      });
  }

  async round(netuid: number): Promise<RoundState | null> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: `round#${netuid}` }, ConsistentRead: true }),
    );
    if (out.Item === undefined) return null;
    const { pk: _pk, ...rest } = out.Item;
    return parseWith(RoundStateSchema, rest, 'round state');
  }

  /**
   * Starts a round if the stored round is still `previousRoundId` (null: none yet); false when a
   * concurrent sync started one first.
   */
  async startRound(netuid: number, state: RoundState, previousRoundId: string | null): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `round#${netuid}`, ...state },
          ...(previousRoundId === null
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: 'roundId = :prev',
                ExpressionAttributeValues: { ':prev': previousRoundId },
              }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Takes over the fan-out of `roundId`, left unfinished (its mark: nothing expected, due at its own start
   * block), once no invocation may still be at it (`fanOutUntil` passed or absent): false when the round
   * moved on or another tick holds it. The round's `done` count is left as it is: results of the miners
   * the earlier fan-out reached keep counting.
   */
  async resumeFanOut(
    netuid: number,
    roundId: string,
    until: { readonly fanOutUntil: number; readonly deadline: number },
    nowSeconds: number,
  ): Promise<boolean> {
    return this.updateRound({
      Key: { pk: `round#${netuid}` },
      UpdateExpression: 'SET fanOutUntil = :until, deadline = :deadline',
      ConditionExpression:
        'roundId = :r AND expected = :zero AND nextRoundBlock = startBlock AND (attribute_not_exists(fanOutUntil) OR fanOutUntil <= :now)',
      ExpressionAttributeValues: {
        ':r': roundId,
        ':zero': 0,
        ':now': nowSeconds,
        ':until': until.fanOutUntil,
        ':deadline': until.deadline,
      },
    });
  }

  /** Every challenge of `roundId` is on the queue: the round now expects them and is due at `nextRoundBlock`. */
  async finishFanOut(
    netuid: number,
    roundId: string,
    expected: number,
    nextRoundBlock: number,
  ): Promise<boolean> {
    return this.updateRound({
      Key: { pk: `round#${netuid}` },
      UpdateExpression: 'SET expected = :n, nextRoundBlock = :next REMOVE fanOutUntil',
      ConditionExpression: 'roundId = :r',
      ExpressionAttributeValues: { ':r': roundId, ':n': expected, ':next': nextRoundBlock },
    });
  }

  /** The fan-out of `roundId` failed: the next tick may resume it at once (its mark stays). */
  async abandonFanOut(netuid: number, roundId: string): Promise<boolean> {
    return this.updateRound({
      Key: { pk: `round#${netuid}` },
      UpdateExpression: 'REMOVE fanOutUntil',
      ConditionExpression: 'roundId = :r',
      ExpressionAttributeValues: { ':r': roundId },
    });
  }

  /** A conditional update of the round item. */
  private updateRound(input: Omit<UpdateCommandInput, 'TableName'>): Promise<boolean> {
    return updateIf(this.doc, { TableName: this.tableName, ...input });
  }

  /**
   * The update that counts one finished challenge towards its round, conditional on the round still
   * being `roundId`: a final row's transaction carries it, so the row and its count commit together.
   */
  roundProgressUpdate(netuid: number, roundId: string): TransactUpdate {
    return {
      TableName: this.tableName,
      Key: { pk: `round#${netuid}` },
      UpdateExpression: 'ADD done :one',
      ConditionExpression: 'roundId = :r',
      ExpressionAttributeValues: { ':one': 1, ':r': roundId },
    };
  }

  /** Counts one finished challenge towards its round; a result of an older round is ignored. */
  async markRoundProgress(netuid: number, roundId: string): Promise<void> {
    await updateIf(this.doc, this.roundProgressUpdate(netuid, roundId));
  }
}
