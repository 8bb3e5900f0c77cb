import { randomInt } from 'node:crypto';
import * as z from 'zod';
import type { WandbConfig } from '../config/wandb.js';
import type { Log } from '../log.js';
import type { UidStat } from '../ports.js';
import { formatIssues } from '../validation.js';
import type { WandbClient } from './client.js';
import { canonicalUid, LIMITS } from './consensus.js';
import { WANDB_METRICS, type WandbMetrics } from './observability.js';
import { errorText, redactSecrets } from './redact.js';
import { type RunSigner, signRunId } from './signature.js';
import { decodeRunConfig, encodeRunConfig } from './wire.js';

export interface PublishRunInput {
  readonly netuid: number;
  /** Our hotkey (sr25519). */
  readonly signer: RunSigner;
  /** Hotkeys we allocated (the local allocation table). */
  readonly allocatedHotkeys: readonly string[];
  /** Keyed by uid; `uid` defaults to the key, `gpu_specs` is `{gpu_name, num_gpus}` or null (checked). */
  readonly stats: Readonly<Record<string, UidStat>>;
  /** Our run id if the caller persisted it; otherwise it is looked up, then created. */
  readonly runId?: string;
  /** Extra fields for `config.config` (the reference publishes its bittensor config there). */
  readonly extraConfig?: Readonly<Record<string, unknown>>;
}

export interface PublishRunResult {
  readonly status: 'published' | 'disabled' | 'failed';
  /** Persist it and pass it back next time to skip the lookup. */
  readonly runId?: string;
  readonly created?: boolean;
  readonly error?: string;
}

export interface PublishDeps {
  readonly client: WandbClient;
  readonly config: WandbConfig;
  readonly logger: Log;
  readonly metrics: WandbMetrics;
  /** Redacted from every error text (the W&B API key). */
  readonly secrets?: readonly (string | undefined)[];
}

const PublishedStatSchema = z
  .object({
    uid: z.number().int().min(0).max(LIMITS.maxUid).optional(),
    hotkey: z.string().min(1).max(LIMITS.hotkeyLength),
    gpu_specs: z
      .object({
        gpu_name: z.string().min(1).max(LIMITS.textLength),
        num_gpus: z.number().int().min(0).max(1_024),
      })
      .nullable(),
    score: z.number().finite().min(0).max(100),
    allocated: z.boolean(),
    own_score: z.boolean(),
    reliability_score: z.number().finite(),
    created_at: z.string().max(LIMITS.textLength).nullable().optional(),
  })
  .strict();

const PublishInputSchema = z.object({
  netuid: z.number().int().min(0).max(65_535),
  allocatedHotkeys: z.array(z.string().min(1).max(LIMITS.hotkeyLength)).max(LIMITS.listEntries),
  stats: z.record(z.string(), PublishedStatSchema),
  runId: z
    .string()
    .regex(/^[a-z0-9]{1,64}$/)
    .optional(),
});

/** Keys the reference strips from its bittensor config before publishing it. */
const PRIVATE_CONFIG_KEYS = new Set(['logging', 'wallet', 'full_path', 'axon']);

/** W&B-style run id: 8 characters of `[a-z0-9]`. */
export function generateRunId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let id = '';
  for (let i = 0; i < 8; i++) id += alphabet[randomInt(alphabet.length)];
  return id;
}

/** The display name other validators and the reference's run lookup expect (§6.1). */
export function validatorRunName(hotkey: string): string {
  return `validator-${hotkey}`;
}

/**
 * Builds our run's config in the reference's layout (§6.1): `hotkey`, `role`, `version`,
 * `config` (with `netuid`, which the other validators filter on as `config.config.netuid`),
 * `allocated_hotkeys`, `stats` keyed by uid string, and `signature` over `sha256(runId)`.
 */
export function buildValidatorRunConfig(
  runId: string,
  input: PublishRunInput,
  version: number,
): Record<string, unknown> {
  const inner: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input.extraConfig ?? {})) {
    if (!PRIVATE_CONFIG_KEYS.has(key)) inner[key] = value;
  }
  inner.netuid = input.netuid;
  const stats: Record<string, unknown> = {};
  for (const [key, stat] of Object.entries(input.stats)) {
    const uid = Number(key);
    stats[String(uid)] = {
      uid,
      hotkey: stat.hotkey,
      gpu_specs: stat.gpu_specs
        ? { gpu_name: stat.gpu_specs.gpu_name, num_gpus: stat.gpu_specs.num_gpus }
        : null,
      score: stat.score,
      allocated: stat.allocated,
      own_score: stat.own_score,
      reliability_score: stat.reliability_score,
      created_at: stat.created_at ?? null,
    };
  }
  return {
    hotkey: input.signer.address,
    role: 'validator',
    version,
    config: inner,
    allocated_hotkeys: [...input.allocatedHotkeys],
    stats,
    signature: signRunId(input.signer, runId),
  };
}

/** Newest run named `validator-<hotkey>` for `netuid` that is not someone else's (its config hotkey is ours or unset). */
async function findRunId(
  deps: PublishDeps,
  netuid: number,
  hotkey: string,
  signal: AbortSignal,
): Promise<string | null> {
  const page = await deps.client.listRunsPage(
    {
      entity: deps.config.entity,
      project: deps.config.project,
      filters: { $and: [{ 'config.config.netuid': netuid }, { display_name: validatorRunName(hotkey) }] },
      order: '-created_at',
      perPage: 10,
    },
    signal,
  );
  for (const run of page.runs) {
    let owner: unknown;
    try {
      owner = decodeRunConfig(run.config).hotkey;
    } catch {
      continue;
    }
    if ((owner === undefined || owner === hotkey) && /^[a-z0-9]{1,64}$/.test(run.name)) return run.name;
  }
  return null;
}

/**
 * Publishes our validator run (§6.1): reuses `input.runId`, else the newest run with our display
 * name and netuid, else creates one; writes the full config in one `upsertBucket`, signed.
 * Never throws: failures come back as `{status: 'failed', error}` with a log line and a metric.
 */
export async function publishValidatorRun(
  deps: PublishDeps,
  input: PublishRunInput,
): Promise<PublishRunResult> {
  if (!deps.config.enabled) return { status: 'disabled' };
  const fail = (text: string): PublishRunResult => {
    const error = redactSecrets(text, deps.secrets);
    deps.logger.warn('wandb publish failed', { error });
    deps.metrics.addMetric(WANDB_METRICS.publishFailed, 'Count', 1);
    return { status: 'failed', error };
  };
  const parsed = PublishInputSchema.safeParse(input);
  if (!parsed.success)
    return fail(`invalid publish input: ${formatIssues(parsed.error).slice(0, 5).join('; ')}`);
  for (const [key, stat] of Object.entries(input.stats)) {
    if (canonicalUid(key) !== key) {
      return fail(`invalid publish input: stats key ${JSON.stringify(key)} is not a uid`);
    }
    if (stat.uid !== undefined && String(stat.uid) !== key) {
      return fail(`invalid publish input: stats.${key}.uid is ${stat.uid}`);
    }
  }
  if (input.signer.type !== undefined && input.signer.type !== 'sr25519') {
    return fail(`our hotkey must be sr25519, not ${input.signer.type}`);
  }
  // retries stop here, as a read's stop at wandb.readDeadlineMs
  const deadline = AbortSignal.timeout(deps.config.readDeadlineMs);
  try {
    let runId = input.runId ?? (await findRunId(deps, input.netuid, input.signer.address, deadline));
    const created = runId === null;
    runId ??= generateRunId();
    const upsert = (id: string) =>
      deps.client.upsertRun(
        {
          entity: deps.config.entity,
          project: deps.config.project,
          runId: id,
          displayName: validatorRunName(input.signer.address),
          config: encodeRunConfig(buildValidatorRunConfig(id, input, deps.config.version)),
        },
        deadline,
      );
    let stored = await upsert(runId);
    if (stored.runId !== runId) {
      // The signature covers the run id, so a server-chosen id needs a second, re-signed write.
      runId = stored.runId;
      stored = await upsert(runId);
    }
    deps.logger.info('wandb run published', {
      runId,
      created: created || stored.inserted,
      stats: Object.keys(input.stats).length,
      allocated: input.allocatedHotkeys.length,
    });
    deps.metrics.addMetric(WANDB_METRICS.published, 'Count', 1);
    return { status: 'published', runId, created: created || stored.inserted };
  } catch (error) {
    return fail(errorText(error, deps.secrets));
  }
}
