import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDeployConfig } from '../../infra/config.js';
import { BUNDLE_EXPIRY_DAYS, VERIFICATION_MAX_RECEIVES } from '../../infra/proof-bundles.js';
import { parsePogEngineConfig, sessionCleanupS } from '../../lib/pog/config.js';
import { CHALLENGE_QUEUE } from '../../lib/queue/challenge.js';
import { actionsOf, logicalIdOf, policyStatements, synthPipeline } from './fixtures.js';

const workerStatements = (template: Template) => policyStatements(template, 'WorkerFunction');

describe('Proof bundles: bucket, verification queue and the worker that fills them', () => {
  let template: Template;
  beforeAll(() => {
    template = synthPipeline().template;
  }, 120_000);

  it('keeps bundles private, TLS-only, encrypted and expired within 2 days', () => {
    // Prepare
    const bucketId = logicalIdOf(template, 'AWS::S3::Bucket', 'ProofBundlesBucket');
    // Act
    const bucket = template.findResources('AWS::S3::Bucket')[bucketId];
    const rules = bucket?.Properties.LifecycleConfiguration.Rules as Array<{ ExpirationInDays?: number }>;
    // Assess
    expect(bucket?.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket?.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0]).toMatchObject({
      ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' },
    });
    expect(rules.some((r) => r.ExpirationInDays !== undefined && r.ExpirationInDays <= 2)).toBe(true);
    expect(BUNDLE_EXPIRY_DAYS).toBeLessThanOrEqual(2);
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('gives the verification queue an encrypted DLQ', () => {
    // Prepare
    const dlqId = logicalIdOf(template, 'AWS::SQS::Queue', 'ProofBundlesDlq');
    // Act / Assess
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
        maxReceiveCount: VERIFICATION_MAX_RECEIVES,
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: Match.absent(),
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
  });

  it('sizes the worker for one attempt: timeout covers the deadline and the clean-up, visibility the timeout', () => {
    // Prepare
    const worker = Object.values(
      template.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: { BUNDLE_BUCKET: Match.anyValue() } } },
      }),
    )[0];
    // Act
    const timeout = worker?.Properties.Timeout as number;
    // Assess
    expect(timeout).toBe(CHALLENGE_QUEUE.workerTimeoutSeconds);
    // the deadline, the clean-up the attempt waits for after it, and 60 s for the hand-over's S3, SQS and Batch calls
    const engine = parsePogEngineConfig();
    expect(CHALLENGE_QUEUE.attemptDeadlineSeconds).toBe(engine.attemptTimeoutS);
    expect(timeout).toBeGreaterThanOrEqual(engine.attemptTimeoutS + sessionCleanupS(engine) + 60);
    expect(CHALLENGE_QUEUE.visibilityTimeoutSeconds).toBeGreaterThan(timeout);
    expect(Object.keys(worker?.Properties.Environment.Variables ?? {}).sort()).toEqual(
      expect.arrayContaining([
        'BUNDLE_BUCKET',
        'CHALLENGE_QUEUE_URL',
        'HOTKEY_SECRET_ARN',
        'TABLE_COORDINATION',
        'TABLE_POG_RESULTS',
        'VERIFICATION_QUEUE_URL',
        'VERIFIER_JOB_DEFINITION',
        'VERIFIER_JOB_QUEUE',
      ]),
    );
  });

  it('takes the worker concurrency from the deploy setting and refuses values SQS does not allow', () => {
    // Prepare / Act
    const custom = synthPipeline({ workerConcurrency: '200' }).template;
    // Assess
    custom.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 1,
      ScalingConfig: { MaximumConcurrency: 200 },
    });
    expect(() => parseDeployConfig({ chainEndpoints: 'ws://x', workerConcurrency: 1 })).toThrow(
      /workerConcurrency/,
    );
    expect(() => parseDeployConfig({ chainEndpoints: 'ws://x', workerConcurrency: 1001 })).toThrow(
      /workerConcurrency/,
    );
  });

  it('takes the worker memory from the deploy setting, which the cost model follows, and refuses less than the largest proof needs', () => {
    // Prepare / Act
    const custom = synthPipeline({ workerMemoryMb: '1024' }).template;
    const workers = Object.entries(custom.findResources('AWS::Lambda::Function')).filter(([id]) =>
      id.startsWith('WorkerFunction'),
    );
    // Assess
    expect(workers.map(([, w]) => w.Properties.MemorySize)).toEqual([1024]);
    expect(() => parseDeployConfig({ chainEndpoints: 'ws://x', workerMemoryMb: 255 })).toThrow(
      /workerMemoryMb/,
    );
    expect(parseDeployConfig({ chainEndpoints: 'ws://x' }).workerMemoryMb).toBe(256);
  });

  it('lets the worker put bundles and send verification messages, but not read or delete bundles', () => {
    // Prepare
    const bucketId = logicalIdOf(template, 'AWS::S3::Bucket', 'ProofBundlesBucket');
    // Act
    const statements = workerStatements(template);
    const s3Actions = statements.flatMap(actionsOf).filter((a) => a.startsWith('s3:'));
    // Assess
    expect(s3Actions).toEqual(['s3:PutObject']);
    const put = statements.find((st) => actionsOf(st).includes('s3:PutObject'));
    expect(put?.Resource).toEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/bundles/*']],
    });
    expect(statements.flatMap(actionsOf)).toEqual(expect.arrayContaining(['sqs:SendMessage']));
  });

  it('narrows the worker to its own PoG items: no scan, query or delete of results, coordination keys by prefix', () => {
    // Prepare
    const resultsId = logicalIdOf(template, 'AWS::DynamoDB::Table', 'PogResultsTable');
    const coordinationId = logicalIdOf(template, 'AWS::DynamoDB::Table', 'CoordinationTable');
    const on = (id: string) => (st: Record<string, unknown>) =>
      JSON.stringify(st.Resource).includes(`"${id}"`);
    // Act
    const statements = workerStatements(template).filter((st) =>
      actionsOf(st).some((a) => a.startsWith('dynamodb:')),
    );
    const results = statements.filter(on(resultsId));
    const coordination = statements.filter(on(coordinationId));
    // Assess
    expect(results.flatMap(actionsOf)).toEqual(['dynamodb:PutItem']);
    expect(coordination.flatMap(actionsOf).sort()).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    for (const st of coordination) {
      expect(st.Condition).toMatchObject({
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': expect.any(Array) },
      });
    }
    const deleteSt = coordination.find((st) => actionsOf(st).includes('dynamodb:DeleteItem'));
    expect(deleteSt?.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['claim#verifier#*'] },
    });
    expect(statements.flatMap(actionsOf)).not.toEqual(expect.arrayContaining(['dynamodb:Scan']));
  });
});
