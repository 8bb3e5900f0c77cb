import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { VERIFIER_JOB } from '../../infra/verifier.js';
import { MetricName } from '../../lib/observability/index.js';
import { VerifierLog } from '../../lib/pipeline/verifier.js';
import { logicalIdOf, policyStatements, synthPipeline } from './fixtures.js';

describe('VerifierJob', () => {
  let template: Template;
  beforeAll(() => {
    template = synthPipeline().template;
  }, 120_000);

  it('requests one GPU, takes its settings from the shared constants and the rowCheck setting (report by default)', () => {
    // Act / Assess
    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      ContainerProperties: Match.objectLike({
        ResourceRequirements: Match.arrayWith([
          { Type: 'VCPU', Value: String(VERIFIER_JOB.vcpus) },
          { Type: 'GPU', Value: String(VERIFIER_JOB.gpus) },
        ]),
        Environment: Match.arrayWith([
          { Name: 'ROW_CHECK', Value: 'report' },
          // a GPU host without CUDA is a checker fault, never a silent CPU fallback
          { Name: 'ROW_CHECK_DEVICE', Value: 'cuda' },
          { Name: 'VERIFIER_EMPTY_POLLS', Value: String(VERIFIER_JOB.emptyPolls) },
          // the SDK's region in a container that older ECS agents give none
          { Name: 'AWS_REGION', Value: { Ref: 'AWS::Region' } },
        ]),
      }),
      Timeout: { AttemptDurationSeconds: 60 * 60 },
      // in this order: a reclaimed host and a killed process retry, any other exit code ends the job
      RetryStrategy: {
        Attempts: VERIFIER_JOB.attempts,
        EvaluateOnExit: [
          { Action: 'RETRY', OnStatusReason: 'Host EC2*' },
          { Action: 'RETRY', OnExitCode: '137' },
          { Action: 'EXIT', OnExitCode: '*' },
        ],
      },
    });
    const enforced = synthPipeline({ rowCheck: 'enforce' }).template;
    enforced.hasResourceProperties('AWS::Batch::JobDefinition', {
      ContainerProperties: Match.objectLike({
        Environment: Match.arrayWith([{ Name: 'ROW_CHECK', Value: 'enforce' }]),
      }),
    });
    expect(() => synthPipeline({ rowCheck: 'sometimes' })).toThrow(/rowCheck/);
  });

  it('runs Spot first and on-demand after it, on g4dn.xlarge, scaling to zero', () => {
    // Prepare
    const spotId = logicalIdOf(template, 'AWS::Batch::ComputeEnvironment', 'VerifierSpotCompute');
    const onDemandId = logicalIdOf(template, 'AWS::Batch::ComputeEnvironment', 'VerifierOnDemandCompute');
    // Act
    const envs = template.findResources('AWS::Batch::ComputeEnvironment');
    // Assess
    expect(Object.keys(envs)).toHaveLength(2);
    expect(envs[spotId]?.Properties.ComputeResources).toMatchObject({
      Type: 'SPOT',
      MinvCpus: 0,
      InstanceTypes: ['g4dn.xlarge'],
      AllocationStrategy: 'SPOT_PRICE_CAPACITY_OPTIMIZED',
    });
    expect(envs[onDemandId]?.Properties.ComputeResources).toMatchObject({
      Type: 'EC2',
      MinvCpus: 0,
      InstanceTypes: ['g4dn.xlarge'],
    });
    template.hasResourceProperties('AWS::Batch::JobQueue', {
      ComputeEnvironmentOrder: [
        { ComputeEnvironment: { 'Fn::GetAtt': [spotId, 'ComputeEnvironmentArn'] }, Order: 1 },
        { ComputeEnvironment: { 'Fn::GetAtt': [onDemandId, 'ComputeEnvironmentArn'] }, Order: 2 },
      ],
    });
  });

  it('launches hosts that require IMDSv2 with a hop limit of 1', () => {
    // Act / Assess
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        MetadataOptions: Match.objectLike({ HttpTokens: 'required', HttpPutResponseHopLimit: 1 }),
      }),
    });
  });

  it("grants the job role bundle reads, queue consumption, result writes and dropping its round's claim only", () => {
    // Act
    const statements = policyStatements(template, 'VerifierJobRole');
    const actions = statements.flatMap((s) => [s.Action].flat() as string[]);
    // Assess
    expect(actions).toContain('s3:GetObject');
    expect(actions).toContain('sqs:ReceiveMessage');
    expect(actions).toContain('sqs:DeleteMessage');
    expect(actions).toContain('dynamodb:PutItem');
    // ListBucket on the bundle bucket only, so that a missing bundle reads 404 (poison), not 403
    const lists = statements.filter((s) => [s.Action].flat().some((a) => /^s3:List/.test(String(a))));
    expect(lists.map((s) => [[s.Action].flat(), s.Resource])).toEqual([
      [
        ['s3:ListBucket'],
        { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::S3::Bucket', 'ProofBundles'), 'Arn'] },
      ],
    ]);
    for (const forbidden of [/^s3:Delete/, /^dynamodb:Scan/, /^dynamodb:\*/, /^secretsmanager:/]) {
      expect(actions.filter((a) => forbidden.test(a))).toEqual([]);
    }
    const coordination = statements.find((s) => [s.Action].flat().includes('dynamodb:UpdateItem'));
    expect(JSON.stringify(coordination?.Condition)).toContain('dynamodb:LeadingKeys');
    // deletes: the round's verifier claim items, nothing else
    const deletes = statements.filter((s) => [s.Action].flat().includes('dynamodb:DeleteItem'));
    expect(deletes.map((s) => [s.Action].flat())).toEqual([['dynamodb:DeleteItem']]);
    expect(deletes[0]?.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['claim#verifier#*'] },
    });
  });

  it("reads the challenge queue's counts only, and waits a job start's cost for a late bundle", () => {
    // Prepare
    const queueId = logicalIdOf(template, 'AWS::SQS::Queue', 'ChallengeQueue');
    // Act
    const statements = policyStatements(template, 'VerifierJobRole');
    const onChallengeQueue = statements.filter((s) => JSON.stringify(s.Resource).includes(`"${queueId}"`));
    // Assess: the linger is the cost model's boot plus image pull (6 min)
    expect(onChallengeQueue.map((s) => [s.Action].flat())).toEqual([['sqs:GetQueueAttributes']]);
    expect(VERIFIER_JOB.lingerSeconds).toBe(360);
    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      ContainerProperties: Match.objectLike({
        Environment: Match.arrayWith([
          { Name: 'CHALLENGE_QUEUE_URL', Value: { Ref: queueId } },
          { Name: 'VERIFIER_LINGER_SECONDS', Value: '360' },
        ]),
      }),
    });
  });

  it('counts results, failures, discrepancies and poison from the log lines the verifier writes', () => {
    // Act
    const filters = Object.values(template.findResources('AWS::Logs::MetricFilter')).map((f) => ({
      metric: f.Properties.MetricTransformations[0].MetricName as string,
      pattern: f.Properties.FilterPattern as string,
    }));
    // Assess
    expect(filters).toEqual(
      expect.arrayContaining([
        { metric: MetricName.VerifierResults, pattern: `{ $.message = "${VerifierLog.Result}" }` },
        {
          metric: MetricName.VerifierFailures,
          pattern: `{ ($.message = "${VerifierLog.Result}") && ($.outcome = "failure") }`,
        },
        { metric: MetricName.RowCheckDiscrepancies, pattern: `{ $.message = "${VerifierLog.Discrepancy}" }` },
        { metric: MetricName.PoisonBundles, pattern: `{ $.message = "${VerifierLog.Poison}" }` },
        { metric: MetricName.RowCheckerFaults, pattern: `{ $.message = "${VerifierLog.CheckerFault}" }` },
      ]),
    );
    expect(VerifierLog).toEqual({
      Result: 'verifier result',
      Discrepancy: 'row check discrepancy',
      Poison: 'poison bundle',
      Retry: 'verification retried',
      Finished: 'verifier finished',
      ClaimReleased: 'verifier claim released',
      ClaimKept: 'verifier claim not released',
      PendingUnknown: 'verifier could not tell whether sessions are pending',
      CheckerFault: 'row checker fault',
    });
  });
});
