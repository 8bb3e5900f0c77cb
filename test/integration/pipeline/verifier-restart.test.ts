import { DescribeJobsCommand, ListJobsCommand } from '@aws-sdk/client-batch';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, inject, it, vi } from 'vitest';
import { buildSyncHandler } from '../../../functions/sync/handler.js';
import { MetricName } from '../../../lib/observability/index.js';
import { runSync, type SyncDeps } from '../../../lib/pipeline/sync.js';
import { startVerifier } from '../../../lib/pipeline/verifier-start.js';
import { verifierClaimKey } from '../../../lib/store/coordination.js';
import {
  clients,
  lambdaContext,
  makeBatch,
  makeVerificationQueues,
  metagraph,
  StubChain,
  SYNC_OPTIONS,
  syncDepsOnMoto,
  uniquePrefix,
} from './fixtures.js';
import { failingBatchMoto, quietObservability } from './helpers.js';

const ROUND = '27-2000';

/**
 * The sync tick's look at the verification queue: bundles that wait with no verifier at work (its job
 * failed after the round's last hand-over) get one, under the latest round's claim.
 */
describe('Sync on moto: bundles waiting with no verifier at work', () => {
  const endpoint = inject('motoEndpoint');
  const c = clients(endpoint);

  /** A sync with its own tables, challenge and verification queues, and a Batch job queue on `batchAt`. */
  const newSync = async (name: string, batchAt: string = endpoint) => {
    const bc = clients(batchAt);
    const prefix = uniquePrefix(name);
    const [deps, verification, jobs] = await Promise.all([
      syncDepsOnMoto(c, name, new StubChain(metagraph(4, 2_000))),
      makeVerificationQueues(c.sqs, `${prefix}-verify`, 60),
      makeBatch(bc.batch, batchAt, prefix),
    ]);
    const withVerifier: SyncDeps = {
      ...deps,
      verifier: {
        batch: bc.batch,
        verificationQueueUrl: verification.queueUrl,
        verifierJobQueue: jobs.jobQueue,
        verifierJobDefinition: jobs.jobDefinition,
      },
    };
    const jobsIn = async (status: 'FAILED') =>
      (
        await bc.batch.send(new ListJobsCommand({ jobQueue: jobs.jobQueue, jobStatus: status }))
      ).jobSummaryList?.map((j) => j.jobId ?? '') ?? [];
    const allJobs = async () =>
      (
        await Promise.all(
          (['SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING', 'RUNNING', 'SUCCEEDED', 'FAILED'] as const).map(
            (s) => bc.batch.send(new ListJobsCommand({ jobQueue: jobs.jobQueue, jobStatus: s })),
          ),
        )
      ).flatMap((o) => o.jobSummaryList ?? []);
    const bundleWaits = () =>
      c.sqs.send(new SendMessageCommand({ QueueUrl: verification.queueUrl, MessageBody: '{"bundle":1}' }));
    return { deps: withVerifier, verification, jobsIn, allJobs, bundleWaits };
  };

  it('does nothing while no bundle waits, and reports it', async () => {
    // Prepare
    const s = await newSync('idle');
    // Act
    const tick = await runSync(s.deps, SYNC_OPTIONS);
    // Assess
    expect(tick.round).toMatchObject({ status: 'started', roundId: ROUND });
    expect(tick.verifier).toEqual({ status: 'idle' });
    expect(await s.allJobs()).toEqual([]);
  });

  it('leaves the queue to a verifier that holds messages, and to a claim whose submit is under way', async () => {
    // Prepare: one tick starts the round; then a bundle is taken by a verifier (in flight)
    const s = await newSync('working');
    await runSync(s.deps, SYNC_OPTIONS);
    await s.bundleWaits();
    await s.bundleWaits();
    await c.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: s.verification.queueUrl, MaxNumberOfMessages: 1 }),
    );
    // Act
    const working = await runSync(s.deps, SYNC_OPTIONS);
    // Prepare: the same with nothing in flight, but the round's claim held by a SubmitJob under way
    const other = await newSync('pending');
    await runSync(other.deps, SYNC_OPTIONS);
    await other.bundleWaits();
    await other.deps.coordination.claim(verifierClaimKey(ROUND), 3600, 120);
    // Act
    const pending = await runSync(other.deps, SYNC_OPTIONS);
    // Assess
    expect(working.round).toEqual({ status: 'running', roundId: ROUND });
    expect(working.verifier).toEqual({ status: 'working', waiting: 1, inFlight: 1 });
    expect(pending.verifier).toEqual({ status: 'pending', waiting: 1 });
    expect([...(await s.allJobs()), ...(await other.allJobs())]).toEqual([]);
  });

  it('reports a failed look at the queue without losing the round it started', async () => {
    // Prepare: the verification queue does not exist
    const s = await newSync('broken');
    const deps: SyncDeps = {
      ...s.deps,
      verifier: {
        ...(s.deps.verifier as NonNullable<SyncDeps['verifier']>),
        verificationQueueUrl: `${endpoint}/123456789012/nope`,
      },
    };
    // Act
    const tick = await runSync(deps, SYNC_OPTIONS);
    // Assess
    expect(tick.round).toMatchObject({ status: 'started', roundId: ROUND });
    expect(tick.verifier?.status).toBe('error');
    expect(await s.deps.coordination.round(27)).toMatchObject({ roundId: ROUND, expected: 4 });
  });

  describe("a verifier job that failed after the round's last hand-over (Batch on a moto whose jobs fail)", () => {
    const failing = failingBatchMoto();

    it("starts one new job under the round's claim at the next tick, and counts it", async () => {
      // Prepare: the round runs; its last hand-over started a verifier, which failed; its bundle waits
      const s = await newSync('failed', failing.endpoint());
      await runSync(s.deps, SYNC_OPTIONS);
      const starter = {
        ...(s.deps.verifier as NonNullable<SyncDeps['verifier']>),
        coordination: s.deps.coordination,
      };
      const first = await startVerifier(starter, ROUND);
      await s.bundleWaits();
      // every miner counted (the round is over, the next not yet due): no hand-over would start one
      for (let i = 0; i < 4; i++) await s.deps.coordination.markRoundProgress(27, ROUND);
      const { logger, metrics } = quietObservability();
      const counted = vi.spyOn(metrics, 'addMetric');
      const handler = buildSyncHandler({
        getDeps: async () => s.deps,
        options: SYNC_OPTIONS,
        logger,
        metrics,
      });
      // Act
      const tick = await handler({}, lambdaContext);
      // Assess
      expect(counted).toHaveBeenCalledWith(MetricName.VerifierRestarts, 'Count', 1);
      const failed = await s.jobsIn('FAILED');
      expect(first).not.toBeNull();
      expect(tick.round.status).toBe('not-due');
      expect(tick.verifier).toMatchObject({ status: 'started', waiting: 1 });
      const started = tick.verifier?.status === 'started' ? tick.verifier.jobId : '';
      expect(started).not.toBe(first);
      expect(new Set([...failed, ...(await s.allJobs()).map((j) => j.jobId)])).toEqual(
        new Set([first, started]),
      );
      expect(await s.deps.coordination.claimRef(verifierClaimKey(ROUND))).toBe(started);
      // untagged: a tagged SubmitJob would also need batch:TagResource, which the starters lack; the
      // job's name carries the round
      const described = await clients(failing.endpoint()).batch.send(
        new DescribeJobsCommand({ jobs: [started] }),
      );
      expect(described.jobs?.[0]).toMatchObject({ jobName: `pog-verify-${ROUND}` });
      expect(described.jobs?.[0]?.tags ?? {}).toEqual({});
    }, 120_000);
  });
});
