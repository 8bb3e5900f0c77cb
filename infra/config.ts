import * as z from 'zod';
import { ConfigError } from '../lib/errors.js';
import { formatIssues } from '../lib/validation.js';

// `-c key=false` arrives as the string 'false', which z.coerce.boolean() would read as true
const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((s) => s === 'true')]);
const csv = z.union([z.array(z.string()), z.string().transform((s) => s.split(',').map((x) => x.trim()))]);

/**
 * Deployment settings, read from CDK context (`-c key=value` or cdk.json). Every key has a default
 * except the chain endpoints, which depend on the network the validator serves.
 */
export const DeployConfigSchema = z.object({
  netuid: z.coerce.number().int().nonnegative().default(27),
  chainEndpoints: csv.pipe(z.array(z.string().regex(/^wss?:\/\//, 'must start with ws:// or wss://')).min(1)),
  weightMode: z.enum(['scores', 'burn']).default('scores'),
  validatorHotkey: z.string().min(1).optional(),
  minMinerVersion: z.coerce.number().int().nonnegative().optional(),
  dedupeIps: z.coerce.boolean().default(false),
  blacklistHotkeys: csv.default([]),
  blacklistColdkeys: csv.default([]),
  /** GPU instance families of the Batch compute environment. */
  gpuInstanceClasses: csv.default(['g4dn', 'g5', 'g6']),
  maxvCpus: z.coerce.number().int().positive().default(64),
  syncIntervalMinutes: z.coerce.number().int().positive().default(5),
  weightsIntervalMinutes: z.coerce.number().int().positive().default(5),
  /** The subnet's WeightsSetRateLimit in blocks (12 s each); the no-submission alarm waits 2×. */
  weightsRateLimitBlocks: z.coerce.number().int().positive().default(100),
  pogIntervalBlocks: z.coerce.number().int().positive().default(360),
  proofJobTimeoutMinutes: z.coerce.number().int().positive().default(30),
  /** Alarm when more than this share of proof jobs fails within an hour. */
  proofJobFailureRatePercent: z.coerce.number().min(0).max(100).default(50),
  /** Other validators' state on W&B (§6); off until the operator has set the API key secret. */
  wandbEnabled: flag.default(false),
  wandbEntity: z.string().min(1).optional(),
  wandbProject: z.string().min(1).optional(),
  wandbBaseUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** ss58 hotkeys whose penalty lists are trusted; empty → the reference's one. */
  wandbTrustedPenaltyValidators: csv.default([]),
  jobImage: z.optional(z.string().regex(/^\S{1,1024}$/)),
});
export type DeployConfig = z.infer<typeof DeployConfigSchema>;

/** Parses deployment settings, naming every bad key. */
export function parseDeployConfig(raw: Record<string, unknown>): DeployConfig {
  const result = DeployConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new ConfigError(`invalid deployment config: ${formatIssues(result.error).join('; ')}`);
}
