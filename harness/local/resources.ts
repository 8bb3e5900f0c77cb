import {
  type BatchClient,
  CreateComputeEnvironmentCommand,
  CreateJobQueueCommand,
  RegisterJobDefinitionCommand,
} from '@aws-sdk/client-batch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { VERIFIER_JOB } from '../../infra/verifier.js';
import { CHALLENGE_QUEUE } from '../../lib/queue/challenge.js';
import { createTables, type TableNames, tableNamesWithPrefix } from '../../lib/store/tables.js';

/**
 * Emulator-side resources of one local cycle, made from the same definitions the CDK stack uses
 * (table key schemas, queue settings). Names carry a prefix so runs and test files never collide.
 */
export interface LocalResources {
  readonly tables: TableNames;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly jobQueue: string;
  readonly jobDefinition: string;
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
