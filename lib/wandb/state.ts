import type { WandbConfig } from '../config/wandb.js';
import { ConfigError } from '../errors.js';
import { type Log, silentLog } from '../log.js';
import type { ExternalState, ExternalStateMeta, ExternalStatePort, Metagraph } from '../ports.js';
import { assembleExternalState } from './assemble.js';
import { WandbClient } from './client.js';
import { validValidatorHotkeys } from './consensus.js';
import { noMetrics, WANDB_METRICS, type WandbMetrics } from './observability.js';
import { type PublishRunInput, type PublishRunResult, publishValidatorRun } from './publish.js';
import { errorText } from './redact.js';
import { verifyRunSignature } from './signature.js';
import type { RunNode } from './wire.js';

const VERIFY_CACHE_SIZE = 4_096;

export interface WandbStateOptions {
  /** The parsed `wandb` section (see `parseWandbConfig`). */
  readonly config: WandbConfig;
  /** W&B API key from Secrets Manager; required when enabled. */
  readonly apiKey?: string;
  readonly logger?: Log;
  readonly metrics?: WandbMetrics;
  /** Injected for tests; defaults to the global `fetch`. */
  readonly fetch?: typeof fetch;
}

/** Reads other validators' state and publishes ours. */
export interface WandbStateService extends ExternalStatePort {
  /** Never throws; see {@link ExternalStateMeta} for how complete the answer is. */
  read(metagraph: Metagraph): Promise<ExternalState & { readonly meta: ExternalStateMeta }>;
  /** Never throws; see {@link publishValidatorRun}. */
  publish(input: PublishRunInput): Promise<PublishRunResult>;
}

function emptyState(meta: ExternalStateMeta): ExternalState & { readonly meta: ExternalStateMeta } {
  return { allocatedHotkeys: [], penalizedHotkeys: [], statsAllocated: {}, meta };
}

/**
 * Builds the W&B-backed {@link ExternalStatePort} (reference §6). `read` lists the validator runs
 * of the metagraph's netuid page by page (bounded pages, per-request and overall deadlines,
 * bounded body size), verifies each run's signature and assembles allocations, consensus stats and
 * penalties. Failures never throw into the cycle: they give an empty or partial state, marked in
 * `meta`, with one log line and a metric.
 * @throws {ConfigError} at construction when enabled without an API key.
 * @example
 * const wandb = createWandbState({ config: parseWandbConfig(raw.wandb), apiKey, logger, metrics });
 * const external = await wandb.read(metagraph);
 */
export function createWandbState(options: WandbStateOptions): WandbStateService {
  const { config } = options;
  const logger = options.logger ?? silentLog;
  const metrics = options.metrics ?? noMetrics;
  if (config.enabled && (options.apiKey === undefined || options.apiKey.trim() === '')) {
    throw new ConfigError('wandb.enabled is true but no W&B API key was given');
  }
  const secrets = [options.apiKey];
  const client = new WandbClient({
    baseUrl: config.baseUrl,
    timeoutMs: config.timeoutMs,
    retries: config.retries,
    retryBaseMs: config.retryBaseMs,
    maxResponseBytes: config.maxResponseBytes,
    ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey.trim() }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  const trusted = new Set(config.trustedPenaltyValidators);
  // Our run id per (netuid, hotkey) once published, so a warm container skips the lookup.
  const knownRunIds = new Map<string, string>();
  // A run's signature only changes when its owner re-signs, and sr25519 checks cost ~3 ms each in
  // pure JS, so a warm container remembers them (bounded; cleared wholesale when full).
  const verified = new Map<string, boolean>();
  const verify = (runId: string, hotkey: string, signature: unknown): boolean => {
    if (typeof signature !== 'string') return false;
    const key = `${runId}|${hotkey}|${signature}`;
    let valid = verified.get(key);
    if (valid === undefined) {
      valid = verifyRunSignature(runId, hotkey, signature);
      if (verified.size >= VERIFY_CACHE_SIZE) verified.clear();
      verified.set(key, valid);
    }
    return valid;
  };

  async function listValidatorRuns(
    netuid: number,
  ): Promise<{ runs: RunNode[]; malformed: number; error?: string }> {
    const deadline = AbortSignal.timeout(config.readDeadlineMs);
    const runs: RunNode[] = [];
    let malformed = 0;
    let cursor: string | null = null;
    for (let page = 0; page < config.maxPages; page++) {
      try {
        const result = await client.listRunsPage(
          {
            entity: config.entity,
            project: config.project,
            filters: { $and: [{ 'config.role': 'validator' }, { 'config.config.netuid': netuid }] },
            // the reference's order (wandb 0.19 default), so first-seen tie-breaks match it
            order: '+created_at',
            perPage: config.perPage,
            cursor,
          },
          deadline,
        );
        runs.push(...result.runs);
        malformed += result.malformed;
        if (!result.hasNextPage) return { runs, malformed };
        if (result.endCursor === null || result.endCursor === cursor) {
          return { runs, malformed, error: 'W&B pagination did not advance' };
        }
        cursor = result.endCursor;
      } catch (error) {
        return { runs, malformed, error: errorText(error, secrets) };
      }
    }
    return { runs, malformed, error: `stopped after ${config.maxPages} pages (wandb.maxPages)` };
  }

  async function readState(
    metagraph: Metagraph,
  ): Promise<ExternalState & { readonly meta: ExternalStateMeta }> {
    const started = performance.now();
    const listed = await listValidatorRuns(metagraph.netuid);
    const assembled = assembleExternalState({
      runs: listed.runs,
      netuid: metagraph.netuid,
      validHotkeys: validValidatorHotkeys(metagraph, config.permitStake),
      trustedPenaltyHotkeys: trusted,
      verify,
    });
    const rejectedRuns = Object.values(assembled.rejected).reduce((sum, n) => sum + n, 0) + listed.malformed;
    const status: ExternalStateMeta['status'] =
      listed.error === undefined ? 'complete' : listed.runs.length === 0 ? 'unavailable' : 'partial';
    const meta: ExternalStateMeta = {
      status,
      runsRead: listed.runs.length + listed.malformed,
      runsAccepted: assembled.accepted,
      runsRejected: rejectedRuns,
      ...(listed.error === undefined ? {} : { error: listed.error }),
    };
    const summary = {
      netuid: metagraph.netuid,
      ...meta,
      rejected: { ...assembled.rejected, 'malformed-node': listed.malformed },
      malformedStats: assembled.malformedStats,
      allocated: assembled.state.allocatedHotkeys.length,
      statsAllocated: Object.keys(assembled.state.statsAllocated).length,
      penalized: assembled.state.penalizedHotkeys.length,
      ms: Math.round(performance.now() - started),
    };
    metrics.addMetric(WANDB_METRICS.readMs, 'Milliseconds', summary.ms);
    metrics.addMetric(WANDB_METRICS.runsAccepted, 'Count', meta.runsAccepted);
    metrics.addMetric(WANDB_METRICS.runsRejected, 'Count', meta.runsRejected);
    if (status === 'complete') {
      logger.info('wandb state read', summary);
    } else {
      metrics.addMetric(
        status === 'partial' ? WANDB_METRICS.readPartial : WANDB_METRICS.readFailed,
        'Count',
        1,
      );
      logger.warn(`wandb state ${status}; scoring continues on local data`, summary);
    }
    if (status === 'unavailable') return emptyState(meta);
    return { ...assembled.state, meta };
  }

  return {
    async read(metagraph) {
      if (!config.enabled) {
        return emptyState({ status: 'disabled', runsRead: 0, runsAccepted: 0, runsRejected: 0 });
      }
      try {
        return await readState(metagraph);
      } catch (error) {
        // Only a bug gets here (every W&B failure is handled above); the cycle still goes on.
        const message = errorText(error, secrets);
        metrics.addMetric(WANDB_METRICS.readFailed, 'Count', 1);
        logger.warn('wandb state unavailable; scoring continues on local data', { error: message });
        return emptyState({
          status: 'unavailable',
          runsRead: 0,
          runsAccepted: 0,
          runsRejected: 0,
          error: message,
        });
      }
    },
    async publish(input) {
      const key = `${input.netuid}|${input.signer.address}`;
      const runId = input.runId ?? knownRunIds.get(key);
      const result = await publishValidatorRun(
        { client, config, logger, metrics, secrets },
        runId === undefined ? input : { ...input, runId },
      );
      if (result.status === 'published' && result.runId !== undefined) knownRunIds.set(key, result.runId);
      return result;
    },
  };
}
