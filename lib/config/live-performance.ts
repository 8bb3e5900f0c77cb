import { createHash } from 'node:crypto';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { SSMClient } from '@aws-sdk/client-ssm';
import * as z from 'zod';
import { asError, ConfigError } from '../errors.js';
import type { Log } from '../log.js';
import { formatIssues } from '../validation.js';
import { EnvName } from './env-names.js';
import {
  DEFAULT_PERFORMANCE_CONFIG,
  loadPerformanceConfig,
  type PerformanceConfig,
  parsePerformanceConfig,
} from './gpu-performance.js';

/** Metric names shared by the loader and the alarm in infra/gpu-tables.ts. */
export const PerformanceMetricName = {
  /** A value of the parameter was refused (not JSON, or fails the schema); the last good tables stay. */
  Rejected: 'PerformanceConfigRejected',
  /** The parameter could not be read; the last good tables stay. */
  Unreadable: 'PerformanceConfigUnreadable',
} as const;

/** The narrow metrics surface the loader needs; Powertools' Metrics fits. */
export interface PerformanceMetrics {
  addMetric(name: string, unit: 'Count', value: number): void;
}

/** Where the GPU tables come from; `current()` is called once per tick or session. */
export interface PerformanceSource {
  /**
   * The tables in force: the parameter's newest valid value (re-read once its cache expires), the
   * last valid one while a bad value is in the parameter.
   * @throws {ConfigError} only when the parameter cannot be read and no value was ever read.
   */
  current(): Promise<PerformanceConfig>;
}

export interface LivePerformanceOptions {
  /** SSM parameter name (String, the reference's `config.yaml` keys as JSON). */
  readonly parameterName: string;
  readonly ssm: SSMClient;
  /** How long a read value is reused before SSM is asked again. @default 60 */
  readonly maxAgeSeconds?: number;
  readonly logger: Log;
  readonly metrics: PerformanceMetrics;
  /**
   * Used when the first value a container reads is refused: there are no last good tables yet.
   * @default DEFAULT_PERFORMANCE_CONFIG (the reference v1.9.0 values the parameter is seeded with)
   */
  readonly fallback?: PerformanceConfig;
}

const digest = (raw: string) => createHash('sha256').update(raw).digest('hex').slice(0, 12);

/**
 * GPU tables as live configuration: read through Powertools Parameters (cached `maxAgeSeconds`),
 * parsed as JSON and validated whole with the zod schema before use, so nothing scores on a
 * half-parsed table. A refused value is logged naming the bad keys, counted
 * ({@link PerformanceMetricName.Rejected}, alarmed in infra) and the last good tables stay in force.
 * @example
 * const tables = createLivePerformanceConfig({ parameterName, ssm: new SSMClient({}), logger, metrics });
 * const performance = await tables.current();
 */
export function createLivePerformanceConfig(options: LivePerformanceOptions): PerformanceSource {
  const maxAge = options.maxAgeSeconds ?? 60;
  const provider = new SSMProvider({ awsSdkV3Client: options.ssm });
  const name = options.parameterName;
  let good: { raw: string; config: PerformanceConfig } | undefined;
  // a refused value is reported again on each refresh while it stays, so the alarm stays raised
  let refused: { raw: string; reportedAt: number } | undefined;

  const report = (metric: string, message: string, fields: Record<string, unknown>) => {
    options.metrics.addMetric(metric, 'Count', 1);
    options.logger.error(message, { parameter: name, ...fields });
  };

  return {
    async current() {
      let raw: string | undefined;
      try {
        raw = await provider.get(name, { maxAge });
      } catch (error) {
        if (good === undefined) {
          throw new ConfigError(`cannot read GPU tables parameter ${name}: ${asError(error).message}`, {
            cause: error,
          });
        }
        report(
          PerformanceMetricName.Unreadable,
          'GPU tables parameter unreadable; keeping the last good tables',
          {
            error: asError(error).message,
            inForce: digest(good.raw),
          },
        );
        return good.config;
      }
      if (raw !== undefined && raw === good?.raw) return good.config;
      const fallback = good?.config ?? options.fallback ?? DEFAULT_PERFORMANCE_CONFIG;
      const seen = raw ?? '';
      if (refused?.raw === seen && Date.now() - refused.reportedAt < maxAge * 1000) return fallback;
      try {
        if (raw === undefined) throw new ConfigError(`GPU tables parameter ${name} is empty`);
        let value: unknown;
        try {
          value = JSON.parse(raw);
        } catch (error) {
          throw new ConfigError(`GPU tables parameter ${name} is not JSON: ${asError(error).message}`);
        }
        const config = parsePerformanceConfig(value, `GPU tables parameter ${name}`);
        const previous = good;
        good = { raw, config };
        refused = undefined;
        options.logger.info('GPU tables in force', {
          parameter: name,
          tables: digest(raw),
          ...(previous === undefined ? {} : { replaced: digest(previous.raw) }),
          gpus: Object.keys(config.gpu_performance.gpu_scores).length,
        });
        return config;
      } catch (error) {
        refused = { raw: seen, reportedAt: Date.now() };
        report(PerformanceMetricName.Rejected, 'GPU tables update refused; keeping the last good tables', {
          error: asError(error).message,
          refused: digest(seen),
          inForce: good === undefined ? 'built-in v1.9.0' : digest(good.raw),
        });
        return fallback;
      }
    },
  };
}

/** A fixed set of tables (a file given by POG_PERFORMANCE_CONFIG, or the built-in v1.9.0 values). */
export function staticPerformanceSource(config: PerformanceConfig): PerformanceSource {
  return { current: async () => config };
}

const SourceEnvSchema = z.object({
  /** The SSM parameter holding the GPU tables (set by infra/gpu-tables.ts). */
  [EnvName.PogPerformanceParameter]: z.string().min(1).optional(),
  /** A JSON file with the reference config.yaml keys (local runs and the CLI); absent → v1.9.0. */
  [EnvName.PogPerformanceConfig]: z.string().min(1).optional(),
});

/**
 * The GPU tables source an entry point uses, from its environment, parsed once at cold start: the
 * SSM parameter named by `POG_PERFORMANCE_PARAMETER` (a deployed stack sets it), else the file named
 * by `POG_PERFORMANCE_CONFIG`, else the built-in v1.9.0 tables.
 * @throws {ConfigError} when both are set, or the file is missing or invalid.
 */
export function performanceSourceFromEnv(
  deps: {
    readonly logger: Log;
    readonly metrics: PerformanceMetrics;
    readonly ssm?: SSMClient;
  },
  env: Readonly<Record<string, string | undefined>> = process.env,
): PerformanceSource {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = SourceEnvSchema.safeParse(cleaned);
  if (!parsed.success) throw new ConfigError(`invalid environment: ${formatIssues(parsed.error).join('; ')}`);
  const parameterName = parsed.data[EnvName.PogPerformanceParameter];
  const file = parsed.data[EnvName.PogPerformanceConfig];
  if (parameterName === undefined) return staticPerformanceSource(loadPerformanceConfig(file));
  if (file !== undefined) {
    throw new ConfigError(
      `set ${EnvName.PogPerformanceParameter} or ${EnvName.PogPerformanceConfig}, not both`,
    );
  }
  return createLivePerformanceConfig({
    parameterName,
    ssm: deps.ssm ?? new SSMClient({}),
    logger: deps.logger,
    metrics: deps.metrics,
  });
}
