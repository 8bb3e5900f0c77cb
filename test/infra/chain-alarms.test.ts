import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDeployConfig } from '../../infra/config.js';
import { PipelineStack } from '../../infra/pipeline-stack.js';
import { MetricName } from '../../lib/observability/index.js';

describe('Chain alarms and the commits table', () => {
  let template: Template;
  beforeAll(() => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new PipelineStack(app, 'Test', {
      config: parseDeployConfig({ chainEndpoints: 'ws://127.0.0.1:9944', validatorHotkey: '5Fake' }),
      jobImage: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:22'),
    });
    template = Template.fromStack(stack);
  }, 120_000);

  it('alarms on never-revealed commits, weight-limit refusals and preflight problems, on the metrics the code emits', () => {
    // Prepare / Act
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => ({
      metric: String(a.Properties.MetricName),
      component: JSON.stringify(a.Properties.Dimensions ?? []),
    }));

    // Assess
    expect(alarms).toContainEqual({
      metric: MetricName.WeightsNeverRevealed,
      component: expect.stringContaining('weights'),
    });
    expect(alarms).toContainEqual({
      metric: MetricName.WeightLimitRefusals,
      component: expect.stringContaining('weights'),
    });
    expect(alarms).toContainEqual({
      metric: MetricName.PreflightProblems,
      component: expect.stringContaining('sync'),
    });
    expect(alarms).toContainEqual({
      metric: MetricName.PreflightProblems,
      component: expect.stringContaining('weights'),
    });
  });

  it('gives the weight Lambda the commits table and the sync the public hotkey only', () => {
    // Prepare / Act / Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ TABLE_COMMITS: Match.anyValue(), WEIGHT_MODE: Match.anyValue() }),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ CHALLENGE_QUEUE_URL: Match.anyValue(), VALIDATOR_HOTKEY: '5Fake' }),
      },
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'commitHash', KeyType: 'RANGE' },
      ],
    });
  });
});
