import type { UidStat } from '../ports.js';

export const TABLE_WIDTH = 190;

/** Python's `str.center`: the extra space of an odd padding goes right unless width and padding are both odd. */
export function pyCenter(text: string, width: number): string {
  const pad = width - text.length;
  if (pad <= 0) return text;
  const left = Math.floor(pad / 2) + (pad & width & 1);
  return ' '.repeat(left) + text + ' '.repeat(pad - left);
}

/** Python's `str(float)` for the values the table shows: integral floats keep a trailing `.0`. */
export function pyFloatStr(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return value.toFixed(1);
  return String(value);
}

/**
 * Python's `f"{x:.{digits}f}"`: rounds the exact binary value, ties to even (JS `toFixed` breaks ties
 * upwards, so 0.125 would print 0.13 instead of 0.12).
 */
export function pyFixed(value: number, digits: number): string {
  const rounded = value.toFixed(digits);
  if (!Number.isFinite(value)) return rounded;
  const exact = Math.abs(value).toFixed(Math.min(100, digits + 60));
  const tail = exact.slice(exact.indexOf('.') + 1 + digits);
  if (!/^50*$/.test(tail)) return rounded;
  const truncated =
    (value < 0 ? '-' : '') + exact.slice(0, exact.indexOf('.') + (digits > 0 ? 1 + digits : 0));
  const lastDigit = Number(truncated.replace('.', '').slice(-1));
  return lastDigit % 2 === 0 ? truncated : rounded;
}

function gpuLabel(specs: UidStat['gpu_specs']): string {
  if (specs === null || typeof specs !== 'object') return 'N/A';
  const count = (specs as Record<string, unknown>).num_gpus;
  const name = (specs as Record<string, unknown>).gpu_name;
  return typeof count === 'number' && count > 0 ? `${count} x ${String(name)}` : 'No GPUs';
}

/** The reference's "MINER STATS SUMMARY" log table (§2.4), one row per uid in uid order. */
export function formatSummaryTable(stats: ReadonlyMap<number, UidStat>): string {
  const rule = '-'.repeat(TABLE_WIDTH);
  const lines = [rule, pyCenter('MINER STATS SUMMARY', TABLE_WIDTH), rule];
  for (const [uid, stat] of stats) {
    lines.push(
      `| UID: ${String(uid).padEnd(4)} | Hotkey: ${stat.hotkey.padEnd(45)} | GPU: ${gpuLabel(stat.gpu_specs).padEnd(36)} ` +
        `| Score: ${pyFixed(stat.score, 2).padEnd(7)} | Allocated: ${(stat.allocated ? 'yes' : 'no').padEnd(5)} ` +
        `| RelScore: ${pyFloatStr(stat.reliability_score).padEnd(5)} | Source: ${(stat.own_score ? 'Local' : 'External').padEnd(9)} |`,
    );
  }
  lines.push(rule);
  return lines.join('\n');
}
