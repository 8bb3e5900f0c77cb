import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ATTEMPT_KEY_PREFIX } from '../lib/store/pog-results.js';

/** Bundles are read once by the round's verifier; a day covers any retry and the 4 h round deadline. */
export const BUNDLE_EXPIRY_DAYS = 1;
/** Receives of one verification message before it is dead-lettered (a poison bundle). */
export const VERIFICATION_MAX_RECEIVES = 3;

export interface ProofBundlesProps {
  /** How long a verifier may hold one message (the row check of one bundle). @default 15 minutes */
  readonly verificationVisibilityTimeout?: Duration;
}

/**
 * Where the workers hand passed attempts to the GPU verifier: the bundle bucket (private, TLS only,
 * encrypted, expired by lifecycle) and the verification queue with its DLQ. Grants are split by
 * side: workers put and send, the verifier reads and consumes.
 */
export class ProofBundles extends Construct {
  readonly bucket: s3.Bucket;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: ProofBundlesProps = {}) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          expiration: Duration.days(BUNDLE_EXPIRY_DAYS),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      // short-lived working data, not a record: nothing to keep when the stack goes
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.deadLetterQueue = new sqs.Queue(this, 'Dlq', {
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      visibilityTimeout: props.verificationVisibilityTimeout ?? Duration.minutes(15),
      // past the bundles' expiry a message points at nothing
      retentionPeriod: Duration.days(BUNDLE_EXPIRY_DAYS),
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: VERIFICATION_MAX_RECEIVES },
    });
  }

  /** The worker side: put bundle objects (no read, no delete) and send verification messages. */
  grantHandOver(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects('bundles/*')] }),
    );
    this.queue.grantSendMessages(grantee);
  }

  /** The verifier side: read bundle objects and consume verification messages. */
  grantVerify(grantee: IGrantable): void {
    this.bucket.grantRead(grantee);
    this.queue.grantConsumeMessages(grantee);
  }
}

/**
 * The worker's DynamoDB rights, narrowed to the items it needs (issue 12): on the coordination table only
 * attempt state (`pog#…`), the verifier claims (`claim#verifier#…`) and round progress (`round#…`),
 * by partition-key condition, with delete only for a verifier claim whose SubmitJob failed; on the
 * results table only new rows (PutItem, inside the conditional transaction), no read, scan or delete.
 */
export function grantWorkerPogItems(
  grantee: IGrantable,
  pogResults: dynamodb.ITable,
  coordination: dynamodb.ITable,
): void {
  const leading = (prefixes: string[]) => ({
    'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes },
  });
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resources: [coordination.tableArn],
      conditions: leading([`${ATTEMPT_KEY_PREFIX}*`, 'claim#verifier#*', 'round#*']),
    }),
  );
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['dynamodb:DeleteItem'],
      resources: [coordination.tableArn],
      conditions: leading(['claim#verifier#*']),
    }),
  );
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [pogResults.tableArn] }),
  );
}

/** cdk-nag findings of the bundle hand-over, each acknowledged on its own construct with the reason. */
export function acknowledgeProofBundleFindings(bundles: ProofBundles, worker: Construct): void {
  Validations.of(bundles.bucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason:
      'Bundles are working data that expire within a day, written by the worker role only and read by the verifier; an access-log bucket would hold more than the data',
  });
  Validations.of(bundles.deadLetterQueue).acknowledge({
    id: 'Serverless-SQSRedrivePolicy',
    reason: 'This queue is itself a dead-letter queue',
  });
  Validations.of(worker).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::<ProofBundlesBucketC5E0A68B.Arn>/bundles/*]',
    reason:
      'The worker may only put objects (no read, no delete) under bundles/, one key per round, hotkey and attempt',
  });
}
