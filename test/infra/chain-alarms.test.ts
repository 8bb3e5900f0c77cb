import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { MetricName } from '../../lib/observability/index.js';
import { synthPipeline } from './fixtures.js';

describe('Chain alarms and the commits table', () => {
  let template: Template;
  beforeAll(() => {
    template = synthPipeline({ validatorHotkey: '5Fake' }).template;
  }, 120_000);

  it('alarms on never-revealed commits, weight-limit refusals and preflight problems, on the metrics the code emits', () => {
    // Prepare / Act
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => ({
      metric: String(a.Properties.MetricName),
      component: JSON.stringify(a.Properties.Dimensions ?? []),
    }));

    // Assess
    expect(alarms).toEqual(
      expect.arrayContaining([
        { metric: MetricName.WeightsNeverRevealed, component: expect.stringContaining('weights') },
        { metric: MetricName.WeightLimitRefusals, component: expect.stringContaining('weights') },
        { metric: MetricName.PreflightProblems, component: expect.stringContaining('sync') },
        { metric: MetricName.PreflightProblems, component: expect.stringContaining('weights') },
      ]),
    );
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
