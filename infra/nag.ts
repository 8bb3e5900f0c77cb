import { type Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { acknowledgeProofBundleFindings, type ProofBundles } from './proof-bundles.js';

const FUNCTIONS = ['SyncFunction', 'WorkerFunction', 'WeightsFunction'];

function ack(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

function child(stack: Stack, path: string): IConstruct {
  const found = stack.node.tryFindChild(path);
  if (found === undefined)
    throw new Error(`acknowledgeNagFindings: no construct ${path} in ${stack.stackName}`);
  return found;
}

/**
 * Every acknowledged cdk-nag finding of {@link PipelineStack}, each with the reason it is accepted.
 * Acknowledgements are scoped to the construct concerned, never to the whole stack, so a new
 * resource with the same weakness still fails the check.
 */
export function acknowledgeNagFindings(stack: Stack): void {
  for (const name of FUNCTIONS) {
    const fn = child(stack, name);
    ack(
      fn,
      'AwsSolutions-L1',
      'Node.js 22 is the project runtime (engines, tests, bundles target node22) until the move to 24 is validated',
    );
    ack(
      fn,
      'Serverless-LambdaLatestVersion',
      'Node.js 22 is the project runtime until the move to 24 is validated',
    );
    ack(
      fn,
      'Serverless-LambdaTracing',
      'X-Ray is off by choice: the code carries no tracer (README, Powertools)',
    );
  }
  const worker = child(stack, 'WorkerFunction');
  ack(
    worker,
    'Serverless-LambdaDLQ',
    'SQS invokes the worker synchronously; failed messages go to the challenge queue DLQ',
  );
  ack(
    worker,
    'Serverless-LambdaEventSourceMappingDestination',
    'The challenge queue redrives failed messages to its DLQ (after the miner attempts and a few infrastructure retries), which an alarm watches',
  );
  ack(
    worker,
    'AwsSolutions-IAM5[Resource::*]',
    "batch:DescribeJobs (a round's failed verifier job is replaced) supports no resource-level permissions; the worker's only wildcard",
  );
  ack(
    child(stack, 'SyncFunction'),
    'AwsSolutions-IAM5[Resource::*]',
    "batch:DescribeJobs (a failed verifier job is replaced when bundles wait) supports no resource-level permissions; the sync's only wildcard",
  );
  ack(
    child(stack, 'HotkeySecret'),
    'AwsSolutions-SMG4',
    'The secret is the validator hotkey seed, an on-chain identity: it cannot be rotated by a rotation Lambda',
  );
  ack(
    child(stack, 'WandbApiKeySecret'),
    'AwsSolutions-SMG4',
    'W&B API keys are issued in the W&B account settings and have no API to rotate them from a rotation Lambda',
  );
  const verifier = child(stack, 'Verifier');
  for (const compute of ['SpotCompute', 'OnDemandCompute']) {
    ack(
      child(verifier as Stack, compute),
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role]',
      'AWS Batch ECS container instances need the AWS-maintained ECS instance policy to register with the cluster',
    );
  }
  ack(
    child(verifier as Stack, 'Container'),
    'AwsSolutions-IAM5[Resource::*]',
    'Pulling the job image needs ecr:GetAuthorizationToken, which supports no resource-level permissions',
  );
  ack(
    child(verifier as Stack, 'JobRole'),
    'AwsSolutions-IAM5[Resource::<ProofBundlesBucketC5E0A68B.Arn>/bundles/*]',
    'The verifier reads any bundle of the bundles/ prefix (one key per round, hotkey and attempt); GetObject only',
  );
  acknowledgeProofBundleFindings(child(stack, 'ProofBundles') as ProofBundles, worker);
  for (const dlq of ['ChallengeDlq', 'ScheduleInvokeDlq']) {
    ack(child(stack, dlq), 'Serverless-SQSRedrivePolicy', 'This queue is itself a dead-letter queue');
  }
}
