import { type Log, silentLog } from '../log.js';
import type { ExternalState, ExternalStateMeta, Metagraph } from '../ports.js';
import { noMetrics, WANDB_METRICS, type WandbMetrics } from './observability.js';
import type { PublishRunInput, PublishRunResult } from './publish.js';
import { errorText } from './redact.js';
import type { WandbStateService } from './state.js';

/**
 * A {@link WandbStateService} whose construction (reading the API key from Secrets Manager) is
 * deferred to its first use and retried on the next use if it failed, so that a missing or empty
 * key secret degrades W&B (log line + `WandbReadFailed`/`WandbPublishFailed`) instead of failing
 * the cycle, and a fixed secret is picked up without a cold start.
 */
export function deferredWandbState(
  load: () => Promise<WandbStateService>,
  options: { readonly logger?: Log; readonly metrics?: WandbMetrics } = {},
): WandbStateService {
  const logger = options.logger ?? silentLog;
  const metrics = options.metrics ?? noMetrics;
  let service: Promise<WandbStateService> | undefined;
  const get = (): Promise<WandbStateService> => {
    if (service === undefined) {
      const attempt = load();
      service = attempt;
      attempt.catch(() => {
        if (service === attempt) service = undefined;
      });
    }
    return service;
  };
  const reason = (error: unknown) => errorText(error);
  return {
    async read(metagraph: Metagraph): Promise<ExternalState & { readonly meta: ExternalStateMeta }> {
      try {
        return await (await get()).read(metagraph);
      } catch (error) {
        metrics.addMetric(WANDB_METRICS.readFailed, 'Count', 1);
        logger.warn('wandb unavailable (setup failed); scoring continues on local data', {
          error: reason(error),
        });
        const meta: ExternalStateMeta = {
          status: 'unavailable',
          runsRead: 0,
          runsAccepted: 0,
          runsRejected: 0,
          error: reason(error),
        };
        return { allocatedHotkeys: [], penalizedHotkeys: [], statsAllocated: {}, meta };
      }
    },
    async publish(input: PublishRunInput): Promise<PublishRunResult> {
      try {
        return await (await get()).publish(input);
      } catch (error) {
        metrics.addMetric(WANDB_METRICS.publishFailed, 'Count', 1);
        logger.warn('wandb publish failed (setup failed)', { error: reason(error) });
        return { status: 'failed', error: reason(error) };
      }
    },
  };
}
