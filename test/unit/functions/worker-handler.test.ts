import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSRecord } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildWorkerHandler } from '../../../functions/worker/handler.js';
import type { WorkerDeps } from '../../../lib/pipeline/worker.js';
import { encodeChallenge } from '../../../lib/queue/challenge.js';

const context = {
  functionName: 'worker',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

const recordOf = (messageId: string, body: string) =>
  ({
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {},
    eventSource: 'aws:sqs',
  }) as SQSRecord;

/** The JSON lines the logger writes while `act` runs. */
async function linesOf(act: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
  const chunks: string[] = [];
  const capture = (chunk: string | Uint8Array) => chunks.push(String(chunk)) > 0;
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  await act();
  vi.restoreAllMocks();
  return chunks
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => typeof line.message === 'string');
}

/** A valid challenge body: round r-9, uid 12. */
const body = encodeChallenge({
  netuid: 27,
  roundId: 'r-9',
  uid: 12,
  hotkey: '5MinerHotkey',
  axon: { ip: '8.8.4.4', port: 8091, version: 1 },
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Function: buildWorkerHandler()', () => {
  it("puts the challenge's round, uid and hotkey on its record's lines, and takes them off after", async () => {
    // Prepare
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    const logger = new Logger({ serviceName: 'worker-test', logLevel: 'INFO' });
    // a result already recorded: the record ends without a session
    const deps = {
      outcomes: { attemptState: async () => ({ state: 'final' }) },
      // the refused body is dead-lettered
      sqs: { send: async () => ({}) },
    } as unknown as WorkerDeps;
    const handler = buildWorkerHandler({ deps, logger, metrics: new Metrics({ namespace: 'Test' }) });
    // Act
    const lines = await linesOf(async () => {
      await handler({ Records: [recordOf('m-1', body)] }, context);
      await handler({ Records: [recordOf('m-2', 'not a challenge')] }, context);
    });
    // Assess
    const processed = lines.find((l) => l.message === 'challenge processed');
    const refused = lines.find((l) => l.message === 'challenge refused, dead-lettered');
    expect(processed).toMatchObject({ roundId: 'r-9', uid: 12, hotkey: '5MinerHotkey' });
    expect(refused).toMatchObject({ messageId: 'm-2' });
    expect(refused).not.toHaveProperty('hotkey');
    expect(refused).not.toHaveProperty('roundId');
  });

  it("records each attempt's wait on the miner as MinerWaitSeconds, and none for a record without a session", async () => {
    // Prepare
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    const metrics = new Metrics({ namespace: 'Test' });
    const added = vi.spyOn(metrics, 'addMetric');
    const deps = {
      runner: {
        attempt: async () => ({
          kind: 'miner-fault',
          reason: 'payload exited with status 1',
          durationMs: 3_000,
          minerMs: 2_500,
        }),
      },
      outcomes: {
        attemptState: async () => undefined,
        beginAttempt: async () => ({ kind: 'begun', attempt: 1 }),
        noteFault: async () => {},
      },
      // the retry's visibility change, and the refused body's dead letter
      sqs: { send: async () => ({}) },
      retryLimit: 3,
      retryIntervalS: 60,
    } as unknown as WorkerDeps;
    const handler = buildWorkerHandler({
      deps,
      logger: new Logger({ serviceName: 'worker-test', logLevel: 'ERROR' }),
      metrics,
    });
    // Act
    const retried = await handler({ Records: [recordOf('m-1', body)] }, context);
    await handler({ Records: [recordOf('m-2', 'not a challenge')] }, context);
    // Assess
    expect(retried.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    const waits = added.mock.calls.filter(([name]) => name === 'MinerWaitSeconds');
    expect(waits).toEqual([['MinerWaitSeconds', 'Seconds', 2.5]]);
  });
});
