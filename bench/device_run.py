#!/usr/bin/env python3
"""Issue 11's device run in one command: every GPU check, each bounded in time, and the verdict they give.

  python3 bench/device_run.py --out DIR [--device cuda|torch-cpu] [--n 29280,65536] [--budget-s 500]

A device machine is lent for minutes, so the run is one prepared call (README, "Device run"):
1. machine.json: the card, the driver, torch, CUDA and numpy versions.
2. device_check.json: bench/device_check.py (the torch generator against numpy bit for bit, generation cost,
   the payload's own compute timings at each n).
3. precision.json: bench/row_check_precision.py --payload (honest rows from the payload's own compute, one wrong
   value per row, low-precision products, each through the row checker, with its values per second).
4. verdict.json: whether `rowCheck: enforce` may become the default (the generator identical to numpy, honest
   rows at n >= 29 280 passing every value, every cheat failing), with the reason when not.

Each script runs once per size, the smaller sizes first, so that a size that runs out of GPU memory or of the
--budget-s left loses only its own figures; its error is recorded, the run goes on and always writes verdict.json.
C's files (n*n*4 bytes per size) go to a temporary folder that each step removes.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ENFORCE_MIN_N = 29280
# the variants of row_check_precision.py that an honest miner's C must pass and every cheat must fail
HONEST = 'honest'


def machine(device):
    info = {'device': device, 'python': sys.version.split()[0]}
    try:
        import numpy
        import torch

        info.update({'torch': torch.__version__, 'cuda': torch.version.cuda, 'numpy': numpy.__version__})
        if device == 'cuda' and torch.cuda.is_available():
            props = torch.cuda.get_device_properties(0)
            info.update({'card': props.name, 'memoryGiB': round(props.total_memory / 2**30, 1)})
    except Exception as error:  # the verdict names a machine without torch; the other steps say why
        info['error'] = repr(error)
    try:
        smi = subprocess.run(
            ['nvidia-smi', '--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'],
            capture_output=True, text=True, timeout=20,
        )
        info['nvidiaSmi'] = smi.stdout.strip()
    except (OSError, subprocess.TimeoutExpired) as error:
        info['nvidiaSmi'] = repr(error)
    return info


def step(script, args, timeout_s):
    """One bench script in its own process; its JSON report, or the reason there is none."""
    work = tempfile.mkdtemp(prefix='pog-device-')
    start = time.time()
    try:
        done = subprocess.run(
            [sys.executable, os.path.join(HERE, script), *args(work)],
            capture_output=True, text=True, timeout=timeout_s,
        )
        if done.returncode != 0:
            return {'error': f'exit {done.returncode}: {done.stderr.strip()[-2000:]}'}
        report = json.loads(done.stdout.strip().splitlines()[-1])
        report['stepSeconds'] = round(time.time() - start, 1)
        return report
    except subprocess.TimeoutExpired:
        return {'error': f'ran past the time left of the run\'s budget ({timeout_s} s)'}
    except (ValueError, IndexError) as error:
        return {'error': f'no JSON report: {error!r}'}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def verdict(check, precision, sizes):
    """Whether the evidence allows `rowCheck: enforce` as the default, and why not when it does not."""
    reasons = []
    for n in sizes:
        report = check['sizes'].get(str(n), {'error': 'not run'})
        if 'error' in report:
            reasons.append(f'n = {n}: device_check did not finish: {report["error"]}')
        elif report.get('identity', {}).get('mismatches') != 0:
            reasons.append(f'n = {n}: the torch generator differs from numpy: {report.get("identity")}')
    measured = {size['n']: size for size in precision['sizes']}
    for n in sizes:
        size = measured.get(n, {'error': 'not run'})
        if 'error' in size:
            reasons.append(f'n = {n}: row_check_precision did not finish: {size["error"]}')
            continue
        for name, variant in size['variants'].items():
            if name == HONEST and variant['wrongValues'] != 0:
                reasons.append(f'n = {n}: honest rows have {variant["wrongValues"]} wrong values')
            if name != HONEST and variant['wrongRows'] == 0:
                reasons.append(f'n = {n}: {name} passes every row')
    if not any(n >= ENFORCE_MIN_N for n in sizes):
        reasons.append(f'no size at n >= {ENFORCE_MIN_N}')
    return {'enforceReady': not reasons, 'reasons': reasons}


def main(argv):
    parser = argparse.ArgumentParser(description='The GPU checks of issue 11 in one bounded run.')
    parser.add_argument('--out', required=True, help='folder for the reports ($OUT on the device machine)')
    parser.add_argument('--device', choices=['cuda', 'torch-cpu'], default='cuda')
    parser.add_argument('--n', default='29280,65536', help='comma-separated sizes')
    parser.add_argument('--budget-s', type=int, default=500, help='seconds for every step together')
    args = parser.parse_args(argv)
    sizes = [int(x) for x in args.n.split(',')]
    os.makedirs(args.out, exist_ok=True)

    def write(name, report):
        with open(os.path.join(args.out, name), 'w') as f:
            json.dump(report, f, indent=1)

    write('machine.json', machine(args.device))
    # one process per size, the smaller first: a size that runs out of memory or time loses only its own figures
    deadline = time.time() + args.budget_s
    left = lambda: max(0, int(deadline - time.time()))
    check, precision = {'sizes': {}}, {'sizes': []}
    for n in sorted(sizes):
        report = step('device_check.py', lambda work: ['--device', args.device, '--n', str(n), '--state-dir', work], left())
        check['sizes'][str(n)] = report
        report = step(
            'row_check_precision.py',
            lambda work: ['--device', args.device, '--payload', '--n', str(n), '--work-dir', work],
            left(),
        )
        if 'error' in report:
            precision['sizes'].append({'n': n, 'error': report['error']})
        else:
            precision.update({k: v for k, v in report.items() if k != 'sizes'})
            precision['sizes'].extend(report['sizes'])
    write('device_check.json', check)
    write('precision.json', precision)
    result = verdict(check, precision, sizes)
    write('verdict.json', result)
    sys.stdout.write(json.dumps(result) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
