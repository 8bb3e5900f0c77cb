import * as z from 'zod';
import { ConfigError } from '../errors.js';
import { formatIssues } from '../validation.js';

/**
 * Engine settings that are not in the reference's `config.yaml`. Strength (rows and entries
 * challenged per GPU) is configuration; see lib/pog/README.md for how the defaults were chosen.
 */
export const PogEngineConfigSchema = z
  .object({
    /** Distinct rows of C challenged per GPU (reference: 1). 17 rows → a 90 %-of-rows cheater passes ≤ 0.07 % of 8-GPU rounds. */
    rowsPerGpu: z.number().int().min(1).max(64).default(17),
    /** Entries verified inside each challenged row (the validator picks them after the row arrives). */
    entriesPerRow: z.number().int().min(1).max(64).default(2),
    /** Seconds added to one multiplication budget for the compute deadline (timing.ts); null → `merkle_proof.time_tolerance`. */
    timeToleranceS: z.number().min(0).max(600).nullable().default(null),
    /** Overall deadline of one attempt (reference: 300 s). */
    attemptTimeoutS: z.number().positive().max(3600).default(300),
    allocateCheckTimeoutS: z.number().positive().max(600).default(15),
    allocateTimeoutS: z.number().positive().max(600).default(60),
    deallocateTimeoutS: z.number().positive().max(600).default(15),
    deallocateTries: z.number().int().min(1).max(10).default(3),
    deallocateRetryDelayS: z.number().min(0).max(60).default(5),
    sshConnectTimeoutS: z.number().positive().max(120).default(10),
    /** Deadline of the short commands (upload, hash, gpu_info, proof per GPU). */
    commandTimeoutS: z.number().positive().max(3600).default(60),
    /** Deadline of `benchmark` (a VRAM probe and two large matmuls). */
    benchmarkTimeoutS: z.number().positive().max(3600).default(120),
    /** Cap on one command's stdout; proof output per GPU is additionally bounded by its exact size. */
    maxOutputBytes: z
      .number()
      .int()
      .positive()
      .max(256 * 1024 * 1024)
      .default(256 * 1024),
    maxStderrBytes: z
      .number()
      .int()
      .positive()
      .max(16 * 1024 * 1024)
      .default(64 * 1024),
    maxAxonResponseBytes: z
      .number()
      .int()
      .positive()
      .max(16 * 1024 * 1024)
      .default(64 * 1024),
    maxGpus: z.number().int().min(1).max(64).default(16),
    /** Interpreter inside the miner's container (the reference's image path). */
    remotePython: z.string().min(1).default('/opt/conda/bin/python'),
    /** Where the session directory (payload + matrices) is created on the miner: /dev/shm as in the reference. */
    remoteBaseDir: z.string().startsWith('/').default('/dev/shm'),
    /** Sent as `bt_header_dendrite_ip`; miners do not check it. */
    dendriteIp: z.string().default('0.0.0.0'),
    dendriteVersion: z.number().int().default(9_000_000),
  })
  .strict();
export type PogEngineConfig = z.infer<typeof PogEngineConfigSchema>;
export type PogEngineConfigInput = z.input<typeof PogEngineConfigSchema>;

/** Parses engine settings; a bad value throws a {@link ConfigError} naming the key. */
export function parsePogEngineConfig(value: unknown = {}): PogEngineConfig {
  const result = PogEngineConfigSchema.safeParse(value);
  if (result.success) return result.data;
  throw new ConfigError(`PoG engine config is invalid: ${formatIssues(result.error).join('; ')}`);
}

/**
 * The longest a session's clean-up may take after its deadline: the deallocation's tries with their
 * pauses, and 5 s for the remote `rm` and the ledger's write. The attempt waits for it, because a
 * Lambda frozen after its invocation returns never sends a deallocation still in flight, and the worker's
 * timeout (lib/queue/challenge.ts) leaves room for it.
 */
export function sessionCleanupS(engine: PogEngineConfig): number {
  return (
    engine.deallocateTries * engine.deallocateTimeoutS +
    (engine.deallocateTries - 1) * engine.deallocateRetryDelayS +
    5
  );
}
