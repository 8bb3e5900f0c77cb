import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { beforeAll, describe, expect, it } from 'vitest';
import type * as z from 'zod';
import { parseDeployConfig } from '../../infra/config.js';
import { PipelineStack } from '../../infra/pipeline-stack.js';
import { SyncEnvSchema, VerifierEnvSchema, WeightsEnvSchema, WorkerEnvSchema } from '../../lib/config/env.js';
import { EnvName } from '../../lib/config/env-names.js';
import { MetricName } from '../../lib/observability/index.js';
import {
  type VerifierDeps,
  VerifierLog,
  VerifierOutcome,
  verifyMessage,
} from '../../lib/pipeline/verifier.js';
import { RowCheckError, type RowCheckReport } from '../../lib/pog/row-check.js';
import type { VerifiedOutcome } from '../../lib/store/final-results.js';
import { makeTestBundle } from '../helpers/bundles.js';
import { filterMatches } from '../helpers/filter-pattern.js';
import { logTo } from '../helpers/log.js';

// Names and constants that infra and code share: a rename on one side must fail here, not after deploy.

function synth(): Template {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new PipelineStack(app, 'Test', {
    // every optional setting on, so that every variable the stack can set is set
    config: parseDeployConfig({
      chainEndpoints: 'ws://127.0.0.1:9944',
      validatorHotkey: '5Fake',
      minMinerVersion: 185,
      wandbEntity: 'entity',
      wandbProject: 'project',
      wandbTrustedPenaltyValidators: '5Trusted',
    }),
    jobImage: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:22'),
  });
  return Template.fromStack(stack);
}

/** Variables the stack sets for readers other than our env schemas (Node, Powertools, the GPU tables source). */
const READ_ELSEWHERE: readonly string[] = [
  EnvName.NodeOptions,
  EnvName.PowertoolsServiceName,
  EnvName.PowertoolsMetricsNamespace,
  EnvName.PogPerformanceParameter,
  EnvName.AwsRegion,
];

function schemaKeys(schema: z.ZodObject): { all: string[]; required: string[] } {
  const entries = Object.entries(schema.shape) as [string, z.ZodType][];
  return {
    all: entries.map(([key]) => key),
    // a key the schema cannot do without: undefined fails it (no default, not optional)
    required: entries.filter(([, s]) => !s.safeParse(undefined).success).map(([key]) => key),
  };
}

describe('Shared names: infra and code', () => {
  let template: Template;
  beforeAll(() => {
    template = synth();
  }, 120_000);

  const lambdaVariables = (prefix: string): string[] => {
    const entry = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) =>
      id.startsWith(prefix),
    );
    if (entry === undefined) throw new Error(`no Lambda function ${prefix}`);
    return Object.keys(entry[1].Properties.Environment?.Variables ?? {});
  };
  const containerVariables = (): string[] => {
    const [job] = Object.values(template.findResources('AWS::Batch::JobDefinition'));
    const env = job?.Properties.ContainerProperties.Environment as Array<{ Name: string }>;
    return env.map((e) => e.Name);
  };

  it.each([
    ['SyncFunction', SyncEnvSchema],
    ['WorkerFunction', WorkerEnvSchema],
    ['WeightsFunction', WeightsEnvSchema],
    ['verifier job', VerifierEnvSchema],
  ] as const)(
    '%s: sets every variable its env schema requires, and none it does not read',
    (consumer, schema) => {
      // Prepare
      const keys = schemaKeys(schema);
      // Act
      const set = consumer === 'verifier job' ? containerVariables() : lambdaVariables(consumer);
      // Assess
      expect(keys.required.filter((k) => !set.includes(k))).toEqual([]);
      expect(set.filter((k) => !keys.all.includes(k) && !READ_ELSEWHERE.includes(k))).toEqual([]);
    },
  );

  it('names each variable once: the env map has no two entries for one name', () => {
    // Act
    const names = Object.values(EnvName);
    // Assess
    expect(new Set(names).size).toBe(names.length);
  });

  it("counts results, failures, discrepancies and poison from the lines the verifier writes, through the stack's own filters", async () => {
    // Prepare: the metric filters as synthesized, and three bundles through the verifier with fakes
    const filters = new Map(
      Object.values(template.findResources('AWS::Logs::MetricFilter')).map((f) => [
        f.Properties.MetricTransformations[0].MetricName as string,
        f.Properties.FilterPattern as string,
      ]),
    );
    const records: Record<string, unknown>[] = [];
    const recorded: VerifiedOutcome[] = [];
    const deps = (bundle: ReturnType<typeof makeTestBundle>, rowCheck: VerifierDeps['rowCheck']) => ({
      queue: { receive: async () => [], delete: async () => {}, deadLetter: async () => {} },
      bundles: { get: async () => bundle.bytes },
      rowCheck,
      results: {
        recordFinal: async (outcome: VerifiedOutcome) => {
          recorded.push(outcome);
          return 'recorded' as const;
        },
      },
      mode: 'report' as const,
      // as Powertools writes it: the message and the fields at the top level of one JSON record
      log: logTo((_level, message, fields) => records.push({ ...fields, message })),
    });
    const passingReport = (bundle: ReturnType<typeof makeTestBundle>): RowCheckReport => ({
      device: 'cpu',
      deviceName: 'numpy',
      seconds: 0,
      entriesChecked: 0,
      gpus: bundle.header.gpus.map((g) => ({
        gpu: g.gpu,
        rowsChecked: g.rows.length,
        entriesChecked: g.rows.length * bundle.header.n,
        wrongValues: 0,
        wrongRows: 0,
        firstWrong: null,
        maxRelError: 0,
      })),
    });
    const honest = makeTestBundle({ hotkey: '5Honest' });
    const unchecked = makeTestBundle({ hotkey: '5Unchecked' });
    const poison = makeTestBundle({ hotkey: '5Poison' });
    const send = (bundle: ReturnType<typeof makeTestBundle>, body: object) => ({
      body: JSON.stringify(body),
      receiptHandle: bundle.key,
    });
    // Act
    await verifyMessage(
      deps(honest, async () => passingReport(honest)),
      send(honest, honest.message),
    );
    await verifyMessage(
      deps(unchecked, async () => {
        throw new RowCheckError('row check ran past 1 ms', 'timeout');
      }),
      send(unchecked, unchecked.message),
    );
    await verifyMessage(
      deps(poison, async () => passingReport(poison)),
      send(poison, { ...poison.message, bundleSha256: '0'.repeat(64) }),
    );
    const count = (metric: string) => {
      const pattern = filters.get(metric);
      if (pattern === undefined) throw new Error(`no metric filter for ${metric}`);
      return records.filter((r) => filterMatches(pattern, r)).length;
    };
    // Assess: each metric counts what happened, read off the verifier's own records
    expect(recorded).toHaveLength(3);
    expect(count(MetricName.VerifierResults)).toBe(recorded.length);
    expect(count(MetricName.VerifierFailures)).toBe(recorded.filter((o) => o.gpuName === null).length);
    expect(count(MetricName.VerifierFailures)).toBe(1);
    expect(count(MetricName.RowCheckDiscrepancies)).toBe(1);
    expect(count(MetricName.PoisonBundles)).toBe(1);
    expect(records.find((r) => r.hotkey === '5Poison' && r.message === VerifierLog.Result)).toMatchObject({
      [VerifierOutcome.field]: VerifierOutcome.failure,
    });
  });

  it("counts a checker that fails its self-test through the stack's own filter, and records no result", async () => {
    // Prepare: enforce mode, a checker that crashes on every bundle, the known-honest one included
    const pattern = Object.values(template.findResources('AWS::Logs::MetricFilter'))
      .filter((f) => f.Properties.MetricTransformations[0].MetricName === MetricName.RowCheckerFaults)
      .map((f) => f.Properties.FilterPattern as string);
    const records: Record<string, unknown>[] = [];
    const bundle = makeTestBundle({ hotkey: '5Fault' });
    const deps: VerifierDeps = {
      queue: { receive: async () => [], delete: async () => {}, deadLetter: async () => {} },
      bundles: { get: async () => bundle.bytes },
      rowCheck: async () => {
        throw new RowCheckError('row checker died mid-request (signal SIGSEGV)', 'crashed');
      },
      results: {
        recordFinal: async () => {
          throw new Error('no result may be recorded');
        },
      },
      mode: 'enforce',
      log: logTo((_level, message, fields) => records.push({ ...fields, message })),
    };
    // Act
    const verdict = await verifyMessage(deps, { body: JSON.stringify(bundle.message), receiptHandle: 'h' });
    // Assess
    expect(verdict).toBe('checker fault');
    expect(pattern).toHaveLength(1);
    expect(records.filter((r) => filterMatches(pattern[0] as string, r))).toHaveLength(1);
    expect(records.some((r) => r.message === VerifierLog.Result)).toBe(false);
  });
});
