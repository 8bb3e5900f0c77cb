import { describe, expect, it } from 'vitest';
import { drainWithRowChecker, type RowCheckService, VerifierLog } from '../../../lib/pipeline/verifier.js';
import { startRowChecker } from '../../../lib/pog/row-check-process.js';
import { makeTestBundle } from '../../helpers/bundles.js';
import { logTo } from '../../helpers/log.js';
import { memoryDeps } from '../../helpers/verifier-memory.js';

const drain = { batchSize: 10, waitSeconds: 0, emptyPolls: 1 };
const H100 = 'NVIDIA H100 80GB HBM3';

/** The memory deps of `hotkeys`' honest bundles, with the log lines kept. */
function setUp(hotkeys: string[], mode: 'enforce' | 'report' = 'enforce') {
  const memory = memoryDeps(hotkeys.map((hotkey) => makeTestBundle({ hotkey })));
  const logs: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const deps = {
    ...memory.deps,
    mode,
    log: logTo((level, message, fields) => logs.push({ level, message, fields })),
  };
  return { ...memory, deps, logs };
}

describe('the row checker self-test (enforce mode)', () => {
  it('calls a bundle that crashed the checker poison when the restarted checker passes the known-honest bundle', async () => {
    // Prepare: the real checker, killed just before the first bundle reaches it
    const { deps, recorded, deleted, deadLettered } = setUp(['5Crash', '5After']);
    const checker = startRowChecker({ python: 'python3', device: 'cpu', timeoutMs: 60_000 });
    let killed = false;
    const crashing: RowCheckService = {
      check: (file) => {
        if (!killed) {
          killed = true;
          process.kill(checker.pid as number, 'SIGKILL');
        }
        return checker.check(file);
      },
      close: () => checker.close(),
    };
    // Act
    const summary = await drainWithRowChecker(crashing, deps, drain);
    // Assess
    expect(summary).toMatchObject({ processed: 2, poison: 1, recorded: 1, checkerFault: false });
    expect(recorded.map((r) => [r.hotkey, r.gpuName])).toEqual([
      ['5Crash', null],
      ['5After', H100],
    ]);
    expect(recorded[0]?.error).toMatch(
      /^invalid proof bundle: row checker died mid-request \(signal SIGKILL\)/,
    );
    expect(deadLettered).toHaveLength(1);
    expect(deleted).toEqual(['r0', 'r1']);
    expect(checker.started).toBe(2);
  }, 60_000);

  it('blames the checker when it fails the self-test too: no row, no DLQ message, the drain stops', async () => {
    // Prepare: an interpreter that dies at once, as on a host whose GPU is gone
    const { deps, recorded, deleted, deadLettered, logs } = setUp(['5First', '5Second']);
    const checker = startRowChecker({ python: 'false', device: 'cpu', timeoutMs: 60_000 });
    // Act
    const summary = await drainWithRowChecker(checker, deps, drain);
    // Assess: the first bundle waits for redelivery; the second was never taken up
    expect(summary).toMatchObject({ processed: 1, retried: 1, poison: 0, recorded: 0, checkerFault: true });
    expect(recorded).toEqual([]);
    expect(deleted).toEqual([]);
    expect(deadLettered).toEqual([]);
    const fault = logs.find((l) => l.message === VerifierLog.CheckerFault);
    expect(fault?.level).toBe('error');
    expect(fault?.fields).toMatchObject({
      hotkey: '5First',
      reason: expect.stringMatching(
        /^row checker failed its self-test after: row checker died mid-request \(code 1\)/,
      ),
    });
    expect(logs.find((l) => l.message === VerifierLog.Finished)?.fields).toMatchObject({
      ended: 'checker fault',
    });
  }, 60_000);

  it('never records a bundle against a checker that was closed, in either mode', async () => {
    for (const mode of ['enforce', 'report'] as const) {
      // Prepare
      const { deps, recorded, deleted } = setUp(['5Closed'], mode);
      const checker = startRowChecker({ python: 'python3', device: 'cpu', timeoutMs: 60_000 });
      await checker.close();
      // Act
      const summary = await drainWithRowChecker(checker, deps, drain);
      // Assess
      expect(summary).toMatchObject({ processed: 1, retried: 1, checkerFault: true });
      expect(recorded).toEqual([]);
      expect(deleted).toEqual([]);
    }
  }, 60_000);

  it('runs no self-test in report mode: a failing checker leaves the sampled verdict standing', async () => {
    // Prepare
    const { deps, recorded, logs } = setUp(['5Report'], 'report');
    const checker = startRowChecker({ python: 'false', device: 'cpu', timeoutMs: 60_000 });
    // Act
    const summary = await drainWithRowChecker(checker, deps, drain);
    // Assess
    expect(summary).toMatchObject({ processed: 1, recorded: 1, checkerFault: false });
    expect(recorded.map((r) => [r.hotkey, r.gpuName, r.entriesChecked])).toEqual([['5Report', H100, 0]]);
    expect(logs.some((l) => l.message === VerifierLog.CheckerFault)).toBe(false);
  }, 60_000);
});
