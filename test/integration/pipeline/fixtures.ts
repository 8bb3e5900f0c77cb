import type { SQSRecord } from 'aws-lambda';
import { fakeLambdaContext } from '../../../harness/local/event-source.js';
import {
  type EmulatorClients,
  emulatorClients,
  makeBatch,
  makeQueues,
  makeTables,
} from '../../../harness/local/resources.js';
import type { QueryableOptions } from '../../../lib/pipeline/queryable.js';
import type { SyncDeps, SyncOptions } from '../../../lib/pipeline/sync.js';
import type { WeightsOptions } from '../../../lib/pipeline/weights.js';
import type {
  ChainPort,
  Metagraph,
  NeuronInfo,
  SubnetHyperparams,
  WeightSubmissionReceipt,
  WeightSubmissionRequest,
} from '../../../lib/ports.js';
import { CoordinationStore, MinerStore, PogResultStore, StatsStore } from '../../../lib/store/index.js';

const creds = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** SDK clients pinned to the test's moto endpoint, configured as the local cycle's. */
export function clients(endpoint: string): EmulatorClients {
  return emulatorClients({ endpoint, region: 'us-east-1', credentials: creds });
}

/** A unique prefix per test file and run, so suites sharing one moto never collide. */
export function uniquePrefix(name: string): string {
  return `${name}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

export {
  makeBatch,
  makeBucket,
  makeQueues,
  makeTables,
  makeVerificationQueues,
} from '../../../harness/local/resources.js';

/** What the worker runs against, named after `prefix`: the tables, the challenge queue (+DLQ), the verifier's Batch. */
export async function makeWorkerResources(c: EmulatorClients, endpoint: string, prefix: string) {
  const [tables, queues, batch] = await Promise.all([
    makeTables(c.ddb, prefix),
    makeQueues(c.sqs, prefix),
    makeBatch(c.batch, endpoint, prefix),
  ]);
  return { tables, queues, batch };
}

/**
 * A sync's deps on tables and queues of their own (named after `name`) on moto, the queue of challenges
 * as `queueUrl`; `random` fixes the round's jitter.
 */
export async function syncDepsOnMoto(
  c: ReturnType<typeof clients>,
  name: string,
  chain: ChainPort,
  random: () => number = () => 0,
): Promise<SyncDeps> {
  const prefix = uniquePrefix(name);
  const [t, q] = await Promise.all([makeTables(c.ddb, prefix), makeQueues(c.sqs, prefix)]);
  return {
    chain,
    sqs: c.sqs,
    queueUrl: q.queueUrl,
    miners: new MinerStore(c.doc, t.miners),
    pogResults: new PogResultStore(c.doc, t.pogResults),
    stats: new StatsStore(c.doc, t.stats),
    coordination: new CoordinationStore(c.doc, t.coordination),
    random,
  };
}

export function neuron(uid: number, overrides: Partial<NeuronInfo> = {}): NeuronInfo {
  return {
    uid,
    hotkey: `5Hotkey${String(uid).padStart(4, '0')}`,
    coldkey: `5Cold${String(uid).padStart(4, '0')}`,
    axon: { ip: `11.0.${Math.floor(uid / 250)}.${(uid % 250) + 1}`, port: 8091, version: 185 },
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

export const lambdaContext = fakeLambdaContext('test', () => 60_000, 'req-1');

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

/** Messages a queue holds, waiting, in flight or delayed (the tests count with the stack's own reader). */
export { messagesIn } from '../../../lib/queue/depth.js';

/** Queryable filter of the pipeline tests: no blacklist, no IP dedupe, minimum version 185. */
export const QUERYABLE_OPTIONS: QueryableOptions = {
  blacklistHotkeys: [],
  blacklistColdkeys: [],
  dedupeIps: false,
  minMinerVersion: 185,
  versionFilterThresholdPercent: 60,
};

/** Sync options of the pipeline tests: no jitter, the reference's 360-block rounds. */
export const SYNC_OPTIONS: SyncOptions = {
  netuid: 27,
  ...QUERYABLE_OPTIONS,
  pogIntervalBlocks: 360,
  maxJitterSeconds: 0,
  roundTimeoutSeconds: 3600,
};

/** Weight options of the pipeline tests: scores mode, a one-minute lock. */
export const WEIGHTS_OPTIONS: WeightsOptions = {
  netuid: 27,
  mode: 'scores',
  lockSeconds: 60,
  ...QUERYABLE_OPTIONS,
};
