import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { BatchClient, ListJobsCommand } from '@aws-sdk/client-batch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  ChangeMessageVisibilityBatchCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { buildSyncHandler } from '../../functions/sync/handler.js';
import { buildWeightsHandler, type WeightsSummary } from '../../functions/weights/handler.js';
import { buildWorkerHandler } from '../../functions/worker/handler.js';
import { createChainPort } from '../../lib/chain/index.js';
import { readHotkeySecret } from '../../lib/clients/secrets.js';
import { DEFAULT_PERFORMANCE_CONFIG, type PerformanceConfig } from '../../lib/config/gpu-performance.js';
import { asError } from '../../lib/errors.js';
import { type Log, type LogFields, silentLog } from '../../lib/log.js';
import type { QueryableOptions } from '../../lib/pipeline/queryable.js';
import { drainVerificationQueue } from '../../lib/pipeline/verifier.js';
import type { PogAttemptRunner } from '../../lib/pog/index.js';
import { createPogRunner } from '../../lib/pog/index.js';
import { runRowCheck } from '../../lib/pog/row-check.js';
import type { ChainPort, UidStat } from '../../lib/ports.js';

import { CHALLENGE_QUEUE } from '../../lib/queue/challenge.js';
import { createSqsVerificationQueue, type VerificationQueuePort } from '../../lib/queue/verification.js';
import { formatSummaryTable } from '../../lib/scoring/index.js';
import { createS3BundleSource } from '../../lib/store/bundles.js';
import { finalResultsOf } from '../../lib/store/final-results.js';
import {
  AuditStore,
  CoordinationStore,
  MinerStore,
  PogResultStore,
  StatsStore,
} from '../../lib/store/index.js';
import { PogOutcomeStore } from '../../lib/store/pog-results.js';
import {
  connectDevnet,
  DEFAULT_DEVNET_SPEC,
  readWeights,
  seedSubnet,
  startDevnet,
  toAddress,
} from '../chain/devnet.js';
import { simProfile, startSimulatedMiners } from '../sim/index.js';
import { Lifecycle } from './lifecycle.js';
import { type CycleBehaviour, planMiners } from './miner-plan.js';
import { emulatorEnv, startMoto } from './moto.js';
import { checkLocalDependencies } from './preflight.js';
import { RequestCounter } from './request-counter.js';
import { makeBatch, makeHotkeySecret, makeQueues, makeTables } from './resources.js';
import { WsProxy } from './ws-proxy.js';

export const MAX_LOCAL_MINERS = 256;
/** Concurrent worker invocations in the local cycle (the stack's is CHALLENGE_QUEUE.defaultWorkerConcurrency): few, on a small machine. */
const WORKER_LANES = 5;
const NETUID = 27;
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
/** `--chaos`: how far into its session the timed-out worker invocation is cut off. */
const CHAOS_TIMEOUT_AFTER_MS = 1_500;
/** A worker invocation's span (its context's deadline), as the stack's: the attempt deadline plus margin. */
const LOCAL_WORKER_TIMEOUT_MS = (LOCAL_DEADLINES.attemptTimeoutS + 30) * 1000;
/**
 * How long an empty challenge queue is watched before the worker stage ends: a delivery deferred by a
 * twin's session lease, or retried, comes back within it.
 */
const DRAIN_IDLE_WAIT_S = 5;
/** Our validator's hotkey on the local chain (a dev URI: it guards nothing real). */
const VALIDATOR_URI = '//PogValidatorLocal';

export interface LocalCycleOptions {
  readonly miners: number;
  readonly chaos: boolean;
  /** Parallel proof jobs (the Batch compute environment's width). */
  readonly jobConcurrency?: number;
  readonly performance?: PerformanceConfig;
  /** One line per stage event; defaults to nothing. */
  readonly progress?: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
}

export interface LocalMinerReport {
  readonly uid: number;
  readonly hotkey: string;
  readonly behaviour: CycleBehaviour;
  readonly gpu_name: string | null;
  readonly num_gpus: number | null;
  /** On 0-100, as the stats table holds it. */
  readonly score: number;
  /** Worker attempts behind the final row. */
  readonly attempts: number;
  readonly rowsChecked: number;
  readonly entriesChecked: number;
  /** Where the row check ran (`cpu` in the local cycle); null when no bundle reached the verifier. */
  readonly verifier: 'gpu' | 'cpu' | null;
  /** The failure reason; null when valid. */
  readonly reason: string | null;
}

export interface ChaosReport {
  readonly workerKills: number;
  readonly duplicateDeliveries: number;
  readonly dynamoThrottles: number;
  /** Verifiers killed mid-queue (a received message never recorded). */
  readonly jobCrashes: number;
  /** Worker invocations that ran out of time mid-session (the attempt counted, no result). */
  readonly workerTimeouts: number;
  readonly chainDrops: number;
  /** Weight extrinsics the node accepted during the cycle. */
  readonly weightSubmissions: number;
  /** Challenges enqueued vs miners with exactly one final row: equal means none lost or doubled. */
  readonly challenges: number;
  readonly resultsRecorded: number;
}

export interface LocalCycleReport {
  readonly miners: LocalMinerReport[];
  readonly chainWeights: { uids: number[]; weights: number[] };
  /** Milliseconds per stage, in the order they ran. */
  readonly stages: Record<string, number>;
  readonly table: string;
  /** AWS requests per operation over the whole cycle, and per service in each stage. */
  readonly requests: Record<string, number>;
  readonly requestsByStage: Record<string, Record<string, number>>;
  readonly chaos?: ChaosReport;
}

class ChaosKill extends Error {}

const silentLogger = (): Logger => new Logger({ serviceName: 'pog-validator-local', logLevel: 'SILENT' });
const lambdaContext = {
  functionName: 'local',
  awsRequestId: 'local',
  getRemainingTimeInMillis: () => 900_000,
} as unknown as Context;

/**
 * One whole scoring cycle on this machine: moto (or the emulator AWS_ENDPOINT_URL names), chopsticks
 * with the spec-293 runtime seeded with our validator and N miners, N simulated miners behind a real
 * sshd, and the real handlers driven in-process: schedule → sync → SQS → worker → Batch → proof jobs →
 * DynamoDB → weights → chain. Everything started is stopped, also on failure.
 */
export async function runLocalCycle(options: LocalCycleOptions): Promise<LocalCycleReport> {
  if (!Number.isInteger(options.miners) || options.miners < 1 || options.miners > MAX_LOCAL_MINERS) {
    throw new RangeError(
      `--miners must be an integer from 1 to ${MAX_LOCAL_MINERS} (given ${options.miners})`,
    );
  }
  const env = options.env ?? process.env;
  const progress = options.progress ?? (() => {});
  const performance = options.performance ?? DEFAULT_PERFORMANCE_CONFIG;
  // POG_LOCAL_DEBUG=1: every attempt's and session's events, one line each, on the progress stream
  const line = (message: string, ...fields: LogFields[]) =>
    progress(`    ${message} ${JSON.stringify(Object.assign({}, ...fields))}`);
  const debug: Log | undefined =
    env.POG_LOCAL_DEBUG === '1' ? { info: line, warn: line, error: line } : undefined;
  const external = env.AWS_ENDPOINT_URL;
  const missing = checkLocalDependencies({
    needMoto: external === undefined,
    chainFixture: DEFAULT_DEVNET_SPEC,
  });
  if (missing.length > 0) {
    throw new Error(
      `missing system dependencies:\n${missing.map((m) => `  ${m.what}: ${m.install}`).join('\n')}`,
    );
  }

  const stages: Record<string, number> = {};
  const counter = new RequestCounter();
  const requestsByStage: Record<string, Record<string, number>> = {};
  const stage = async <T>(name: string, fn: () => Promise<T>, detail?: (value: T) => string): Promise<T> => {
    progress(`▶ ${name}…`);
    const before = counter.byService();
    const started = performance_now();
    const value = await fn();
    const ms = Math.round(performance_now() - started);
    stages[name] = ms;
    const after = counter.byService();
    requestsByStage[name] = Object.fromEntries(
      Object.entries(after)
        .map(([service, count]) => [service, count - (before[service] ?? 0)] as const)
        .filter(([, count]) => count > 0),
    );
    progress(`✔ ${name} ${ms} ms${detail ? ` (${detail(value)})` : ''}`);
    return value;
  };

  const life = new Lifecycle((line) => progress(`  ${line}`)).trapSignals();
  const previousEnv = { ...process.env };
  try {
    // --- servers --------------------------------------------------------------------------
    const endpoint =
      external ??
      (await stage('start emulator', async () => life.add('moto_server', await startMoto(), (m) => m.stop())))
        .endpoint;
    Object.assign(process.env, emulatorEnv(endpoint), { POWERTOOLS_METRICS_DISABLED: 'true' });

    const devnet = await stage('start chain', async () =>
      life.add('chopsticks', await startDevnet(), (d) => d.stop()),
    );
    const { proxy, endpoint: chainEndpoint } = await WsProxy.start(devnet.endpoint);
    life.add('chain proxy', proxy, (p) => p.stop());

    const plan = planMiners(options.miners);
    const sims = await stage(
      'start miners',
      async () =>
        life.add(
          'simulated miners',
          await startSimulatedMiners(
            plan.map((p) => ({
              profile: simProfile(p.gpuName, p.count),
              behaviour: p.behaviour,
              claimedName: p.claimedName,
            })),
          ),
          (s) => s.stop(),
        ),
      (s) => `${s.miners.length} miners`,
    );

    // --- chain state: uid 0 is our validator (permit, stake, subnet owner), uids 1..N the miners ----
    const api = life.add('seeding connection', await connectDevnet(devnet.endpoint), (a) => a.disconnect());
    const validatorHotkey = toAddress(VALIDATOR_URI);
    await stage('seed subnet', () =>
      seedSubnet(api, {
        netuid: NETUID,
        ownerHotkey: VALIDATOR_URI,
        hyperparams: {
          tempo: 360,
          weightsRateLimit: 100,
          weightsVersionKey: 0,
          minAllowedWeights: 1,
          maxWeightsLimit: 65535,
        },
        neurons: [
          { hotkeyUri: VALIDATOR_URI, stake: 100_000, validatorPermit: true },
          ...sims.miners.map((m) => ({ hotkey: m.hotkey, axon: m.axon, stake: 10 })),
        ],
      }),
    );

    // --- AWS side, from the stack's own definitions -----------------------------------------
    const ddb = counter.attach(new DynamoDBClient({}), 'DynamoDB');
    const throttle = { pending: false, injected: 0 };
    ddb.middlewareStack.add(
      (next) => async (args) => {
        if (throttle.pending) {
          throttle.pending = false;
          throttle.injected++;
          // Inside the SDK's retry loop: the standard strategy must absorb one throttle.
          throw Object.assign(new Error('chaos: request throttled'), {
            name: 'ProvisionedThroughputExceededException',
            $fault: 'client',
            $metadata: { httpStatusCode: 400, attempts: 1 },
          });
        }
        return next(args);
      },
      { step: 'deserialize', name: 'chaosThrottle', priority: 'low' },
    );
    const doc = DynamoDBDocumentClient.from(ddb, { marshallOptions: { removeUndefinedValues: true } });
    const sqs = counter.attach(new SQSClient({ useQueueUrlAsEndpoint: false }), 'SQS');
    const batch = counter.attach(new BatchClient({}), 'Batch');
    const secrets = counter.attach(new SecretsManagerClient({}), 'SecretsManager');
    const s3 = counter.attach(new S3Client({ forcePathStyle: true }), 'S3');
    const prefix = `pog-local-${Date.now().toString(36)}`;
    const resources = await stage('create resources', async () => {
      const tables = await makeTables(ddb, prefix);
      const queues = await makeQueues(sqs, prefix);
      const jobs = await makeBatch(batch, endpoint, prefix);
      const secretArn = await makeHotkeySecret(secrets, prefix, VALIDATOR_URI);
      const bundles = await makeBundleStore(s3, sqs, prefix);
      return { tables, ...queues, ...jobs, ...bundles, secretArn };
    });

    const stores = {
      miners: new MinerStore(doc, resources.tables.miners),
      pogResults: new PogResultStore(doc, resources.tables.pogResults),
      stats: new StatsStore(doc, resources.tables.stats),
      coordination: new CoordinationStore(doc, resources.tables.coordination),
      audit: new AuditStore(doc, resources.tables.audit),
    };
    const filter: QueryableOptions = {
      blacklistHotkeys: [],
      blacklistColdkeys: [],
      dedupeIps: false,
      minMinerVersion: undefined,
      versionFilterThresholdPercent: 60,
      allowPrivateAddresses: true,
    };
    const hotkeySecret = await readHotkeySecret(secrets, resources.secretArn);
    const chains: ChainPort[] = [];
    const connectChain = async (): Promise<ChainPort> => {
      const chain = await createChainPort({ endpoints: [chainEndpoint], hotkeySecret, timeoutMs: 20_000 });
      chains.push(chain);
      return chain;
    };
    life.add('chain ports', chains, async (list) => {
      await Promise.allSettled(list.map((c) => c.close()));
    });

    // --- sync: the schedule's event ------------------------------------------------------
    const syncHandler = buildSyncHandler({
      getDeps: async () => ({ chain: await connectChain(), sqs, queueUrl: resources.queueUrl, ...stores }),
      options: {
        netuid: NETUID,
        ...filter,
        pogIntervalBlocks: 360,
        maxJitterSeconds: 0,
        roundTimeoutSeconds: 3600,
      },
      logger: silentLogger(),
      metrics: new Metrics({ namespace: 'PogValidatorLocal' }),
    });
    const sync = await stage(
      'sync',
      () => syncHandler({ source: 'aws.events', 'detail-type': 'Scheduled Event' }, lambdaContext),
      (r) => `${r.queryable} queryable of ${r.neurons}, round ${r.round.status}`,
    );
    const challenges = sync.round.status === 'started' ? sync.round.challenges : 0;

    // --- SQS → worker → Batch ------------------------------------------------------------
    const chaos = { workerKills: 0, duplicateDeliveries: 0, jobCrashes: 0, workerTimeouts: 0 };
    // killed at the round's one SubmitJob: after the bundle hand-over, before the verifier start
    const kill = { armed: options.chaos, afterSubmits: 0, submits: 0, fired: false };
    const workerBatch = new Proxy(batch, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return async (command: { constructor: { name: string } }) => {
          if (kill.armed && command.constructor.name === 'SubmitJobCommand') {
            if (kill.submits >= kill.afterSubmits) {
              kill.armed = false;
              kill.fired = true;
              throw new ChaosKill('chaos: worker killed');
            }
            kill.submits++;
          }
          return target.send(command as never);
        };
      },
    });
    const realRunner = createPogRunner({
      performance,
      hotkeySecret,
      engine: { ...sims.engine, ...LOCAL_DEADLINES },
      matrixSize: sims.matrixSize,
      allowPrivateAddresses: true,
      ...(debug ? { log: debug } : {}),
    });
    // --chaos: one invocation runs out of Lambda time mid-session. Its context says so (its deadline is
    // the cut, which is also how long its session's lease holds); at the cut its session is aborted (the
    // miner's allocation released) and the invocation never answers, like a process the runtime stopped.
    // It hits a miner other than the duplicated delivery's, so one miner carries one fault, and a valid
    // miner's (a cheat's reason would then name the fault, not its cheat).
    const timeout = {
      armed: options.chaos,
      spare: undefined as string | undefined,
      target: (
        sims.miners.find((m) => m.behaviour === 'noisy-but-valid') ??
        sims.miners.find((m) => m.behaviour === 'slow-but-valid')
      )?.hotkey,
    };
    const invocation = new AsyncLocalStorage<{ cutAt?: number; expire: () => void }>();
    const attemptRunner: PogAttemptRunner = {
      ...realRunner,
      attempt(challenge, signal) {
        const current = invocation.getStore();
        if (current?.cutAt === undefined) return realRunner.attempt(challenge, signal);
        const cut = new AbortController();
        const session = realRunner.attempt(challenge, cut.signal).catch(() => undefined);
        setTimeout(
          () => {
            cut.abort();
            // the allocation is released before the invocation ends (the miner would otherwise stay
            // busy until its own lease runs out, longer than this cycle waits)
            void session.then(() => {
              chaos.workerTimeouts++;
              current.expire();
            });
          },
          Math.max(0, current.cutAt - Date.now()),
        );
        return new Promise<never>(() => {});
      },
    };
    const outcomes = new PogOutcomeStore(doc, resources.tables, NETUID, { trim: true });
    const workerHandler = buildWorkerHandler({
      deps: {
        runner: attemptRunner,
        outcomes,
        coordination: stores.coordination,
        s3,
        sqs,
        batch: workerBatch,
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
      metrics: new Metrics({ namespace: 'PogValidatorLocal' }),
    });
    const invokeWorker = async (event: SQSEvent): Promise<SQSBatchResponse> => {
      const hotkey = hotkeyOf(event);
      const cut =
        timeout.armed &&
        hotkey !== undefined &&
        hotkey !== timeout.spare &&
        (timeout.target === undefined || hotkey === timeout.target);
      if (cut) timeout.armed = false;
      const deadline = Date.now() + (cut ? CHAOS_TIMEOUT_AFTER_MS : LOCAL_WORKER_TIMEOUT_MS);
      const context = {
        ...lambdaContext,
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      };
      let expire = (): void => {};
      const timedOut = new Promise<never>((_, reject) => {
        expire = () => reject(new ChaosKill('chaos: worker invocation timed out'));
      });
      timedOut.catch(() => undefined);
      const response = await invocation.run({ ...(cut ? { cutAt: deadline } : {}), expire }, () =>
        Promise.race([workerHandler(event, context), timedOut]),
      );
      if (kill.fired) {
        // the process died: no response reaches the event source
        kill.fired = false;
        chaos.workerKills++;
        throw new ChaosKill('chaos: worker killed mid-batch');
      }
      return response;
    };
    await stage(
      'worker',
      async () => {
        if (options.chaos && challenges > 0) {
          const first = await sqs.send(
            new ReceiveMessageCommand({ QueueUrl: resources.queueUrl, MaxNumberOfMessages: 1 }),
          );
          const message = first.Messages?.[0];
          if (message?.Body !== undefined) {
            await sqs.send(
              new SendMessageCommand({ QueueUrl: resources.queueUrl, MessageBody: message.Body }),
            );
            await sqs.send(
              new ChangeMessageVisibilityBatchCommand({
                QueueUrl: resources.queueUrl,
                Entries: [{ Id: '0', ReceiptHandle: message.ReceiptHandle ?? '', VisibilityTimeout: 0 }],
              }),
            );
            chaos.duplicateDeliveries++;
            timeout.spare = (JSON.parse(message.Body) as { hotkey?: string }).hotkey;
          }
        }
        return drainQueue(sqs, resources.queueUrl, invokeWorker, WORKER_LANES);
      },
      (r) => `${r.invocations} invocations, ${r.failedInvocations} killed`,
    );

    // --- Batch → the verifier (the local job runner, CPU path) -------------------------------
    const jobs = await stage(
      'dispatch jobs',
      () => listSubmittedJobs(batch, resources.jobQueue),
      (j) => `${j.length} verifier jobs`,
    );
    const finalStore = finalResultsOf(outcomes);
    const verifierDeps = (queue: VerificationQueuePort) => ({
      queue,
      bundles: createS3BundleSource(s3, resources.bucket),
      rowCheck: (file: string) => runRowCheck(file, { python: 'python3', device: 'cpu', timeoutMs: 120_000 }),
      results: finalStore,
      mode: 'enforce' as const,
      log: silentLog,
    });
    const sqsQueue = createSqsVerificationQueue(sqs, {
      queueUrl: resources.verificationQueueUrl,
      dlqUrl: resources.verificationDlqUrl,
    });
    throttle.pending = options.chaos;
    await stage(
      'verifier',
      async () => {
        if (options.chaos) {
          // a verifier killed mid-queue: it received a message and died before recording it
          const stop = new AbortController();
          const dying: VerificationQueuePort = {
            ...sqsQueue,
            async receive(max, wait) {
              const got = await sqsQueue.receive(max, wait);
              if (got.length > 0) {
                stop.abort();
                chaos.jobCrashes++;
                return [];
              }
              return got;
            },
          };
          await drainVerificationQueue(verifierDeps(dying), {
            batchSize: 1,
            waitSeconds: 0,
            emptyPolls: 1,
            signal: stop.signal,
          });
        }
        // the visibility timeout returns the killed verifier's message; a later job (or this one) drains it
        return drainVerificationQueue(verifierDeps(sqsQueue), {
          batchSize: 5,
          waitSeconds: 1,
          emptyPolls: options.chaos ? VERIFICATION_VISIBILITY_S + 2 : 2,
        });
      },
      (r) => `${jobs.length} job(s): ${r.recorded} recorded, ${r.duplicates} duplicates, ${r.poison} poison`,
    );

    // --- weights ----------------------------------------------------------------------------
    const weightsHandler = buildWeightsHandler({
      getDeps: async () => ({ chain: await connectChain(), ...stores, performance }),
      options: { netuid: NETUID, mode: 'scores', validatorHotkey, lockSeconds: 120, ...filter },
      logger: silentLogger(),
      metrics: new Metrics({ namespace: 'PogValidatorLocal' }),
    });
    const weights = await stage(
      'weights',
      async () => {
        if (options.chaos) proxy.armDropOnSubmission();
        const attempts: Array<WeightsSummary | string> = [];
        // The schedule fires again after a failure; the rate limit keeps a landed set from repeating.
        for (let attempt = 0; attempt < 3; attempt++) {
          try {
            const summary = await weightsHandler({}, lambdaContext);
            attempts.push(summary);
            if (summary.status !== 'locked') break;
          } catch (error) {
            attempts.push(asError(error).name);
          }
        }
        return attempts;
      },
      (a) => a.map((x) => (typeof x === 'string' ? x : x.status)).join(' → '),
    );
    if (!weights.some((w) => typeof w !== 'string' && w.status !== 'locked')) {
      throw new Error(`the weight handler did not finish: ${JSON.stringify(weights)}`);
    }

    // --- read back -------------------------------------------------------------------------
    const chainWeights = await stage('read back', () => readWeights(api, NETUID, 0));
    const stats = await stores.stats.readAll();
    const miners: LocalMinerReport[] = [];
    let resultsRecorded = 0;
    for (const [index, sim] of sims.miners.entries()) {
      const uid = index + 1;
      const rows = await stores.pogResults.rows(sim.hotkey);
      // exactly one final row per challenged miner: none is a lost result, two a duplicate
      resultsRecorded += rows.length === 1 ? 1 : 0;
      const newest = rows[0];
      miners.push({
        uid,
        hotkey: sim.hotkey,
        behaviour: plan[index]?.behaviour ?? 'honest',
        gpu_name: newest?.gpuName ?? null,
        num_gpus: newest?.numGpus ?? null,
        score: stats[String(uid)]?.score ?? 0,
        attempts: newest?.attempts ?? 0,
        rowsChecked: newest?.rowsChecked ?? 0,
        entriesChecked: newest?.entriesChecked ?? 0,
        verifier: newest?.verifier === 'gpu' || newest?.verifier === 'cpu' ? newest.verifier : null,
        reason: newest?.error ?? null,
      });
    }
    const tableRows = new Map<number, UidStat>(
      Object.values(stats)
        .sort((a, b) => a.uid - b.uid)
        .map((row) => [row.uid, row]),
    );
    return {
      miners,
      chainWeights,
      stages,
      table: formatSummaryTable(tableRows),
      requests: counter.toJSON(),
      requestsByStage,
      ...(options.chaos
        ? {
            chaos: {
              ...chaos,
              dynamoThrottles: throttle.injected,
              chainDrops: proxy.drops > 0 ? 1 : 0,
              weightSubmissions: proxy.submissions,
              challenges,
              resultsRecorded,
            },
          }
        : {}),
    };
  } finally {
    await life.stopAll();
    for (const key of Object.keys(process.env)) if (!(key in previousEnv)) delete process.env[key];
    Object.assign(process.env, previousEnv);
  }
}

const performance_now = (): number => globalThis.performance.now();

/**
 * Plays the Lambda SQS event source against the real queue: receive one (batch size 1), invoke, delete what
 * succeeded, make failures (or a whole killed batch) visible again at once instead of waiting out the
 * visibility timeout, until the queue is empty.
 */
/** The challenge's hotkey, read loosely (the worker validates the body; this only picks a chaos target). */
function hotkeyOf(event: SQSEvent): string | undefined {
  try {
    const body = JSON.parse(event.Records[0]?.body ?? '') as { hotkey?: unknown };
    return typeof body.hotkey === 'string' ? body.hotkey : undefined;
  } catch {
    return undefined;
  }
}

async function drainQueue(
  sqs: SQSClient,
  queueUrl: string,
  invoke: (event: SQSEvent) => Promise<SQSBatchResponse>,
  lanes: number,
): Promise<{ invocations: number; failedInvocations: number }> {
  let invocations = 0;
  let failedInvocations = 0;
  const lane = async (): Promise<void> => {
    for (let round = 0; round < 1_000; round++) {
      // as the stack's event source hands them to the worker
      const receive = { QueueUrl: queueUrl, MaxNumberOfMessages: CHALLENGE_QUEUE.workerBatchSize };
      let out = await sqs.send(new ReceiveMessageCommand(receive));
      if ((out.Messages ?? []).length === 0) {
        out = await sqs.send(
          new ReceiveMessageCommand({
            ...receive,
            WaitTimeSeconds: DRAIN_IDLE_WAIT_S,
          }),
        );
      }
      const messages = out.Messages ?? [];
      if (messages.length === 0) break;
      invocations++;
      const event: SQSEvent = {
        Records: messages.map((m) => ({
          messageId: m.MessageId ?? '',
          receiptHandle: m.ReceiptHandle ?? '',
          body: m.Body ?? '',
          attributes: {} as SQSEvent['Records'][number]['attributes'],
          messageAttributes: {},
          md5OfBody: '',
          eventSource: 'aws:sqs',
          eventSourceARN: '',
          awsRegion: process.env.AWS_REGION ?? 'us-east-1',
        })),
      };
      let failed: Set<string>;
      try {
        const response = await invoke(event);
        failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      } catch {
        failedInvocations++;
        failed = new Set(messages.map((m) => m.MessageId ?? ''));
      }
      const ok = messages.filter((m) => !failed.has(m.MessageId ?? ''));
      const retry = messages.filter((m) => failed.has(m.MessageId ?? ''));
      if (ok.length > 0) {
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: ok.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
          }),
        );
      }
      if (retry.length > 0) {
        await sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: retry.map((m, i) => ({
              Id: String(i),
              ReceiptHandle: m.ReceiptHandle ?? '',
              VisibilityTimeout: 0,
            })),
          }),
        );
      }
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return { invocations, failedInvocations };
}

/** Every verifier job the worker submitted, read back from the emulator (at most one per round). */
async function listSubmittedJobs(batch: BatchClient, jobQueue: string): Promise<string[]> {
  const ids: string[] = [];
  for (const status of [
    'SUBMITTED',
    'PENDING',
    'RUNNABLE',
    'STARTING',
    'RUNNING',
    'SUCCEEDED',
    'FAILED',
  ] as const) {
    let nextToken: string | undefined;
    do {
      const page = await batch.send(new ListJobsCommand({ jobQueue, jobStatus: status, nextToken }));
      for (const job of page.jobSummaryList ?? [])
        if (job.jobId !== undefined && !ids.includes(job.jobId)) ids.push(job.jobId);
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
  }
  return ids;
}

/** Seconds a received verification message stays hidden in the local cycle (a killed verifier's comes back). */
const VERIFICATION_VISIBILITY_S = 2;

/** The bundle bucket and the verification queue (+DLQ) of one local cycle. */
async function makeBundleStore(s3: S3Client, sqs: SQSClient, prefix: string) {
  const bucket = `${prefix}-bundles`.toLowerCase();
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-verification-dlq` }));
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${prefix}-verification`,
      Attributes: { VisibilityTimeout: String(VERIFICATION_VISIBILITY_S) },
    }),
  );
  return { bucket, verificationQueueUrl: queue.QueueUrl ?? '', verificationDlqUrl: dlq.QueueUrl ?? '' };
}
