export type WandbMetricUnit = 'Count' | 'Milliseconds';

/**
 * The narrow metrics surface this module needs (logging goes through lib/log.ts). A Powertools
 * `Metrics` satisfies it; tests pass plain recorders.
 */
export interface WandbMetrics {
  addMetric(name: string, unit: WandbMetricUnit, value: number): void;
}

/** Metric names emitted by lib/wandb. */
export const WANDB_METRICS = {
  readFailed: 'WandbReadFailed',
  readPartial: 'WandbReadPartial',
  readMs: 'WandbReadMs',
  runsAccepted: 'WandbRunsAccepted',
  runsRejected: 'WandbRunsRejected',
  published: 'WandbPublished',
  publishFailed: 'WandbPublishFailed',
} as const;

export const noMetrics: WandbMetrics = { addMetric: () => {} };
