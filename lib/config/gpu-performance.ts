import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { ConfigError } from '../errors.js';
import { formatIssues } from '../validation.js';

const finite = z.number().finite();
const nonNegative = finite.nonnegative();
const positive = finite.positive();
/** Key order matters: the reference takes the first maximum and breaks identification ties by order. */
const gpuTable = <T extends z.ZodType>(value: T) => z.record(z.string().min(1), value);

/**
 * The reference's `config.yaml` `gpu_performance` block, under its own key names so an operator can
 * convert the reference file to JSON and use it unchanged.
 */
export const GpuPerformanceSchema = z
  .object({
    gpu_scores: gpuTable(nonNegative).refine((t) => Object.keys(t).length > 0, 'must list at least one GPU'),
    GPU_TFLOPS_FP16: gpuTable(positive),
    GPU_TFLOPS_FP32: gpuTable(positive),
    GPU_AVRAM: gpuTable(positive),
    gpu_tolerance_pairs: z.record(z.string().min(1), z.string().min(1)),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    // Every name identify_gpu can return: the fingerprinted GPUs and both sides of each tolerance
    // pair (a reported partner name wins). PoG sizes n from GPU_AVRAM and times the compute from
    // GPU_TFLOPS_FP32, so a name missing there would fall back to the miner's own figures.
    const fp16 = Object.keys(cfg.GPU_TFLOPS_FP16);
    const aliases = Object.entries(cfg.gpu_tolerance_pairs).flat();
    const identifiable = [...new Set([...fp16, ...aliases])];
    for (const table of ['GPU_TFLOPS_FP16', 'GPU_TFLOPS_FP32', 'GPU_AVRAM'] as const) {
      for (const name of identifiable) {
        if (!Object.hasOwn(cfg[table], name)) {
          ctx.addIssue({
            code: 'custom',
            path: [table, name],
            message: `missing; every identifiable GPU (GPU_TFLOPS_FP16 key or gpu_tolerance_pairs name) needs a ${table} value`,
          });
        }
      }
    }
    if (Math.max(...Object.values(cfg.gpu_scores)) <= 0) {
      ctx.addIssue({ code: 'custom', path: ['gpu_scores'], message: 'the best GPU must have a score > 0' });
    }
  });
export type GpuPerformance = z.infer<typeof GpuPerformanceSchema>;

/** The reference's `merkle_proof` block (§1.2). `submatrix_size` and `hash_algorithm` are unused there too. */
export const MerkleProofSchema = z
  .object({
    miner_script_path: z.string().optional(),
    time_tolerance: nonNegative,
    submatrix_size: z.number().int().positive().optional(),
    hash_algorithm: z.literal('sha256').optional(),
    pog_retry_limit: z.number().int().positive(),
    pog_retry_interval: nonNegative,
    max_workers: z.number().int().positive(),
    max_random_delay: nonNegative,
  })
  .strict();
export type MerkleProof = z.infer<typeof MerkleProofSchema>;

export const PerformanceConfigSchema = z
  .object({ gpu_performance: GpuPerformanceSchema, merkle_proof: MerkleProofSchema })
  .strict();
export type PerformanceConfig = z.infer<typeof PerformanceConfigSchema>;

const N = 'NVIDIA ';
const pairs: Array<[string, string]> = [
  ['L40', 'RTX 6000 Ada Generation'],
  ['RTX 4000 Ada Generation', 'RTX A5000'],
  ['A100 80GB PCIe', 'A100-SXM4-80GB'],
  ['H100 80GB HBM3', 'H100'],
  ['A40', 'RTX A6000'],
];

/** Reference v1.9.0 values (reference.md §1.2), in the reference's key order. */
export const DEFAULT_PERFORMANCE_CONFIG: PerformanceConfig = {
  gpu_performance: {
    gpu_scores: {
      'NVIDIA B200': 5.0,
      'NVIDIA H200': 4.0,
      'NVIDIA H100 80GB HBM3': 3.3,
      'NVIDIA H100': 2.8,
      'NVIDIA A100-SXM4-80GB': 1.9,
      'NVIDIA A100 80GB PCIe': 1.7,
      'NVIDIA A100-SXM4-40GB': 1.3,
      'NVIDIA GeForce RTX 5090': 0.92,
      'NVIDIA L40s': 0.9,
      'NVIDIA RTX 6000 Ada Generation': 0.83,
      'NVIDIA L40': 1.0,
      'NVIDIA RTX A6000': 0.75,
      'NVIDIA RTX 4090': 0.68,
      'NVIDIA A40': 0,
      'NVIDIA GeForce RTX 3090': 0,
      'NVIDIA L4': 0,
      'NVIDIA RTX A5000': 0.26,
      'NVIDIA RTX A4500': 0,
    },
    GPU_TFLOPS_FP16: {
      'NVIDIA B200': 1205,
      'NVIDIA H200': 610,
      'NVIDIA H100 80GB HBM3': 570,
      'NVIDIA H100': 330,
      'NVIDIA A100-SXM4-80GB': 238.8,
      'NVIDIA A100 80GB PCIe': 197,
      'NVIDIA A100-SXM4-40GB': 257,
      'NVIDIA GeForce RTX 5090': 220,
      'NVIDIA L40s': 171,
      'NVIDIA L40': 116,
      'NVIDIA RTX 6000 Ada Generation': 112,
      'NVIDIA RTX A6000': 48.5,
      'NVIDIA RTX A5000': 60.0,
      'NVIDIA RTX A4500': 44.0,
      'NVIDIA RTX 4000 Ada Generation': 70,
      'NVIDIA A40': 40.0,
      'NVIDIA RTX 4090': 157,
      'NVIDIA GeForce RTX 3090': 66.4,
      'NVIDIA L4': 51,
    },
    GPU_TFLOPS_FP32: {
      'NVIDIA B200': 67.2,
      'NVIDIA H200': 49.6,
      'NVIDIA H100 80GB HBM3': 49.0,
      'NVIDIA H100': 37.2,
      'NVIDIA A100-SXM4-80GB': 18.2,
      'NVIDIA A100 80GB PCIe': 16.9,
      'NVIDIA A100-SXM4-40GB': 18.2,
      'NVIDIA GeForce RTX 5090': 65.0,
      'NVIDIA L40s': 35.5,
      'NVIDIA L40': 27.0,
      'NVIDIA RTX 6000 Ada Generation': 26.0,
      'NVIDIA RTX A6000': 21.28,
      'NVIDIA RTX A5000': 15.8,
      'NVIDIA RTX A4500': 14.3,
      'NVIDIA RTX 4000 Ada Generation': 14.6,
      'NVIDIA A40': 22.8,
      'NVIDIA RTX 4090': 48.5,
      'NVIDIA GeForce RTX 3090': 21.7,
      'NVIDIA L4': 9,
    },
    GPU_AVRAM: {
      'NVIDIA B200': 68.72,
      'NVIDIA H200': 68.72,
      'NVIDIA H100 80GB HBM3': 34.36,
      'NVIDIA H100': 34.36,
      'NVIDIA A100-SXM4-80GB': 34.36,
      'NVIDIA A100 80GB PCIe': 34.36,
      'NVIDIA A100-SXM4-40GB': 17.18,
      'NVIDIA GeForce RTX 5090': 17.18,
      'NVIDIA L40s': 17.18,
      'NVIDIA L40': 17.18,
      'NVIDIA RTX 6000 Ada Generation': 17.18,
      'NVIDIA RTX A6000': 17.18,
      'NVIDIA RTX A5000': 8.59,
      'NVIDIA RTX A4500': 8.59,
      'NVIDIA RTX 4000 Ada Generation': 8.59,
      'NVIDIA A40': 17.18,
      'NVIDIA RTX 4090': 8.59,
      'NVIDIA GeForce RTX 3090': 8.59,
      'NVIDIA L4': 8.59,
    },
    gpu_tolerance_pairs: Object.fromEntries(
      pairs.flatMap(([a, b]) => [
        [N + a, N + b],
        [N + b, N + a],
      ]),
    ),
  },
  merkle_proof: {
    miner_script_path: 'neurons/Validator/miner_script_m_merkletree.py',
    time_tolerance: 5,
    submatrix_size: 512,
    hash_algorithm: 'sha256',
    pog_retry_limit: 22,
    pog_retry_interval: 60,
    max_workers: 64,
    max_random_delay: 900,
  },
};

/**
 * Parses a performance configuration (the default, or an operator override). Throws a
 * {@link ConfigError} naming each bad key and the value found there.
 */
export function parsePerformanceConfig(value: unknown, source = 'performance config'): PerformanceConfig {
  const result = PerformanceConfigSchema.safeParse(value);
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => {
    const found = issue.path.reduce<unknown>(
      (node, key) =>
        node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined,
      value,
    );
    return `${formatIssues(new z.ZodError([issue]))[0]} (given ${JSON.stringify(found) ?? 'nothing'})`;
  });
  throw new ConfigError(`${source} is invalid: ${details.join('; ')}`);
}

/** Loads an override from a JSON file; a missing file or bad JSON is a {@link ConfigError}. */
export function loadPerformanceConfig(path?: string): PerformanceConfig {
  if (path === undefined || path === '') return DEFAULT_PERFORMANCE_CONFIG;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`cannot read performance config ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parsePerformanceConfig(raw, `performance config ${path}`);
}
