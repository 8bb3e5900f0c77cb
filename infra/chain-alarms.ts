import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, MetricName, SERVICE_NAME } from '../lib/observability/index.js';

/**
 * Alarms on what only the chain can tell: a timelocked commit the chain never revealed, a vector refused
 * for the subnet's weight limits, and an operator problem the preflight found (unregistered hotkey, no
 * permit, stake weight below threshold, unreadable hotkey secret), in the sync and the weight Lambda.
 */
export class ChainAlarms extends Construct {
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const sum = (name: string, component: string, period: Duration) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: name,
        dimensionsMap: { service: SERVICE_NAME, component },
        statistic: 'Sum',
        period,
      });
    const atLeastOne = (alarmId: string, description: string, metric: cloudwatch.Metric) =>
      new cloudwatch.Alarm(this, alarmId, {
        alarmDescription: description,
        metric,
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    this.alarms = [
      atLeastOne(
        'WeightsNeverRevealed',
        'Weights committed, never revealed: the chain dropped a timelocked commit (see the audit rows with revealed = false)',
        sum(MetricName.WeightsNeverRevealed, 'weights', Duration.hours(1)),
      ),
      atLeastOne(
        'WeightLimitRefusals',
        "A weight vector cannot satisfy the subnet's MinAllowedWeights / MaxWeightsLimit and was not submitted",
        sum(MetricName.WeightLimitRefusals, 'weights', Duration.hours(1)),
      ),
      atLeastOne(
        'SyncPreflightProblems',
        'Validator preflight (sync): hotkey not registered, no permit, stake below threshold or secret unreadable; no challenge is sent',
        sum(MetricName.PreflightProblems, 'sync', Duration.minutes(15)),
      ),
      atLeastOne(
        'WeightsPreflightProblems',
        'Validator preflight (weights): hotkey not registered, no permit, stake below threshold or secret unreadable; no weight is set',
        sum(MetricName.PreflightProblems, 'weights', Duration.hours(1)),
      ),
    ];
  }
}
