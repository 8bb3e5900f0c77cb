/**
 * The narrow logging and metrics surfaces this module needs. A Powertools `Logger` and `Metrics`
 * satisfy them; tests pass plain recorders.
 */
export interface WandbLogger {
  info(message: string, ...extra: Array<Record<string, unknown>>): void;
  warn(message: string, ...extra: Array<Record<string, unknown>>): void;
}

export type WandbMetricUnit = 'Count' | 'Milliseconds';

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

export const silentLogger: WandbLogger = { info: () => {}, warn: () => {} };
export const noMetrics: WandbMetrics = { addMetric: () => {} };
