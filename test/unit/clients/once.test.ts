import { describe, expect, it } from 'vitest';
import { onceUntilFailure } from '../../../lib/clients/once.js';

describe('Function: onceUntilFailure()', () => {
  it('builds once while it succeeds, and again after a failure', async () => {
    // Prepare
    let calls = 0;
    const get = onceUntilFailure(async () => {
      calls++;
      if (calls === 1) throw new Error('connection refused');
      return calls;
    });
    // Act
    const first = await get().catch((error: Error) => error.message);
    const second = await get();
    const third = await get();
    // Assess
    expect(first).toBe('connection refused');
    expect([second, third, calls]).toEqual([2, 2, 2]);
  });
});
