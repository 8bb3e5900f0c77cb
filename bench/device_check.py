#!/usr/bin/env python3
"""What only a GPU can tell about the payload's torch generator and compute mode.

  python3 bench/device_check.py [--device cuda|torch-cpu] [--n 29280] [--state-dir DIR]

1. identity: the challenge matrices of the torch path on --device against numpy's, bit for bit, over sizes and
   seeds whose counters wrap past 2^32 (D12's products by c - 2^32 rely on int64 wrap-free arithmetic and
   two's-complement masks, which the CPU tests cover and only a GPU run confirms for CUDA).
2. generation: seconds and ns per entry for one n x n challenge matrix on --device at each --n, and the share of
   the fmix32 finaliser (D12) in it (the same kernels on one chunk, alone).
3. compute: the payload's own `compute` for one GPU at each --n, with its reported timings (generation,
   multiplication, transfer back, Merkle tree): how much of the compute deadline's 5 s tolerance an honest
   miner's non-multiplication work takes. Writes C (n*n*4 bytes) under --state-dir.

Python only (a device machine may have no Node). Prints one JSON line. The row checker's precision on the GPU is
bench/row_check_precision.py --device cuda --payload.
"""
import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

PAYLOAD_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib', 'pog', 'payload')
sys.path.insert(0, PAYLOAD_DIR)
import miner_payload as payload  # noqa: E402

# (seed, n): wrapping counters, odd and power-of-two sizes, several generator chunks at the larger ones
IDENTITY_CASES = [
    (0, 1),
    (1, 97),
    (0xFFFF_FFFF, 256),
    ((5 << 32) | 0xFFFF_8000, 300),
    (0xDEAD_BEEF_0123_4567, 211),
    (2**64 - 1, 64),
    (0x1234_5678, 500),
    (0, 1024),
    (0x9E37_79B9_7F4A_7C15, 4097),
]


def sync(device):
    if device.startswith('cuda'):
        payload.torch.cuda.synchronize(device)


def identity(device):
    entries = mismatches = 0
    for seed, n in IDENTITY_CASES:
        expected = payload.challenge_np(seed, n).view(np.uint32)
        got = payload.challenge_torch(seed, n, device).cpu().numpy().view(np.uint32)
        entries += expected.size
        mismatches += int(np.count_nonzero(expected != got))
    return {'cases': len(IDENTITY_CASES), 'entries': entries, 'mismatches': mismatches}


def generation(device, n):
    payload.challenge_block_torch(1, n, np.arange(min(n, 64)), 0, n, device)  # tables and kernels warm
    sync(device)
    start = time.perf_counter()
    m = payload.challenge_torch(0x5EED, n, device)
    sync(device)
    seconds = time.perf_counter() - start
    del m
    chunk = payload.torch.randint(0, 2**32, (payload.CHUNK,), dtype=payload.torch.int64, device=device)
    sync(device)
    start = time.perf_counter()
    payload.finalise_torch(chunk)
    sync(device)
    finalise_ns = (time.perf_counter() - start) / payload.CHUNK * 1e9
    return {
        'n': n,
        'seconds': round(seconds, 4),
        'nsPerEntry': round(seconds / n / n * 1e9, 3),
        'finaliseNsPerEntry': round(finalise_ns, 3),
    }


def compute(n, state_dir):
    start = time.perf_counter()
    out = payload.compute(state_dir, n, [(0, 0x1111_2222_3333_4444, 0x5555_6666_7777_8888)])
    wall = time.perf_counter() - start
    timings = dict(out['timings'][0][1]) if out['timings'] else None
    for name in ('C_gpu_0.npy', 'tree_gpu_0.bin'):
        path = os.path.join(state_dir, name)
        if os.path.exists(path):
            os.remove(path)
    return {'n': n, 'backend': payload.backend(), 'wallSeconds': round(wall, 3), 'timings': timings}


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', choices=['cuda', 'torch-cpu'], default='cuda')
    parser.add_argument('--n', default='29280', help='comma-separated sizes for generation and compute')
    parser.add_argument('--state-dir', default=None, help='where compute writes C (default: a temporary folder)')
    args = parser.parse_args(argv)
    if payload.torch is None:
        print('device_check: no PyTorch here', file=sys.stderr)
        return 1
    if args.device == 'cuda' and not payload.HAVE_CUDA:
        print('device_check: no CUDA here (use --device torch-cpu to try the script on a CPU)', file=sys.stderr)
        return 1
    device = 'cuda:0' if args.device == 'cuda' else 'cpu'
    # compute goes through the payload's backend: torch on CUDA, else numpy (on torch-cpu the figures are numpy's)
    os.environ.pop('POG_BACKEND', None)
    sizes = [int(v) for v in args.n.split(',') if v]
    name = payload.torch.cuda.get_device_name(0) if args.device == 'cuda' else 'cpu'
    result = {
        'device': args.device,
        'deviceName': name,
        'torch': payload.torch.__version__,
        'protocol': payload.PROTOCOL,
        'identity': identity(device),
        'generation': [generation(device, n) for n in sizes],
    }
    with tempfile.TemporaryDirectory(dir=args.state_dir) as state_dir:
        result['compute'] = [compute(n, state_dir) for n in sizes]
    print(json.dumps(result))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
