import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { MEMORY_ALARM_PERCENT } from '../../infra/monitoring.js';
import { PLATFORM_REPORT } from '../../infra/project-function.js';
import { filterMatches, selectorValue } from '../helpers/filter-pattern.js';
import { synthPipeline } from './fixtures.js';

type Resource = { Properties: Record<string, unknown> };

/** An invocation's report as Lambda writes it to a log group in the JSON log format. */
const REPORT = {
  time: '2026-12-07T22:40:00.000Z',
  type: 'platform.report',
  record: {
    requestId: 'r-1',
    metrics: { durationMs: 91_830.2, billedDurationMs: 91_831, memorySizeMB: 256, maxMemoryUsedMB: 163 },
    status: 'success',
  },
};
/** One of our own lines, as Powertools writes it to the same group. */
const OWN_LINE = { level: 'INFO', message: 'attempt finished', service: 'pog-validator', type: 'attempt' };

/** The function whose logical id starts with `prefix`: its memory and the Ref of its own log group. */
function lambdaOf(template: Template, prefix: string): { memoryMb: number; logGroupRef: unknown } {
  const entry = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) =>
    id.startsWith(prefix),
  );
  if (entry === undefined) throw new Error(`no function ${prefix}`);
  const props = (entry[1] as Resource).Properties;
  return {
    memoryMb: props.MemorySize as number,
    logGroupRef: (props.LoggingConfig as { LogGroup: unknown }).LogGroup,
  };
}

/** The metric filter on `logGroupRef` that reads the platform's reports, and the alarm on its metric. */
function memoryWatch(template: Template, logGroupRef: unknown) {
  const filters = Object.values(template.findResources('AWS::Logs::MetricFilter')) as Resource[];
  const filter = filters.find(
    (f) =>
      JSON.stringify(f.Properties.LogGroupName) === JSON.stringify(logGroupRef) &&
      String(f.Properties.FilterPattern).includes(PLATFORM_REPORT.type),
  );
  const transform = (filter?.Properties.MetricTransformations as Array<Record<string, unknown>>)?.[0];
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Resource[];
  const alarm = alarms.find((a) => a.Properties.MetricName === transform?.MetricName);
  return { filter, transform, alarm };
}

describe('Lambda memory as deployed: the platform reports, a metric and an alarm per function', () => {
  let template: Template;
  beforeAll(() => {
    template = synthPipeline({ workerMemoryMb: '1024' }).template;
  }, 120_000);

  it.each([
    ['SyncFunction', 512],
    ['WorkerFunction', 1024],
    ['WeightsFunction', 1024],
  ])(
    '%s: its own log group feeds a max-memory metric that alarms above 80%% of its memory',
    (prefix, memoryMb) => {
      // Prepare
      const fn = lambdaOf(template, prefix);
      // Act
      const { filter, transform, alarm } = memoryWatch(template, fn.logGroupRef);
      // Assess
      expect(fn.memoryMb).toBe(memoryMb);
      expect(filter?.Properties.FilterPattern).toBe('{ $.type = "platform.report" }');
      expect(transform).toMatchObject({ MetricValue: '$.record.metrics.maxMemoryUsedMB', Unit: 'Megabytes' });
      expect(alarm?.Properties).toMatchObject({
        Statistic: 'Maximum',
        Threshold: Math.floor((memoryMb * MEMORY_ALARM_PERCENT) / 100),
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
    },
  );

  it("takes the report's high-water mark from the platform's reports and from nothing the code writes", () => {
    // Prepare
    const { filter, transform } = memoryWatch(template, lambdaOf(template, 'WorkerFunction').logGroupRef);
    const pattern = String(filter?.Properties.FilterPattern);
    // Act
    const matched = [REPORT, OWN_LINE].filter((r) => filterMatches(pattern, r));
    const value = selectorValue(String(transform?.MetricValue), REPORT);
    // Assess
    expect(matched).toEqual([REPORT]);
    expect(value).toBe(163);
  });

  it('gives each function a metric of its own and names the worker setting to raise', () => {
    // Prepare
    const watches = ['SyncFunction', 'WorkerFunction', 'WeightsFunction'].map((prefix) =>
      memoryWatch(template, lambdaOf(template, prefix).logGroupRef),
    );
    // Act
    const names = watches.map((w) => w.transform?.MetricName);
    const worker = String(watches[1]?.alarm?.Properties.AlarmDescription);
    // Assess
    expect(new Set(names).size).toBe(3);
    expect(worker).toMatch(/worker Lambda used more than 80% of its 1024 MB/);
    expect(worker).toMatch(/workerMemoryMb/);
  });
});
