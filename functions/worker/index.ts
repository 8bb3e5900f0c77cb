import { createBatchClient, createDynamoDocumentClient } from '../../lib/clients/index.js';
import { loadEnv, WorkerEnvSchema } from '../../lib/config/env.js';
import { createLogger, createMetrics } from '../../lib/observability/index.js';
import { LockStore } from '../../lib/store/locks.js';
import { buildWorkerHandler } from './handler.js';

const env = loadEnv(WorkerEnvSchema);

export const handler = buildWorkerHandler({
  deps: {
    batch: createBatchClient(),
    locks: new LockStore(createDynamoDocumentClient(), env.TABLE_LOCKS),
    jobQueue: env.JOB_QUEUE,
    jobDefinition: env.JOB_DEFINITION,
  },
  concurrency: env.WORKER_CONCURRENCY,
  logger: createLogger('worker'),
  metrics: createMetrics('worker'),
});
