import { spawnSync } from 'node:child_process';

/**
 * An interpreter with numpy and PyTorch, for the torch paths on the CPU: `python3` on PATH when it has
 * torch, else Debian's `/usr/bin/python3` (its `python3-torch` package, which `.ci/run` installs, is
 * for the system interpreter only); null when neither has it.
 */
export function torchPython(): string | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(python, ['-c', 'import numpy, torch'], { stdio: 'ignore' });
    if (probe.status === 0) return python;
  }
  return null;
}

/** True when `python3` has PyTorch with a CUDA device (the row checker's and payload's GPU paths). */
export function hasCudaTorch(): boolean {
  return (
    spawnSync('python3', ['-c', 'import torch; assert torch.cuda.is_available()'], { stdio: 'ignore' })
      .status === 0
  );
}
