import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { MetricName } from '../lib/observability/index.js';
import { atLeastOnceAlarm, componentSum } from './alarms.js';

/**
 * Alarms on what only the chain can tell: a timelocked commit the chain never revealed, a vector refused
 * for the subnet's weight limits, and an operator problem the preflight found (unregistered hotkey, no
 * permit, stake weight below threshold, unreadable hotkey secret), in the sync and the weight Lambda.
 */
export class ChainAlarms extends Construct {
  /** The four alarms, in the order above. */
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.alarms = [
      atLeastOnceAlarm(
        this,
        'WeightsNeverRevealed',
        'Weights committed, never revealed: the chain dropped a timelocked commit (see the audit rows with revealed = false)',
        componentSum(MetricName.WeightsNeverRevealed, 'weights', Duration.hours(1)),
      ),
      atLeastOnceAlarm(
        this,
        'WeightLimitRefusals',
        "A weight vector cannot satisfy the subnet's MinAllowedWeights / MaxWeightsLimit and was not submitted",
        componentSum(MetricName.WeightLimitRefusals, 'weights', Duration.hours(1)),
      ),
      atLeastOnceAlarm(
        this,
        'SyncPreflightProblems',
        'Validator preflight (sync): hotkey not registered, no permit, stake below threshold or secret unreadable; no challenge is sent',
        componentSum(MetricName.PreflightProblems, 'sync', Duration.minutes(15)),
      ),
      atLeastOnceAlarm(
        this,
        'WeightsPreflightProblems',
        'Validator preflight (weights): hotkey not registered, no permit, stake below threshold or secret unreadable; no weight is set',
        componentSum(MetricName.PreflightProblems, 'weights', Duration.hours(1)),
      ),
    ];
  }
}
