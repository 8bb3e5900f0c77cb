import { randomUUID } from 'node:crypto';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_PERFORMANCE_CONFIG, type PerformanceConfig } from '../../../lib/config/gpu-performance.js';
import {
  createLivePerformanceConfig,
  PerformanceMetricName,
  performanceSourceFromEnv,
} from '../../../lib/config/live-performance.js';
import { ConfigError } from '../../../lib/errors.js';

let ssm: SSMClient;

beforeAll(() => {
  ssm = new SSMClient({ endpoint: inject('motoEndpoint'), region: 'us-east-1' });
});

function recorders() {
  const logs: Array<{ level: string; message: string; fields: Record<string, unknown> }> = [];
  const metrics: string[] = [];
  return {
    logs,
    metrics,
    logger: {
      info: (message: string, fields: Record<string, unknown> = {}) =>
        logs.push({ level: 'info', message, fields }),
      warn: (message: string, fields: Record<string, unknown> = {}) =>
        logs.push({ level: 'warn', message, fields }),
      error: (message: string, fields: Record<string, unknown> = {}) =>
        logs.push({ level: 'error', message, fields }),
    },
    sink: { addMetric: (name: string) => metrics.push(name) },
  };
}

const put = (name: string, value: string) =>
  ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: true }));

/** The seed with one change an operator might make: a new GPU in every table. */
function withNewGpu(): PerformanceConfig {
  const cfg = structuredClone(DEFAULT_PERFORMANCE_CONFIG);
  const gpu = 'NVIDIA B300';
  cfg.gpu_performance.gpu_scores[gpu] = 6;
  cfg.gpu_performance.GPU_TFLOPS_FP16[gpu] = 2250;
  cfg.gpu_performance.GPU_TFLOPS_FP32[gpu] = 75;
  cfg.gpu_performance.GPU_AVRAM[gpu] = 137.44;
  return cfg;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('GPU tables as live configuration (SSM on moto)', () => {
  it('reads the parameter, and applies an update once the cache expires', async () => {
    // Prepare
    const name = `/test/${randomUUID()}/gpu-performance`;
    await put(name, JSON.stringify(DEFAULT_PERFORMANCE_CONFIG));
    const rec = recorders();
    const tables = createLivePerformanceConfig({
      parameterName: name,
      ssm,
      maxAgeSeconds: 1,
      logger: rec.logger,
      metrics: rec.sink,
    });
    // Act
    const first = await tables.current();
    await put(name, JSON.stringify(withNewGpu()));
    const cached = await tables.current();
    await pause(1_100);
    const updated = await tables.current();
    // Assess
    expect(first).toEqual(DEFAULT_PERFORMANCE_CONFIG);
    expect(cached.gpu_performance.gpu_scores['NVIDIA B300']).toBeUndefined();
    expect(updated.gpu_performance.gpu_scores['NVIDIA B300']).toBe(6);
    expect(rec.metrics).toEqual([]);
    expect(rec.logs.filter((l) => l.message === 'GPU tables in force')).toHaveLength(2);
  });

  it.each([
    ['a half-written JSON document', (good: string) => good.slice(0, good.length / 2), /not JSON/],
    [
      'a GPU without GPU_AVRAM',
      () => {
        const cfg = withNewGpu();
        delete cfg.gpu_performance.GPU_AVRAM['NVIDIA B300'];
        return JSON.stringify(cfg);
      },
      /GPU_AVRAM/,
    ],
    [
      'a negative score',
      () => {
        const cfg = withNewGpu();
        cfg.gpu_performance.gpu_scores['NVIDIA H100'] = -1;
        return JSON.stringify(cfg);
      },
      /gpu_scores\.NVIDIA H100/,
    ],
  ])(
    'refuses %s loudly (metric, log naming the key) and keeps the last good tables',
    async (_label, bad, key) => {
      // Prepare
      const name = `/test/${randomUUID()}/gpu-performance`;
      const good = JSON.stringify(withNewGpu());
      await put(name, good);
      const rec = recorders();
      const tables = createLivePerformanceConfig({
        parameterName: name,
        ssm,
        maxAgeSeconds: 1,
        logger: rec.logger,
        metrics: rec.sink,
      });
      const before = await tables.current();
      // Act
      await put(name, bad(good));
      await pause(1_100);
      const during = await tables.current();
      const again = await tables.current();
      // Assess
      expect(during).toEqual(before);
      expect(again).toEqual(before);
      expect(rec.metrics).toEqual([PerformanceMetricName.Rejected]);
      const refusal = rec.logs.find((l) => l.level === 'error');
      expect(refusal?.message).toBe('GPU tables update refused; keeping the last good tables');
      expect(String(refusal?.fields.error)).toMatch(key);
      expect(refusal?.fields.parameter).toBe(name);
    },
  );

  it('uses the built-in v1.9.0 tables, alarmed, when a fresh container finds a bad value', async () => {
    // Prepare
    const name = `/test/${randomUUID()}/gpu-performance`;
    await put(name, '{"gpu_performance": {}}');
    const rec = recorders();
    // Act
    const tables = performanceSourceFromEnv(
      { logger: rec.logger, metrics: rec.sink, ssm },
      { POG_PERFORMANCE_PARAMETER: name },
    );
    const config = await tables.current();
    // Assess
    expect(config).toEqual(DEFAULT_PERFORMANCE_CONFIG);
    expect(rec.metrics).toEqual([PerformanceMetricName.Rejected]);
    expect(rec.logs[0]?.fields.inForce).toBe('built-in v1.9.0');
  });

  it('fails loudly when the parameter cannot be read and nothing was read before', async () => {
    // Prepare
    const rec = recorders();
    const tables = createLivePerformanceConfig({
      parameterName: `/test/${randomUUID()}/missing`,
      ssm,
      logger: rec.logger,
      metrics: rec.sink,
    });
    // Act / Assess
    await expect(tables.current()).rejects.toThrow(ConfigError);
  });
});
