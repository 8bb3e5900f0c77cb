/**
 * The verifier's row check on a GPU, derived from a card's published rates: an estimate, not a
 * measurement (no card has been lent to this project yet). The cost model's seconds per bundle and
 * the row-check bench's derived throughput both come from here, so the two cannot drift apart.
 */

/** A card's published rates, and the share of its peak bandwidth a streaming kernel reaches. */
export interface GpuRates {
  readonly name: string;
  readonly peakBandwidthGBs: number;
  readonly effectiveBandwidthShare: number;
  readonly fp64Tflops: number;
}

/** g4dn's NVIDIA T4: 320 GB/s GDDR6 and 8.1 TFLOPS FP32 at a 1/32 FP64 rate (NVIDIA's datasheet). */
export const T4: GpuRates = {
  name: 'NVIDIA T4',
  peakBandwidthGBs: 320,
  // ~250 GB/s: what bandwidth benchmarks commonly reach on a T4
  effectiveBandwidthShare: 0.78,
  fp64Tflops: 0.25,
};

/**
 * What regenerating one entry of B costs the row checker's torch code (lib/pog/payload/row_check.py),
 * counted per kernel as bytes read plus bytes written in int64 or float64.
 */
export const ROW_CHECK_WORK = {
  /** The xorshift mix tables: index, two gathers, XOR, the float64 scaling and its copy. */
  mixBytesPerEntry: 184,
  /** D12's fmix32 finaliser: three shift–XORs, two products and their masks. */
  finaliserBytesPerEntry: 184,
  /** |B| for the tolerance's scale: one float64 read and one written. */
  absBytesPerEntry: 16,
  /** float64 multiply-adds per entry of B and challenged row: the value and its scale Σ|a·b|. */
  fmasPerEntryPerRow: 2,
} as const;

/**
 * Seconds to check `rows` whole rows of each of `gpus` GPUs' C at size n, all sharing one B (D13): B regenerated
 * once, then each GPU's products with it.
 */
export function rowCheckSeconds(n: number, rows: number, gpus = 1, card: GpuRates = T4): number {
  const entries = n * n;
  const w = ROW_CHECK_WORK;
  const bytes = entries * (w.mixBytesPerEntry + w.finaliserBytesPerEntry + w.absBytesPerEntry);
  const flops = entries * gpus * rows * w.fmasPerEntryPerRow * 2;
  return (
    bytes / (card.peakBandwidthGBs * card.effectiveBandwidthShare * 1e9) + flops / (card.fp64Tflops * 1e12)
  );
}

/** Values of C verified per second on the card (`rows` rows of n values for each of `gpus` GPUs sharing B). */
export function rowCheckValuesPerSecond(n: number, rows: number, gpus = 1, card: GpuRates = T4): number {
  return (gpus * rows * n) / rowCheckSeconds(n, rows, gpus, card);
}
