import { Duration, RemovalPolicy, Tags } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { EnvName } from '../lib/config/env-names.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../lib/observability/index.js';
import {
  ESM_REQUIRE_BANNER,
  MAP_SOURCES_CONTENT,
  NATIVE_EXTERNALS,
  RUNTIME_SDK_EXTERNALS,
} from './bundling.js';

export interface ProjectFunctionProps {
  /** Path of the entry file, e.g. `functions/sync/index.ts`. */
  readonly entry: string;
  /** Short name of the pipeline stage (`sync`, `worker`…), set as the `component` tag; the code uses the same name as its metrics dimension. */
  readonly component: string;
  /** How long one invocation may run. @default Duration.seconds(60) */
  readonly timeout?: Duration;
  /** Memory in MB, which also sets the CPU share; 128 to 10 240. @default 512 */
  readonly memorySize?: number;
  /**
   * Plain settings, set beside the Node and Powertools defaults (which they may override); a variable that
   * names a resource is set with infra/bind.ts instead, which grants access in the same call.
   * @default - the Node and Powertools defaults only
   */
  readonly environment?: Readonly<Record<string, string>>;
  /** How long the function's own log group keeps its events. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Repository files copied into the bundle (e.g. the miner payload beside lib/pog); `source` is relative
   * to the repository root, `target` to the bundle's root. @default - none
   */
  readonly extraFiles?: readonly { readonly source: string; readonly target: string }[];
  /**
   * Dead-letter queue for failed asynchronous invocations (schedules invoke asynchronously).
   * @default - none: failed asynchronous events are dropped after Lambda's retries
   */
  readonly deadLetterQueue?: sqs.IQueue;
  /**
   * V8's young-generation semi-space (MB), for a function whose peak is short-lived garbage. @default - V8's
   * own (16 MB on 64-bit)
   */
  readonly semiSpaceMb?: number;
}

/**
 * The JS heap limit of a function with `memorySize` MB: half of it. Without a limit V8 sizes its heap
 * by its own rules and lets garbage (a session's parsed proof lines, say) pile up towards the
 * container's limit; with one it collects sooner (`npm run bench -- worker-memory` measures the
 * worker's peak under this rule). What lives off the heap (Buffers) has the other half.
 */
export function heapLimitMb(memorySize: number): number {
  return Math.floor(memorySize / 2);
}

/**
 * NODE_OPTIONS of a function: source-mapped stack traces, the heap limit and, where given, the young
 * generation's semi-space. The memory benches run their probes under the same flags.
 */
export function nodeOptions(memorySize: number, semiSpaceMb?: number): string {
  const semiSpace = semiSpaceMb === undefined ? '' : ` --max-semi-space-size=${semiSpaceMb}`;
  return `--enable-source-maps --max-old-space-size=${heapLimitMb(memorySize)}${semiSpace}`;
}

/**
 * The platform's report of each invocation in a JSON-format log group: the record's `maxMemoryUsedMB` is
 * the invocation's resident high-water mark, which Lambda publishes as no metric of its own. The memory
 * settings rest on benchmarks of a model of each function; this is what a deployed one really used.
 */
export const PLATFORM_REPORT = {
  type: 'platform.report',
  maxMemoryUsedMb: '$.record.metrics.maxMemoryUsedMB',
} as const;

/**
 * The one Lambda shape of the project, with its defaults decided once: Node 22 on ARM64, minified ESM
 * bundle with source maps, a JS heap limit of half the memory ({@link heapLimitMb}), JSON logs into its own log group with retention (its role may write that
 * group and no other), no X-Ray tracing, Powertools
 * service settings. Variables that name a resource are set with infra/bind.ts, which grants access in
 * the same call, so names and permissions cannot drift apart.
 */
export class ProjectFunction extends NodejsFunction {
  /** The pipeline stage it runs (`sync`, `worker`…), as tagged. */
  readonly component: string;
  /** Its memory setting, MB. */
  readonly memoryMb: number;

  constructor(scope: Construct, id: string, props: ProjectFunctionProps) {
    const memorySize = props.memorySize ?? 512;
    if (memorySize < 128 || memorySize > 10_240) {
      throw new Error(`ProjectFunction memorySize must be between 128 and 10240 MB (given ${memorySize})`);
    }
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      entry: props.entry,
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize,
      timeout: props.timeout ?? Duration.seconds(60),
      // no X-Ray: the code carries no tracer (Powertools Tracer would add aws-xray-sdk to every bundle),
      // and bare invocation segments would add cost without showing where a tick spent its time
      tracing: lambda.Tracing.DISABLED,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      ...(props.deadLetterQueue ? { deadLetterQueue: props.deadLetterQueue } : {}),
      environment: {
        [EnvName.NodeOptions]: nodeOptions(memorySize, props.semiSpaceMb),
        [EnvName.PowertoolsServiceName]: SERVICE_NAME,
        [EnvName.PowertoolsMetricsNamespace]: METRICS_NAMESPACE,
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        minify: true,
        keepNames: true,
        sourceMap: true,
        sourcesContent: MAP_SOURCES_CONTENT,
        target: 'node22',
        externalModules: [...RUNTIME_SDK_EXTERNALS, ...NATIVE_EXTERNALS],
        banner: ESM_REQUIRE_BANNER,
        ...(props.extraFiles !== undefined && props.extraFiles.length > 0
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) =>
                  (props.extraFiles ?? []).map(
                    (f) =>
                      `mkdir -p "$(dirname "${outputDir}/${f.target}")" && cp "${inputDir}/${f.source}" "${outputDir}/${f.target}"`,
                  ),
              },
            }
          : {}),
      },
    });
    this.component = props.component;
    this.memoryMb = memorySize;
    Tags.of(this).add('component', props.component);
    new logs.MetricFilter(this, 'MaxMemoryUsedFilter', {
      logGroup,
      metricNamespace: METRICS_NAMESPACE,
      metricName: this.maxMemoryMetricName(),
      filterPattern: logs.FilterPattern.stringValue('$.type', '=', PLATFORM_REPORT.type),
      metricValue: PLATFORM_REPORT.maxMemoryUsedMb,
      unit: cloudwatch.Unit.MEGABYTES,
    });
    // No AWSLambdaBasicExecutionRole, which may write to every log group (a compromised component
    // could forge the lines that feed another component's alarms): this function's own group only.
    // Cleared on the role's resource itself rather than by a template override, so that cdk-nag, which
    // reads the resource, sees the role that deploys.
    const role = this.role?.node.defaultChild as iam.CfnRole | undefined;
    if (role !== undefined) role.managedPolicyArns = undefined;
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        // the group's ARN with its `:*` stream suffix: streams of this group, no other group
        resources: [logGroup.logGroupArn],
      }),
    );
  }

  /** The most memory one invocation used in `period`, MB (the platform's reports, through a metric filter). */
  metricMaxMemoryUsed(period: Duration = Duration.hours(1)): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: this.maxMemoryMetricName(),
      statistic: 'Maximum',
      period,
    });
  }

  // a metric filter cannot set a constant dimension, so each function's metric has a name of its own
  private maxMemoryMetricName(): string {
    return `MaxMemoryUsedMB-${this.component}`;
  }
}
