import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mapLimit } from '../../lib/concurrency.js';

/** A call the test finishes by hand, so the order of completions is the test's choice. */
function gate<R>() {
  let open: (value: R) => void = () => {};
  let fail: (error: unknown) => void = () => {};
  const promise = new Promise<R>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('Function: mapLimit()', () => {
  it('returns the results in the items order when the calls finish in another order', async () => {
    // Prepare
    const gates = [gate<string>(), gate<string>(), gate<string>()];
    const started: number[] = [];
    // Act
    const all = mapLimit(['a', 'b', 'c'], 3, (item, index) => {
      started.push(index);
      return gates[index]?.promise.then((v) => `${item}${v}`) ?? Promise.reject(new Error('no gate'));
    });
    await settle();
    gates[2]?.open('3');
    gates[0]?.open('1');
    gates[1]?.open('2');
    // Assess
    expect(started).toEqual([0, 1, 2]);
    await expect(all).resolves.toEqual(['a1', 'b2', 'c3']);
  });

  it('starts the next item only when a lane frees up', async () => {
    // Prepare
    const gates = Array.from({ length: 5 }, () => gate<number>());
    const started: number[] = [];
    // Act
    const all = mapLimit([0, 1, 2, 3, 4], 2, (item) => {
      started.push(item);
      return gates[item]?.promise ?? Promise.reject(new Error('no gate'));
    });
    await settle();
    const atFirst = [...started];
    gates[1]?.open(1);
    await settle();
    const afterOne = [...started];
    for (const g of gates) g.open(0);
    await all;
    // Assess
    expect(atFirst).toEqual([0, 1]);
    expect(afterOne).toEqual([0, 1, 2]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
  });

  it('never has more than `limit` calls in flight, and uses every lane it may', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 30 }),
        fc.integer({ min: 1, max: 8 }),
        async (delays, limit) => {
          // Prepare
          let inFlight = 0;
          let peak = 0;
          // Act
          const out = await mapLimit(delays, limit, async (delay, index) => {
            inFlight++;
            peak = Math.max(peak, inFlight);
            for (let i = 0; i < delay; i++) await settle();
            inFlight--;
            return index;
          });
          // Assess
          expect(peak).toBe(Math.min(limit, delays.length));
          expect(out).toEqual(delays.map((_, i) => i));
        },
      ),
      { numRuns: 50 },
    );
  });

  it('fails with the first error, starts no further item, and waits for the calls already running', async () => {
    // Prepare
    const gates = Array.from({ length: 6 }, () => gate<number>());
    const started: number[] = [];
    let settled = false;
    // Act
    const all = mapLimit([0, 1, 2, 3, 4, 5], 2, (item) => {
      started.push(item);
      return gates[item]?.promise ?? Promise.reject(new Error('no gate'));
    }).finally(() => {
      settled = true;
    });
    await settle();
    gates[0]?.fail(new Error('first'));
    await settle();
    const settledWhileRunning = settled;
    gates[1]?.fail(new Error('second'));
    // Assess
    await expect(all).rejects.toThrow('first');
    expect(settledWhileRunning).toBe(false);
    expect(started).toEqual([0, 1]);
  });

  it('calls nothing for no items', async () => {
    // Prepare
    let calls = 0;
    // Act
    const out = await mapLimit([], 4, async () => ++calls);
    // Assess
    expect(out).toEqual([]);
    expect(calls).toBe(0);
  });

  it.each([0, -1, 1.5, Number.NaN])('fails if the limit is not a positive integer (%s)', async (limit) => {
    // Act / Assess
    await expect(mapLimit([1], limit, async (x) => x)).rejects.toThrow(RangeError);
  });
});
