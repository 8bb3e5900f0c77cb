import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { EnvName } from '../lib/config/env-names.js';
import { METRICS_NAMESPACE, MetricName } from '../lib/observability/index.js';
import { CHALLENGE_QUEUE } from '../lib/queue/challenge.js';
import { TABLE_DEFINITIONS, TABLE_KEYS, type TableKey } from '../lib/store/tables.js';
import { atLeastOnceAlarm, componentSum } from './alarms.js';
import { bindQueue, bindSecret, bindTable, bindValues } from './bind.js';
import { ChainAlarms } from './chain-alarms.js';
import type { DeployConfig } from './config.js';
import { GpuTables } from './gpu-tables.js';
import { jobImage } from './job-image.js';
import { ProjectFunction } from './project-function.js';
import { ProofBundles, putResultRows, workerCoordinationItems } from './proof-bundles.js';
import { VerifierJob } from './verifier.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORKER_TIMEOUT = Duration.seconds(CHALLENGE_QUEUE.workerTimeoutSeconds);
/** Seconds per block on subtensor. */
const BLOCK_SECONDS = 12;

export interface PipelineStackProps extends StackProps {
  readonly config: DeployConfig;
  /**
   * The verifier job's image. @default - {@link jobImage}: `config.jobImage` from the registry, else built from this repository's Dockerfile;
   * tests pass a registry image so that synthesis needs no Docker.
   */
  readonly jobImage?: ecs.ContainerImage;
}

/**
 * The validator pipeline: schedule → sync Lambda → SQS (+DLQ) → worker Lambda → AWS Batch GPU job →
 * DynamoDB ← weight Lambda, with the hotkey in Secrets Manager, alarms and a dashboard.
 */
export class PipelineStack extends Stack {
  readonly tables: Record<TableKey, dynamodb.Table>;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  /** Bundle bucket and verification queue (+DLQ) between the workers and the verifier job. */
  readonly proofBundles: ProofBundles;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const cfg = props.config;

    this.tables = Object.fromEntries(
      TABLE_KEYS.map((key) => {
        const def = TABLE_DEFINITIONS[key];
        const table = new dynamodb.Table(this, `${key[0]?.toUpperCase()}${key.slice(1)}Table`, {
          partitionKey: {
            name: def.partitionKey.name,
            type: dynamodb.AttributeType[def.partitionKey.type === 'S' ? 'STRING' : 'NUMBER'],
          },
          ...(def.sortKey
            ? {
                sortKey: {
                  name: def.sortKey.name,
                  type: dynamodb.AttributeType[def.sortKey.type === 'S' ? 'STRING' : 'NUMBER'],
                },
              }
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

    // --- queue -------------------------------------------------------------------------------
    this.deadLetterQueue = new sqs.Queue(this, 'ChallengeDlq', {
      retentionPeriod: Duration.seconds(CHALLENGE_QUEUE.dlqRetentionSeconds),
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.ALLOW_ALL },
    });
    this.queue = new sqs.Queue(this, 'ChallengeQueue', {
      visibilityTimeout: Duration.seconds(CHALLENGE_QUEUE.visibilityTimeoutSeconds),
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: CHALLENGE_QUEUE.maxReceiveCount },
    });
    const asyncDlq = new sqs.Queue(this, 'ScheduleInvokeDlq', {
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
    });

    this.proofBundles = new ProofBundles(this, 'ProofBundles');

    // --- hotkey secret ------------------------------------------------------------------------
    const hotkeyKey = new kms.Key(this, 'HotkeyKey', {
      enableKeyRotation: true,
      description: 'Encrypts the validator hotkey seed',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const hotkeySecret = new secretsmanager.Secret(this, 'HotkeySecret', {
      description: 'Validator hotkey seed (mnemonic, hex seed or URI); set the value after deploy',
      encryptionKey: hotkeyKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // --- W&B API key secret ------------------------------------------------------------------
    // always created, so the operator can set the key before turning W&B on (wandbEnabled)
    const wandbKey = new kms.Key(this, 'WandbApiKeyKey', {
      enableKeyRotation: true,
      description: 'Encrypts the W&B API key',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const wandbSecret = new secretsmanager.Secret(this, 'WandbApiKeySecret', {
      description: "W&B API key (plain string) for other validators' state; set the value after deploy",
      encryptionKey: wandbKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const wandbEnv = {
      [EnvName.WandbEnabled]: String(cfg.wandbEnabled),
      [EnvName.WandbEntity]: cfg.wandbEntity,
      [EnvName.WandbProject]: cfg.wandbProject,
      [EnvName.WandbBaseUrl]: cfg.wandbBaseUrl,
      [EnvName.WandbAllowInsecureHttp]: cfg.wandbAllowInsecureHttp ? 'true' : undefined,
      [EnvName.WandbTrustedPenaltyValidators]:
        cfg.wandbTrustedPenaltyValidators.length > 0
          ? cfg.wandbTrustedPenaltyValidators.join(',')
          : undefined,
    };

    const filterEnv = {
      [EnvName.Netuid]: String(cfg.netuid),
      [EnvName.ChainEndpoints]: cfg.chainEndpoints.join(','),
      [EnvName.BlacklistHotkeys]: cfg.blacklistHotkeys.join(','),
      [EnvName.BlacklistColdkeys]: cfg.blacklistColdkeys.join(','),
      [EnvName.DedupeIps]: String(cfg.dedupeIps),
      [EnvName.MinMinerVersion]: cfg.minMinerVersion !== undefined ? String(cfg.minMinerVersion) : undefined,
    };

    // --- sync ---------------------------------------------------------------------------------
    const syncFn = new ProjectFunction(this, 'SyncFunction', {
      entry: path.join(ROOT, 'functions/sync/index.ts'),
      component: 'sync',
      timeout: Duration.minutes(2),
      deadLetterQueue: asyncDlq,
    });
    bindValues(syncFn, {
      ...filterEnv,
      ...wandbEnv,
      [EnvName.PogIntervalBlocks]: String(cfg.pogIntervalBlocks),
      // the public address only (the secret stays with the signers): the preflight before the fan-out
      [EnvName.ValidatorHotkey]: cfg.validatorHotkey,
    });
    bindTable(syncFn, EnvName.TablePogResults, this.tables.pogResults, 'readWrite');
    bindTable(syncFn, EnvName.TableStats, this.tables.stats, 'readWrite');
    bindTable(syncFn, EnvName.TableMiners, this.tables.miners, 'readWrite');
    bindTable(syncFn, EnvName.TableAudit, this.tables.audit, 'read');
    bindTable(syncFn, EnvName.TableCoordination, this.tables.coordination, 'readWrite');
    bindQueue(syncFn, EnvName.ChallengeQueueUrl, this.queue, 'send');
    // the sync reads the allocated-hotkeys union from W&B
    bindSecret(syncFn, EnvName.WandbApiKeySecretArn, wandbSecret);
    new events.Rule(this, 'SyncSchedule', {
      schedule: events.Schedule.rate(Duration.minutes(cfg.syncIntervalMinutes)),
      targets: [new targets.LambdaFunction(syncFn, { retryAttempts: 0, deadLetterQueue: asyncDlq })],
    });

    // GPU tables as live configuration (SSM); bound to their consumers below
    const gpuTables = new GpuTables(this, 'GpuTables');

    // --- batch ----------------------------------------------------------------------------------
    const vpc = new ec2.Vpc(this, 'JobVpc', {
      maxAzs: 2,
      natGateways: 0,
      // public subnets only: GPU hosts pull images and reach miners directly, with no NAT to pay for
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC }],
      flowLogs: { all: { trafficType: ec2.FlowLogTrafficType.REJECT } },
    });

    // --- verifier (GPU Batch job) ----------------------------------------------------------------
    const verifier = new VerifierJob(this, 'Verifier', {
      config: cfg,
      vpc,
      proofBundles: this.proofBundles,
      pogResults: this.tables.pogResults,
      coordination: this.tables.coordination,
      image: props.jobImage ?? jobImage(cfg),
    });

    // --- worker: one PoG attempt per challenge, bundles to the verifier ------------------------
    const workerFn = new ProjectFunction(this, 'WorkerFunction', {
      entry: path.join(ROOT, 'functions/worker/index.ts'),
      component: 'worker',
      timeout: WORKER_TIMEOUT,
      // the largest proof (8 GPUs × 17 rows at n = 29 280, a 15 MB bundle) peaks near 135 MB resident
      // with the worker's code loaded (`npm run bench -- worker-memory`): 512 MB leaves room for the
      // SSH and S3 buffers, and the session's time is billed at half the 1 024 MB price
      memorySize: 512,
      extraFiles: [{ source: 'lib/pog/payload/miner_payload.py', target: 'payload/miner_payload.py' }],
    });
    bindValues(workerFn, { [EnvName.Netuid]: String(cfg.netuid) });
    bindTable(workerFn, EnvName.TablePogResults, this.tables.pogResults, putResultRows);
    bindTable(workerFn, EnvName.TableCoordination, this.tables.coordination, workerCoordinationItems);
    bindSecret(workerFn, EnvName.HotkeySecretArn, hotkeySecret);
    // the worker extends a failed attempt's visibility (the retry interval); the event source receives
    bindQueue(workerFn, EnvName.ChallengeQueueUrl, this.queue, 'consume');
    // a body that is no challenge is dead-lettered at once (redelivery cannot mend it)
    bindQueue(workerFn, EnvName.ChallengeDlqUrl, this.deadLetterQueue, 'send');
    this.proofBundles.bindHandOver(workerFn);
    verifier.bindSubmitter(workerFn);
    workerFn.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: CHALLENGE_QUEUE.workerBatchSize,
        reportBatchItemFailures: true,
        maxConcurrency: cfg.workerConcurrency,
      }),
    );

    // --- weights ------------------------------------------------------------------------------
    const weightsFn = new ProjectFunction(this, 'WeightsFunction', {
      entry: path.join(ROOT, 'functions/weights/index.ts'),
      component: 'weights',
      timeout: Duration.minutes(5),
      memorySize: 1024,
      deadLetterQueue: asyncDlq,
    });
    bindValues(weightsFn, {
      ...filterEnv,
      ...wandbEnv,
      [EnvName.WeightMode]: cfg.weightMode,
      [EnvName.ValidatorHotkey]: cfg.validatorHotkey,
    });
    bindTable(weightsFn, EnvName.TablePogResults, this.tables.pogResults, 'readWrite');
    bindTable(weightsFn, EnvName.TableStats, this.tables.stats, 'readWrite');
    bindTable(weightsFn, EnvName.TableMiners, this.tables.miners, 'read');
    bindTable(weightsFn, EnvName.TableAudit, this.tables.audit, 'readWrite');
    bindTable(weightsFn, EnvName.TableCoordination, this.tables.coordination, 'readWrite');
    bindTable(weightsFn, EnvName.TableCommits, this.tables.commits, 'readWrite');
    bindSecret(weightsFn, EnvName.HotkeySecretArn, hotkeySecret);
    // the weight run reads other validators' state and publishes ours
    bindSecret(weightsFn, EnvName.WandbApiKeySecretArn, wandbSecret);
    new events.Rule(this, 'WeightsSchedule', {
      schedule: events.Schedule.rate(Duration.minutes(cfg.weightsIntervalMinutes)),
      targets: [new targets.LambdaFunction(weightsFn, { retryAttempts: 0, deadLetterQueue: asyncDlq })],
    });

    // the verifier recomputes rows from the bundle alone: it needs no GPU tables
    gpuTables.bind(weightsFn, 'weights').bind(workerFn, 'worker');

    // --- alarms and dashboard -----------------------------------------------------------------
    const hour = Duration.hours(1);
    const jobMetric = (name: string) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: name,
        statistic: 'Sum',
        period: hour,
      });
    const failureRate = new cloudwatch.MathExpression({
      expression: 'IF(results > 0, 100 * failures / results, 0)',
      usingMetrics: {
        failures: jobMetric(MetricName.VerifierFailures),
        results: jobMetric(MetricName.VerifierResults),
      },
      period: hour,
      label: 'verifier failure rate (%)',
    });
    const rateLimitWindow = Duration.seconds(
      Math.ceil((2 * cfg.weightsRateLimitBlocks * BLOCK_SECONDS) / 60) * 60,
    );
    const alarms = [
      new cloudwatch.Alarm(this, 'DlqNotEmpty', {
        alarmDescription: 'Challenges were dead-lettered: inspect and redrive the DLQ',
        metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
        }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      }),
      new cloudwatch.Alarm(this, 'VerificationDlqNotEmpty', {
        alarmDescription: 'Poison proof bundles or unverifiable messages were dead-lettered: inspect the DLQ',
        metric: this.proofBundles.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
        }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      }),
      new cloudwatch.Alarm(this, 'NoWeightSubmission', {
        alarmDescription: 'No confirmed weight submission for twice the rate limit',
        metric: componentSum(MetricName.WeightSubmissions, 'weights', rateLimitWindow),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
      new cloudwatch.Alarm(this, 'ProofJobFailureRate', {
        alarmDescription: `More than ${cfg.proofJobFailureRatePercent}% of verified results failed in an hour`,
        metric: failureRate,
        threshold: cfg.proofJobFailureRatePercent,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      atLeastOnceAlarm(
        this,
        'SyncErrors',
        'The sync Lambda failed (chain, DynamoDB or SQS)',
        componentSum(MetricName.SyncErrors, 'sync', Duration.minutes(15)),
      ),
      atLeastOnceAlarm(
        this,
        'VersionFilterSkipped',
        'D3: the minimum miner version filter was skipped (not configured or below threshold)',
        componentSum(MetricName.VersionFilterSkipped, 'sync', Duration.hours(1)),
      ),
    ];
    new ChainAlarms(this, 'ChainAlarms');
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: `${id}-pog-validator` });
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: 24 }),
      new cloudwatch.GraphWidget({
        title: 'Challenge queue',
        left: [
          this.queue.metricApproximateNumberOfMessagesVisible(),
          this.deadLetterQueue.metricApproximateNumberOfMessagesVisible(),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Rounds',
        left: [
          componentSum(MetricName.ChallengesEnqueued, 'sync', Duration.minutes(5)),
          componentSum(MetricName.JobsSubmitted, 'worker', Duration.minutes(5)),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Verifier',
        left: [failureRate],
        right: [
          jobMetric(MetricName.RowCheckDiscrepancies),
          jobMetric(MetricName.PoisonBundles),
          this.proofBundles.queue.metricApproximateNumberOfMessagesVisible(),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Weights',
        left: [componentSum(MetricName.WeightSubmissions, 'weights', Duration.minutes(20))],
        right: [weightsFn.metricErrors(), syncFn.metricErrors(), workerFn.metricErrors()],
      }),
    );
  }
}
