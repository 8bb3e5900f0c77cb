import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, type Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { EnvName } from '../lib/config/env-names.js';
import { SYNC_TIMEOUT_SECONDS } from '../lib/pipeline/sync.js';
import { CHALLENGE_QUEUE } from '../lib/queue/challenge.js';
import { bindQueue, bindSecret, bindTable, bindValues } from './bind.js';
import type { DeployConfig } from './config.js';
import { nodeOptions, ProjectFunction } from './project-function.js';
import { type ProofBundles, putResultRows, workerCoordinationItems } from './proof-bundles.js';
import type { PipelineTables } from './tables.js';
import type { VerifierJob } from './verifier.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The worker's young-generation semi-space (MB). Its peak is a proof's lines, each parsed once and then
 * garbage, so V8's default (16 MB) only holds dead lines longer: at 2 MB the largest proof's peak fell by
 * about a fifth, with no more CPU (`npm run bench -- worker-memory`).
 */
const WORKER_SEMI_SPACE_MB = 2;

/** The worker's NODE_OPTIONS for a memory setting (the worker-memory bench runs its probe under them). */
export const workerNodeOptions = (memoryMb: number): string => nodeOptions(memoryMb, WORKER_SEMI_SPACE_MB);

/** The miner filters and chain settings that the sync and the weight run must read alike. */
function filterEnv(cfg: DeployConfig): Partial<Record<EnvName, string | undefined>> {
  return {
    [EnvName.Netuid]: String(cfg.netuid),
    [EnvName.ChainEndpoints]: cfg.chainEndpoints.join(','),
    [EnvName.BlacklistHotkeys]: cfg.blacklistHotkeys.join(','),
    [EnvName.BlacklistColdkeys]: cfg.blacklistColdkeys.join(','),
    [EnvName.DedupeIps]: String(cfg.dedupeIps),
    [EnvName.MinMinerVersion]: cfg.minMinerVersion !== undefined ? String(cfg.minMinerVersion) : undefined,
  };
}

/** The W&B settings of the sync and the weight run (the API key is bound as a secret beside them). */
function wandbEnv(cfg: DeployConfig): Partial<Record<EnvName, string | undefined>> {
  return {
    [EnvName.WandbEnabled]: String(cfg.wandbEnabled),
    [EnvName.WandbEntity]: cfg.wandbEntity,
    [EnvName.WandbProject]: cfg.wandbProject,
    [EnvName.WandbBaseUrl]: cfg.wandbBaseUrl,
    [EnvName.WandbAllowInsecureHttp]: cfg.wandbAllowInsecureHttp ? 'true' : undefined,
    [EnvName.WandbTrustedPenaltyValidators]:
      cfg.wandbTrustedPenaltyValidators.length > 0 ? cfg.wandbTrustedPenaltyValidators.join(',') : undefined,
  };
}

export interface SyncFunctionProps {
  /** Deploy settings: chain, miner filters, W&B, the sync and PoG intervals, the validator's public hotkey. */
  readonly config: DeployConfig;
  /** The pipeline's tables; the sync reads the audit table and writes results, stats, miners and coordination. */
  readonly tables: PipelineTables;
  /** Where the sync sends one message per challenge. */
  readonly challengeQueue: sqs.IQueue;
  /** The W&B API key: the sync reads the allocated-hotkeys union from W&B. */
  readonly wandbApiKey: secretsmanager.ISecret;
  /** Receives failed scheduled invocations and the events the schedule could not deliver. */
  readonly scheduleDlq: sqs.IQueue;
}

/**
 * The sync Lambda (`SyncFunction`) and the rule that runs it every `syncIntervalMinutes`: it reads the
 * metagraph and fans challenges out to the queue. Created in the stack's own scope, so the function,
 * its role and the rule keep their logical ids.
 */
export function addSyncFunction(stack: Stack, props: SyncFunctionProps): ProjectFunction {
  const cfg = props.config;
  const fn = new ProjectFunction(stack, 'SyncFunction', {
    entry: path.join(ROOT, 'functions/sync/index.ts'),
    component: 'sync',
    timeout: Duration.seconds(SYNC_TIMEOUT_SECONDS),
    deadLetterQueue: props.scheduleDlq,
  });
  bindValues(fn, {
    ...filterEnv(cfg),
    ...wandbEnv(cfg),
    [EnvName.PogIntervalBlocks]: String(cfg.pogIntervalBlocks),
    // the public address only (the secret stays with the signers): the preflight before the fan-out
    [EnvName.ValidatorHotkey]: cfg.validatorHotkey,
  });
  bindTable(fn, EnvName.TablePogResults, props.tables.pogResults, 'readWrite');
  bindTable(fn, EnvName.TableStats, props.tables.stats, 'readWrite');
  bindTable(fn, EnvName.TableMiners, props.tables.miners, 'readWrite');
  bindTable(fn, EnvName.TableAudit, props.tables.audit, 'read');
  bindTable(fn, EnvName.TableCoordination, props.tables.coordination, 'readWrite');
  bindQueue(fn, EnvName.ChallengeQueueUrl, props.challengeQueue, 'send');
  bindSecret(fn, EnvName.WandbApiKeySecretArn, props.wandbApiKey);
  new events.Rule(stack, 'SyncSchedule', {
    schedule: events.Schedule.rate(Duration.minutes(cfg.syncIntervalMinutes)),
    targets: [new targets.LambdaFunction(fn, { retryAttempts: 0, deadLetterQueue: props.scheduleDlq })],
  });
  return fn;
}

export interface WorkerFunctionProps {
  /** Deploy settings: the netuid and the event source's maximum concurrency. */
  readonly config: Pick<DeployConfig, 'netuid' | 'workerConcurrency' | 'workerMemoryMb'>;
  /** The pipeline's tables; the worker puts result rows and its own coordination items only. */
  readonly tables: PipelineTables;
  /** The queue the worker consumes (and extends a failed attempt's visibility on). */
  readonly challengeQueue: sqs.IQueue;
  /** Where the worker dead-letters a body that is no challenge at once (redelivery cannot mend it). */
  readonly challengeDlq: sqs.IQueue;
  /** The validator hotkey seed, which signs the worker's synapse requests to the miners' axons. */
  readonly hotkey: secretsmanager.ISecret;
  /** The worker's side of the bundle hand-over: it puts bundles and queues them for verification. */
  readonly proofBundles: ProofBundles;
  /** The verifier job the worker submits when a round has bundles to verify. */
  readonly verifier: VerifierJob;
}

/**
 * The worker Lambda (`WorkerFunction`): one PoG attempt per challenge, fed by the challenge queue one
 * record at a time with partial batch failures and bounded concurrency; passed attempts go to the
 * verifier as bundles. Created in the stack's own scope, so its logical ids stay.
 */
export function addWorkerFunction(stack: Stack, props: WorkerFunctionProps): ProjectFunction {
  const fn = new ProjectFunction(stack, 'WorkerFunction', {
    entry: path.join(ROOT, 'functions/worker/index.ts'),
    component: 'worker',
    timeout: Duration.seconds(CHALLENGE_QUEUE.workerTimeoutSeconds),
    // deploy setting (infra/config.ts): its floor leaves a third free above the largest proof's peak
    memorySize: props.config.workerMemoryMb,
    semiSpaceMb: WORKER_SEMI_SPACE_MB,
    extraFiles: [{ source: 'lib/pog/payload/miner_payload.py', target: 'payload/miner_payload.py' }],
  });
  bindValues(fn, { [EnvName.Netuid]: String(props.config.netuid) });
  bindTable(fn, EnvName.TablePogResults, props.tables.pogResults, putResultRows);
  bindTable(fn, EnvName.TableCoordination, props.tables.coordination, workerCoordinationItems);
  bindSecret(fn, EnvName.HotkeySecretArn, props.hotkey);
  // the worker extends a failed attempt's visibility (the retry interval); the event source receives
  bindQueue(fn, EnvName.ChallengeQueueUrl, props.challengeQueue, 'consume');
  bindQueue(fn, EnvName.ChallengeDlqUrl, props.challengeDlq, 'send');
  props.proofBundles.bindHandOver(fn);
  props.verifier.bindSubmitter(fn);
  fn.addEventSource(
    new SqsEventSource(props.challengeQueue, {
      batchSize: CHALLENGE_QUEUE.workerBatchSize,
      reportBatchItemFailures: true,
      maxConcurrency: props.config.workerConcurrency,
    }),
  );
  return fn;
}

export interface WeightsFunctionProps {
  /** Deploy settings: chain, miner filters, W&B, the weight mode and interval, the validator's public hotkey. */
  readonly config: DeployConfig;
  /** The pipeline's tables; the weight run reads miners and writes results, stats, audit, coordination and commits. */
  readonly tables: PipelineTables;
  /** The validator hotkey seed, which signs the weight extrinsics. */
  readonly hotkey: secretsmanager.ISecret;
  /** The W&B API key: the weight run reads other validators' state and publishes ours. */
  readonly wandbApiKey: secretsmanager.ISecret;
  /** Receives failed scheduled invocations and the events the schedule could not deliver. */
  readonly scheduleDlq: sqs.IQueue;
}

/**
 * The weight Lambda (`WeightsFunction`) and the rule that runs it every `weightsIntervalMinutes`: it
 * scores the stored results and sets (or commits and reveals) weights on chain. Created in the stack's
 * own scope, so its logical ids stay.
 */
export function addWeightsFunction(stack: Stack, props: WeightsFunctionProps): ProjectFunction {
  const cfg = props.config;
  const fn = new ProjectFunction(stack, 'WeightsFunction', {
    entry: path.join(ROOT, 'functions/weights/index.ts'),
    component: 'weights',
    timeout: Duration.minutes(5),
    memorySize: 1024,
    deadLetterQueue: props.scheduleDlq,
  });
  bindValues(fn, {
    ...filterEnv(cfg),
    ...wandbEnv(cfg),
    [EnvName.WeightMode]: cfg.weightMode,
    [EnvName.ValidatorHotkey]: cfg.validatorHotkey,
  });
  bindTable(fn, EnvName.TablePogResults, props.tables.pogResults, 'readWrite');
  bindTable(fn, EnvName.TableStats, props.tables.stats, 'readWrite');
  bindTable(fn, EnvName.TableMiners, props.tables.miners, 'read');
  bindTable(fn, EnvName.TableAudit, props.tables.audit, 'readWrite');
  bindTable(fn, EnvName.TableCoordination, props.tables.coordination, 'readWrite');
  bindTable(fn, EnvName.TableCommits, props.tables.commits, 'readWrite');
  bindSecret(fn, EnvName.HotkeySecretArn, props.hotkey);
  bindSecret(fn, EnvName.WandbApiKeySecretArn, props.wandbApiKey);
  new events.Rule(stack, 'WeightsSchedule', {
    schedule: events.Schedule.rate(Duration.minutes(cfg.weightsIntervalMinutes)),
    targets: [new targets.LambdaFunction(fn, { retryAttempts: 0, deadLetterQueue: props.scheduleDlq })],
  });
  return fn;
}
