import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostileScript, type HostileWorld, startHostileWorld } from '../../helpers/hostile-miner.js';

const CHILD = fileURLToPath(new URL('../../helpers/one-attempt.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The socket grace of lib/pog/ssh.ts (1 s) plus process teardown on a loaded machine. */
const EXIT_WITHIN_MS = 5000;

/** Runs one attempt in a child process; how long it lived after printing its outcome (null: killed). */
function attemptInChild(port: number, dir: string, killAfterMs: number) {
  return new Promise<{ outcome: { kind: string; reason: string } | null; lingerMs: number | null }>(
    (resolve) => {
      // node itself with the tsx loader (the tsx CLI would put a second process between us and the attempt)
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, String(port), dir], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      let text = '';
      let printedAt: number | null = null;
      let killed = false;
      child.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        if (printedAt === null && text.includes('\n')) {
          printedAt = performance.now();
          setTimeout(() => {
            killed = child.exitCode === null && child.kill('SIGKILL');
          }, killAfterMs).unref();
        }
      });
      child.once('close', () => {
        const line = text.split('\n')[0] ?? '';
        resolve({
          outcome: line === '' ? null : (JSON.parse(line) as { kind: string; reason: string }),
          lingerMs: killed || printedAt === null ? null : Math.round(performance.now() - printedAt),
        });
      });
    },
  );
}

describe('a PoG process ends once its outcome is known, whatever the miner does with its sockets (issue 12 item 8)', () => {
  let world: HostileWorld;
  beforeAll(async () => {
    const python = execFileSync('python3', ['-c', 'import sys, numpy; print(sys.executable)'], {
      encoding: 'utf8',
    }).trim();
    world = await startHostileWorld(python);
  });
  afterAll(async () => {
    await world?.stop();
  });

  it.each<[string, HostileScript, string]>([
    ['never closes its TCP side after our disconnect', { holdSocket: true }, 'passed'],
    [
      'never closes its side, and leaves the compute channel half-closed',
      { holdSocket: true, commands: { compute: { eofWithoutExit: true, neverCloseChannel: true } } },
      'miner-fault',
    ],
  ])('%s', async (_name, script, kind) => {
    // Prepare
    const miner = await world.start(script);
    const heldBefore = world.heldOpen();
    try {
      // Act
      const { outcome, lingerMs } = await attemptInChild(miner.port, world.workDir, EXIT_WITHIN_MS * 4);
      // Assess
      expect(outcome?.kind).toBe(kind);
      expect(lingerMs).not.toBeNull();
      expect(lingerMs).toBeLessThanOrEqual(EXIT_WITHIN_MS);
      // the miner still holds its side: our process ended by closing ours
      expect(world.heldOpen()).toBeGreaterThan(heldBefore);
    } finally {
      await miner.close();
    }
  });
});
