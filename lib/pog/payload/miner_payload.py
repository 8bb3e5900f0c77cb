#!/usr/bin/env python3
"""Proof-of-GPU payload, uploaded by the validator and run inside the miner's container.

Modes (one JSON object on stdout each, never pickle):
  gpu_info   {"num_gpus": int, "gpu_names": [str]}
  benchmark  {"num_gpus": int, "vram": float, "n16": int, "t16": float, "n32": int, "t32": float}
  compute    --state-dir D --n N --seeds g:sA:sB[,...]
             {"protocol": 4, "roots": [[g, hex]], "timings": [[g, {"n", "generation_time",
              "multiplication_time", "transfer_back_time", "merkle_tree_time",
              "multiplication_start", "multiplication_end"}]]}  (offsets in s from the command's start)
  proof      --state-dir D --challenge g:i[,i...][;g:i,...]
             one line per GPU, in challenge order:
             {"gpu": g, "n": N, "rows": [{"i": i, "row": base64(float32 LE bytes), "proof": [hex]}]}

The GPU path uses PyTorch with CUDA; the CPU path (numpy) produces the same outputs, for tests and
simulation. Challenge generator (protocol 4, deviations D10, D11 and D12): entry (i, j) of an n x n
matrix with seed s is m = fmix32(xorshift32^10((s + i*n + j) mod 2^32)), then (2m - (2^32 - 1)) / (2^32 - 1)
in float64 rounded to float32 (a value in [-1, 1]), bit-identical on both paths and in the validator. The
reference seeds (i, j) with s + i + j, which makes A and B Hankel matrices and lets C be built in O(n^2)
without multiplying; a row-major counter gives every entry its own state (D10). n is limited to 65 536
so that i*n + j < 2^32. The xorshift mix is linear over GF(2) and left A and B of low rank at power-of-two
n; MurmurHash3's finaliser (fmix32) is not (D12). Entries of both signs keep an honest float32 sum's error
near 2^-24 * sum|a*b| while float16 or TF32 inputs err far more, so the validator can tell them apart (D11).
"""
import argparse
import base64
import hashlib
import json
import math
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

try:  # the GPU path is optional: a container without torch/CUDA falls back to numpy
    import torch

    HAVE_CUDA = bool(torch.cuda.is_available())
    # full float32 products: TF32 (~1e-3 relative) would fail the validator's entry tolerance
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
except Exception:  # noqa: BLE001 - any import failure means "no GPU path"
    torch = None
    HAVE_CUDA = False

MASK = 0xFFFFFFFF
# 1: reference generator (Hankel); 2: row-major counter (D10); 3: D10, entries in [-1, 1] (D11);
# 4: D11 with the fmix32 finaliser after the mix (D12)
PROTOCOL = 4
MAX_N = 65536
CHUNK = 1 << 24  # generator elements per step: bounds the temporaries (int64: 128 MiB)


def backend():
    forced = os.environ.get('POG_BACKEND')
    if forced in ('numpy', 'torch'):
        return forced
    return 'torch' if HAVE_CUDA else 'numpy'


def mix_np(x):
    """xorshift32 ten times on a uint32 array, in place."""
    for _ in range(10):
        x ^= x << np.uint32(13)
        x ^= x >> np.uint32(17)
        x ^= x << np.uint32(5)
    return x


def _mix_tables():
    """Ten xorshift32 rounds are linear over GF(2) (shifts and XORs only), so for x = (h << 16) | l the
    mix is mix(h << 16) ^ mix(l): two 65 536-entry tables replace the 30 shift/XOR steps per entry with
    two loads and one XOR. Bit-identical to mix_np for every x (tested against the TS generator)."""
    v = np.arange(1 << 16, dtype=np.uint32)
    return mix_np(v << np.uint32(16)), mix_np(v.copy())


MIX_HI, MIX_LO = _mix_tables()


def mix_table_np(x):
    """mix_np(x) of a uint32 array by the tables (a new array)."""
    return MIX_HI[x >> np.uint32(16)] ^ MIX_LO[x & np.uint32(0xFFFF)]


FMIX_C1 = 0x85EBCA6B
FMIX_C2 = 0xC2B2AE35


def finalise_np(x):
    """D12: MurmurHash3's fmix32 of a uint32 array (a new array; uint32 products wrap mod 2^32). Its odd
    multiplications are not linear over GF(2), so the entries lose the xorshift mix's character structure."""
    x = x ^ (x >> np.uint32(16))
    x *= np.uint32(FMIX_C1)
    x ^= x >> np.uint32(13)
    x *= np.uint32(FMIX_C2)
    x ^= x >> np.uint32(16)
    return x


def _mul32_torch(x, c):
    """x = (x * c) mod 2^32 in place, for an int64 tensor of values below 2^32 and 2^31 < c < 2^32. The
    product by c - 2^32 is congruent mod 2^32 and stays within +-2^63 (x * c itself could overflow int64,
    which the kernels leave undefined); & on the negative int64 takes its two's-complement low bits."""
    x *= c - (1 << 32)
    x &= MASK
    return x


def finalise_torch(x):
    """finalise_np on an int64 tensor of uint32 values, in place (the generator's temporaries stay at
    three chunks)."""
    x ^= x >> 16
    _mul32_torch(x, FMIX_C1)
    x ^= x >> 13
    _mul32_torch(x, FMIX_C2)
    x ^= x >> 16
    return x


def signed_unit(mixed):
    """D11: finalised uint32 values (as float64) to [-1, 1]. 2x - (2^32 - 1) is exact in float64, so the one
    division gives the same float64 (and float32) as the validator's TS and torch paths."""
    return (mixed * 2.0 - float(MASK)) / float(MASK)


def _check_block(n, rows, col_start, col_count):
    if not 1 <= n <= MAX_N:
        raise ValueError('matrix size out of range')
    if not 0 <= col_start <= col_start + col_count <= n:
        raise ValueError('column block out of range')
    rows = np.asarray(rows, dtype=np.int64).reshape(-1)
    if rows.size and (int(rows.min()) < 0 or int(rows.max()) >= n):
        raise ValueError('row index out of range')
    return rows


def challenge_block_np(seed, n, rows, col_start, col_count):
    """Entries (i, j), i in rows, col_start <= j < col_start + col_count, of the n x n challenge matrix
    of seed (float32), generated in chunks of whole rows of the block: a verifier regenerates the
    challenged rows of A and B column block by column block without holding an n x n matrix."""
    rows = _check_block(n, rows, col_start, col_count)
    out = np.empty((rows.size, col_count), dtype=np.float32)
    # uint32 arithmetic wraps, which is the mod 2^32 of the counter
    cols = np.arange(col_count, dtype=np.uint32) + np.uint32((seed + col_start) & MASK)
    step = max(1, CHUNK // max(1, col_count))
    for r0 in range(0, rows.size, step):
        starts = ((rows[r0:r0 + step].astype(np.uint64) * np.uint64(n)) & np.uint64(MASK)).astype(np.uint32)
        x = starts[:, None] + cols[None, :]
        out[r0:r0 + step] = signed_unit(finalise_np(mix_table_np(x)).astype(np.float64)).astype(np.float32)
    return out


def challenge_np(seed, n):
    """The n x n challenge matrix of seed (float32, row-major counter), generated in bounded chunks."""
    return challenge_block_np(seed, n, np.arange(n), 0, n)


_TORCH_TABLES = {}


def _torch_tables(device):
    """MIX_HI and MIX_LO on `device` (int64, 1 MiB in all), made once per device."""
    key = str(device)
    if key not in _TORCH_TABLES:
        _TORCH_TABLES[key] = tuple(torch.from_numpy(t.astype(np.int64)).to(device) for t in (MIX_HI, MIX_LO))
    return _TORCH_TABLES[key]


def challenge_block_torch(seed, n, rows, col_start, col_count, device):
    """challenge_block_np on a torch device in int64 arithmetic: the mix by its tables, then the finaliser
    (about twenty memory-bound kernels per entry instead of a hundred); the float64 division makes the
    values identical."""
    rows = torch.as_tensor(_check_block(n, rows, col_start, col_count).tolist(), dtype=torch.int64, device=device)
    hi, lo = _torch_tables(device)
    out = torch.empty((rows.numel(), col_count), dtype=torch.float32, device=device)
    cols = torch.arange(col_count, dtype=torch.int64, device=device) + ((seed + col_start) & MASK)
    step = max(1, CHUNK // max(1, col_count))
    for r0 in range(0, rows.numel(), step):
        x = (rows[r0:r0 + step, None] * n + cols[None, :]) & MASK
        mixed = finalise_torch(hi[x >> 16] ^ lo[x & 0xFFFF])
        del x
        out[r0:r0 + step] = signed_unit(mixed.to(torch.float64)).to(torch.float32)
    return out


def challenge_torch(seed, n, device):
    """challenge_np on the GPU."""
    return challenge_block_torch(seed, n, np.arange(n), 0, n, device)


def matmul(a, b):
    if torch is not None and isinstance(a, torch.Tensor):
        return torch.matmul(a, b)
    return a @ b


def merkle_levels(c):
    """Level-by-level sha256 tree over the rows of c (float32 LE); odd levels duplicate the last node."""
    level = [hashlib.sha256(c[i].astype('<f4', copy=False).tobytes()).digest() for i in range(c.shape[0])]
    levels = [level]
    while len(level) > 1:
        nxt = []
        for k in range(0, len(level), 2):
            left = level[k]
            right = level[k + 1] if k + 1 < len(level) else left
            nxt.append(hashlib.sha256(left + right).digest())
        levels.append(nxt)
        level = nxt
    return levels


def level_widths(n):
    widths = [n]
    while widths[-1] > 1:
        widths.append((widths[-1] + 1) // 2)
    return widths


def gpu_info():
    if backend() == 'torch':
        count = torch.cuda.device_count()
        return {'num_gpus': count, 'gpu_names': [torch.cuda.get_device_name(i) for i in range(count)]}
    return {'num_gpus': 0, 'gpu_names': []}


def adjust(vram_gb, element_size, buffer_factor):
    return int(math.floor(math.floor(math.sqrt(vram_gb * buffer_factor * 1e9 / (element_size * 2))) / 32) * 32)


def estimate_vram_gb():
    """Doubling fp16 probe on GPU 0, as the reference does: powers of two up to what fits."""
    size = 2**20
    last_ok = 0
    keep = None
    while True:
        try:
            t = torch.empty(size, dtype=torch.float16, device='cuda:0')
            keep = t
            last_ok = size
            size *= 2
        except RuntimeError:
            break
    del keep
    torch.cuda.empty_cache()
    return last_ok * 2 / 1e9


def timed_matmul(n, dtype):
    if backend() == 'torch':
        a = torch.rand(n, n, dtype=dtype, device='cuda:0')
        b = torch.rand(n, n, dtype=dtype, device='cuda:0')
        torch.cuda.synchronize()
        start = time.time()
        torch.matmul(a, b)
        torch.cuda.synchronize()
        return time.time() - start
    a = np.random.rand(n, n).astype(np.float32)
    b = np.random.rand(n, n).astype(np.float32)
    start = time.time()
    a @ b
    return time.time() - start


def benchmark():
    if backend() == 'torch':
        count = torch.cuda.device_count()
        vram = estimate_vram_gb()
        n16, n32 = adjust(vram, 2, 1.0), adjust(vram, 4, 0.5)
        t16 = timed_matmul(n16, torch.float16)
        t32 = timed_matmul(n32, torch.float32)
    else:
        count, vram, n16, n32 = 0, 0.0, 512, 512
        t16 = timed_matmul(n16, None)
        t32 = timed_matmul(n32, None)
    return {'num_gpus': count, 'vram': round(vram, 2), 'n16': n16, 't16': t16, 'n32': n32, 't32': t32}


def compute_one(state_dir, gpu, n, seed_a, seed_b, origin=None):
    timings = {'n': n}
    origin = time.time() if origin is None else origin
    start = time.time()
    if backend() == 'torch':
        device = f'cuda:{gpu}'
        a, b = challenge_torch(seed_a, n, device), challenge_torch(seed_b, n, device)
        torch.cuda.synchronize(device)
    else:
        a, b = challenge_np(seed_a, n), challenge_np(seed_b, n)
    timings['generation_time'] = time.time() - start
    start = time.time()
    c = matmul(a, b)
    if backend() == 'torch':
        torch.cuda.synchronize(device)
    timings['multiplication_time'] = time.time() - start
    # offsets from the command's start: the validator checks the GPUs multiplied in parallel
    timings['multiplication_start'] = start - origin
    timings['multiplication_end'] = start - origin + timings['multiplication_time']
    start = time.time()
    if backend() == 'torch':
        c = c.cpu().numpy()
    c = np.ascontiguousarray(c, dtype='<f4')
    timings['transfer_back_time'] = time.time() - start
    start = time.time()
    levels = merkle_levels(c)
    timings['merkle_tree_time'] = time.time() - start
    np.save(os.path.join(state_dir, f'C_gpu_{gpu}.npy'), c, allow_pickle=False)
    with open(os.path.join(state_dir, f'tree_gpu_{gpu}.bin'), 'wb') as fh:
        for level in levels:
            fh.write(b''.join(level))
    return gpu, levels[-1][0].hex(), timings


def compute(state_dir, n, seeds):
    roots, timings = [], []
    origin = time.time()
    with ThreadPoolExecutor(max_workers=max(1, len(seeds))) as pool:
        futures = [pool.submit(compute_one, state_dir, g, n, sa, sb, origin) for g, sa, sb in seeds]
        for future in futures:
            try:
                gpu, root, t = future.result()
            except Exception as exc:  # noqa: BLE001 - a failing GPU is left out, as in the reference
                print(f'gpu failed: {type(exc).__name__}', file=sys.stderr)
                continue
            roots.append([gpu, root])
            timings.append([gpu, t])
    return {'protocol': PROTOCOL, 'roots': roots, 'timings': timings}


def proof(state_dir, gpu, rows):
    c = np.load(os.path.join(state_dir, f'C_gpu_{gpu}.npy'), mmap_mode='r', allow_pickle=False)
    n = c.shape[0]
    widths = level_widths(n)
    with open(os.path.join(state_dir, f'tree_gpu_{gpu}.bin'), 'rb') as fh:
        tree = fh.read()
    out = []
    for i in rows:
        if not 0 <= i < n:
            raise ValueError('row index out of range')
        path, idx, offset = [], i, 0
        for width in widths[:-1]:
            sib = idx + 1 if idx % 2 == 0 else idx - 1
            if sib >= width:
                sib = idx
            path.append(tree[(offset + sib) * 32:(offset + sib + 1) * 32].hex())
            offset += width
            idx //= 2
        row = np.asarray(c[i], dtype='<f4').tobytes()
        out.append({'i': i, 'row': base64.b64encode(row).decode('ascii'), 'proof': path})
    return {'gpu': gpu, 'n': n, 'rows': out}


def parse_seeds(text):
    seeds = []
    for part in text.split(','):
        g, sa, sb = part.split(':')
        seeds.append((int(g), int(sa), int(sb)))
    return seeds


def run(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument('--mode', required=True, choices=['gpu_info', 'benchmark', 'compute', 'proof'])
    parser.add_argument('--state-dir')
    parser.add_argument('--n', type=int)
    parser.add_argument('--seeds')
    parser.add_argument('--challenge')
    args = parser.parse_args(argv)
    if args.mode == 'gpu_info':
        return gpu_info()
    if args.mode == 'benchmark':
        return benchmark()
    if args.mode == 'compute':
        return compute(args.state_dir, args.n, parse_seeds(args.seeds))
    results = []
    for part in args.challenge.split(';'):
        gpu, rows = part.split(':')
        results.append(proof(args.state_dir, int(gpu), [int(r) for r in rows.split(',')]))
    return results


def emit(result):
    for item in result if isinstance(result, list) else [result]:
        sys.stdout.write(json.dumps(item, separators=(',', ':')))
        sys.stdout.write('\n')
    sys.stdout.flush()


if __name__ == '__main__':
    emit(run(sys.argv[1:]))
