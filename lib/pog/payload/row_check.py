#!/usr/bin/env python3
"""Row checker: every entry of every challenged row of a proof bundle, recomputed.

  python3 row_check.py --bundle PATH [--device auto|cpu|cuda|torch-cpu] [--block-cols K]
  python3 row_check.py --serve [--device auto|cpu|cuda|torch-cpu] [--block-cols K]

The bundle layout and the output line are the contract in lib/pog/README.md ("Row checker"). For each run of the
bundle's GPUs that share seedB (D13: the worker draws one B per attempt), their A's challenged rows, stacked, and B
(in blocks of K columns, generated once per run) are regenerated with the payload's own D10-D12
generator (miner_payload.py beside this file: one implementation, numpy on the CPU, torch on CUDA), the exact
C[i, j0:j0+K] = A[i, :] . B[:, j0:j0+K] and its scale S = |A[i, :]| . |B[:, j0:j0+K]| are computed in float64 from
those float32 values (products of float32 values are exact in float64; the float64 sums are ~1e-12 relative off),
and every claimed float32 value must satisfy |claimed - exact| <= atol + rtol*S with the header's tolerance (lib/pog/
math.ts entryTolerance); a non-finite claim is wrong. maxRelError is the largest |claimed - exact| / S.

Memory: the claimed rows and A's rows of one run (r x n, r <= 1024, as for one GPU) plus one column block of B (n x K, float32 and
its float64 copy) and the generator's chunk; never an n x n matrix. Merkle paths are not checked here (the TS
verifier checks them before it runs this).

Exit status: 0 when the check ran (pass or fail is in the JSON line on stdout); 2 for an invalid or truncated
bundle (one line on stderr, nothing on stdout); 1 for anything else (bad arguments, unreadable file, --device cuda
without CUDA, a crash), so that only 2 can ever be held against the miner.

--device torch-cpu runs the CUDA path's torch code on the CPU (reported as device "cpu"): how CI and the benches
exercise the production GPU code on machines without a GPU.

--serve keeps one interpreter (and CUDA context) for many bundles: one JSON request per stdin line,
{"id": <int>, "bundle": <path>}, one JSON response per stdout line, {"id", "ok": true, "report": <the line above>}
or {"id", "ok": false, "kind": "invalid-bundle" | "error", "error": <one line>}; "invalid-bundle" is exit 2's
case, "error" exit 1's. It exits 0 at the end of stdin, 1 at start when the device cannot be used.
"""
import argparse
import json
import math
import os
import platform
import re
import struct
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import miner_payload as payload  # noqa: E402 - the generator lives beside this file

MAGIC = b'POGB'
MAX_HEADER_BYTES = 1 << 20
MAX_GPUS = 64
MAX_ROWS_PER_GPU = 1024
# float32 bytes of one B block by default (its float64 copy is twice that): n = 65 536 -> 1 024 columns
DEFAULT_BLOCK_BYTES = 1 << 28
SEED = re.compile(r'^(0|[1-9][0-9]{0,19})$')
TINY = 1e-30


class BundleError(Exception):
    """The bundle is invalid or truncated (exit 2)."""


class UsageError(Exception):
    """Our own fault or the caller's: bad arguments, no CUDA (exit 1)."""


def _int(value, lo, hi, what):
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise BundleError(f'{what} must be an integer in [{lo}, {hi}]')
    return value


def _number(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise BundleError(f'{what} must be a finite number >= 0')
    return float(value)


def _seed(value, what):
    if not isinstance(value, str) or not SEED.match(value) or int(value) >= 1 << 64:
        raise BundleError(f'{what} must be a decimal u64 string')
    return int(value)


def _reject_constant(name):
    raise BundleError(f'header JSON holds {name}')


def parse_header(raw):
    """The fields the checker reads, validated; everything else in the header is ignored."""
    try:
        header = json.loads(raw.decode('utf-8'), parse_constant=_reject_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise BundleError(f'header is not UTF-8 JSON ({type(exc).__name__})') from None
    if not isinstance(header, dict):
        raise BundleError('header is not a JSON object')
    if header.get('version') != 1 or isinstance(header.get('version'), bool):
        raise BundleError('unsupported bundle version')
    n = _int(header.get('n'), 1, payload.MAX_N, 'n')
    tol = header.get('tolerance')
    if not isinstance(tol, dict):
        raise BundleError('tolerance must be an object')
    atol, rtol = _number(tol.get('atol'), 'tolerance.atol'), _number(tol.get('rtol'), 'tolerance.rtol')
    gpus = header.get('gpus')
    if not isinstance(gpus, list) or not 1 <= len(gpus) <= MAX_GPUS:
        raise BundleError(f'gpus must be a list of 1..{MAX_GPUS} entries')
    parsed = []
    for k, entry in enumerate(gpus):
        if not isinstance(entry, dict):
            raise BundleError(f'gpus[{k}] is not an object')
        rows = entry.get('rows')
        if not isinstance(rows, list) or not 1 <= len(rows) <= MAX_ROWS_PER_GPU:
            raise BundleError(f'gpus[{k}].rows must be a list of 1..{MAX_ROWS_PER_GPU} row indices')
        parsed.append({
            'gpu': _int(entry.get('gpu'), 0, 2**31 - 1, f'gpus[{k}].gpu'),
            'seedA': _seed(entry.get('seedA'), f'gpus[{k}].seedA'),
            'seedB': _seed(entry.get('seedB'), f'gpus[{k}].seedB'),
            'rows': [_int(i, 0, n - 1, f'gpus[{k}].rows[]') for i in rows],
        })
    return n, atol, rtol, parsed


def read_bundle_header(fh, size):
    """Validates magic, header and the exact data length against the file size; returns the header fields."""
    head = fh.read(8)
    if len(head) < 8:
        raise BundleError('truncated before the header length')
    if head[:4] != MAGIC:
        raise BundleError('not a proof bundle (bad magic)')
    (length,) = struct.unpack('<I', head[4:])
    if not 1 <= length <= MAX_HEADER_BYTES:
        raise BundleError(f'header length {length} outside 1..{MAX_HEADER_BYTES}')
    raw = fh.read(length)
    if len(raw) < length:
        raise BundleError('truncated inside the header')
    n, atol, rtol, gpus = parse_header(raw)
    expected = 8 + length + sum(len(g['rows']) for g in gpus) * n * 4
    if size < expected:
        raise BundleError(f'truncated row data ({size - 8 - length} of {expected - 8 - length} bytes)')
    if size > expected:
        raise BundleError(f'{size - expected} bytes after the row data')
    return n, atol, rtol, gpus


class Tally:
    """Per-GPU verdict accumulated over column blocks (blocks arrive in increasing column order)."""

    def __init__(self, rows):
        self.rows = rows
        self.wrong_values = 0
        self.first = [None] * len(rows)  # per row position: (col, expected, got) of its first wrong value
        self.max_rel = 0.0

    def add(self, c0, wrong_per_row, first_cols, pick):
        """wrong_per_row[r] wrong values in this block; pick(r, k) -> (expected, got) of block column k."""
        self.wrong_values += int(sum(wrong_per_row))
        for r, count in enumerate(wrong_per_row):
            if count and self.first[r] is None:
                k = int(first_cols[r])
                self.first[r] = (c0 + k, *pick(r, k))

    def result(self, gpu, n):
        first = next(((r, f) for r, f in enumerate(self.first) if f is not None), None)
        return {
            'gpu': gpu,
            'rowsChecked': len(self.rows),
            'entriesChecked': len(self.rows) * n,
            'wrongValues': self.wrong_values,
            'wrongRows': sum(f is not None for f in self.first),
            'firstWrong': None if first is None else {
                'row': self.rows[first[0]],
                'col': first[1][0],
                'expected': first[1][1],
                'got': first[1][2] if math.isfinite(first[1][2]) else None,
            },
            'maxRelError': self.max_rel,
        }


def runs(gpus, max_rows=MAX_ROWS_PER_GPU):
    """Indices of the bundle's GPUs in runs that share seedB (D13: one B per attempt), at most max_rows rows per
    run: B's column blocks are generated once per run, and a run holds no more rows than one GPU may."""
    by_seed = {}
    for k, entry in enumerate(gpus):
        by_seed.setdefault(entry['seedB'], []).append(k)
    for ks in by_seed.values():
        run, rows = [], 0
        for k in ks:
            count = len(gpus[k]['rows'])
            if run and rows + count > max_rows:
                yield run
                run, rows = [], 0
            run.append(k)
            rows += count
        if run:
            yield run


def _spans(entries):
    """(start, end) of each entry's rows in the run's stacked rows."""
    out, start = [], 0
    for entry in entries:
        out.append((start, start + len(entry['rows'])))
        start += len(entry['rows'])
    return out


def check_run_numpy(n, entries, claimed, atol, rtol, block):
    """Tallies of a run of GPUs sharing seedB: their A rows stacked against each block of B."""
    a = np.concatenate([
        payload.challenge_block_np(e['seedA'], n, np.asarray(e['rows'], dtype=np.int64), 0, n) for e in entries
    ]).astype(np.float64)
    abs_a = np.abs(a)
    all_rows = np.arange(n)
    spans = _spans(entries)
    tallies = [Tally(e['rows']) for e in entries]
    for c0 in range(0, n, block):
        k = min(block, n - c0)
        b = payload.challenge_block_np(entries[0]['seedB'], n, all_rows, c0, k).astype(np.float64)
        exact = a @ b
        scale = abs_a @ np.abs(b)
        del b
        got = claimed[:, c0:c0 + k].astype(np.float64)
        finite = np.isfinite(got)
        err = np.abs(np.where(finite, got, 0.0) - exact)
        wrong = ~finite | (err > atol + rtol * scale)
        rel = np.where(finite, err / np.maximum(scale, TINY), 0.0)
        for tally, (s0, s1) in zip(tallies, spans):
            tally.max_rel = max(tally.max_rel, float(rel[s0:s1].max()))
            per_row = wrong[s0:s1].sum(axis=1)
            if per_row.any():
                tally.add(c0, per_row.tolist(), wrong[s0:s1].argmax(axis=1),
                          lambda r, j, s0=s0: (float(exact[s0 + r, j]), float(got[s0 + r, j])))
    return tallies


def check_run_torch(n, entries, claimed, atol, rtol, block, device):
    """check_run_numpy with torch on `device` (CUDA in production)."""
    import torch  # only reached when miner_payload found torch (with CUDA, or --device torch-cpu)

    a = torch.cat([
        payload.challenge_block_torch(e['seedA'], n, np.asarray(e['rows'], dtype=np.int64), 0, n, device)
        for e in entries
    ]).to(torch.float64)
    abs_a = a.abs()
    claimed_dev = torch.frombuffer(bytearray(claimed.tobytes()), dtype=torch.float32).view(a.shape[0], n).to(device)
    all_rows = np.arange(n)
    spans = _spans(entries)
    tallies = [Tally(e['rows']) for e in entries]
    for c0 in range(0, n, block):
        k = min(block, n - c0)
        b = payload.challenge_block_torch(entries[0]['seedB'], n, all_rows, c0, k, device).to(torch.float64)
        exact = a @ b
        scale = abs_a @ b.abs()
        del b
        got = claimed_dev[:, c0:c0 + k].to(torch.float64)
        finite = torch.isfinite(got)
        err = (torch.where(finite, got, torch.zeros_like(got)) - exact).abs()
        wrong = ~finite | (err > atol + rtol * scale)
        rel = torch.where(finite, err / scale.clamp_min(TINY), torch.zeros_like(err))
        # one transfer per block for the whole run, not one per GPU
        rel_max = rel.max(dim=1).values.cpu().tolist()
        per_row_all = wrong.sum(dim=1).cpu().tolist()
        first_all = wrong.to(torch.float32).argmax(dim=1).cpu().tolist() if any(per_row_all) else None
        for tally, (s0, s1) in zip(tallies, spans):
            tally.max_rel = max(tally.max_rel, max(rel_max[s0:s1]))
            per_row = per_row_all[s0:s1]
            if any(per_row):
                tally.add(c0, per_row, first_all[s0:s1],
                          lambda r, j, s0=s0: (float(exact[s0 + r, j]), float(got[s0 + r, j])))
    return tallies


def cpu_name():
    try:
        with open('/proc/cpuinfo', encoding='utf-8', errors='replace') as fh:
            for line in fh:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or 'cpu'


def pick_device(requested):
    """(reported device, torch device or None for numpy, device name) for --device."""
    if requested == 'cuda' and not payload.HAVE_CUDA:
        raise UsageError('--device cuda: torch with CUDA is not available on this machine')
    if requested == 'torch-cpu':
        if payload.torch is None:
            raise UsageError('--device torch-cpu: torch is not available on this machine')
        return 'cpu', 'cpu', cpu_name()
    if requested == 'cpu' or not payload.HAVE_CUDA:
        return 'cpu', None, cpu_name()
    return 'cuda', 'cuda:0', payload.torch.cuda.get_device_name(0)


def check(path, requested_device, block_cols):
    device, torch_device, device_name = pick_device(requested_device)
    try:
        fh = open(path, 'rb')  # noqa: SIM115 - closed below; an unreadable file is our fault (exit 1)
    except OSError as exc:
        raise UsageError(f'cannot open bundle: {exc.strerror}') from None
    with fh:
        n, atol, rtol, gpus = read_bundle_header(fh, os.fstat(fh.fileno()).st_size)
        block = min(n, block_cols or max(1, DEFAULT_BLOCK_BYTES // (4 * n)))
        start = time.time()
        data_start = fh.tell()
        offsets = np.cumsum([0] + [len(g['rows']) * n * 4 for g in gpus]).tolist()
        results = [None] * len(gpus)
        for run in runs(gpus):
            entries = [gpus[k] for k in run]
            # the run's claimed rows read straight into one array (no second copy)
            claimed = np.empty((sum(len(e['rows']) for e in entries), n), dtype='<f4')
            view, at = memoryview(claimed).cast('B'), 0
            for k in run:
                size = offsets[k + 1] - offsets[k]
                fh.seek(data_start + offsets[k])
                if fh.readinto(view[at:at + size]) != size:  # the file shrank after the size check
                    raise BundleError('truncated row data')
                at += size
            if torch_device is not None:
                tallies = check_run_torch(n, entries, claimed, atol, rtol, block, torch_device)
            else:
                tallies = check_run_numpy(n, entries, claimed, atol, rtol, block)
            for k, tally in zip(run, tallies):
                results[k] = tally.result(gpus[k]['gpu'], n)
        if device == 'cuda':
            payload.torch.cuda.synchronize()
        seconds = time.time() - start
    return {
        'device': device,
        'deviceName': device_name,
        'seconds': seconds,
        'entriesChecked': sum(r['entriesChecked'] for r in results),
        'gpus': results,
    }


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def answer(raw, device, block_cols):
    """The response to one request line of --serve (never raises for a bad request or bundle)."""
    try:
        request = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        request = None
    ident = request.get('id') if isinstance(request, dict) else None
    if isinstance(ident, bool) or not isinstance(ident, int) or not isinstance(request.get('bundle'), str):
        return {'id': None, 'ok': False, 'kind': 'error', 'error': 'request is not {"id": int, "bundle": str}'}
    try:
        return {'id': ident, 'ok': True, 'report': check(request['bundle'], device, block_cols)}
    except BundleError as exc:
        return {'id': ident, 'ok': False, 'kind': 'invalid-bundle', 'error': str(exc)}
    except UsageError as exc:
        return {'id': ident, 'ok': False, 'kind': 'error', 'error': str(exc)}
    except Exception as exc:  # noqa: BLE001 - a crash on one bundle must not end the others' checker
        return {'id': ident, 'ok': False, 'kind': 'error', 'error': f'{type(exc).__name__}: {exc}'[:300]}


def serve(device, block_cols):
    """One request per stdin line, one response per stdout line, until stdin ends."""
    out = sys.stdout
    # anything printed by a library goes to stderr: stdout carries only the protocol's lines
    sys.stdout = sys.stderr
    pick_device(device)  # --device cuda without CUDA fails here, before any request
    while True:
        raw = sys.stdin.readline()
        if not raw:
            return 0
        if not raw.strip():
            continue
        response = answer(raw, device, block_cols)
        try:
            line = json.dumps(response, separators=(',', ':'), allow_nan=False)
        except ValueError:
            failed = {'id': response['id'], 'ok': False, 'kind': 'error', 'error': 'non-finite value in report'}
            line = json.dumps(failed)
        out.write(line + '\n')
        out.flush()


def main(argv):
    parser = _Parser(prog='row_check.py', description='Recompute every entry of every challenged row.')
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument('--bundle')
    mode.add_argument('--serve', action='store_true', help='check the bundles named on stdin, one per line')
    parser.add_argument('--device', choices=['auto', 'cpu', 'cuda', 'torch-cpu'], default='auto')
    parser.add_argument('--block-cols', type=int, default=0, help='columns of B per block (default: <= 256 MiB)')
    try:
        args = parser.parse_args(argv)
        if args.block_cols < 0:
            raise UsageError('--block-cols must be >= 1')
        if args.serve:
            return serve(args.device, args.block_cols)
        result = check(args.bundle, args.device, args.block_cols)
        line = json.dumps(result, separators=(',', ':'), allow_nan=False)
    except BundleError as exc:
        print(f'invalid bundle: {exc}', file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f'row_check: {exc}', file=sys.stderr)
        return 1
    sys.stdout.write(line + '\n')
    sys.stdout.flush()
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
