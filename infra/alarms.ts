import type { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../lib/observability/index.js';

/** The sum over `period` of a metric the code emits for `component` (lib/observability's dimensions). */
export function componentSum(name: string, component: string, period: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: SERVICE_NAME, component },
    statistic: 'Sum',
    period,
  });
}

/**
 * An alarm that fires when `metric` counts at least one event in a period. These metrics are emitted
 * only when the event happens, so a period without data is a quiet one, not a breach.
 */
export function atLeastOnceAlarm(
  scope: Construct,
  id: string,
  description: string,
  metric: cloudwatch.IMetric,
): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, id, {
    alarmDescription: description,
    metric,
    threshold: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}
