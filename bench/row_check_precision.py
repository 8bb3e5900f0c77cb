#!/usr/bin/env python3
"""Which products of C pass the row checker: honest float32 and four cheats, at real n.

  python3 bench/row_check_precision.py [--device cpu|torch-cpu|cuda] [--n 1024,4096] [--rows 17] [--payload]

Each variant's challenged rows are checked by lib/pog/payload/row_check.py's own functions (numpy, or its torch
code on --device torch-cpu / cuda) with the bundle's tolerance for n. Python only, so that it also runs on a
device machine without Node (`npm run bench -- precision` runs it on this machine).

Variants (same seeds, same rows):
  honest       float32 products. With --payload: the payload's own compute and proof modes (miner_payload.py:
               the full n x n product on CUDA when present, numpy otherwise); without: A's challenged rows
               times B in float32, block by block (torch on CUDA, the platform's BLAS otherwise)
  one-wrong    honest, one value per row off by 1 + 1 % (the simulated miner's one-wrong-entry-per-row)
  fp16-output  honest products rounded to float16 (a float16 GEMM's output)
  fp16-inputs  A and B rounded to float16, products summed in float32 (half-precision tensor cores with a
               float32 result)
  tf32-inputs  A and B rounded to TF32's 10-bit mantissa, summed in float32 (on CUDA: the GPU's own TF32 matmul)

Prints one JSON line; maxRelError is relative to the entry's scale sum|a*b|, as the tolerance is.
"""
import argparse
import base64
import json
import os
import sys
import tempfile
import time

import numpy as np

PAYLOAD_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib', 'pog', 'payload')
sys.path.insert(0, PAYLOAD_DIR)
import miner_payload as payload  # noqa: E402
import row_check  # noqa: E402

SEED_A = 0x1234_5678_9ABC_DEF0
SEED_B = 0x0FED_CBA9_8765_4321
VARIANTS = ['honest', 'one-wrong', 'fp16-output', 'fp16-inputs', 'tf32-inputs']


def tolerance():
    """lib/pog/math.ts entryToleranceParams (the bundle header's pair); a test pins the two together."""
    return 1e-5, 16 * 2.0**-24


def challenge_rows(n, count):
    rng = np.random.default_rng(n)
    return sorted(int(i) for i in rng.choice(n, size=min(count, n), replace=False))


def tf32_np(x):
    """float32 rounded to nearest-even at TF32's 10 mantissa bits (exponent unchanged)."""
    bits = x.view(np.uint32)
    rounded = (bits + np.uint32(0xFFF) + ((bits >> np.uint32(13)) & np.uint32(1))) & np.uint32(0xFFFFE000)
    return rounded.view(np.float32)


def products_numpy(n, rows, block):
    """Every variant but the payload's honest one, block by block on the CPU."""
    a = payload.challenge_block_np(SEED_A, n, rows, 0, n)
    a16, a_tf = a.astype(np.float16).astype(np.float32), tf32_np(a.copy())
    out = {v: np.empty((len(rows), n), dtype=np.float32) for v in ('honest', 'fp16-inputs', 'tf32-inputs')}
    all_rows = np.arange(n)
    for c0 in range(0, n, block):
        k = min(block, n - c0)
        b = payload.challenge_block_np(SEED_B, n, all_rows, c0, k)
        out['honest'][:, c0:c0 + k] = a @ b
        out['fp16-inputs'][:, c0:c0 + k] = a16 @ b.astype(np.float16).astype(np.float32)
        out['tf32-inputs'][:, c0:c0 + k] = a_tf @ tf32_np(b)
    out['fp16-output'] = out['honest'].astype(np.float16).astype(np.float32)
    return out


def products_cuda(n, rows, block):
    """Every variant but the payload's honest one with the GPU's own arithmetic (cuBLAS, tensor cores)."""
    torch = payload.torch
    device = 'cuda:0'
    a = payload.challenge_block_torch(SEED_A, n, rows, 0, n, device)
    out = {v: torch.empty((len(rows), n), dtype=torch.float32, device=device) for v in VARIANTS if v != 'one-wrong'}
    all_rows = np.arange(n)
    for c0 in range(0, n, block):
        k = min(block, n - c0)
        b = payload.challenge_block_torch(SEED_B, n, all_rows, c0, k, device)
        out['honest'][:, c0:c0 + k] = a @ b
        out['fp16-output'][:, c0:c0 + k] = (a.half() @ b.half()).float()
        out['fp16-inputs'][:, c0:c0 + k] = a.half().float() @ b.half().float()
        torch.backends.cuda.matmul.allow_tf32 = True
        try:
            out['tf32-inputs'][:, c0:c0 + k] = a @ b
        finally:
            torch.backends.cuda.matmul.allow_tf32 = False
    torch.cuda.synchronize()
    return {v: c.cpu().numpy() for v, c in out.items()}


def honest_from_payload(n, rows, work_dir):
    """The real payload: compute (generate A and B, multiply, Merkle tree, C saved) then proof (rows)."""
    with tempfile.TemporaryDirectory(dir=work_dir) as state:
        _, _, timings = payload.compute_one(state, 0, n, SEED_A, SEED_B)
        proof = payload.proof(state, 0, rows)
    claimed = np.stack([np.frombuffer(base64.b64decode(r['row']), dtype='<f4') for r in proof['rows']])
    return claimed, timings


def one_wrong(honest):
    c = honest.copy()
    n = c.shape[1]
    for i in range(c.shape[0]):
        j = (i * 7919 + 13) % n
        c[i, j] = c[i, j] + 1.0 + 0.01 * abs(float(c[i, j]))
    return c


def check(n, rows, claimed, device_choice, block):
    """row_check.py's own check of one variant (a run of one GPU): its tally and its own time."""
    device, torch_device, _ = row_check.pick_device(device_choice)
    atol, rtol = tolerance()
    entry = {'rows': rows, 'seedA': SEED_A, 'seedB': SEED_B}
    start = time.time()
    if torch_device is None:
        (tally,) = row_check.check_run_numpy(n, [entry], claimed, atol, rtol, block)
    else:
        (tally,) = row_check.check_run_torch(n, [entry], claimed, atol, rtol, block, torch_device)
    if device == 'cuda':
        payload.torch.cuda.synchronize()
    return tally.result(0, n), time.time() - start


def run(args):
    device, _, device_name = row_check.pick_device(args.device)
    report = {'device': device, 'deviceName': device_name, 'rows': args.rows, 'sizes': []}
    for n in args.n:
        rows = challenge_rows(n, args.rows)
        block = min(n, row_check.DEFAULT_BLOCK_BYTES // (4 * n))
        start = time.time()
        claimed = (products_cuda if device == 'cuda' else products_numpy)(n, rows, block)
        size = {'n': n, 'productSeconds': round(time.time() - start, 3), 'honestSource': 'rows'}
        if args.payload:
            claimed['honest'], timings = honest_from_payload(n, rows, args.work_dir)
            size['honestSource'] = 'payload-' + payload.backend()
            size['payloadTimings'] = timings
        claimed['one-wrong'] = one_wrong(claimed['honest'])
        # the spread of C's entries: how far a guess of an uncomputed entry lands from it
        size['entryStd'] = float(np.std(claimed['honest'].astype(np.float64)))
        atol, rtol = tolerance()
        size['tolerance'] = {'atol': atol, 'rtol': rtol}
        size['variants'] = {}
        for variant in VARIANTS:
            result, seconds = check(n, rows, claimed[variant], args.device, block)
            size['variants'][variant] = {
                'valuesChecked': result['entriesChecked'],
                'wrongValues': result['wrongValues'],
                'wrongRows': result['wrongRows'],
                'maxRelError': result['maxRelError'],
                'maxRelErrorOverRtol': result['maxRelError'] / rtol,
                'checkSeconds': round(seconds, 3),
                'valuesPerSecond': round(result['entriesChecked'] / seconds) if seconds > 0 else None,
            }
        report['sizes'].append(size)
    return report


def main(argv):
    parser = argparse.ArgumentParser(description='Which products of C pass the row checker.')
    parser.add_argument('--device', choices=['cpu', 'torch-cpu', 'cuda'], default='cpu')
    parser.add_argument('--n', type=lambda s: [int(x) for x in s.split(',')], default=[1024, 4096])
    parser.add_argument('--rows', type=int, default=17)
    parser.add_argument('--payload', action='store_true', help='honest rows from the payload itself')
    parser.add_argument('--work-dir', default=None, help='where --payload keeps C (n*n*4 bytes)')
    args = parser.parse_args(argv)
    if any(not 1 <= n <= payload.MAX_N for n in args.n) or not 1 <= args.rows <= row_check.MAX_ROWS_PER_GPU:
        parser.error('n must be in 1..65536 and rows in 1..1024')
    sys.stdout.write(json.dumps(run(args), separators=(',', ':')) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
