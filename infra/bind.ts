import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { EnvName } from '../lib/config/env-names.js';

/**
 * What a binding lands on: a Lambda function, or a Batch container's {@link ContainerEnvironment}.
 * Each helper below sets the variable and grants the access in one call, so a consumer never gets a
 * name without its permission, or a permission it has no name for.
 */
export interface EnvTarget extends iam.IGrantable {
  addEnvironment(name: string, value: string): unknown;
}

/**
 * A Batch container's variables, gathered before the container is defined (Batch fixes a container's
 * environment at creation), with the job role that the grants go to.
 */
export class ContainerEnvironment implements EnvTarget {
  private readonly values: Record<string, string> = {};

  constructor(readonly grantPrincipal: iam.IPrincipal) {}

  addEnvironment(name: string, value: string): this {
    this.values[name] = value;
    return this;
  }

  /** The variables gathered so far, for the container definition. */
  get variables(): Readonly<Record<string, string>> {
    return { ...this.values };
  }
}

/** Sets plain settings (no access to grant); an `undefined` value leaves its variable unset. */
export function bindValues(target: EnvTarget, values: Partial<Record<EnvName, string | undefined>>): void {
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined) target.addEnvironment(name, value);
  }
}

/** A narrower grant than read or read/write (e.g. items by key prefix). */
export type TableGrant = (table: dynamodb.ITable, grantee: iam.IGrantable) => void;

/** Sets `name` to the table's name and grants `read`, `readWrite` or a narrower {@link TableGrant}. */
export function bindTable(
  target: EnvTarget,
  name: EnvName,
  table: dynamodb.ITable,
  access: 'read' | 'readWrite' | TableGrant,
): void {
  target.addEnvironment(name, table.tableName);
  if (access === 'read') table.grantReadData(target);
  else if (access === 'readWrite') table.grantReadWriteData(target);
  else access(table, target);
}

/** Sets `name` to the queue's URL and grants sending to it, consuming from it, or reading its counts. */
export function bindQueue(
  target: EnvTarget,
  name: EnvName,
  queue: sqs.IQueue,
  access: 'send' | 'consume' | 'watch',
): void {
  target.addEnvironment(name, queue.queueUrl);
  if (access === 'send') queue.grantSendMessages(target);
  else if (access === 'consume') queue.grantConsumeMessages(target);
  else queue.grant(target, 'sqs:GetQueueAttributes');
}

/** Sets `name` to the secret's ARN and grants reading its value (and decrypting it with its key). */
export function bindSecret(target: EnvTarget, name: EnvName, secret: secretsmanager.ISecret): void {
  target.addEnvironment(name, secret.secretArn);
  secret.grantRead(target);
}

/** Sets `name` to the bucket's name and grants what `grant` allows (object rights under a prefix). */
export function bindBucket(
  target: EnvTarget,
  name: EnvName,
  bucket: s3.IBucket,
  grant: (bucket: s3.IBucket, grantee: iam.IGrantable) => void,
): void {
  target.addEnvironment(name, bucket.bucketName);
  grant(bucket, target);
}
