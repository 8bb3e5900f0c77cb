import { buildSyncHandler } from '../../../functions/sync/handler.js';
import {
  type CycleAws,
  type CycleContext,
  LOCAL_FILTER,
  localMetrics,
  NETUID,
  scheduleContext,
  silentLogger,
} from './context.js';

/** Stage `sync`: the schedule's event through the real handler. Returns the challenges it enqueued. */
export async function runSyncStage(ctx: CycleContext, aws: CycleAws): Promise<number> {
  const syncHandler = buildSyncHandler({
    getDeps: async () => ({
      chain: await aws.connectChain(),
      sqs: aws.clients.sqs,
      queueUrl: aws.resources.queueUrl,
      ...aws.stores,
      verifier: {
        batch: aws.clients.batch,
        verificationQueueUrl: aws.resources.verificationQueueUrl,
        verifierJobQueue: aws.resources.jobQueue,
        verifierJobDefinition: aws.resources.jobDefinition,
      },
    }),
    options: {
      netuid: NETUID,
      ...LOCAL_FILTER,
      pogIntervalBlocks: 360,
      maxJitterSeconds: 0,
      roundTimeoutSeconds: 3600,
    },
    logger: silentLogger(),
    metrics: localMetrics(),
  });
  const sync = await ctx.clock.run(
    'sync',
    () => syncHandler({ source: 'aws.events', 'detail-type': 'Scheduled Event' }, scheduleContext),
    (r) => `${r.queryable} queryable of ${r.neurons}, round ${r.round.status}`,
  );
  return sync.round.status === 'started' ? sync.round.challenges : 0;
}
