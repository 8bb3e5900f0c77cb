import * as z from 'zod';
import { ConfigError } from '../errors.js';
import { formatIssues } from '../validation.js';
import { EnvName } from './env-names.js';
import { type WandbConfig, WandbConfigSchema } from './wandb.js';

const list = z
  .string()
  .default('')
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== ''),
  );
const bool = z
  .enum(['true', 'false', '1', '0'])
  .default('false')
  .transform((s) => s === 'true' || s === '1');
const int = (min: number, fallback?: number) =>
  fallback === undefined
    ? z.coerce.number().int().min(min)
    : z.coerce.number().int().min(min).default(fallback);
const name = z.string().min(1);

const TableEnv = {
  [EnvName.TablePogResults]: name,
  [EnvName.TableStats]: name,
  [EnvName.TableMiners]: name,
  [EnvName.TableAudit]: name,
  [EnvName.TableCoordination]: name,
};

const ChainEnv = {
  [EnvName.Netuid]: int(0, 27),
  /** Comma-separated WebSocket endpoints, tried in order. */
  [EnvName.ChainEndpoints]: list.refine((l) => l.length > 0, 'at least one endpoint is required'),
  [EnvName.ChainTimeoutMs]: int(1, 30_000),
};

/** Queryable filter (§7.2). */
const FilterEnv = {
  [EnvName.BlacklistHotkeys]: list,
  [EnvName.BlacklistColdkeys]: list,
  /** Keep only the first uid per IP (the reference's filter_axons; PR #386 turns it off). */
  [EnvName.DedupeIps]: bool,
  /** D3: a version like 185 (= 1.8.5); absent → the version filter is skipped (and alarmed). */
  [EnvName.MinMinerVersion]: z.coerce.number().int().nonnegative().optional(),
  [EnvName.VersionFilterThresholdPercent]: int(0, 60),
};

/**
 * Other validators' state on W&B (reference §6). Off unless the operator turns it on; unset keys take
 * the `wandb` config defaults (the reference's entity, project and trusted penalty validator).
 */
const WandbEnv = {
  [EnvName.WandbEnabled]: bool,
  [EnvName.WandbApiKeySecretArn]: name.optional(),
  [EnvName.WandbBaseUrl]: z.string().optional(),
  [EnvName.WandbAllowInsecureHttp]: bool,
  [EnvName.WandbEntity]: z.string().optional(),
  [EnvName.WandbProject]: z.string().optional(),
  /** Comma-separated ss58 hotkeys whose penalty lists are trusted; empty → the reference's one. */
  [EnvName.WandbTrustedPenaltyValidators]: list,
  [EnvName.WandbPermitStake]: z.coerce.number().optional(),
  [EnvName.WandbTimeoutMs]: z.coerce.number().optional(),
  [EnvName.WandbReadDeadlineMs]: z.coerce.number().optional(),
  [EnvName.WandbMaxPages]: z.coerce.number().optional(),
};

// enabled without a key would fail at the first read; fail at cold start instead, naming the key
const requireWandbKey = (env: { WANDB_ENABLED: boolean; WANDB_API_KEY_SECRET_ARN?: string | undefined }) =>
  !env.WANDB_ENABLED || env.WANDB_API_KEY_SECRET_ARN !== undefined;
const WANDB_KEY_ISSUE = {
  message: `${EnvName.WandbApiKeySecretArn} is required when ${EnvName.WandbEnabled} is true`,
  path: [EnvName.WandbApiKeySecretArn],
};

export const SyncEnvSchema = z
  .object({
    ...TableEnv,
    ...ChainEnv,
    ...FilterEnv,
    ...WandbEnv,
    [EnvName.ChallengeQueueUrl]: z.url(),
    /** Bundles waiting there with no verifier at work get one (lib/pipeline/verifier-start.ts). */
    [EnvName.VerificationQueueUrl]: z.url(),
    [EnvName.VerifierJobQueue]: name,
    [EnvName.VerifierJobDefinition]: name,
    /** Our hotkey's ss58 address, for the operator preflight before the fan-out; absent → skipped. */
    [EnvName.ValidatorHotkey]: z.string().min(1).optional(),
    [EnvName.PogIntervalBlocks]: int(1, 360),
    [EnvName.PogMaxJitterSeconds]: int(0, 900).refine((n) => n <= 900, 'SQS allows at most 900'),
    /** After this long an unfinished round stops blocking the next one. */
    [EnvName.PogRoundTimeoutSeconds]: int(60, 4 * 3600),
  })
  .refine(requireWandbKey, WANDB_KEY_ISSUE);

/** GPU tables and PoG settings: a JSON file with the reference config.yaml keys; absent → reference v1.9.0. */
const PerformanceEnv = {
  [EnvName.PogPerformanceConfig]: z.string().min(1).optional(),
};

/** The worker runs one PoG attempt per challenge and hands passed attempts to the verifier. */
export const WorkerEnvSchema = z.object({
  [EnvName.TablePogResults]: name,
  [EnvName.TableCoordination]: name,
  [EnvName.Netuid]: int(0, 27),
  [EnvName.HotkeySecretArn]: name,
  [EnvName.ChallengeQueueUrl]: z.url(),
  [EnvName.ChallengeDlqUrl]: z.url(),
  [EnvName.VerificationQueueUrl]: z.url(),
  [EnvName.BundleBucket]: name,
  [EnvName.VerifierJobQueue]: name,
  [EnvName.VerifierJobDefinition]: name,
  ...PerformanceEnv,
});

/** The verifier Batch job (functions/verifier): drains the verification queue. */
export const VerifierEnvSchema = z.object({
  [EnvName.TablePogResults]: name,
  [EnvName.TableCoordination]: name,
  [EnvName.Netuid]: int(0, 27),
  [EnvName.BundleBucket]: name,
  [EnvName.VerificationQueueUrl]: z.url(),
  [EnvName.VerificationDlqUrl]: z.url(),
  /** `report` until a device run shows honest GPU proofs at n ≥ 29 280 passing every value (README). */
  [EnvName.RowCheck]: z.enum(['enforce', 'report']).default('report'),
  [EnvName.RowCheckDevice]: z.enum(['auto', 'cpu', 'cuda']).default('auto'),
  [EnvName.RowCheckTimeoutSeconds]: int(1, 600),
  [EnvName.Python]: name.default('python3'),
  [EnvName.VerifierBatchSize]: int(1, 1).refine((n) => n <= 10, 'SQS allows at most 10'),
  [EnvName.VerifierWaitSeconds]: int(0, 20).refine((n) => n <= 20, 'SQS allows at most 20'),
  [EnvName.VerifierEmptyPolls]: int(1, 3),
  /** The challenge queue, whose counts tell whether sessions may still hand bundles over; absent: no linger. */
  [EnvName.ChallengeQueueUrl]: z.url().optional(),
  /** lib/pipeline/verifier.ts `DrainOptions.lingerSeconds`. */
  [EnvName.VerifierLingerSeconds]: int(0, 0).refine((n) => n <= 3600, 'at most an hour'),
  /** The round whose claim the job drops when it has drained; absent: the job keeps no claim. */
  [EnvName.VerifierRoundId]: z.string().min(1).max(128).optional(),
  /** lib/pipeline/verifier-start.ts `sessionsUntil`; absent: the job ends once the queue is empty. */
  [EnvName.VerifierSessionsUntil]: z.coerce.number().int().positive().optional(),
  [EnvName.BatchJobId]: z.string().min(1).max(128).optional(),
});

export const WeightsEnvSchema = z
  .object({
    ...TableEnv,
    ...ChainEnv,
    ...FilterEnv,
    ...WandbEnv,
    ...PerformanceEnv,
    [EnvName.HotkeySecretArn]: name,
    /** Pending v2 hash commits (DynamoDB); absent → v2 commits are refused (timelocked ones need none). */
    [EnvName.TableCommits]: name.optional(),
    /** D8. */
    [EnvName.WeightMode]: z.enum(['scores', 'burn']).default('scores'),
    /** Our hotkey's ss58 address: its LastUpdate drives the rate limit (§3.5). */
    [EnvName.ValidatorHotkey]: z.string().min(1).optional(),
    /** Longest a weight submission may hold the single-flight lock. */
    [EnvName.WeightsLockSeconds]: int(30, 600),
  })
  .refine(requireWandbKey, WANDB_KEY_ISSUE);

export type SyncEnv = z.infer<typeof SyncEnvSchema>;
export type WorkerEnv = z.infer<typeof WorkerEnvSchema>;
export type WeightsEnv = z.infer<typeof WeightsEnvSchema>;

/**
 * Parses a function's environment once, at cold start. Throws a {@link ConfigError} that names
 * every missing or bad variable (never its value: some are ARNs or URLs the logs need not show).
 */
export function loadEnv<S extends z.ZodType>(
  schema: S,
  env: Readonly<Record<string, string | undefined>> = process.env,
): z.output<S> {
  // empty strings count as unset, so a blank CDK parameter falls back to the default
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  throw new ConfigError(`invalid environment: ${formatIssues(result.error).join('; ')}`);
}

/** The WANDB_* variables of a parsed sync or weights environment. */
export type WandbEnv = Pick<SyncEnv, Extract<keyof SyncEnv, `WANDB_${string}`>>;

const ENV_OF: Readonly<Record<string, string>> = {
  enabled: EnvName.WandbEnabled,
  baseUrl: EnvName.WandbBaseUrl,
  allowInsecureHttp: EnvName.WandbAllowInsecureHttp,
  entity: EnvName.WandbEntity,
  project: EnvName.WandbProject,
  trustedPenaltyValidators: EnvName.WandbTrustedPenaltyValidators,
  permitStake: EnvName.WandbPermitStake,
  timeoutMs: EnvName.WandbTimeoutMs,
  readDeadlineMs: EnvName.WandbReadDeadlineMs,
  maxPages: EnvName.WandbMaxPages,
};

/**
 * Maps the WANDB_* variables onto the `wandb` config section (see `WandbConfigSchema`); unset keys
 * keep its defaults.
 * @throws {ConfigError} naming each bad variable (by its environment name) and the rule it breaks.
 */
export function wandbConfigFromEnv(env: WandbEnv): WandbConfig {
  const raw: Record<string, unknown> = {
    enabled: env.WANDB_ENABLED,
    baseUrl: env.WANDB_BASE_URL,
    allowInsecureHttp: env.WANDB_ALLOW_INSECURE_HTTP,
    entity: env.WANDB_ENTITY,
    project: env.WANDB_PROJECT,
    trustedPenaltyValidators:
      env.WANDB_TRUSTED_PENALTY_VALIDATORS.length > 0 ? env.WANDB_TRUSTED_PENALTY_VALIDATORS : undefined,
    permitStake: env.WANDB_PERMIT_STAKE,
    timeoutMs: env.WANDB_TIMEOUT_MS,
    readDeadlineMs: env.WANDB_READ_DEADLINE_MS,
    maxPages: env.WANDB_MAX_PAGES,
  };
  const result = WandbConfigSchema.safeParse(
    Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)),
  );
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '');
    return `${ENV_OF[key] ?? `wandb.${key}`}: ${issue.message}`;
  });
  throw new ConfigError(`invalid environment: ${details.join('; ')}`);
}

/** The table names of a parsed environment, as lib/store wants them. */
export function tableNames(env: {
  TABLE_POG_RESULTS: string;
  TABLE_STATS: string;
  TABLE_MINERS: string;
  TABLE_AUDIT: string;
  TABLE_COORDINATION: string;
}) {
  return {
    pogResults: env.TABLE_POG_RESULTS,
    stats: env.TABLE_STATS,
    miners: env.TABLE_MINERS,
    audit: env.TABLE_AUDIT,
    coordination: env.TABLE_COORDINATION,
  } as const;
}

/** The queryable filter's settings as the environment gives them (the pipeline's filter takes this shape). */
export interface QueryableEnvOptions {
  readonly blacklistHotkeys: readonly string[];
  readonly blacklistColdkeys: readonly string[];
  readonly dedupeIps: boolean;
  readonly minMinerVersion?: number | undefined;
  readonly versionFilterThresholdPercent: number;
}

/** The queryable filter's options (§7.2, D3) from a parsed sync or weights environment. */
export function queryableOptionsFromEnv(env: {
  BLACKLIST_HOTKEYS: string[];
  BLACKLIST_COLDKEYS: string[];
  DEDUPE_IPS: boolean;
  MIN_MINER_VERSION?: number | undefined;
  VERSION_FILTER_THRESHOLD_PERCENT: number;
}): QueryableEnvOptions {
  return {
    blacklistHotkeys: env.BLACKLIST_HOTKEYS,
    blacklistColdkeys: env.BLACKLIST_COLDKEYS,
    dedupeIps: env.DEDUPE_IPS,
    minMinerVersion: env.MIN_MINER_VERSION,
    versionFilterThresholdPercent: env.VERSION_FILTER_THRESHOLD_PERCENT,
  };
}
