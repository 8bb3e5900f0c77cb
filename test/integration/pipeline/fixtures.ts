import {
  BatchClient,
  CreateComputeEnvironmentCommand,
  CreateJobQueueCommand,
  RegisterJobDefinitionCommand,
} from '@aws-sdk/client-batch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ChangeMessageVisibilityBatchCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type {
  ChainPort,
  Metagraph,
  NeuronInfo,
  SubnetHyperparams,
  WeightSubmissionReceipt,
  WeightSubmissionRequest,
} from '../../../lib/ports.js';
import { createTables, type TableNames, tableNamesWithPrefix } from '../../../lib/store/tables.js';

const creds = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** SDK clients pinned to the test's moto endpoint. */
export function clients(endpoint: string) {
  const ddb = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: creds });
  return {
    ddb,
    doc: DynamoDBDocumentClient.from(ddb, { marshallOptions: { removeUndefinedValues: true } }),
    sqs: new SQSClient({ endpoint, region: 'us-east-1', credentials: creds, useQueueUrlAsEndpoint: false }),
    batch: new BatchClient({ endpoint, region: 'us-east-1', credentials: creds }),
  };
}

/** A unique prefix per test file and run, so suites sharing one moto never collide. */
export function uniquePrefix(name: string): string {
  return `${name}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

export async function makeTables(ddb: DynamoDBClient, prefix: string): Promise<TableNames> {
  const names = tableNamesWithPrefix(prefix);
  await createTables(ddb, names);
  return names;
}

/** Challenge queue + DLQ like the stack's (maxReceiveCount 3). */
export async function makeQueues(
  sqs: SQSClient,
  prefix: string,
): Promise<{ queueUrl: string; dlqUrl: string }> {
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-dlq` }));
  const dlqUrl = dlq.QueueUrl ?? '';
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
  );
  const q = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${prefix}-challenges`,
      Attributes: {
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: attrs.Attributes?.QueueArn,
          maxReceiveCount: 3,
        }),
      },
    }),
  );
  return { queueUrl: q.QueueUrl ?? '', dlqUrl };
}

/** moto needs an IAM service role for a compute environment; no IAM client is a dependency, so sign-free Query API. */
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
  if (arn === undefined) throw new Error(`moto CreateRole failed: ${res.status}`);
  return arn;
}

/** Job queue + job definition on moto (jobs go straight to SUCCEEDED with use_docker=false). */
export async function makeBatch(batch: BatchClient, endpoint: string, prefix: string) {
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
      containerProperties: { image: 'pog-validator:test', vcpus: 1, memory: 512 },
      retryStrategy: { attempts: 3 },
    }),
  );
  return { jobQueue: queue.jobQueueArn ?? '', jobDefinition: def.jobDefinitionArn ?? '' };
}

export function neuron(uid: number, overrides: Partial<NeuronInfo> = {}): NeuronInfo {
  return {
    uid,
    hotkey: `5Hotkey${String(uid).padStart(4, '0')}`,
    coldkey: `5Cold${String(uid).padStart(4, '0')}`,
    axon: { ip: `10.0.${Math.floor(uid / 250)}.${(uid % 250) + 1}`, port: 8091, version: 185 },
    stake: 0,
    validatorPermit: false,
    active: true,
    lastUpdate: 0,
    ...overrides,
  };
}

export const HYPERPARAMS: SubnetHyperparams = {
  tempo: 360,
  weightsRateLimit: 100,
  weightsVersionKey: 0,
  minAllowedWeights: 1,
  maxWeightsLimit: 65_535,
  commitRevealEnabled: false,
  revealPeriodEpochs: 1,
  commitRevealVersion: 4,
};

/** An in-test ChainPort stub: serves a mutable metagraph and records submissions. */
export class StubChain implements ChainPort {
  readonly submissions: WeightSubmissionRequest[] = [];
  constructor(
    public metagraphValue: Metagraph,
    public params: SubnetHyperparams = HYPERPARAMS,
    public ownerUid: number | null = 0,
  ) {}
  async currentBlock(): Promise<number> {
    return this.metagraphValue.block;
  }
  async metagraph(): Promise<Metagraph> {
    return this.metagraphValue;
  }
  async hyperparams(): Promise<SubnetHyperparams> {
    return this.params;
  }
  async burnUid(): Promise<number | null> {
    return this.ownerUid;
  }
  async submitWeights(request: WeightSubmissionRequest): Promise<WeightSubmissionReceipt> {
    this.submissions.push(request);
    const block = this.metagraphValue.block + 1;
    return {
      kind: 'set',
      call: 'SubtensorModule.set_weights',
      blockHash: `0x${block.toString(16).padStart(64, '0')}`,
      blockNumber: block,
      extrinsicHash: `0x${this.submissions.length.toString(16).padStart(64, 'a')}`,
      uids: request.uids,
      weights: request.weights,
      versionKey: request.versionKey ?? this.params.weightsVersionKey,
    };
  }
  async close(): Promise<void> {}
}

export function metagraph(
  n: number,
  block: number,
  overrides: (uid: number) => Partial<NeuronInfo> = () => ({}),
): Metagraph {
  return { netuid: 27, block, neurons: Array.from({ length: n }, (_, uid) => neuron(uid, overrides(uid))) };
}

export const lambdaContext = {
  functionName: 'test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:test',
  memoryLimitInMB: '512',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/test',
  logStreamName: 'stream',
  callbackWaitsForEmptyEventLoop: false,
  getRemainingTimeInMillis: () => 60_000,
  done: () => {},
  fail: () => {},
  succeed: () => {},
} as unknown as Context;

export function sqsRecord(messageId: string, body: string): SQSRecord {
  return {
    messageId,
    receiptHandle: messageId,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 'x',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:q',
    awsRegion: 'us-east-1',
  };
}

/**
 * Plays the Lambda SQS event source against a real queue: receive up to 10, invoke the handler,
 * delete what succeeded, make failures visible again at once (instead of waiting out the timeout),
 * until the queue is empty. moto moves a message to the DLQ on the receive past maxReceiveCount.
 */
export async function drainThroughHandler(
  sqs: SQSClient,
  queueUrl: string,
  handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>,
  options: { readonly lanes?: number; readonly maxRounds?: number } = {},
): Promise<{ invocations: number; reported: number }> {
  let invocations = 0;
  let reported = 0;
  // several lanes play the event source's concurrent pollers
  const lane = async (): Promise<void> => {
    for (let round = 0; round < (options.maxRounds ?? 200); round++) {
      const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
      const messages = out.Messages ?? [];
      if (messages.length === 0) break;
      const event: SQSEvent = { Records: messages.map((m) => sqsRecord(m.MessageId ?? '', m.Body ?? '')) };
      const response = await handler(event, lambdaContext);
      invocations++;
      const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      reported += failed.size;
      const ok = messages.filter((m) => !failed.has(m.MessageId ?? ''));
      const bad = messages.filter((m) => failed.has(m.MessageId ?? ''));
      if (ok.length > 0) {
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: ok.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
          }),
        );
      }
      if (bad.length > 0) {
        await sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: bad.map((m, i) => ({
              Id: String(i),
              ReceiptHandle: m.ReceiptHandle ?? '',
              VisibilityTimeout: 0,
            })),
          }),
        );
      }
    }
  };
  await Promise.all(Array.from({ length: options.lanes ?? 1 }, lane));
  return { invocations, reported };
}

export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  const a = out.Attributes ?? {};
  return (
    Number(a.ApproximateNumberOfMessages ?? 0) +
    Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(a.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}
