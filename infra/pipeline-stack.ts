import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { TableKey } from '../lib/store/tables.js';
import type { DeployConfig } from './config.js';
import { GpuTables } from './gpu-tables.js';
import { jobImage } from './job-image.js';
import { addSyncFunction, addWeightsFunction, addWorkerFunction } from './lambdas.js';
import { addMonitoring } from './monitoring.js';
import { ProofBundles } from './proof-bundles.js';
import { addQueues } from './queues.js';
import { addSecrets } from './secrets.js';
import { addTables } from './tables.js';
import { VerifierJob } from './verifier.js';

export interface PipelineStackProps extends StackProps {
  /** Deployment settings (infra/config.ts), parsed once from CDK context. */
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
 *
 * The pieces (infra/tables.ts, queues.ts, secrets.ts, lambdas.ts, monitoring.ts) create their resources
 * in this stack's own scope, in this order: a resource's logical id is its construct path, and a
 * changed id would replace the deployed resource (a table's data with it).
 */
export class PipelineStack extends Stack {
  /** The pipeline's DynamoDB tables by logical key. */
  readonly tables: Record<TableKey, dynamodb.Table>;
  /** The challenge queue between the sync and the workers. */
  readonly queue: sqs.Queue;
  /** The challenge queue's dead-letter queue. */
  readonly deadLetterQueue: sqs.Queue;
  /** Bundle bucket and verification queue (+DLQ) between the workers and the verifier job. */
  readonly proofBundles: ProofBundles;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const cfg = props.config;

    this.tables = addTables(this);
    const queues = addQueues(this);
    this.queue = queues.challengeQueue;
    this.deadLetterQueue = queues.challengeDlq;
    this.proofBundles = new ProofBundles(this, 'ProofBundles');
    const secrets = addSecrets(this);

    const syncFunction = addSyncFunction(this, {
      config: cfg,
      tables: this.tables,
      challengeQueue: queues.challengeQueue,
      wandbApiKey: secrets.wandbApiKey,
      scheduleDlq: queues.scheduleDlq,
    });

    // GPU tables as live configuration (SSM); bound to their consumers below
    const gpuTables = new GpuTables(this, 'GpuTables');

    const vpc = new ec2.Vpc(this, 'JobVpc', {
      maxAzs: 2,
      natGateways: 0,
      // public subnets only: GPU hosts pull images and reach miners directly, with no NAT to pay for
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC }],
      flowLogs: { all: { trafficType: ec2.FlowLogTrafficType.REJECT } },
    });
    const verifier = new VerifierJob(this, 'Verifier', {
      config: cfg,
      vpc,
      proofBundles: this.proofBundles,
      pogResults: this.tables.pogResults,
      coordination: this.tables.coordination,
      image: props.jobImage ?? jobImage(cfg),
      challengeQueue: queues.challengeQueue,
    });

    // the sync restarts a verifier for bundles that wait with none at work (lib/pipeline/verifier-start.ts)
    this.proofBundles.bindWatch(syncFunction);
    verifier.bindSubmitter(syncFunction);

    const workerFunction = addWorkerFunction(this, {
      config: cfg,
      tables: this.tables,
      challengeQueue: queues.challengeQueue,
      challengeDlq: queues.challengeDlq,
      hotkey: secrets.hotkey,
      proofBundles: this.proofBundles,
      verifier,
    });
    const weightsFunction = addWeightsFunction(this, {
      config: cfg,
      tables: this.tables,
      hotkey: secrets.hotkey,
      wandbApiKey: secrets.wandbApiKey,
      scheduleDlq: queues.scheduleDlq,
    });
    // the verifier recomputes rows from the bundle alone: it needs no GPU tables
    gpuTables.bind(weightsFunction, 'weights').bind(workerFunction, 'worker');

    addMonitoring(this, {
      config: cfg,
      dashboardName: `${id}-pog-validator`,
      challengeQueue: queues.challengeQueue,
      challengeDlq: queues.challengeDlq,
      scheduleDlq: queues.scheduleDlq,
      proofBundles: this.proofBundles,
      syncFunction,
      workerFunction,
      weightsFunction,
    });
  }
}
