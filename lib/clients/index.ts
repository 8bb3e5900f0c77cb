import { BatchClient } from '@aws-sdk/client-batch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * AWS clients, built once per container. Endpoints come only from `AWS_ENDPOINT_URL*` (which the
 * SDK reads itself), so the same code runs on moto, LocalStack and AWS (local-aws.md §5).
 */
function endpointOverride(service: string, env: NodeJS.ProcessEnv): string | undefined {
  return env[`AWS_ENDPOINT_URL_${service}`] ?? env.AWS_ENDPOINT_URL;
}

export function createDynamoDocumentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/**
 * The SQS client follows a QueueUrl's host by default, which sends emulator traffic to real AWS
 * when a URL came from a template; with an override set, pin requests to the endpoint.
 */
export function createSqsClient(env: NodeJS.ProcessEnv = process.env): SQSClient {
  return new SQSClient(endpointOverride('SQS', env) !== undefined ? { useQueueUrlAsEndpoint: false } : {});
}

export function createBatchClient(): BatchClient {
  return new BatchClient({});
}

export function createSecretsClient(): SecretsManagerClient {
  return new SecretsManagerClient({});
}
