import { silentLog } from '../../lib/log.js';
import type { QueueMessage, VerificationQueuePort } from '../../lib/queue/verification.js';
import type { VerifiedOutcome } from '../../lib/store/final-results.js';
import type { makeTestBundle } from './bundles.js';

/** An in-memory queue holding `bundles` (one receive returns them all) and the bytes behind them. */
export function memoryDeps(bundles: ReturnType<typeof makeTestBundle>[]) {
  const store = new Map(bundles.map((b) => [b.key, b.bytes]));
  let waiting: QueueMessage[] = bundles.map((b, k) => ({
    body: JSON.stringify(b.message),
    receiptHandle: `r${k}`,
  }));
  const deleted: string[] = [];
  const recorded: VerifiedOutcome[] = [];
  const deadLettered: string[] = [];
  const queue: VerificationQueuePort = {
    receive: async () => {
      const out = waiting;
      waiting = [];
      return out;
    },
    delete: async (handle) => {
      deleted.push(handle);
    },
    deadLetter: async (body) => {
      deadLettered.push(body);
    },
  };
  /** A hand-over while the job runs: the bundle lands in S3 and its message in the queue. */
  const handOver = (b: ReturnType<typeof makeTestBundle>) => {
    store.set(b.key, b.bytes);
    waiting = [...waiting, { body: JSON.stringify(b.message), receiptHandle: `late-${b.key}` }];
  };
  return {
    handOver,
    deleted,
    recorded,
    deadLettered,
    deps: {
      queue,
      bundles: {
        get: async (key: string) => {
          const bytes = store.get(key);
          if (bytes === undefined) throw new Error(`no bundle ${key}`);
          return bytes;
        },
      },
      results: {
        recordFinal: async (outcome: VerifiedOutcome) => {
          recorded.push(outcome);
          return 'recorded' as const;
        },
      },
      mode: 'enforce' as const,
      log: silentLog,
    },
  };
}
