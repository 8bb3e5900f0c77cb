import * as z from 'zod';
import { ConfigError } from '../errors.js';
import { formatIssues } from '../validation.js';

/** Neural Internet's validator, the only source of penalties in the reference (§6.4). */
export const NI_PENALTY_VALIDATOR = '5GmvyePN9aYErXBBhBnxZKGoGk4LKZApE4NkaSzW62CYCYNA';

const positiveInt = z.number().int().positive();

/**
 * The `wandb` section of the validator configuration. Defaults reproduce the reference (§6, §7.3):
 * entity `neuralinternet`, project `opencompute`, permit stake 1e4 TAO, version 190.
 */
export const WandbConfigSchema = z
  .object({
    /** Off: `read` returns an empty state marked `disabled` and `publish` does nothing. */
    enabled: z.boolean().default(true),
    /** W&B API origin; GraphQL is served at `<baseUrl>/graphql`. https only, unless `allowInsecureHttp`. */
    baseUrl: z.url({ protocol: /^https?$/ }).default('https://api.wandb.ai'),
    /** Local-testing switch: accept an `http://` baseUrl (a local stand-in). The API key travels in clear. */
    allowInsecureHttp: z.boolean().default(false),
    entity: z.string().min(1).default('neuralinternet'),
    project: z.string().min(1).default('opencompute'),
    /** Validators whose signed `penalized_hotkeys_checklist` is trusted (§6.4 hard-codes one). */
    trustedPenaltyValidators: z.array(z.string().min(1)).default([NI_PENALTY_VALIDATOR]),
    /** A validator's run counts only if its metagraph stake (TAO) is strictly above this. */
    permitStake: z.number().finite().nonnegative().default(1e4),
    /** Deadline of one HTTP request, body included. */
    timeoutMs: positiveInt.max(120_000).default(15_000),
    /** Deadline of a whole `read` (all pages). */
    readDeadlineMs: positiveInt.max(600_000).default(60_000),
    perPage: positiveInt.max(100).default(50),
    /** Pages beyond this are not fetched; the state is then marked `partial`. */
    maxPages: positiveInt.max(1_000).default(20),
    /** A response body larger than this is abandoned (a validator run with 256 stats is ~80 KB). */
    maxResponseBytes: positiveInt.max(256 * 1024 * 1024).default(16 * 1024 * 1024),
    /** `version` written to our run: the reference's `__version_as_int__` (1.9.0 → 190). */
    version: z.number().int().nonnegative().default(190),
    /** Retries of a request that failed with 429, 5xx or a timeout, within the read's deadline. */
    retries: z.number().int().nonnegative().max(10).default(4),
    /** First backoff; doubled per retry, with jitter, and never past the read's deadline. */
    retryBaseMs: positiveInt.max(60_000).default(1_000),
  })
  .strict()
  .refine((c) => c.allowInsecureHttp || c.baseUrl.startsWith('https://'), {
    path: ['baseUrl'],
    message: 'must be https:// (allowInsecureHttp is for a local stand-in only)',
  });
export type WandbConfig = z.infer<typeof WandbConfigSchema>;
export type WandbConfigInput = z.input<typeof WandbConfigSchema>;

/**
 * Parses the `wandb` configuration section once, at cold start.
 * @throws {ConfigError} naming every bad key (`wandb.<key>`) and the value given.
 */
export function parseWandbConfig(value: unknown, source = 'wandb'): WandbConfig {
  const result = WandbConfigSchema.safeParse(value ?? {});
  if (result.success) return result.data;
  const details = formatIssues(result.error).map((line) => `${source}.${line}`);
  throw new ConfigError(`${source} config is invalid: ${details.join('; ')}`);
}
