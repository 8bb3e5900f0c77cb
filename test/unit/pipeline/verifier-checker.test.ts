import { describe, expect, it } from 'vitest';
import { drainWithRowChecker, type RowCheckService } from '../../../lib/pipeline/verifier.js';
import { startRowChecker } from '../../../lib/pog/row-check-process.js';
import { makeTestBundle, oneWrongEntryPerRow } from '../../helpers/bundles.js';
import { memoryDeps } from '../../helpers/verifier-memory.js';

const drain = { batchSize: 10, waitSeconds: 0, emptyPolls: 1 };

describe('drainWithRowChecker', () => {
  it('verifies every bundle of the drain with one checker process and closes it at the end', async () => {
    // Prepare
    const bundles = [
      makeTestBundle({ hotkey: '5A' }),
      makeTestBundle({ hotkey: '5B', cheat: oneWrongEntryPerRow }),
      makeTestBundle({ hotkey: '5C', gpus: 2 }),
    ];
    const { deps, recorded, deleted } = memoryDeps(bundles);
    const checker = startRowChecker({ python: 'python3', device: 'cpu', timeoutMs: 60_000 });
    const pid = checker.pid as number;
    // Act
    const summary = await drainWithRowChecker(checker, deps, drain);
    // Assess
    expect(summary).toMatchObject({ processed: 3, recorded: 3, retried: 0 });
    expect(recorded.map((r) => [r.hotkey, r.gpuName, r.entriesChecked])).toEqual([
      ['5A', 'NVIDIA H100 80GB HBM3', 3 * 32],
      ['5B', null, 3 * 32],
      ['5C', 'NVIDIA H100 80GB HBM3', 2 * 3 * 32],
    ]);
    expect(deleted).toEqual(['r0', 'r1', 'r2']);
    expect(checker.started).toBe(1);
    expect(() => process.kill(pid, 0)).toThrow();
  }, 60_000);

  it('closes the checker when the drain throws, and passes the error on', async () => {
    // Prepare
    const { deps } = memoryDeps([]);
    const failing = {
      ...deps,
      queue: {
        ...deps.queue,
        receive: async () => {
          throw new Error('SQS unreachable');
        },
      },
    };
    let closes = 0;
    const checker: RowCheckService = {
      check: () => Promise.reject(new Error('not called')),
      close: async () => {
        closes++;
      },
    };
    // Act
    const run = drainWithRowChecker(checker, failing, drain);
    // Assess
    await expect(run).rejects.toThrow('SQS unreachable');
    expect(closes).toBe(1);
  });

  it("drops the round's claim when drained, then receives a bundle handed over while the claim stood", async () => {
    // Prepare: one bundle at the start; a second arrives after the first drain ran dry, before the
    // release (its worker found the claim still taken and started no job)
    const { deps, recorded, handOver } = memoryDeps([makeTestBundle({ hotkey: '5Early' })]);
    const events: string[] = [];
    const claim = {
      release: async () => {
        handOver(makeTestBundle({ hotkey: '5Late' }));
        events.push('released');
      },
    };
    const checker = startRowChecker({ python: 'python3', device: 'cpu', timeoutMs: 60_000 });
    // Act
    const summary = await drainWithRowChecker(checker, deps, drain, claim);
    // Assess
    expect(events).toEqual(['released']);
    expect(recorded.map((r) => r.hotkey)).toEqual(['5Early', '5Late']);
    expect(summary).toMatchObject({ processed: 2, recorded: 2 });
  }, 60_000);

  it('drops the claim also when stopped (SIGTERM), without a last drain', async () => {
    // Prepare
    const { deps } = memoryDeps([]);
    const stop = new AbortController();
    stop.abort();
    let releases = 0;
    let receives = 0;
    const counting = {
      ...deps,
      queue: {
        ...deps.queue,
        receive: async () => {
          receives++;
          return [];
        },
      },
    };
    const checker: RowCheckService = {
      check: () => Promise.reject(new Error('not called')),
      close: async () => {},
    };
    // Act
    await drainWithRowChecker(
      checker,
      counting,
      { ...drain, signal: stop.signal },
      {
        release: async () => {
          releases++;
        },
      },
    );
    // Assess
    expect(releases).toBe(1);
    expect(receives).toBe(0);
  });
});
