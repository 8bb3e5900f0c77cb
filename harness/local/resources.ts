import {
  BatchClient,
  CreateComputeEnvironmentCommand,
  CreateJobQueueCommand,
  RegisterJobDefinitionCommand,
} from '@aws-sdk/client-batch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { VERIFIER_JOB } from '../../infra/verifier.js';
import { CHALLENGE_QUEUE } from '../../lib/queue/challenge.js';
import { createTables, type TableNames, tableNamesWithPrefix } from '../../lib/store/tables.js';

/**
 * Emulator-side resources of one local cycle, made from the same definitions the CDK stack uses
 * (table key schemas, queue settings). Names carry a prefix so runs and test files never collide.
 */
export interface LocalResources {
  readonly tables: TableNames;
  /** The challenge queue and its DLQ. */
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly jobQueue: string;
  readonly jobDefinition: string;
  readonly secretArn: string;
  /** The proof bundles' bucket, and the verification queue (+DLQ) the verifier drains. */
  readonly bucket: string;
  readonly verificationQueueUrl: string;
  readonly verificationDlqUrl: string;
}

/** Where the clients send: an emulator's endpoint, region and dummy credentials; empty reads the environment. */
export interface EmulatorTarget {
  readonly endpoint?: string;
  readonly region?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export interface EmulatorClients {
  readonly ddb: DynamoDBClient;
  /** The document client over `ddb` (it shares `ddb`'s middleware stack). */
  readonly doc: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly batch: BatchClient;
  readonly s3: S3Client;
  readonly secrets: SecretsManagerClient;
}

/**
 * The SDK clients the handlers get, configured as the emulator needs: path-style S3 and SQS calls
 * to the configured endpoint (not the queue URL's host). `instrument` sees each client before the
 * document client is built over `ddb` (the local cycle counts requests there).
 */
export function emulatorClients(
  target: EmulatorTarget = {},
  instrument: (client: object, service: string) => void = () => {},
): EmulatorClients {
  const ddb = new DynamoDBClient({ ...target });
  instrument(ddb, 'DynamoDB');
  const sqs = new SQSClient({ ...target, useQueueUrlAsEndpoint: false });
  instrument(sqs, 'SQS');
  const batch = new BatchClient({ ...target });
  instrument(batch, 'Batch');
  const secrets = new SecretsManagerClient({ ...target });
  instrument(secrets, 'SecretsManager');
  const s3 = new S3Client({ ...target, forcePathStyle: true });
  instrument(s3, 'S3');
  const doc = DynamoDBDocumentClient.from(ddb, { marshallOptions: { removeUndefinedValues: true } });
  return { ddb, doc, sqs, batch, s3, secrets };
}

/** Every resource of one local cycle; `hotkeySecret` is the validator's key as the stack's secret holds it. */
export async function makeLocalResources(
  clients: EmulatorClients,
  endpoint: string,
  prefix: string,
  options: { readonly hotkeySecret: string; readonly verificationVisibilityS: number },
): Promise<LocalResources> {
  const tables = await makeTables(clients.ddb, prefix);
  const queues = await makeQueues(clients.sqs, prefix);
  const jobs = await makeBatch(clients.batch, endpoint, prefix);
  const secretArn = await makeHotkeySecret(clients.secrets, prefix, options.hotkeySecret);
  const bucket = await makeBucket(clients.s3, `${prefix}-bundles`);
  const verification = await makeVerificationQueues(
    clients.sqs,
    `${prefix}-verification`,
    options.verificationVisibilityS,
  );
  return {
    tables,
    ...queues,
    ...jobs,
    secretArn,
    bucket,
    verificationQueueUrl: verification.queueUrl,
    verificationDlqUrl: verification.dlqUrl,
  };
}

export async function makeTables(ddb: DynamoDBClient, prefix: string): Promise<TableNames> {
  const names = tableNamesWithPrefix(prefix);
  await createTables(ddb, names);
  return names;
}

/** The challenge queue and its DLQ, with the stack's redrive and visibility settings. */
export async function makeQueues(
  sqs: SQSClient,
  prefix: string,
): Promise<{ queueUrl: string; dlqUrl: string }> {
  const dlq = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${prefix}-dlq`,
      Attributes: { MessageRetentionPeriod: String(CHALLENGE_QUEUE.dlqRetentionSeconds) },
    }),
  );
  const dlqUrl = dlq.QueueUrl ?? '';
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
  );
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${prefix}-challenges`,
      Attributes: {
        VisibilityTimeout: String(CHALLENGE_QUEUE.visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: attrs.Attributes?.QueueArn,
          maxReceiveCount: CHALLENGE_QUEUE.maxReceiveCount,
        }),
      },
    }),
  );
  return { queueUrl: queue.QueueUrl ?? '', dlqUrl };
}

/**
 * moto needs an IAM service role for a compute environment. The project has no IAM client
 * dependency, so this calls IAM's Query API directly; moto does not check the signature.
 */
async function createRole(endpoint: string, name: string): Promise<string> {
  const body = new URLSearchParams({
    Action: 'CreateRole',
    Version: '2010-05-08',
    RoleName: name,
    AssumeRolePolicyDocument: '{}',
  });
  const res = await fetch(`${endpoint}/`, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization:
        'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0',
    },
  });
  const arn = /<Arn>([^<]+)<\/Arn>/.exec(await res.text())?.[1];
  if (arn === undefined) throw new Error(`CreateRole on the emulator failed: HTTP ${res.status}`);
  return arn;
}

/** Job queue and job definition (with the stack's retry attempts) on an unmanaged compute environment. */
export async function makeBatch(
  batch: BatchClient,
  endpoint: string,
  prefix: string,
): Promise<{ jobQueue: string; jobDefinition: string }> {
  const serviceRole = await createRole(endpoint, `${prefix}-batch`);
  const ce = await batch.send(
    new CreateComputeEnvironmentCommand({
      computeEnvironmentName: `${prefix}-ce`,
      type: 'UNMANAGED',
      serviceRole,
    }),
  );
  const queue = await batch.send(
    new CreateJobQueueCommand({
      jobQueueName: `${prefix}-jq`,
      priority: 1,
      state: 'ENABLED',
      computeEnvironmentOrder: [{ order: 1, computeEnvironment: ce.computeEnvironmentArn }],
    }),
  );
  const def = await batch.send(
    new RegisterJobDefinitionCommand({
      jobDefinitionName: `${prefix}-jd`,
      type: 'container',
      containerProperties: { image: 'pog-validator:local', vcpus: 1, memory: 512 },
      retryStrategy: { attempts: VERIFIER_JOB.attempts },
    }),
  );
  return { jobQueue: queue.jobQueueArn ?? '', jobDefinition: def.jobDefinitionArn ?? '' };
}

/** Stores the hotkey secret like the stack's secret; returns its ARN. */
export async function makeHotkeySecret(
  secrets: SecretsManagerClient,
  prefix: string,
  hotkeySecret: string,
): Promise<string> {
  const out = await secrets.send(
    new CreateSecretCommand({ Name: `${prefix}-hotkey`, SecretString: hotkeySecret }),
  );
  return out.ARN ?? '';
}

/** A bucket called `name` in lower case (S3 allows no capitals); returns that name. */
export async function makeBucket(s3: S3Client, name: string): Promise<string> {
  const bucket = name.toLowerCase();
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

/**
 * A verification queue `name` and its DLQ `name-dlq`, the queue with a short visibility timeout so a
 * message a killed verifier received comes back within seconds.
 */
export async function makeVerificationQueues(
  sqs: SQSClient,
  name: string,
  visibilitySeconds: number,
): Promise<{ queueUrl: string; dlqUrl: string }> {
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: { VisibilityTimeout: String(visibilitySeconds) },
    }),
  );
  return { queueUrl: queue.QueueUrl ?? '', dlqUrl: dlq.QueueUrl ?? '' };
}
