import { Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EnvName } from '../lib/config/env-names.js';
import { DEFAULT_ASSUMPTIONS } from '../lib/cost/model.js';
import { METRICS_NAMESPACE, MetricName, SERVICE_NAME } from '../lib/observability/index.js';
import { VerifierLog, VerifierOutcome } from '../lib/pipeline/verifier.js';
import { ATTEMPT_KEY_PREFIX } from '../lib/store/pog-results.js';
import {
  bindQueue,
  bindTable,
  bindValues,
  ContainerEnvironment,
  type EnvTarget,
  type TableGrant,
} from './bind.js';
import type { DeployConfig } from './config.js';
import type { ProofBundles } from './proof-bundles.js';

/**
 * The verifier's Batch settings, one source for the stack, its test and the cost model. One job at a
 * time drains a round's bundles; it long-polls 20 s and exits after 3 empty polls, at once when no session of its
 * round is pending, and after `lingerSeconds` of empty polls while one is.
 */
export const VERIFIER_JOB = {
  vcpus: 4,
  /** Fits a g4dn.xlarge (16 GiB) after the ECS agent's share. */
  memoryMiB: 12_000,
  gpus: 1,
  waitSeconds: 20,
  emptyPolls: 3,
  batchSize: 1,
  rowCheckTimeoutSeconds: 600,
  /** Batch attempts of a job (a reclaimed Spot host); a killed verifier loses nothing (SQS redelivers). */
  attempts: 2,
  /**
   * While sessions are pending, an empty queue is polled this long before the job exits: what a new
   * job's start costs (the cost model's boot and image pull), lib/pipeline/verifier.ts `lingerSeconds`.
   */
  lingerSeconds:
    (DEFAULT_ASSUMPTIONS.verifierBootMinutes + DEFAULT_ASSUMPTIONS.verifierImagePullMinutes) * 60,
} as const;

export interface VerifierJobProps {
  /** Deploy settings: instance types, maximum vCPUs, job timeout, the row-check mode and the netuid. */
  readonly config: DeployConfig;
  /** The network of the compute environments; hosts are placed in its public subnets (no NAT). */
  readonly vpc: ec2.IVpc;
  /** Where the worker writes proof bundles and queues them for verification. */
  readonly proofBundles: ProofBundles;
  /** The results table: the job puts the final, conditional result rows (PutItem only). */
  readonly pogResults: dynamodb.ITable;
  /** The coordination table: the job updates its (round, hotkey) state items and the round item only. */
  readonly coordination: dynamodb.ITable;
  /** The container image (infra/job-image.ts picks the registry image or the Dockerfile asset). */
  readonly image: ecs.ContainerImage;
  /** The challenge queue: the job reads its counts only (sessions that may still hand a bundle over). */
  readonly challengeQueue: sqs.IQueue;
}

/**
 * The GPU verification job (issue 11): a job definition requesting one GPU, Spot first and on-demand
 * after it on the cheapest GPU instance that fits (minimum 0 vCPUs, so nothing runs between rounds),
 * a launch template that requires IMDSv2 with hop limit 1 (containers cannot reach the instance's
 * credentials), and a role that reads bundles, consumes its queue and writes result rows only.
 */
export class VerifierJob extends Construct {
  /** Spot first, on-demand after it. */
  readonly jobQueue: batch.JobQueue;
  /** One GPU, the container's variables and its retry strategy. */
  readonly jobDefinition: batch.EcsJobDefinition;
  /** The container's log group, whose metric filters count results, failures, discrepancies and poison. */
  readonly logGroup: logs.LogGroup;
  /** The job's role: the grants of the bundle, table and queue bindings, nothing else. */
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: VerifierJobProps) {
    super(scope, id);
    const cfg = props.config;
    const launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      // issue 12: IMDSv2 only, and one hop, so a job's container cannot reach the host's credentials
      httpEndpoint: true,
      httpTokens: ec2.LaunchTemplateHttpTokens.REQUIRED,
      httpPutResponseHopLimit: 1,
    });
    const instanceTypes = cfg.verifierInstanceTypes.map((t) => new ec2.InstanceType(t));
    const environment = (name: string, spot: boolean) =>
      new batch.ManagedEc2EcsComputeEnvironment(this, name, {
        vpc: props.vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
        minvCpus: 0,
        maxvCpus: cfg.verifierMaxvCpus,
        spot,
        ...(spot ? { allocationStrategy: batch.AllocationStrategy.SPOT_PRICE_CAPACITY_OPTIMIZED } : {}),
        useOptimalInstanceClasses: false,
        instanceTypes,
        launchTemplate,
        images: [{ imageType: batch.EcsMachineImageType.ECS_AL2_NVIDIA }],
      });
    const spotCompute = environment('SpotCompute', true);
    const onDemandCompute = environment('OnDemandCompute', false);
    this.jobQueue = new batch.JobQueue(this, 'JobQueue', {
      computeEnvironments: [
        { computeEnvironment: spotCompute, order: 1 },
        { computeEnvironment: onDemandCompute, order: 2 },
      ],
    });
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'JobRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
    });
    // the role reads bundles, consumes its queue, dead-letters poison, writes result rows and its own
    // state items, and reads the challenge queue's counts: nothing else
    const container = new ContainerEnvironment(this.role);
    props.proofBundles.bindVerify(container);
    bindTable(container, EnvName.TablePogResults, props.pogResults, putFinalRows);
    bindTable(container, EnvName.TableCoordination, props.coordination, verifierStateItems(cfg.netuid));
    bindQueue(container, EnvName.ChallengeQueueUrl, props.challengeQueue, 'watch');
    bindValues(container, {
      [EnvName.Netuid]: String(cfg.netuid),
      [EnvName.RowCheck]: cfg.rowCheck,
      // the job runs on a GPU host: without CUDA the checker must fail (a checker fault, the bundle waits),
      // not fall back to numpy, whose self-test would pass and blame the bundle in hand on a lost GPU
      [EnvName.RowCheckDevice]: 'cuda',
      [EnvName.RowCheckTimeoutSeconds]: String(VERIFIER_JOB.rowCheckTimeoutSeconds),
      [EnvName.VerifierBatchSize]: String(VERIFIER_JOB.batchSize),
      [EnvName.VerifierWaitSeconds]: String(VERIFIER_JOB.waitSeconds),
      [EnvName.VerifierEmptyPolls]: String(VERIFIER_JOB.emptyPolls),
      [EnvName.VerifierLingerSeconds]: String(VERIFIER_JOB.lingerSeconds),
      [EnvName.PowertoolsServiceName]: SERVICE_NAME,
      // the SDK's region: older ECS agents set none in the container, and the host's metadata service is
      // out of a container's reach (hop limit 1)
      [EnvName.AwsRegion]: Stack.of(this).region,
    });
    this.jobDefinition = new batch.EcsJobDefinition(this, 'JobDefinition', {
      timeout: Duration.minutes(cfg.verifierTimeoutMinutes),
      // a reclaimed Spot host, or a process killed outright (SIGKILL: 137, e.g. out of memory, which
      // cannot drop the round's claim), retries the drain in the same job, which keeps the claim;
      // unfinished messages come back to the queue anyway. Conditions are evaluated in order.
      retryAttempts: VERIFIER_JOB.attempts,
      retryStrategies: [
        batch.RetryStrategy.of(batch.Action.RETRY, batch.Reason.SPOT_INSTANCE_RECLAIMED),
        batch.RetryStrategy.of(batch.Action.RETRY, batch.Reason.custom({ onExitCode: '137' })),
        batch.RetryStrategy.of(batch.Action.EXIT, batch.Reason.custom({ onExitCode: '*' })),
      ],
      container: new batch.EcsEc2ContainerDefinition(this, 'Container', {
        image: props.image,
        cpu: VERIFIER_JOB.vcpus,
        memory: Size.mebibytes(VERIFIER_JOB.memoryMiB),
        gpu: VERIFIER_JOB.gpus,
        jobRole: this.role,
        logging: ecs.LogDriver.awsLogs({ streamPrefix: 'verifier', logGroup: this.logGroup }),
        environment: container.variables,
      }),
    });
    this.metricFilters();
  }

  /** The starters (worker, sync): name the job queue and definition in `target`'s environment and grant SubmitJob on them. */
  bindSubmitter(target: EnvTarget): void {
    target.addEnvironment(EnvName.VerifierJobQueue, this.jobQueue.jobQueueArn);
    target.addEnvironment(EnvName.VerifierJobDefinition, this.jobDefinition.jobDefinitionArn);
    this.jobDefinition.grantSubmitJob(target, this.jobQueue);
    // a claim naming a failed job is taken over (lib/pipeline/verifier-start.ts); DescribeJobs has no resource-level permissions
    target.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['batch:DescribeJobs'], resources: ['*'] }),
    );
  }

  private metricFilters(): void {
    const filter = (id: string, name: string, pattern: logs.IFilterPattern) =>
      new logs.MetricFilter(this, id, {
        logGroup: this.logGroup,
        metricNamespace: METRICS_NAMESPACE,
        metricName: name,
        filterPattern: pattern,
        metricValue: '1',
        defaultValue: 0,
      });
    filter(
      'ResultsFilter',
      MetricName.VerifierResults,
      logs.FilterPattern.stringValue('$.message', '=', VerifierLog.Result),
    );
    filter(
      'FailuresFilter',
      MetricName.VerifierFailures,
      logs.FilterPattern.all(
        logs.FilterPattern.stringValue('$.message', '=', VerifierLog.Result),
        logs.FilterPattern.stringValue(`$.${VerifierOutcome.field}`, '=', VerifierOutcome.failure),
      ),
    );
    filter(
      'DiscrepancyFilter',
      MetricName.RowCheckDiscrepancies,
      logs.FilterPattern.stringValue('$.message', '=', VerifierLog.Discrepancy),
    );
    filter(
      'PoisonFilter',
      MetricName.PoisonBundles,
      logs.FilterPattern.stringValue('$.message', '=', VerifierLog.Poison),
    );
    filter(
      'CheckerFaultFilter',
      MetricName.RowCheckerFaults,
      logs.FilterPattern.stringValue('$.message', '=', VerifierLog.CheckerFault),
    );
  }
}

/** Result rows: PutItem only (the final row is conditional; no trim, so no DeleteItem, no Scan). */
const putFinalRows: TableGrant = (pogResults, grantee) => {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['dynamodb:PutItem', 'dynamodb:ConditionCheckItem'],
      resources: [pogResults.tableArn],
    }),
  );
};

/**
 * The (round, hotkey) state item is marked final in the same transaction; the round item is counted;
 * the job drops its round's verifier claim when it has drained (conditional on its own job id).
 */
const verifierStateItems =
  (netuid: number): TableGrant =>
  (coordination, grantee) => {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:UpdateItem', 'dynamodb:GetItem'],
        resources: [coordination.tableArn],
        conditions: {
          'ForAllValues:StringLike': {
            'dynamodb:LeadingKeys': [`${ATTEMPT_KEY_PREFIX}*`, `round#${netuid}`],
          },
        },
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:DeleteItem'],
        resources: [coordination.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['claim#verifier#*'] } },
      }),
    );
  };
