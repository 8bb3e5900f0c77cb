import type { SQSClient } from '@aws-sdk/client-sqs';
import { asError } from '../errors.js';
import {
  type ChainPort,
  type ExternalStatePort,
  type PogChallenge,
  SECONDS_PER_BLOCK,
  type StandingProblem,
} from '../ports.js';
import { CHALLENGE_QUEUE } from '../queue/challenge.js';
import { enqueueChallenges } from '../queue/fan-out.js';
import type { CoordinationStore, RoundState } from '../store/coordination.js';
import type { MinerStore } from '../store/miners.js';
import type { PogResultStore } from '../store/pog-results.js';
import type { StatsStore } from '../store/stats.js';
import { validatorPreflight } from './preflight.js';
import { filterQueryable, type QueryableOptions } from './queryable.js';
import { restartIdleVerifier, type VerifierSweep, type VerifierWatchDeps } from './verifier-start.js';

export interface SyncDeps {
  readonly chain: ChainPort;
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly miners: MinerStore;
  readonly pogResults: PogResultStore;
  readonly stats: StatsStore;
  readonly coordination: CoordinationStore;
  /** Optional: other validators' allocation list (§4.1 skips allocated miners). */
  readonly external?: ExternalStatePort;
  /** Uniform [0, 1), injectable for tests. */
  readonly random?: () => number;
  readonly nowSeconds?: () => number;
  /** Set when the hotkey secret could not be read: the preflight names it instead of a fan-out. */
  readonly hotkeyProblem?: 'hotkey-secret-unreadable';
  /** The verification queue and the verifier's job: each tick restarts a verifier for waiting bundles. */
  readonly verifier?: Omit<VerifierWatchDeps, 'sqs' | 'coordination'>;
}

export interface SyncOptions extends QueryableOptions {
  readonly netuid: number;
  readonly pogIntervalBlocks: number;
  readonly maxJitterSeconds: number;
  readonly roundTimeoutSeconds: number;
}

/** What one sync tick did: the metagraph it read, the uids it purged and the round it started or found. */
export interface SyncTickResult {
  readonly block: number;
  readonly neurons: number;
  readonly queryable: number;
  readonly versionFilterSkipped: boolean;
  /** uids whose hotkey changed and whose stored state was purged (D9). */
  readonly purgedUids: readonly number[];
  readonly round:
    | {
        readonly status: 'started';
        readonly roundId: string;
        readonly challenges: number;
        readonly delaySeconds: number;
      }
    | { readonly status: 'running'; readonly roundId: string }
    | { readonly status: 'not-due'; readonly nextRoundBlock: number }
    | { readonly status: 'lost-race' }
    /** The operator preflight found problems: no challenge is sent (miners would not answer). */
    | { readonly status: 'blocked'; readonly problems: readonly StandingProblem[] };
  /**
   * The look at the verification queue (absent without `SyncDeps.verifier`, or before any round). A
   * failed look is reported here, not thrown: the round's own work this tick stands.
   */
  readonly verifier?: VerifierSweep | { readonly status: 'error'; readonly reason: string };
}

/** The sync Lambda's timeout (infra/lambdas.ts): a fan-out cannot outlive its invocation. */
export const SYNC_TIMEOUT_SECONDS = 120;

/**
 * The mark a round carries until its fan-out finished: nothing expected, and due at its own start
 * block, which no fanned-out round has (it is due `pogIntervalBlocks` after its start). A round is
 * written with it before any challenge is sent, so an invocation killed mid-fan-out leaves it too;
 * once no invocation may still be at it (`fanOutUntil`), the next tick resumes the fan-out under the
 * same id instead of starting a new round.
 */
function fanOutUnfinished(state: RoundState): boolean {
  return state.expected === 0 && state.nextRoundBlock === state.startBlock;
}

/**
 * Seconds from the fan-out during which a miner's attempts may start: the round's timeout, cut so that
 * the last attempt (one worker timeout) ends before the next round is due, yet never so short that a
 * miner whose message the jitter delayed gets no attempt at all. A staller is then recorded in time
 * and the round completes, instead of holding the next round until the round timeout.
 */
export function attemptWindowSeconds(
  options: Pick<SyncOptions, 'pogIntervalBlocks' | 'roundTimeoutSeconds'>,
  delaySeconds: number,
): number {
  const beforeNextRound =
    options.pogIntervalBlocks * SECONDS_PER_BLOCK - CHALLENGE_QUEUE.workerTimeoutSeconds;
  const minimum = delaySeconds + CHALLENGE_QUEUE.workerTimeoutSeconds;
  return Math.max(minimum, Math.min(delaySeconds + options.roundTimeoutSeconds, beforeNextRound));
}

/** True while a round has results outstanding and is not past its deadline (no overlap, §4.1). */
export function roundRunning(state: RoundState | null, nowSeconds: number): boolean {
  return state !== null && state.done < state.expected && nowSeconds < state.deadline;
}

/**
 * One sync tick: read the metagraph, purge the state of uids whose hotkey changed (D9, also on a fresh
 * table), apply the queryable filter (§7.2), and start a PoG round when one is due (every
 * `pogIntervalBlocks`, never overlapping a running round) by enqueuing one challenge per queryable,
 * unallocated miner. The round's random jitter (the reference sleeps uniform(0, 900 s)) is the
 * messages' SQS delay, so no Lambda waits. Then, with `deps.verifier`, bundles that wait with no
 * verifier at work get one ({@link restartIdleVerifier}), under the latest round's claim.
 */
export async function runSync(deps: SyncDeps, options: SyncOptions): Promise<SyncTickResult> {
  const tick = await syncRound(deps, options);
  if (deps.verifier === undefined) return tick;
  const roundId =
    'roundId' in tick.round ? tick.round.roundId : (await deps.coordination.round(options.netuid))?.roundId;
  if (roundId === undefined) return tick;
  try {
    const watch = { ...deps.verifier, sqs: deps.sqs, coordination: deps.coordination };
    return { ...tick, verifier: await restartIdleVerifier(watch, roundId) };
  } catch (error) {
    return { ...tick, verifier: { status: 'error', reason: asError(error).message } };
  }
}

/** The tick's metagraph and round work ({@link runSync} without the verifier's queue). */
async function syncRound(deps: SyncDeps, options: SyncOptions): Promise<SyncTickResult> {
  const nowSeconds = deps.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  const random = deps.random ?? Math.random;
  const [metagraph, preflight] = await Promise.all([
    deps.chain.metagraph(options.netuid),
    validatorPreflight(deps.chain, options.netuid, deps.hotkeyProblem),
  ]);

  const stored = await deps.miners.readAll();
  const purgedUids: number[] = [];
  const changed: { uid: number; hotkey: string }[] = [];
  for (const n of metagraph.neurons) {
    const before = stored.get(n.uid);
    if (before?.hotkey === n.hotkey) continue;
    changed.push({ uid: n.uid, hotkey: n.hotkey });
    if (before !== undefined) {
      purgedUids.push(n.uid);
      await deps.pogResults.deleteHotkeys([before.hotkey]);
      await deps.stats.delete(n.uid);
    }
  }
  // D9 on a fresh table: a stats row whose hotkey differs from the chain's is stale too
  if (stored.size === 0) {
    const stats = await deps.stats.readAll();
    for (const n of metagraph.neurons) {
      const row = stats[String(n.uid)];
      if (row !== undefined && row.hotkey !== n.hotkey) {
        purgedUids.push(n.uid);
        await deps.pogResults.deleteHotkeys([row.hotkey]);
        await deps.stats.delete(n.uid);
      }
    }
  }
  if (changed.length > 0) await deps.miners.putHotkeys(changed);

  const filtered = filterQueryable(metagraph.neurons, options);
  const base = {
    block: metagraph.block,
    neurons: metagraph.neurons.length,
    queryable: filtered.queryable.size,
    versionFilterSkipped: filtered.versionFilterSkipped,
    purgedUids,
  };

  if (preflight !== null && preflight.problems.length > 0) {
    return { ...base, round: { status: 'blocked', problems: preflight.problems } };
  }
  const state = await deps.coordination.round(options.netuid);
  const now = nowSeconds();
  if (roundRunning(state, now) && state !== null)
    return { ...base, round: { status: 'running', roundId: state.roundId } };
  if (state !== null && fanOutUnfinished(state) && (state.fanOutUntil ?? 0) > now) {
    // another invocation is fanning this round out
    return { ...base, round: { status: 'running', roundId: state.roundId } };
  }
  if (state !== null && metagraph.block < state.nextRoundBlock) {
    return { ...base, round: { status: 'not-due', nextRoundBlock: state.nextRoundBlock } };
  }

  const allocated = new Set<string>();
  for (const [uid, row] of stored) {
    if (row.allocated && metagraph.neurons[uid]?.hotkey === row.hotkey) allocated.add(row.hotkey);
  }
  if (deps.external) {
    for (const hk of (await deps.external.read(metagraph)).allocatedHotkeys) allocated.add(hk);
  }
  // a round whose fan-out failed part-way is retried under its own id: the miners it already reached
  // hold a claim for (roundId, hotkey) at the worker, so they are not challenged twice
  const resumed = state !== null && fanOutUnfinished(state);
  const roundId = resumed ? state.roundId : `${options.netuid}-${metagraph.block}`;
  const challenges: PogChallenge[] = [];
  for (const n of filtered.queryable.values()) {
    if (allocated.has(n.hotkey) || n.axon === null) continue;
    challenges.push({ netuid: options.netuid, roundId, uid: n.uid, hotkey: n.hotkey, axon: n.axon });
  }
  const delaySeconds = Math.floor(random() * (options.maxJitterSeconds + 1));
  const attemptsUntil = now + attemptWindowSeconds(options, delaySeconds);
  const startBlock = resumed ? state.startBlock : metagraph.block;
  const deadline = now + delaySeconds + options.roundTimeoutSeconds;
  const fanOutUntil = now + SYNC_TIMEOUT_SECONDS;
  // the round is marked unfinished before any challenge is sent; a resume keeps its `done` count, since
  // results of the miners the earlier fan-out reached count already (each miner still counts once)
  const begun = resumed
    ? await deps.coordination.resumeFanOut(options.netuid, roundId, { fanOutUntil, deadline }, now)
    : await deps.coordination.startRound(
        options.netuid,
        { roundId, startBlock, nextRoundBlock: startBlock, expected: 0, done: 0, deadline, fanOutUntil },
        state?.roundId ?? null,
      );
  if (!begun) return { ...base, round: { status: 'lost-race' } };
  try {
    await enqueueChallenges(
      deps.sqs,
      deps.queueUrl,
      challenges.map((c) => ({ ...c, attemptsUntil })),
      {
        delaySeconds,
        allowPrivateAddresses: options.allowPrivateAddresses,
      },
    );
  } catch (error) {
    // the round keeps its mark and the next tick resumes it under the same id; messages already sent
    // are deduplicated by the worker's (roundId, hotkey) state. Without this write the lease expires.
    await deps.coordination.abandonFanOut(options.netuid, roundId).catch(() => false);
    throw error;
  }
  await deps.coordination.finishFanOut(
    options.netuid,
    roundId,
    challenges.length,
    startBlock + options.pogIntervalBlocks,
  );
  return { ...base, round: { status: 'started', roundId, challenges: challenges.length, delaySeconds } };
}
