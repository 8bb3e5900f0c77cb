import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ProjectFunction } from '../../infra/project-function.js';

// skip esbuild bundling: the template is what these tests assert on
function twoFunctions(): Template {
  const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
  new ProjectFunction(stack, 'Sync', { entry: 'functions/sync/index.ts', component: 'sync' });
  new ProjectFunction(stack, 'Worker', { entry: 'functions/worker/index.ts', component: 'worker' });
  return Template.fromStack(stack);
}

describe('log permissions scoped to each component (issue 12)', () => {
  it('gives every function its own log group with retention', () => {
    // Prepare / Act
    const template = twoFunctions();
    // Assess
    template.resourceCountIs('AWS::Logs::LogGroup', 2);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: Match.objectLike({ LogGroup: { Ref: Match.stringLikeRegexp('^SyncLogs') } }),
    });
  });

  it('lets each role write its own group only, without AWSLambdaBasicExecutionRole', () => {
    // Prepare
    const template = twoFunctions();
    // Act
    const roles = template.findResources('AWS::IAM::Role');
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    // Assess
    for (const role of Object.values(roles)) {
      expect(JSON.stringify(role.Properties.ManagedPolicyArns ?? [])).not.toMatch(
        /AWSLambdaBasicExecutionRole/,
      );
    }
    for (const component of ['Sync', 'Worker']) {
      const policy = policies.find((p) =>
        JSON.stringify(p.Properties.Roles).includes(`${component}ServiceRole`),
      );
      const logStatements = (policy?.Properties.PolicyDocument.Statement ?? []).filter(
        (s: { Action: unknown }) => JSON.stringify(s.Action).includes('logs:'),
      );
      expect(logStatements).toEqual([
        {
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${component}Logs`)), 'Arn'] },
        },
      ]);
    }
    // no statement anywhere grants logs on every group
    expect(JSON.stringify(policies)).not.toMatch(/"logs:[A-Za-z]+"[^}]*"Resource":"\*"/);
  });
});
