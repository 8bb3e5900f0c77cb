import * as z from 'zod';
import { ConfigError } from '../lib/errors.js';
import { CHALLENGE_QUEUE } from '../lib/queue/challenge.js';
import { formatIssues } from '../lib/validation.js';

// `-c key=false` arrives as the string 'false', which z.coerce.boolean() would read as true; anything
// but true/false (any case, surrounding blanks ignored) is refused rather than guessed
const word = (v: string): boolean | string => {
  const s = v.trim().toLowerCase();
  return s === 'true' ? true : s === 'false' ? false : v;
};
const flag = z.preprocess(
  (v) => (typeof v === 'string' ? word(v) : v),
  z.boolean({ error: "must be 'true' or 'false'" }),
);
// `-c key=a,b` is a string, cdk.json may hold an array; blanks and empty items ('a,,b', 'a,') are dropped
const csv = z
  .union([z.array(z.string()), z.string().transform((s) => s.split(','))])
  .transform((items) => items.map((x) => x.trim()).filter((x) => x !== ''));

/**
 * Deployment settings, read from CDK context (`-c key=value` or cdk.json). Every key has a default
 * except the chain endpoints, which depend on the network the validator serves.
 */
export const DeployConfigSchema = z
  .object({
    netuid: z.coerce.number().int().nonnegative().default(27),
    chainEndpoints: csv.pipe(
      z.array(z.string().regex(/^wss?:\/\//, 'must start with ws:// or wss://')).min(1),
    ),
    weightMode: z.enum(['scores', 'burn']).default('scores'),
    validatorHotkey: z.string().min(1).optional(),
    minMinerVersion: z.coerce.number().int().nonnegative().optional(),
    dedupeIps: flag.default(false),
    blacklistHotkeys: csv.default([]),
    blacklistColdkeys: csv.default([]),
    syncIntervalMinutes: z.coerce.number().int().positive().default(5),
    weightsIntervalMinutes: z.coerce.number().int().positive().default(5),
    /** The subnet's WeightsSetRateLimit in blocks (12 s each); the no-submission alarm waits 2×. */
    weightsRateLimitBlocks: z.coerce.number().int().positive().default(100),
    pogIntervalBlocks: z.coerce.number().int().positive().default(360),
    /**
     * Worker Lambdas running PoG sessions at once (the SQS event source's maximum concurrency, which
     * AWS allows from 2 to 1000).
     */
    workerConcurrency: z.coerce
      .number()
      .int()
      .min(2)
      .max(1000)
      .default(CHALLENGE_QUEUE.defaultWorkerConcurrency),
    /**
     * The worker Lambda's memory (MB), which also sets its CPU share. The floor and default are the
     * smallest 64 MB step with at least a third of it free above the measured peak of the largest proof
     * a session accepts (the deployed entry loaded and its hotkey derived, 16 GPUs × 17 rows at n = 29 280
     * taken through the session's own proof stage as it arrives, and its bundle put to S3 over HTTPS, under
     * the worker's NODE_OPTIONS, infra/lambdas.ts: `npm run bench -- worker-memory`, 156–169 MB on Node 22;
     * the MemoryHighWorkerFunction alarm watches the deployed figure); sessions mostly wait on the miner, so
     * the bill follows the memory; the worker's own CPU work for that proof is about half a core-second.
     */
    workerMemoryMb: z.coerce.number().int().min(256).max(10_240).default(256),
    /**
     * The verifier's row check: `report` logs and counts discrepancies while the sampled verdict stands;
     * `enforce` fails them. `report` until a device run shows honest GPU proofs at n ≥ 29 280 pass (README).
     */
    rowCheck: z.enum(['enforce', 'report']).default('report'),
    /** Instance types of the verifier's compute environments (Spot, then on-demand): the cheapest GPU that fits. */
    verifierInstanceTypes: csv
      .pipe(z.array(z.string()).min(1, 'needs at least one instance type'))
      .default(['g4dn.xlarge']),
    verifierMaxvCpus: z.coerce.number().int().positive().default(4),
    verifierTimeoutMinutes: z.coerce.number().int().positive().default(60),
    /** A prebuilt verifier image (registry URI) instead of building the Dockerfile: a deploy with no Docker engine. */
    jobImage: z.optional(z.string().regex(/^\S{1,1024}$/)),
    /** Alarm when more than this share of verified results fails within an hour. */
    proofJobFailureRatePercent: z.coerce.number().min(0).max(100).default(50),
    /** Other validators' state on W&B (§6); off until the operator has set the API key secret. */
    wandbEnabled: flag.default(false),
    wandbEntity: z.string().min(1).optional(),
    wandbProject: z.string().min(1).optional(),
    /** W&B API origin: https only, unless `wandbAllowInsecureHttp` (local testing against a stand-in). */
    wandbBaseUrl: z.url({ protocol: /^https?$/ }).optional(),
    wandbAllowInsecureHttp: flag.default(false),
    /** ss58 hotkeys whose penalty lists are trusted; empty → the reference's one. */
    wandbTrustedPenaltyValidators: csv.default([]),
  })
  .refine(
    (c) => c.wandbAllowInsecureHttp || c.wandbBaseUrl === undefined || c.wandbBaseUrl.startsWith('https://'),
    {
      path: ['wandbBaseUrl'],
      message: 'must be https:// (set wandbAllowInsecureHttp=true for a local stand-in)',
    },
  );
export type DeployConfig = z.infer<typeof DeployConfigSchema>;

/** The chain endpoint a deploy uses when neither the context nor `CHAIN_ENDPOINTS` names one. */
const DEFAULT_CHAIN_ENDPOINTS = 'wss://entrypoint-finney.opentensor.ai:443';

/**
 * The deployment settings for a CDK context lookup (`-c key=value` or cdk.json). Every key of the
 * schema is looked up, so a setting the schema gains cannot be left out by the app; the chain endpoints
 * fall back to `CHAIN_ENDPOINTS`, then to the public Finney entrypoint.
 */
export function deployConfigFromContext(
  context: (key: string) => unknown,
  env: Readonly<Record<string, string | undefined>> = {},
): DeployConfig {
  const raw: Record<string, unknown> = Object.fromEntries(
    Object.keys(DeployConfigSchema.shape).map((key) => [key, context(key)]),
  );
  raw.chainEndpoints ??= env.CHAIN_ENDPOINTS ?? DEFAULT_CHAIN_ENDPOINTS;
  return parseDeployConfig(raw);
}

/** Parses deployment settings, naming every bad key. */
export function parseDeployConfig(raw: Record<string, unknown>): DeployConfig {
  const result = DeployConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new ConfigError(`invalid deployment config: ${formatIssues(result.error).join('; ')}`);
}
