import { buildWorkerHandler } from '../../../functions/worker/handler.js';
import { createPogRunner, type PogAttemptRunner } from '../../../lib/pog/index.js';
import { CHALLENGE_QUEUE } from '../../../lib/queue/challenge.js';
import { drainQueue, type EventSourceSummary } from '../event-source.js';
import {
  type CycleAws,
  type CycleContext,
  type CycleServers,
  localMetrics,
  silentLogger,
} from './context.js';

/**
 * Attempts per (round, miner) in the local cycle: the reference's pog_retry_limit (22) would make every
 * cheat cost 22 sessions; three leave an honest miner room for a chaos fault and a missed timing check
 * on a busy machine, and still show failed deliveries coming back.
 */
export const LOCAL_RETRY_LIMIT = 3;
/**
 * The harness's short deadlines: a miner that never answers its allocation (stall-allocation) fails in
 * seconds, and no attempt outlives this even on a busy 2-core machine.
 */
const LOCAL_DEADLINES = {
  allocateTimeoutS: 5,
  allocateCheckTimeoutS: 5,
  deallocateTimeoutS: 3,
  deallocateRetryDelayS: 1,
  attemptTimeoutS: 120,
} as const;
/** A worker invocation's span (its context's deadline), as the stack's: the attempt deadline plus margin. */
const LOCAL_WORKER_TIMEOUT_MS = (LOCAL_DEADLINES.attemptTimeoutS + 30) * 1000;
/** The stack's worker settings: parallel SubmitJob calls per batch, and concurrent pollers (max concurrency). */
const WORKER_LANES = 5;
/**
 * How long an empty challenge queue is watched before the worker stage ends: a retried delivery (retry
 * interval 0 here) or a killed invocation's comes back within it. A twin deferred by the session lease
 * waits out that session's invocation, as on AWS, and may be left in the queue: its miner's other
 * delivery holds the lease and ends with the miner's row.
 */
const DRAIN_IDLE_WAIT_S = 5;

/**
 * The worker's wall time in the cycle, as Lambda would bill it: its invocations, and the part of its
 * attempts spent waiting on the miners. The rest is the validator's own work per attempt, which the
 * cost model prices apart from the miner's time (`npm run bench -- local`).
 */
export interface WorkerTime {
  readonly invocations: number;
  readonly invocationMs: number;
  readonly attempts: number;
  readonly minerMs: number;
}

class WorkerTimer {
  private readonly t = { invocations: 0, invocationMs: 0, attempts: 0, minerMs: 0 };

  get time(): WorkerTime {
    return { ...this.t, invocationMs: Math.round(this.t.invocationMs) };
  }

  runner(runner: PogAttemptRunner): PogAttemptRunner {
    return {
      ...runner,
      attempt: async (challenge, signal, ledger) => {
        const result = await runner.attempt(challenge, signal, ledger);
        this.t.attempts++;
        this.t.minerMs += result.minerMs;
        return result;
      },
    };
  }

  async invocation<T>(invoke: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await invoke();
    } finally {
      this.t.invocations++;
      this.t.invocationMs += performance.now() - t0;
    }
  }
}

/**
 * Stage `worker`: the challenge queue drained through the real worker handler, as the stack's event
 * source drives it, with the chaos worker faults in place (a duplicate delivery first).
 */
export async function runWorkerStage(
  ctx: CycleContext,
  servers: CycleServers,
  aws: CycleAws,
  challenges: number,
): Promise<WorkerTime> {
  const { chaos, debug, performance } = ctx;
  const { sqs, s3, batch } = aws.clients;
  const { resources } = aws;
  const timer = new WorkerTimer();
  const realRunner = createPogRunner({
    performance,
    hotkeySecret: aws.hotkeySecret,
    engine: { ...servers.sims.engine, ...LOCAL_DEADLINES },
    matrixSize: servers.sims.matrixSize,
    allowPrivateAddresses: true,
    ...(debug ? { log: debug } : {}),
  });
  const timeoutTarget = (
    servers.sims.miners.find((m) => m.behaviour === 'noisy-but-valid') ??
    servers.sims.miners.find((m) => m.behaviour === 'slow-but-valid')
  )?.hotkey;
  const workerHandler = buildWorkerHandler({
    deps: {
      runner: chaos.timingOutRunner(timer.runner(realRunner), timeoutTarget),
      outcomes: aws.outcomes,
      coordination: aws.stores.coordination,
      s3,
      sqs,
      batch: chaos.killingBatch(batch),
      bundleBucket: resources.bucket,
      challengeQueueUrl: resources.queueUrl,
      challengeDlqUrl: resources.dlqUrl,
      verificationQueueUrl: resources.verificationQueueUrl,
      verifierJobQueue: resources.jobQueue,
      verifierJobDefinition: resources.jobDefinition,
      retryLimit: Math.min(LOCAL_RETRY_LIMIT, performance.merkle_proof.pog_retry_limit),
      // the harness redelivers at once (drainQueue): a miner fault never waits pog_retry_interval here
      retryIntervalS: 0,
      allowPrivateAddresses: true,
      ...(debug ? { log: debug } : {}),
    },
    logger: silentLogger(),
    metrics: localMetrics(),
  });
  await ctx.clock.run(
    'worker',
    async () => {
      if (challenges > 0) await chaos.duplicateDelivery(sqs, resources.queueUrl);
      return drainQueue(
        sqs,
        resources.queueUrl,
        (event) => timer.invocation(() => chaos.invokeWorker(workerHandler, event, LOCAL_WORKER_TIMEOUT_MS)),
        // the stack's event source hands the worker one record per invocation; a killed invocation's
        // record comes back at once, and an idle queue is long-polled for deferred deliveries
        {
          batchSize: CHALLENGE_QUEUE.workerBatchSize,
          lanes: WORKER_LANES,
          maxRounds: 1_000,
          idleWaitS: DRAIN_IDLE_WAIT_S,
          onThrow: 'redeliver',
        },
      );
    },
    (r: EventSourceSummary) => `${r.invocations} invocations, ${r.failedInvocations} killed`,
  );
  return timer.time;
}
