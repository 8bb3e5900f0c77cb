import { describe, expect, it } from 'vitest';
import type { Log } from '../../../lib/log.js';
import { drainWithRowChecker, roundSessionsPending, VerifierLog } from '../../../lib/pipeline/verifier.js';
import { startRowChecker } from '../../../lib/pog/row-check-process.js';
import { makeTestBundle } from '../../helpers/bundles.js';
import { memoryDeps } from '../../helpers/verifier-memory.js';

/** One checker process per drain: drainWithRowChecker closes it at the end. */
const checker = () => startRowChecker({ python: 'python3', device: 'cpu', timeoutMs: 60_000 });

const POLL_MS = 20_000;

/**
 * A job over an in-memory queue whose empty receives each take a 20 s long poll on a fake clock, with
 * `lateAt` handing a bundle over at that receive (1-based). Records every receive's time and the logs.
 */
function job(options: { lateAt?: number; sessionsPending?: () => Promise<boolean> }) {
  const memory = memoryDeps([makeTestBundle({ hotkey: '5Early' })]);
  let now = 0;
  const receives: number[] = [];
  const logs: Array<{ level: string; message: string; fields: Record<string, unknown> }> = [];
  const record =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      logs.push({ level, message, fields });
  const log: Log = { info: record('info'), warn: record('warn'), error: record('error') };
  const deps = {
    ...memory.deps,
    log,
    now: () => now,
    ...(options.sessionsPending === undefined ? {} : { sessionsPending: options.sessionsPending }),
    queue: {
      ...memory.deps.queue,
      receive: async (max: number, wait: number) => {
        receives.push(now);
        if (receives.length === options.lateAt) memory.handOver(makeTestBundle({ hotkey: '5Late' }));
        const messages = await memory.deps.queue.receive(max, wait);
        if (messages.length === 0) now += POLL_MS;
        return messages;
      },
    },
  };
  const finished = () => logs.find((l) => l.message === VerifierLog.Finished)?.fields;
  return { deps, receives, logs, recorded: memory.recorded, finished };
}

const drain = { batchSize: 10, waitSeconds: 20, emptyPolls: 3, lingerSeconds: 120 };

describe('the verifier drain while PoG sessions may still hand bundles over', () => {
  it('ends at the first empty receive when no session is pending, whatever emptyPolls says', async () => {
    // Prepare
    const j = job({ sessionsPending: async () => false });
    // Act
    await drainWithRowChecker(checker(), j.deps, drain);
    // Assess
    expect(j.receives).toEqual([0, 0]);
    expect(j.recorded.map((r) => r.hotkey)).toEqual(['5Early']);
    expect(j.finished()).toMatchObject({ ended: 'no session pending', recorded: 1 });
  }, 60_000);

  it('keeps polling an empty queue for lingerSeconds while sessions are pending and verifies a late bundle', async () => {
    // Prepare: the late bundle comes at the fifth receive, 60 s after the first bundle (three empty polls)
    const lingering = job({ lateAt: 5, sessionsPending: async () => true });
    const without = job({ lateAt: 5 });
    // Act
    await drainWithRowChecker(checker(), lingering.deps, drain);
    await drainWithRowChecker(checker(), without.deps, drain);
    // Assess: the idle time restarts at the late bundle and the job ends 120 s after it; without the
    // counts the job had ended after its three empty polls, leaving the late bundle to a new job
    expect(lingering.recorded.map((r) => r.hotkey)).toEqual(['5Early', '5Late']);
    expect(lingering.receives).toEqual([
      0, 0, 20_000, 40_000, 60_000, 60_000, 80_000, 100_000, 120_000, 140_000, 160_000,
    ]);
    expect(lingering.finished()).toMatchObject({ ended: 'idle', idleSeconds: 120, recorded: 2 });
    expect(without.recorded.map((r) => r.hotkey)).toEqual(['5Early']);
    expect(without.receives).toHaveLength(4);
    expect(without.finished()).toMatchObject({ ended: 'idle', idleSeconds: 60 });
  }, 60_000);

  it('ends after its empty polls, and says why, when the counts cannot be read', async () => {
    // Prepare
    const j = job({
      sessionsPending: () => Promise.reject(new Error('SQS throttled')),
    });
    // Act
    await drainWithRowChecker(checker(), j.deps, drain);
    // Assess
    expect(j.receives).toHaveLength(4);
    expect(j.logs.filter((l) => l.message === VerifierLog.PendingUnknown)).toHaveLength(3);
    expect(j.logs.find((l) => l.message === VerifierLog.PendingUnknown)).toMatchObject({
      level: 'warn',
      fields: { error: 'SQS throttled' },
    });
    expect(j.finished()).toMatchObject({ ended: 'idle' });
  }, 60_000);
});

describe('roundSessionsPending', () => {
  it("is true only while the round's sessions may run and the challenge queue holds messages", async () => {
    // Prepare: the round's sessions may hand bundles over until t = 1 s (1 000 ms)
    let now = 0;
    let held = 2;
    let looks = 0;
    const count = async () => {
      looks++;
      return held;
    };
    const pending = roundSessionsPending(count, 1, () => now);
    const unbounded = roundSessionsPending(count, undefined, () => now);
    // Act
    const before = await pending();
    held = 0;
    const emptied = await pending();
    held = 2;
    now = 1_000;
    const after = await pending();
    const looksBefore = looks;
    const withoutWindow = await unbounded();
    // Assess: past the window, or with no window, the queue is not even read
    expect([before, emptied, after, withoutWindow]).toEqual([true, false, false, false]);
    expect(looksBefore).toBe(2);
    expect(looks).toBe(2);
  });
});
