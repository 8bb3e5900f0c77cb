import { readFileSync } from 'node:fs';

/**
 * This process's own resident high-water mark in MB: Linux's VmHWM. `resourceUsage().maxRSS` (getrusage)
 * is not: it keeps the parent's resident set at the spawn across the exec, and a bench's parent may hold
 * the input it just built.
 */
export function maxRssMb(): number {
  const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  if (hwm === undefined) throw new Error('no VmHWM in /proc/self/status (the probe needs Linux)');
  return Number(hwm) / 1024;
}
