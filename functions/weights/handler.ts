import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { WeightLimitsError } from '../../lib/chain/errors.js';
import { asError } from '../../lib/errors.js';
import { MetricName, MetricUnit } from '../../lib/observability/index.js';
import { HotkeySecretUnreadableError, PREFLIGHT_MESSAGES } from '../../lib/pipeline/preflight.js';
import {
  type RevealReport,
  runWeights,
  type WeightsDeps,
  type WeightsOptions,
} from '../../lib/pipeline/weights.js';
import type { StandingProblem } from '../../lib/ports.js';

export interface WeightsHandlerDeps {
  /**
   * Called at each tick: the entry keeps its clients and the hotkey for the container's life and hands
   * out a chain port whose socket works (reconnected when the kept one died while the container slept).
   */
  readonly getDeps: () => Promise<WeightsDeps>;
  readonly options: WeightsOptions;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export interface WeightsSummary {
  readonly status: 'locked' | 'rate-limited' | 'submitted' | 'blocked' | 'nothing-to-set';
  readonly block?: number;
  readonly nextAllowedBlock?: number;
  readonly blockHash?: string;
  readonly uids?: number;
  /** W&B read status (`complete`, `partial`, `unavailable`, `disabled`) and our run's publication. */
  readonly wandb?: { readonly read?: string; readonly publish?: string };
  /** `blocked`: what the operator must fix. */
  readonly problems?: readonly StandingProblem[];
  /** `nothing-to-set`: why no vector was submitted. */
  readonly reason?: string;
  readonly reveals?: RevealReport;
}

/** The W&B part of a summary: the read's status and our run's publication, each when there was one. */
function wandbSummary(result: {
  readonly external?: { readonly status: string };
  readonly published?: { readonly status: string };
}): { wandb?: { read?: string; publish?: string } } {
  const wandb = {
    ...(result.external ? { read: result.external.status } : {}),
    ...(result.published ? { publish: result.published.status } : {}),
  };
  return Object.keys(wandb).length > 0 ? { wandb } : {};
}

function reportReveals(d: WeightsHandlerDeps, reveals: RevealReport | undefined): void {
  if (reveals === undefined) return;
  if (reveals.confirmed > 0)
    d.metrics.addMetric(MetricName.WeightsRevealed, MetricUnit.Count, reveals.confirmed);
  // emitted as 0 too, so the "committed, never revealed" alarm sees data on every tick
  d.metrics.addMetric(MetricName.WeightsNeverRevealed, MetricUnit.Count, reveals.neverRevealed);
  if (reveals.neverRevealed > 0) {
    d.logger.error('timelocked weights committed but never revealed by the chain', { ...reveals });
  }
  if (reveals.error !== undefined) d.logger.warn('reveal step failed', { error: reveals.error });
}

/** The scheduled weight Lambda: a no-op unless the chain's rate limit allows a new set (§3.5). */
export function buildWeightsHandler(d: WeightsHandlerDeps) {
  return middy<unknown, WeightsSummary>()
    .use(injectLambdaContext(d.logger))
    .use(logMetrics(d.metrics))
    .handler(async () => {
      try {
        const deps = await d.getDeps().catch((error: unknown) => {
          if (error instanceof HotkeySecretUnreadableError) return null;
          throw error;
        });
        const result =
          deps === null
            ? { status: 'blocked' as const, problems: ['hotkey-secret-unreadable' as const] }
            : await runWeights(deps, d.options);
        if (result.status === 'blocked') {
          for (const problem of result.problems) {
            d.metrics.addMetric(MetricName.PreflightProblems, MetricUnit.Count, 1);
            d.logger.error(`validator preflight: ${PREFLIGHT_MESSAGES[problem]}`, { problem });
          }
          return result;
        }
        if (result.status === 'nothing-to-set') {
          reportReveals(d, result.reveals);
          // Loud on purpose: no WeightSubmissions point is emitted, so the NoWeightSubmission alarm fires
          // once this lasts twice the rate limit; this metric and warning say why it fired.
          d.metrics.addMetric(MetricName.WeightsNothingToSet, MetricUnit.Count, 1);
          const summary: WeightsSummary = {
            status: 'nothing-to-set',
            block: result.block,
            reason: result.reason,
            ...wandbSummary(result),
            ...(result.reveals === undefined ? {} : { reveals: result.reveals }),
          };
          d.logger.warn('weights not submitted: nothing to set', {
            ...summary,
            uids: result.decision.scores.length,
            pogRowsDeleted: result.pogRowsDeleted,
          });
          return summary;
        }
        if (result.status !== 'submitted') {
          if (result.status === 'rate-limited') reportReveals(d, result.reveals);
          d.logger.info('weights skipped', { ...result });
          return result;
        }
        reportReveals(d, result.reveals);
        d.metrics.addMetric(MetricName.WeightSubmissions, MetricUnit.Count, 1);
        const { receipt } = result;
        const wandb = wandbSummary(result);
        d.logger.info('weights submitted', {
          block: receipt.blockNumber,
          blockHash: receipt.blockHash,
          extrinsicHash: receipt.extrinsicHash,
          uids: receipt.uids.length,
          pogRowsDeleted: result.pogRowsDeleted,
          wandb: wandb.wandb ?? {},
        });
        return {
          status: 'submitted',
          block: receipt.blockNumber,
          blockHash: receipt.blockHash,
          uids: receipt.uids.length,
          ...wandb,
          ...(result.reveals === undefined ? {} : { reveals: result.reveals }),
        };
      } catch (error) {
        if (error instanceof WeightLimitsError) {
          d.metrics.addMetric(MetricName.WeightLimitRefusals, MetricUnit.Count, 1);
        }
        d.logger.error('weights failed', asError(error));
        throw error;
      }
    });
}
