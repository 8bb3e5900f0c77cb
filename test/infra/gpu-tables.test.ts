import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDeployConfig } from '../../infra/config.js';
import { PipelineStack } from '../../infra/pipeline-stack.js';
import { DEFAULT_PERFORMANCE_CONFIG } from '../../lib/config/gpu-performance.js';
import { logicalIdOf, REGISTRY_JOB_IMAGE } from './fixtures.js';

/** Synthesizes as infra/app.ts does: context values arrive as the strings `-c key=value` gives. */
function synthWithContext(context: Record<string, string>): Template {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const config = parseDeployConfig({
    chainEndpoints: app.node.tryGetContext('chainEndpoints'),
    dedupeIps: app.node.tryGetContext('dedupeIps'),
  });
  const stack = new PipelineStack(app, 'Test', {
    config,
    jobImage: REGISTRY_JOB_IMAGE,
  });
  return Template.fromStack(stack);
}

describe('deployed configuration', () => {
  let template: Template;
  beforeAll(() => {
    template = synthWithContext({ chainEndpoints: 'wss://a.example:443', dedupeIps: 'false' });
  }, 120_000);

  it('deploys -c dedupeIps=false as DEDUPE_IPS=false, and -c dedupeIps=true as true', () => {
    // Prepare
    const dedupe = (t: Template) =>
      Object.values(t.findResources('AWS::Lambda::Function'))
        .map((f) => (f.Properties.Environment?.Variables ?? {}) as Record<string, unknown>)
        .filter((vars) => 'DEDUPE_IPS' in vars)
        .map((vars) => vars.DEDUPE_IPS);
    // Act
    const off = dedupe(template);
    const on = dedupe(synthWithContext({ chainEndpoints: 'wss://a.example:443', dedupeIps: 'true' }));
    // Assess: the sync and weights Lambdas
    expect(off).toEqual(['false', 'false']);
    expect(on).toEqual(['true', 'true']);
  }, 120_000);

  it('creates the GPU-table parameter seeded with the v1.9.0 tables, within the Standard tier', () => {
    // Act
    const [parameter] = Object.values(template.findResources('AWS::SSM::Parameter'));
    // Assess
    expect(parameter?.Properties).toMatchObject({
      Type: 'String',
      Tier: 'Standard',
      Name: '/Test/gpu-performance',
    });
    expect(JSON.parse(String(parameter?.Properties.Value))).toEqual(DEFAULT_PERFORMANCE_CONFIG);
    expect(Buffer.byteLength(String(parameter?.Properties.Value))).toBeLessThanOrEqual(4096);
  });

  it('wires the parameter to the weights and worker Lambdas only, with read-only grants', () => {
    // Prepare
    const paramId = logicalIdOf(template, 'AWS::SSM::Parameter', 'GpuTables');
    const lambdaEnv = (prefix: string) =>
      template.findResources('AWS::Lambda::Function')[logicalIdOf(template, 'AWS::Lambda::Function', prefix)]
        ?.Properties.Environment.Variables as Record<string, unknown>;
    const [job] = Object.values(template.findResources('AWS::Batch::JobDefinition'));
    const jobEnv = job?.Properties.ContainerProperties.Environment as Array<{ Name: string; Value: unknown }>;
    // Act: every statement that mentions SSM, by the policy that holds it
    const ssmStatements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>)
        .filter((st) => JSON.stringify(st.Action).includes('ssm:'))
        .map((st) => ({
          policy: String(policy.Properties.PolicyName),
          action: st.Action,
          resource: st.Resource,
        })),
    );
    // Assess
    expect(lambdaEnv('WeightsFunction').POG_PERFORMANCE_PARAMETER).toEqual({ Ref: paramId });
    expect(lambdaEnv('WorkerFunction').POG_PERFORMANCE_PARAMETER).toEqual({ Ref: paramId });
    expect(lambdaEnv('SyncFunction').POG_PERFORMANCE_PARAMETER).toBeUndefined();
    expect(jobEnv.map((e) => e.Name)).not.toContain('POG_PERFORMANCE_PARAMETER');
    expect(ssmStatements.map((s) => s.policy).sort()).toEqual([
      expect.stringMatching(/^WeightsFunction/),
      expect.stringMatching(/^WorkerFunction/),
    ]);
    for (const st of ssmStatements) {
      expect(st.action).toBe('ssm:GetParameter');
      expect(JSON.stringify(st.resource)).toContain(paramId);
      expect(JSON.stringify(st.resource)).not.toContain('*');
    }
  });

  it('alarms when a consumer refuses a GPU tables update', () => {
    // Act
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter(
      (a) => a.Properties.MetricName === 'PerformanceConfigRejected',
    );
    // Assess
    expect(
      alarms
        .map(
          (a) =>
            (a.Properties.Dimensions as Array<{ Name: string; Value: string }>).find(
              (d) => d.Name === 'component',
            )?.Value,
        )
        .sort(),
    ).toEqual(['weights', 'worker']);
  });
});
