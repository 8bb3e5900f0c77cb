import { afterEach, describe, expect, it, vi } from 'vitest';
import { MinerClock } from '../../../lib/pog/session.js';

afterEach(() => {
  vi.useRealTimers();
});

const settleIn = <T>(ms: number, value: T, fail = false) =>
  new Promise<T>((resolve, reject) => setTimeout(() => (fail ? reject(new Error('x')) : resolve(value)), ms));

describe('MinerClock', () => {
  it('adds up the waits it timed, failed ones included, and nothing between them', async () => {
    // Prepare
    vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] });
    const clock = new MinerClock();
    // Act
    const first = clock.time(() => settleIn(300, 'a'));
    await vi.advanceTimersByTimeAsync(300);
    // the validator's own work: not the miner's
    await vi.advanceTimersByTimeAsync(1_000);
    const second = clock.time(() => settleIn(200, 'b', true)).catch((e: Error) => e.message);
    await vi.advanceTimersByTimeAsync(200);
    // Assess
    expect(await first).toBe('a');
    expect(await second).toBe('x');
    expect(clock.ms).toBe(500);
  });

  it('counts a wait still in flight, as at an attempt cut by its deadline', async () => {
    // Prepare
    vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] });
    const clock = new MinerClock();
    // Act
    void clock.time(() => new Promise(() => {}));
    await vi.advanceTimersByTimeAsync(4_000);
    // Assess
    expect(clock.ms).toBe(4_000);
  });

  it('leaves out our own work done while a wait is in flight (output taken as it arrives)', async () => {
    // Prepare
    vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] });
    const clock = new MinerClock();
    // Act: a 1 s wait during which taking two chunks costs us 150 ms and 50 ms
    const wait = clock.time(() => settleIn(1_000, 'done'));
    await vi.advanceTimersByTimeAsync(200);
    const taken = clock.own(() => {
      vi.advanceTimersByTime(150);
      return 'chunk';
    });
    const inFlight = clock.ms;
    clock.own(() => vi.advanceTimersByTime(50));
    await vi.advanceTimersByTimeAsync(600);
    await wait;
    // Assess
    expect(taken).toBe('chunk');
    expect(inFlight).toBe(200);
    expect(clock.ms).toBe(800);
  });
});
