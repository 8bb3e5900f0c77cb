import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { EnvName } from '../lib/config/env-names.js';
import { DEFAULT_PERFORMANCE_CONFIG } from '../lib/config/gpu-performance.js';
import { PerformanceMetricName } from '../lib/config/live-performance.js';
import { atLeastOnceAlarm, componentSum } from './alarms.js';
import type { EnvTarget } from './bind.js';

/** SSM's Standard tier holds at most 4 KB; above that the parameter needs the Advanced tier. */
const STANDARD_TIER_BYTES = 4096;

/**
 * The GPU performance tables (the reference's `config.yaml` keys as JSON) as live configuration: an
 * SSM String parameter seeded with the reference v1.9.0 values, which an operator changes with one
 * `aws ssm put-parameter` and every consumer picks up within its cache age, without a redeploy.
 * CloudFormation writes the seed only when the template's value changes, so an operator's edit
 * survives redeploys of the same release.
 */
export class GpuTables extends Construct {
  /** The SSM parameter holding the tables as JSON. */
  readonly parameter: ssm.StringParameter;
  private readonly rejectedAlarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const seed = JSON.stringify(DEFAULT_PERFORMANCE_CONFIG);
    this.parameter = new ssm.StringParameter(this, 'Parameter', {
      parameterName: `/${Stack.of(this).stackName}/gpu-performance`,
      description: 'GPU performance tables (reference config.yaml keys, JSON); validated on every read',
      stringValue: seed,
      tier:
        Buffer.byteLength(seed) > STANDARD_TIER_BYTES
          ? ssm.ParameterTier.ADVANCED
          : ssm.ParameterTier.STANDARD,
    });
    new CfnOutput(this, 'ParameterName', {
      description:
        'Change the GPU tables: aws ssm put-parameter --overwrite --name <this> --value file://tables.json',
      value: this.parameter.parameterName,
    });
  }

  /**
   * Makes `consumer` read the tables: sets the parameter's name in its environment (a Lambda
   * function or a Batch container's `ContainerEnvironment`, infra/bind.ts), grants `ssm:GetParameter` on this
   * one parameter and nothing else, and alarms when `component` refuses an update.
   */
  bind(consumer: EnvTarget, component: string): this {
    consumer.addEnvironment(EnvName.PogPerformanceParameter, this.parameter.parameterName);
    iam.Grant.addToPrincipal({
      grantee: consumer,
      actions: ['ssm:GetParameter'],
      resourceArns: [this.parameter.parameterArn],
    });
    this.rejectedAlarms.push(
      atLeastOnceAlarm(
        this,
        `Rejected-${component}`,
        `${component} refused a GPU tables update (bad JSON or schema); the last good tables stay in force. See the log line naming the key.`,
        componentSum(PerformanceMetricName.Rejected, component, Duration.minutes(5)),
      ),
    );
    return this;
  }

  /** One alarm per bound consumer, raised when that consumer refuses an update. */
  get alarms(): readonly cloudwatch.Alarm[] {
    return [...this.rejectedAlarms];
  }
}
