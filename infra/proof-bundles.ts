import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EnvName } from '../lib/config/env-names.js';
import { ATTEMPT_KEY_PREFIX } from '../lib/store/pog-results.js';
import { bindBucket, bindQueue, type EnvTarget, type TableGrant } from './bind.js';

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
  /** The bundle objects, under `bundles/`, expired after {@link BUNDLE_EXPIRY_DAYS}. */
  readonly bucket: s3.Bucket;
  /** One message per bundle to verify, consumed by the verifier job. */
  readonly queue: sqs.Queue;
  /** Messages received {@link VERIFICATION_MAX_RECEIVES} times (poison bundles). */
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

  /**
   * The worker side: names the bucket and the verification queue in `target`'s environment, and
   * grants putting bundle objects (no read, no delete) and sending verification messages.
   */
  bindHandOver(target: EnvTarget): void {
    bindBucket(target, EnvName.BundleBucket, this.bucket, putBundles);
    bindQueue(target, EnvName.VerificationQueueUrl, this.queue, 'send');
  }

  /**
   * The verifier side: names the bucket, the queue and its DLQ in `target`'s environment, and grants
   * reading bundle objects (GetObject only: no List, no bucket-level reads), consuming the queue and
   * dead-lettering poison.
   */
  bindVerify(target: EnvTarget): void {
    bindBucket(target, EnvName.BundleBucket, this.bucket, readBundles);
    bindQueue(target, EnvName.VerificationQueueUrl, this.queue, 'consume');
    bindQueue(target, EnvName.VerificationDlqUrl, this.deadLetterQueue, 'send');
  }

  /**
   * The sync side: names the verification queue in `target`'s environment and grants reading its
   * message counts only (bundles waiting with no verifier at work get one).
   */
  bindWatch(target: EnvTarget): void {
    bindQueue(target, EnvName.VerificationQueueUrl, this.queue, 'watch');
  }
}

/** Object keys of the bundles: the worker writes and the verifier reads under this prefix only. */
const BUNDLE_OBJECTS = 'bundles/*';

function putBundles(bucket: s3.IBucket, grantee: IGrantable): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects(BUNDLE_OBJECTS)] }),
  );
}

function readBundles(bucket: s3.IBucket, grantee: IGrantable): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects(BUNDLE_OBJECTS)] }),
  );
  // without ListBucket, S3 answers a GET of a missing key with 403, not 404: an expired or deleted bundle
  // would then read as a transient fault, retried into the DLQ with no failure row (lib/store/bundles.ts)
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }),
  );
}

const leadingKeys = (prefixes: string[]) => ({
  'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes },
});

/**
 * The worker's rights on the coordination table, narrowed to the items it needs (issue 12): attempt
 * state and the miners' allocation ledger (`pog#…`), the verifier claims (`claim#verifier#…`) and round progress (`round#…`), by
 * partition-key condition, with delete only for a verifier claim whose SubmitJob failed.
 */
export const workerCoordinationItems: TableGrant = (coordination, grantee) => {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resources: [coordination.tableArn],
      conditions: leadingKeys([`${ATTEMPT_KEY_PREFIX}*`, 'claim#verifier#*', 'round#*']),
    }),
  );
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['dynamodb:DeleteItem'],
      resources: [coordination.tableArn],
      conditions: leadingKeys(['claim#verifier#*']),
    }),
  );
};

/** New result rows only (PutItem, inside the conditional transaction): no read, scan or delete. */
export const putResultRows: TableGrant = (pogResults, grantee) => {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [pogResults.tableArn] }),
  );
};

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
