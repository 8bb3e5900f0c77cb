import { describe, expect, it } from 'vitest';
import { runLocalCommand } from '../../../harness/cli/local.js';
import { Lifecycle } from '../../../harness/local/lifecycle.js';
import { CYCLE_BEHAVIOURS, DEFAULT_LOCAL_MINERS, planMiners } from '../../../harness/local/miner-plan.js';
import { DEFAULT_PERFORMANCE_CONFIG } from '../../../lib/config/gpu-performance.js';

describe('Function: planMiners()', () => {
  it('hands out every behaviour once, then honest miners, on GPUs that score', () => {
    // Act
    const plan = planMiners(CYCLE_BEHAVIOURS.length + 2);
    // Assess
    expect(plan.slice(0, CYCLE_BEHAVIOURS.length).map((p) => p.behaviour)).toEqual([...CYCLE_BEHAVIOURS]);
    expect(plan.slice(CYCLE_BEHAVIOURS.length).map((p) => p.behaviour)).toEqual(['honest', 'honest']);
    expect(DEFAULT_LOCAL_MINERS).toBeGreaterThanOrEqual(CYCLE_BEHAVIOURS.length);
    expect(
      plan.every((p) => (DEFAULT_PERFORMANCE_CONFIG.gpu_performance.gpu_scores[p.gpuName] ?? 0) > 0),
    ).toBe(true);
    expect(plan.find((p) => p.behaviour === 'spoofed-name')).toMatchObject({
      gpuName: 'NVIDIA RTX 4090',
      claimedName: 'NVIDIA B200',
    });
    expect(plan.find((p) => p.behaviour === 'one-gpu-serial')?.count).toBeGreaterThan(1);
    expect(planMiners(3).map((p) => p.behaviour)).toEqual(['honest', 'slow-but-valid', 'noisy-but-valid']);
  });
});

describe('Class: Lifecycle', () => {
  it('stops resources newest first, once, and survives a failing stop', async () => {
    // Prepare
    const order: string[] = [];
    const life = new Lifecycle((line) => order.push(line));
    life.add('a', 1, async () => void order.push('stop a'));
    life.add('b', 2, async () => {
      throw new Error('boom');
    });
    life.add('c', 3, async () => void order.push('stop c'));
    // Act
    await Promise.all([life.stopAll(), life.stopAll()]);
    // Assess
    expect(order).toEqual(['stop c', 'stopped c', 'could not stop b: boom', 'stop a', 'stopped a']);
  });
});

describe('CLI: local', () => {
  it.each([['0'], ['257'], ['many']])('exits 2 on --miners %s before starting anything', async (value) => {
    // Prepare
    let stderr = '';
    // Act
    const code = await runLocalCommand(['--miners', value], {
      stdout: () => {},
      stderr: (t) => {
        stderr += t;
      },
      env: {},
    });
    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain(`given "${value}"`);
  });
});

describe('Class: Lifecycle exit hook', () => {
  it('kills the child processes it still holds when the process exits without stopAll()', async () => {
    // Prepare: a real child process registered by its pid
    const { spawn } = await import('node:child_process');
    const child = spawn('sleep', ['30']);
    const exited = new Promise<string | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    const life = new Lifecycle().trapSignals();
    life.add('sleeper', { pid: child.pid }, async () => {});
    // Act: what process.exit() would run
    process.emit('exit', 0);
    // Assess
    expect(await exited).toBe('SIGKILL');
    await life.stopAll();
  });
});
