#!/usr/bin/env python3
"""Forced command of a simulated miner's SSH key (simulation only, never uploaded to a miner).

sshd runs `miner_shell.py <miner.json>` for every command of that key, with the validator's command
in SSH_ORIGINAL_COMMAND. Plain shell commands (upload, hash, cleanup) run through bash; payload runs
import the uploaded payload as a module and run it in-process, after applying the miner's simulated
GPU profile (gpu_info/benchmark figures) and its behaviour (the cheat, if any). The production
payload itself contains no cheat logic: every cheat below is a patch applied from here.
"""
import hashlib
import importlib.util
import json
import math
import os
import random
import shlex
import signal
import sys
import time


def load_config():
    with open(sys.argv[1], encoding='utf-8') as fh:
        return json.load(fh)


def adjust(vram_gb, element_size, buffer_factor):
    return int(math.floor(math.floor(math.sqrt(vram_gb * buffer_factor * 1e9 / (element_size * 2))) / 32) * 32)


BENCH_N_CAP = 4096  # simulated matmuls stay in the milliseconds; TFLOPS (the fingerprint) are unchanged


def profile_benchmark(profile):
    n16 = min(adjust(profile['vram'], 2, 1.0), BENCH_N_CAP)
    n32 = min(adjust(profile['vram'], 4, 0.5), BENCH_N_CAP)
    return {
        'num_gpus': profile['count'],
        'vram': profile['vram'],
        'n16': n16,
        't16': 2 * n16**3 / (profile['fp16'] * 1e12),
        'n32': n32,
        't32': 2 * n32**3 / (profile['fp32'] * 1e12),
    }


def drop_connection():
    """Kill this session's sshd process (the one named 'sshd: user@notty'), never the listener."""
    embedded = os.environ.get('SIM_SSH_DROP_EXIT')
    if embedded:
        # the in-process SSH server (harness/sim/ssh-embedded.ts) drops the connection on this status
        os._exit(int(embedded))
    pid = os.getppid()
    for _ in range(6):
        try:
            with open(f'/proc/{pid}/cmdline', 'rb') as fh:
                cmd = fh.read().replace(b'\0', b' ').decode(errors='replace')
            with open(f'/proc/{pid}/stat', encoding='utf-8') as fh:
                ppid = int(fh.read().rsplit(')', 1)[1].split()[1])
        except OSError:
            break
        if cmd.startswith('sshd: ') and '@' in cmd:
            os.kill(pid, signal.SIGKILL)
            break
        pid = ppid
    os._exit(255)


def hankel_shortcut(a, b):
    """C in O(n^2) as if A and B were Hankel (A[i][k] = a(i+k), B[k][j] = b(k+j), the reference
    generator): first row and column by dot products, then C[i+1][j+1] = C[i][j] - a(i)b(j) +
    a(i+n)b(j+n). Exact for the reference generator, wrong for the D10 one."""
    import numpy as np

    n = a.shape[0]
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    seq_a = np.concatenate([a64[0, :], a64[1:, n - 1]])
    seq_b = np.concatenate([b64[:, 0], b64[n - 1, 1:]])
    c = np.empty((n, n), dtype=np.float64)
    c[0, :] = a64[0, :] @ b64
    c[:, 0] = a64 @ b64[:, 0]
    for i in range(n - 1):
        c[i + 1, 1:] = c[i, :-1] - seq_a[i] * seq_b[:n - 1] + seq_a[i + n] * seq_b[n:]
    return c.astype(np.float32)


def low_precision_matmul(a, b):
    """C from float16-rounded inputs accumulated in float32, as fp16 or TF32 tensor cores would give. With
    the signed challenge entries (D11) its error, ~2^-11 * sum|a*b| / sqrt(n), is far above the entry
    tolerance (16 * 2^-24 * sum|a*b|) at the simulation's n and at real n (64 % of the values at 29 280,
    bench/row_check_precision.py)."""
    if hasattr(a, 'half'):
        return (a.half().float() @ b.half().float())
    import numpy as np

    return a.astype(np.float16).astype(np.float32) @ b.astype(np.float16).astype(np.float32)


def simulated_benchmark(profile, behaviour):
    """The profile's figures, taking as long on the wall clock as the matmuls they report."""
    bench = profile_benchmark(profile)
    time.sleep(bench['t16'] + bench['t32'])
    if behaviour == 'inflated-benchmark':
        # same TFLOPS (same fingerprint), a matrix no GPU holds and a time the command never took
        scale = 1_000_000 / bench['n32']
        bench['n32'], bench['t32'] = 1_000_000, bench['t32'] * scale**3
    return bench


def one_device(payload, device_s):
    """k claimed GPUs, one device: the GPUs' work runs one after another, each multiplication
    holding the device for device_s (what a real GPU would spend at the challenge's n)."""
    from concurrent.futures import ThreadPoolExecutor

    matmul = payload.matmul

    def on_device(a, b):
        time.sleep(device_s)
        return matmul(a, b)

    payload.matmul = on_device
    payload.ThreadPoolExecutor = lambda max_workers: ThreadPoolExecutor(max_workers=1)


def main():
    cfg = load_config()
    behaviour = cfg['behaviour']
    command = os.environ.get('SSH_ORIGINAL_COMMAND', '')
    if behaviour == 'noisy-but-valid':
        print('WARNING: simulated driver noise (harmless)', file=sys.stderr)
    argv = shlex.split(command)
    if len(argv) < 3 or not argv[1].endswith('/miner_payload.py') or '--mode' not in argv:
        os.execvp('bash', ['bash', '-c', command])

    spec = importlib.util.spec_from_file_location('miner_payload', argv[1])
    payload = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(payload)
    profile = cfg['profile']
    mode = argv[argv.index('--mode') + 1] if '--mode' in argv else ''

    reported = cfg.get('claimedName') if behaviour == 'spoofed-name' else profile['name']
    payload.gpu_info = lambda: {'num_gpus': profile['count'], 'gpu_names': [reported] * profile['count']}
    payload.benchmark = lambda: simulated_benchmark(profile, behaviour)

    if behaviour == 'slow-but-valid':
        time.sleep(cfg['slowDelayS'])
    if behaviour == 'partial-compute':
        original = payload.matmul
        fraction = cfg['partialFraction']

        def partial(a, b):
            c = original(a, b)
            c[int(c.shape[0] * fraction):, :] = 0
            return c

        payload.matmul = partial

    if behaviour == 'one-wrong-entry-per-row':
        exact = payload.matmul

        def one_wrong(a, b):
            # all else honest: one value per row off by far more than any rounding, at a spread column
            c = exact(a, b)
            n = c.shape[1]
            for i in range(c.shape[0]):
                j = (i * 7919 + 13) % n
                c[i, j] = c[i, j] + 1.0 + 0.01 * abs(float(c[i, j]))
            return c

        payload.matmul = one_wrong
    if behaviour == 'low-precision':
        payload.matmul = low_precision_matmul
    if behaviour == 'one-gpu-serial':
        one_device(payload, cfg['serialDeviceS'])
    if behaviour == 'inflated-benchmark' and mode == 'compute':
        time.sleep(cfg['inflatedComputeS'])

    if cfg.get('hankelShortcut'):
        payload.matmul = hankel_shortcut

    if mode == 'compute':
        if behaviour == 'too-slow':
            bench = profile_benchmark(profile)
            time.sleep(bench['num_gpus'] * bench['t32'] + cfg['tooSlowExtraS'])
        if behaviour == 'disconnect':
            drop_connection()
        if behaviour == 'garbage-output':
            sys.stdout.write('Root hashes: [[0, ' + os.urandom(24).hex() + '}}} \x00\x01 not json\n')
            return
        if behaviour == 'huge-output':
            chunk = ('x' * 65535 + '\n')
            try:
                for _ in range(256):
                    sys.stdout.write(chunk)
                sys.stdout.flush()
            except BrokenPipeError:
                os._exit(0)
            return

    result = payload.run(argv[2:])
    if mode == 'compute' and behaviour == 'wrong-root':
        result['roots'] = [[g, hashlib.sha256(bytes.fromhex(r)).hexdigest()] for g, r in result['roots']]
    payload.emit(result)


if __name__ == '__main__':
    random.seed()
    main()
