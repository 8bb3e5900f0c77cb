#!/usr/bin/env python3
"""The reference validator's per-entry verify step (reference.md §4.5), re-stated for the benchmark:
rebuild row i of A and column j of B with the PRNG in Python loops, dot in float32, np.isclose.
Prints JSON {"seconds_per_entry" (best of the entries), "entries", "values"} for the given seeds and entries."""
import json
import sys
import time

import numpy as np


def prng(seed, i, j):
    state = (seed + (i % (2**32)) + j) % (2**64) & 0xFFFFFFFF
    x = state
    for _ in range(10):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= (x >> 17) & 0xFFFFFFFF
        x ^= (x << 5) & 0xFFFFFFFF
    return x / 4294967295.0


def verify_entry(n, seed_a, seed_b, i, j, claimed):
    a_row = np.array([prng(seed_a, i, k) for k in range(n)], dtype=np.float32)
    b_col = np.array([prng(seed_b, k, j) for k in range(n)], dtype=np.float32)
    expected = np.dot(a_row, b_col)
    return bool(np.isclose(claimed, expected, atol=1e-5)), float(expected)


def main():
    n, seed_a, seed_b = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    entries = [tuple(int(v) for v in e.split(':')) for e in sys.argv[4].split(',')]
    values, best = [], float('inf')
    for i, j in entries:  # best single entry: the machine may be shared
        start = time.perf_counter()
        values.append(verify_entry(n, seed_a, seed_b, i, j, 0.0)[1])
        best = min(best, time.perf_counter() - start)
    print(json.dumps({'seconds_per_entry': best, 'entries': len(entries), 'values': values}))


if __name__ == '__main__':
    main()
