import { Duration, type Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { METRICS_NAMESPACE, MetricName } from '../lib/observability/index.js';
import { atLeastOnceAlarm, componentSum } from './alarms.js';
import { ChainAlarms } from './chain-alarms.js';
import type { DeployConfig } from './config.js';
import type { ProjectFunction } from './project-function.js';
import type { ProofBundles } from './proof-bundles.js';

/** Seconds per block on subtensor. */
const BLOCK_SECONDS = 12;

export interface MonitoringProps {
  /** Deploy settings: the failure-rate threshold and the rate limit the no-submission alarm waits twice. */
  readonly config: Pick<
    DeployConfig,
    'proofJobFailureRatePercent' | 'weightsRateLimitBlocks' | 'pogIntervalBlocks'
  >;
  /** The dashboard's name (the stack's id with a suffix, so two stacks in one account do not collide). */
  readonly dashboardName: string;
  /** The challenge queue, graphed beside its DLQ. */
  readonly challengeQueue: sqs.IQueue;
  /** The challenge DLQ: any message in it raises an alarm. */
  readonly challengeDlq: sqs.IQueue;
  /** Scheduled sync and weights invocations that failed after Lambda's own retries: alarmed too. */
  readonly scheduleDlq: sqs.IQueue;
  /** The verification queue (graphed) and its DLQ (alarmed). */
  readonly proofBundles: ProofBundles;
  /** The sync Lambda, whose errors and memory the dashboard graphs. */
  readonly syncFunction: ProjectFunction;
  /** The worker Lambda, whose errors and memory the dashboard graphs. */
  readonly workerFunction: ProjectFunction;
  /** The weight Lambda, whose errors and memory the dashboard graphs. */
  readonly weightsFunction: ProjectFunction;
}

/**
 * A Lambda whose invocation used more than this share of its memory alarms. The settings leave a third
 * free above the benchmarked peak (README), so a deployed function past 80 % is beyond every figure
 * measured, and one that ran out of memory reports all of it.
 */
export const MEMORY_ALARM_PERCENT = 80;

/** Where a function's memory is set, for the alarm's remedy; the others' is in infra/lambdas.ts. */
const MEMORY_SETTING: Readonly<Record<string, string>> = {
  worker: 'the workerMemoryMb deploy setting',
};

function memoryAlarm(stack: Stack, fn: ProjectFunction): cloudwatch.Alarm {
  const setting = MEMORY_SETTING[fn.component] ?? 'its memorySize (infra/lambdas.ts)';
  return new cloudwatch.Alarm(stack, `MemoryHigh${fn.node.id}`, {
    alarmDescription: `The ${fn.component} Lambda used more than ${MEMORY_ALARM_PERCENT}% of its ${fn.memoryMb} MB in an invocation, or ran out of memory: raise ${setting}`,
    metric: fn.metricMaxMemoryUsed(),
    threshold: Math.floor((fn.memoryMb * MEMORY_ALARM_PERCENT) / 100),
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}

/**
 * The pipeline's alarms (dead letters, failed scheduled invocations, a bundle waiting longer than a PoG interval, no weight
 * submission for twice the rate limit, the verifier's failure rate, sync errors, a skipped version
 * filter, a Lambda near its memory limit), the {@link ChainAlarms}, and one dashboard with the alarm
 * states, the queues, the rounds, the verifier, the worker's time per attempt, the Lambdas' memory and
 * the weights. Created in the stack's own scope, so the alarms keep their logical ids.
 */
export function addMonitoring(stack: Stack, props: MonitoringProps): void {
  const cfg = props.config;
  const hour = Duration.hours(1);
  const functions = [props.syncFunction, props.workerFunction, props.weightsFunction];
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
    new cloudwatch.Alarm(stack, 'DlqNotEmpty', {
      alarmDescription: 'Challenges were dead-lettered: inspect and redrive the DLQ',
      metric: props.challengeDlq.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    }),
    new cloudwatch.Alarm(stack, 'ScheduleDlqNotEmpty', {
      alarmDescription:
        'A scheduled sync or weights invocation failed after its retries (a crash, a timeout, a bad config): inspect the DLQ and the function logs',
      metric: props.scheduleDlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    }),
    new cloudwatch.Alarm(stack, 'VerificationDlqNotEmpty', {
      alarmDescription: 'Poison proof bundles or unverifiable messages were dead-lettered: inspect the DLQ',
      metric: props.proofBundles.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    }),
    // the sync restarts a dead verifier within a tick, so a bundle a round old means none can run
    new cloudwatch.Alarm(stack, 'VerificationBacklog', {
      alarmDescription:
        'A proof bundle has waited longer than one PoG interval: no verifier job runs (check the job queue: GPU instance quota, Spot capacity, failed jobs)',
      metric: props.proofBundles.queue.metricApproximateAgeOfOldestMessage({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: cfg.pogIntervalBlocks * BLOCK_SECONDS,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
    new cloudwatch.Alarm(stack, 'NoWeightSubmission', {
      alarmDescription: 'No confirmed weight submission for twice the rate limit',
      metric: componentSum(MetricName.WeightSubmissions, 'weights', rateLimitWindow),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    }),
    new cloudwatch.Alarm(stack, 'ProofJobFailureRate', {
      alarmDescription: `More than ${cfg.proofJobFailureRatePercent}% of verified results failed in an hour`,
      metric: failureRate,
      threshold: cfg.proofJobFailureRatePercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
    atLeastOnceAlarm(
      stack,
      'SyncErrors',
      'The sync Lambda failed (chain, DynamoDB or SQS)',
      componentSum(MetricName.SyncErrors, 'sync', Duration.minutes(15)),
    ),
    atLeastOnceAlarm(
      stack,
      'RowCheckerFault',
      "A verifier's row checker failed its known-honest self-test (a lost GPU or a broken image): its bundles wait",
      jobMetric(MetricName.RowCheckerFaults),
    ),
    atLeastOnceAlarm(
      stack,
      'VersionFilterSkipped',
      'D3: the minimum miner version filter was skipped (not configured or below threshold)',
      componentSum(MetricName.VersionFilterSkipped, 'sync', Duration.hours(1)),
    ),
    ...functions.map((fn) => memoryAlarm(stack, fn)),
  ];
  new ChainAlarms(stack, 'ChainAlarms');
  const dashboard = new cloudwatch.Dashboard(stack, 'Dashboard', { dashboardName: props.dashboardName });
  dashboard.addWidgets(
    new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: 24 }),
    new cloudwatch.GraphWidget({
      title: 'Challenge queue',
      left: [
        props.challengeQueue.metricApproximateNumberOfMessagesVisible(),
        props.challengeDlq.metricApproximateNumberOfMessagesVisible(),
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
        jobMetric(MetricName.RowCheckerFaults),
        componentSum(MetricName.VerifierRestarts, 'sync', Duration.minutes(5)),
        props.proofBundles.queue.metricApproximateNumberOfMessagesVisible(),
      ],
    }),
    // what the cost model assumes per attempt, measured: the worker's Duration less its wait on the miner
    // is the validator's own time (`cli cost --miner-seconds <MinerWaitSeconds>`)
    new cloudwatch.GraphWidget({
      title: 'Worker time per attempt',
      left: [
        componentSum(MetricName.MinerWaitSeconds, 'worker', hour).with({
          statistic: 'Average',
          label: 'wait on the miner (s)',
        }),
      ],
      right: [
        props.workerFunction.metricDuration({ statistic: 'Average', period: hour, label: 'invocation (ms)' }),
      ],
    }),
    new cloudwatch.GraphWidget({
      title: 'Lambda memory: most used by one invocation (MB)',
      left: functions.map((fn) => fn.metricMaxMemoryUsed().with({ label: fn.component })),
    }),
    new cloudwatch.GraphWidget({
      title: 'Weights',
      left: [componentSum(MetricName.WeightSubmissions, 'weights', Duration.minutes(20))],
      right: [
        props.weightsFunction.metricErrors(),
        props.syncFunction.metricErrors(),
        props.workerFunction.metricErrors(),
      ],
    }),
  );
}
