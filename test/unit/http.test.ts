import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { callSignal } from '../../lib/http.js';

describe('Function: callSignal()', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('aborts at its own timeout and says so', () => {
    // Prepare
    const call = callSignal(1_000);
    // Act
    vi.advanceTimersByTime(999);
    const before = call.signal.aborted;
    vi.advanceTimersByTime(1);
    // Assess
    expect(before).toBe(false);
    expect(call.signal.aborted).toBe(true);
    expect(call.timedOut()).toBe(true);
  });

  it("aborts when the caller's signal does, then or already, without calling it a timeout", () => {
    // Prepare
    const outer = new AbortController();
    const call = callSignal(1_000, outer.signal);
    const done = new AbortController();
    done.abort();
    // Act
    outer.abort();
    const late = callSignal(1_000, done.signal);
    // Assess
    expect(call.signal.aborted).toBe(true);
    expect(call.timedOut()).toBe(false);
    expect(late.signal.aborted).toBe(true);
    expect(late.timedOut()).toBe(false);
  });

  it('once disposed, neither the timer nor the caller aborts it', () => {
    // Prepare
    const outer = new AbortController();
    const call = callSignal(1_000, outer.signal);
    // Act
    call.dispose();
    vi.advanceTimersByTime(5_000);
    outer.abort();
    // Assess
    expect(call.signal.aborted).toBe(false);
    expect(call.timedOut()).toBe(false);
  });
});
