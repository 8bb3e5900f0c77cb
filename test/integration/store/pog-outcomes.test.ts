import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { bundleKey, type VerificationMessage } from '../../../lib/pog/bundle.js';
import type { PogOutcome } from '../../../lib/ports.js';
import { CoordinationStore, PogOutcomeStore, PogResultStore } from '../../../lib/store/index.js';
import { clients, makeTables, uniquePrefix } from '../pipeline/fixtures.js';

const ROUND = '27-5000';
const HOTKEY = '5Outcome';

const verified: PogOutcome = {
  hotkey: HOTKEY,
  uid: 4,
  roundId: ROUND,
  gpuName: 'NVIDIA L4',
  numGpus: 1,
  attempts: 1,
  durationMs: 10,
};

const messageFor = (attempt: number): VerificationMessage => ({
  version: 1,
  netuid: 27,
  roundId: ROUND,
  hotkey: HOTKEY,
  uid: 4,
  attempt,
  bundleKey: bundleKey(ROUND, HOTKEY, attempt),
  bundleBytes: 4096,
  bundleSha256: 'cd'.repeat(32),
});

/** The worker's hand-over mark for `message`: its bundle key and its body recorded. */
const markHandOver = (outcomes: PogOutcomeStore, message: VerificationMessage) =>
  outcomes.markVerifying(message.roundId, message.hotkey, message.bundleKey, JSON.stringify(message));

describe('PogOutcomeStore on moto: attempt state, hand-over marks and final rows', () => {
  const endpoint = inject('motoEndpoint');
  const c = clients(endpoint);

  /** Fresh tables, a clock at `nowS` (epoch seconds, movable), the store on `doc` (moto's by default). */
  const storeOn = async (name: string, doc: DynamoDBDocumentClient = c.doc) => {
    const t = await makeTables(c.ddb, uniquePrefix(name));
    const clock = { s: 1_000 };
    const pair = { pogResults: t.pogResults, coordination: t.coordination };
    const outcomes = new PogOutcomeStore(doc, pair, 27, { now: () => new Date(clock.s * 1000) });
    const coordination = new CoordinationStore(c.doc, t.coordination);
    const startRound = (roundId: string) =>
      coordination.startRound(
        27,
        { roundId, startBlock: 1, nextRoundBlock: 361, expected: 2, done: 0, deadline: 9e9 },
        null,
      );
    const rows = () => new PogResultStore(c.doc, t.pogResults).rows(HOTKEY);
    return { t, clock, outcomes, coordination, startRound, rows };
  };

  describe('beginAttempt: why a count was refused', () => {
    it('reports a live lease as leased even when the limit is reached: the last session may still run', async () => {
      // Prepare: the third of three attempts holds the lease until 1 100
      const { clock, outcomes } = await storeOn('lease-limit');
      for (let i = 0; i < 2; i++) {
        await outcomes.beginAttempt(ROUND, HOTKEY, 3, clock.s - 1);
        await outcomes.noteFault(ROUND, HOTKEY, 'busy');
      }
      await outcomes.beginAttempt(ROUND, HOTKEY, 3, clock.s + 100);
      // Act
      const whileRunning = await outcomes.beginAttempt(ROUND, HOTKEY, 3, clock.s + 100);
      clock.s += 101;
      const afterLease = await outcomes.beginAttempt(ROUND, HOTKEY, 3, clock.s + 100);
      // Assess
      expect(whileRunning).toEqual({ kind: 'leased', leaseUntil: 1_100 });
      expect(afterLease).toEqual({ kind: 'closed' });
    });

    it('reports a pair handed over or final as past attempting, whatever its lease', async () => {
      // Prepare: one pair mid hand-over (lease still held), one with its final row
      const { clock, outcomes } = await storeOn('past');
      await outcomes.beginAttempt(ROUND, HOTKEY, 3, clock.s + 100);
      await markHandOver(outcomes, messageFor(1));
      await outcomes.recordFailure({ ...verified, hotkey: '5Final', error: 'late', attempts: 0 });
      // Act
      const verifying = await outcomes.beginAttempt(ROUND, HOTKEY, 3, clock.s + 100);
      const final = await outcomes.beginAttempt(ROUND, '5Final', 3, clock.s + 100);
      // Assess
      expect(verifying).toEqual({ kind: 'past', state: 'verifying' });
      expect(final).toEqual({ kind: 'past', state: 'final' });
    });
  });

  describe('the hand-over marks', () => {
    it('records the verification message with the mark, keeps the lease until the message is sent, and marks one bundle only', async () => {
      // Prepare
      const { clock, outcomes } = await storeOn('handover');
      await outcomes.beginAttempt(ROUND, HOTKEY, 3, clock.s + 100);
      // Act
      const marked = await markHandOver(outcomes, messageFor(1));
      const markedAgain = await markHandOver(outcomes, messageFor(1));
      const another = await markHandOver(outcomes, messageFor(2));
      const beforeSent = await outcomes.attemptState(ROUND, HOTKEY);
      await outcomes.markHandOverSent(ROUND, HOTKEY, bundleKey(ROUND, HOTKEY, 1));
      const afterSent = await outcomes.attemptState(ROUND, HOTKEY);
      // Assess
      expect([marked, markedAgain, another]).toEqual([true, true, false]);
      expect(beforeSent).toMatchObject({
        state: 'verifying',
        bundleKey: bundleKey(ROUND, HOTKEY, 1),
        handOver: JSON.stringify(messageFor(1)),
        leaseUntil: 1_100,
      });
      expect(beforeSent).not.toHaveProperty('handOverSentAt');
      expect(afterSent).toMatchObject({ handOverSentAt: 1_000 });
      expect(afterSent).not.toHaveProperty('leaseUntil');
    });

    it('does not mark a final pair, and leaves it final when a late hand-over is marked sent or undone', async () => {
      // Prepare
      const { clock, outcomes } = await storeOn('handover-final');
      await outcomes.beginAttempt(ROUND, HOTKEY, 3, clock.s + 100);
      await outcomes.recordVerified(verified);
      // Act
      const marked = await markHandOver(outcomes, messageFor(1));
      await outcomes.markHandOverSent(ROUND, HOTKEY, bundleKey(ROUND, HOTKEY, 1));
      await outcomes.abandonHandOver(ROUND, HOTKEY, bundleKey(ROUND, HOTKEY, 1));
      // Assess
      expect(marked).toBe(false);
      expect(await outcomes.attemptState(ROUND, HOTKEY)).toMatchObject({ state: 'final', attempts: 1 });
    });

    it('undoes an unsent hand-over (attempt given back, lease ended), but never one whose message went out', async () => {
      // Prepare: two pairs mid hand-over; the second's message was sent
      const { clock, outcomes } = await storeOn('abandon');
      const sentMessage = { ...messageFor(1), hotkey: '5Sent', bundleKey: bundleKey(ROUND, '5Sent', 1) };
      await outcomes.beginAttempt(ROUND, HOTKEY, 3, clock.s + 100);
      await outcomes.beginAttempt(ROUND, '5Sent', 3, clock.s + 100);
      await markHandOver(outcomes, messageFor(1));
      await markHandOver(outcomes, sentMessage);
      await outcomes.markHandOverSent(ROUND, '5Sent', sentMessage.bundleKey);
      // Act
      await outcomes.abandonHandOver(ROUND, HOTKEY, bundleKey(ROUND, HOTKEY, 1));
      await outcomes.abandonHandOver(ROUND, '5Sent', sentMessage.bundleKey);
      // Assess
      const undone = await outcomes.attemptState(ROUND, HOTKEY);
      expect(undone).toEqual(expect.objectContaining({ state: 'attempting', attempts: 0 }));
      expect(undone).not.toHaveProperty('handOver');
      expect(undone).not.toHaveProperty('leaseUntil');
      expect(await outcomes.attemptState(ROUND, '5Sent')).toMatchObject({ state: 'verifying', attempts: 1 });
    });
  });

  describe('final rows', () => {
    it('reads a final item written without an attempt count (before recordFinal set one) as 0 attempts', async () => {
      // Prepare: the item an earlier recordFinal left for a pair never attempted
      const { t, outcomes } = await storeOn('legacy-final');
      await c.doc.send(
        new PutCommand({
          TableName: t.coordination,
          Item: { pk: `pog#${ROUND}#${HOTKEY}`, state: 'final', expiresAt: 9e9 },
        }),
      );
      // Act
      const state = await outcomes.attemptState(ROUND, HOTKEY);
      // Assess
      expect(state).toEqual({ state: 'final', attempts: 0 });
    });

    it('counts the round in the final transaction: a failing separate progress update loses nothing', async () => {
      // Prepare: any update of the round item outside a transaction fails (the step that, once
      // separate, a redelivery's `duplicate` never redid)
      const roundUpdate = (command: unknown) =>
        command instanceof UpdateCommand && String(command.input.Key?.pk).startsWith('round#');
      const doc = {
        send: async (command: unknown) => {
          if (roundUpdate(command))
            throw Object.assign(new Error('throttled'), { name: 'InternalServerError' });
          return c.doc.send(command as never);
        },
      } as unknown as DynamoDBDocumentClient;
      const { outcomes, coordination, startRound, rows } = await storeOn('progress', doc);
      await startRound(ROUND);
      // Act
      const first = await outcomes.recordVerified(verified);
      const again = await outcomes.recordVerified(verified);
      // Assess
      expect([first, again]).toEqual(['recorded', 'duplicate']);
      expect((await coordination.round(27))?.done).toBe(1);
      expect(await rows()).toHaveLength(1);
    });

    it('writes a row of an older round (or with no round started) without counting it towards the current one', async () => {
      // Prepare: the current round is another one
      const { outcomes, coordination, startRound, rows } = await storeOn('stale-round');
      const noRound = await outcomes.recordFailure({ ...verified, hotkey: '5Early', error: 'late' });
      await startRound('27-6000');
      // Act
      const stale = await outcomes.recordVerified(verified);
      const staleAgain = await outcomes.recordVerified(verified);
      // Assess
      expect([noRound, stale, staleAgain]).toEqual(['recorded', 'recorded', 'duplicate']);
      expect(await rows()).toHaveLength(1);
      expect((await coordination.round(27))?.done).toBe(0);
      expect(await outcomes.attemptState(ROUND, HOTKEY)).toMatchObject({ state: 'final', attempts: 0 });
    });
  });
});
