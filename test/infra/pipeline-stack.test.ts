import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDeployConfig } from '../../infra/config.js';
import { ProjectFunction } from '../../infra/project-function.js';
import { DEFAULT_PERFORMANCE_CONFIG } from '../../lib/config/gpu-performance.js';
import { CHALLENGE_QUEUE, INFRASTRUCTURE_RETRIES, MAX_POG_RETRY_LIMIT } from '../../lib/queue/challenge.js';
import { TABLE_DEFINITIONS } from '../../lib/store/tables.js';
import { logicalIdOf, policyStatements, synthPipeline } from './fixtures.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** Names of the IAM policies that may read the given secret, sorted. */
function secretReaders(template: Template, secretLogicalId: string): string[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => {
      const statements = p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>;
      return statements.some(
        (st) =>
          JSON.stringify(st.Action).includes('secretsmanager:GetSecretValue') &&
          JSON.stringify(st.Resource) === JSON.stringify({ Ref: secretLogicalId }),
      );
    })
    .map((p) => String(p.Properties.PolicyName))
    .sort();
}

describe('PipelineStack', () => {
  let built: ReturnType<typeof synthPipeline>;
  // a synth takes ~5 s alone and more beside other suites: the default 10 s hook limit is too tight
  beforeAll(() => {
    built = synthPipeline();
  }, 120_000);

  it('has no unacknowledged cdk-nag finding in the AwsSolutions and Serverless packs', () => {
    // Prepare: the deployed shape, with the job image built from the Dockerfile (staged, not built)
    const deployed = synthPipeline({}, 'dockerfile');
    const packs = [new AwsSolutionsChecks(), new ServerlessChecks()];
    // Act
    const reports = packs.map((pack) => pack.validateScope(deployed.app));
    // Assess
    expect(reports.flatMap((r) => r.violations.map((v) => v.ruleName))).toEqual([]);
  });

  it('deploys no role with AWSLambdaBasicExecutionRole', () => {
    // Prepare
    const { template } = built;
    // Act
    const roles = Object.entries(template.findResources('AWS::IAM::Role'));
    const withBasic = roles
      .filter(([, r]) =>
        JSON.stringify(r.Properties.ManagedPolicyArns ?? []).includes('AWSLambdaBasicExecutionRole'),
      )
      .map(([id]) => id);
    // Assess
    expect(roles.map(([id]) => id)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^SyncFunctionServiceRole/),
        expect.stringMatching(/^WorkerFunctionServiceRole/),
      ]),
    );
    expect(withBasic).toEqual([]);
  });

  it('wires the worker to the queue one record at a time, with partial batch failures and bounded concurrency', () => {
    // Prepare
    const { template } = built;
    const queueId = logicalIdOf(template, 'AWS::SQS::Queue', 'ChallengeQueue');
    // Act / Assess
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: CHALLENGE_QUEUE.defaultWorkerConcurrency },
      BatchSize: CHALLENGE_QUEUE.workerBatchSize,
    });
  });

  it('dead-letters only after the most miner attempts a live limit may set plus infrastructure retries, allows redrive, and keeps visibility above the worker timeout', () => {
    // Prepare
    const { template } = built;
    const dlqId = logicalIdOf(template, 'AWS::SQS::Queue', 'ChallengeDlq');
    const queue =
      template.findResources('AWS::SQS::Queue')[logicalIdOf(template, 'AWS::SQS::Queue', 'ChallengeQueue')];
    const worker =
      template.findResources('AWS::Lambda::Function')[
        logicalIdOf(template, 'AWS::Lambda::Function', 'WorkerFunction')
      ];
    // Act
    const visibility = queue?.Properties.VisibilityTimeout as number;
    const workerTimeout = worker?.Properties.Timeout as number;
    // Assess
    expect(queue?.Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
      maxReceiveCount: MAX_POG_RETRY_LIMIT + INFRASTRUCTURE_RETRIES,
    });
    expect(MAX_POG_RETRY_LIMIT).toBeGreaterThanOrEqual(
      DEFAULT_PERFORMANCE_CONFIG.merkle_proof.pog_retry_limit,
    );
    expect(visibility).toBeGreaterThan(workerTimeout);
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedriveAllowPolicy: { redrivePermission: 'allowAll' },
    });
  });

  it.each(['WorkerFunction', 'SyncFunction'])(
    'lets %s describe jobs (the only wildcard in its policy) to replace a failed verifier',
    (fn) => {
      // Prepare
      const { template } = built;
      const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
        String(p.Properties.PolicyName).startsWith(fn),
      );
      // Act
      const wildcards = policies
        .flatMap(
          (p) => p.Properties.PolicyDocument.Statement as Array<{ Action: unknown; Resource: unknown }>,
        )
        .filter((s) => s.Resource === '*' || (Array.isArray(s.Resource) && s.Resource.includes('*')));
      // Assess
      expect(wildcards.map((s) => s.Action)).toEqual(['batch:DescribeJobs']);
    },
  );

  it.each(['WorkerFunction', 'SyncFunction'])(
    'lets %s submit jobs to its queue and job definition only',
    (fn) => {
      // Prepare
      const { template } = built;
      const jobQueueId = logicalIdOf(template, 'AWS::Batch::JobQueue', 'VerifierJobQueue');
      // Act / Assess
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyName: Match.stringLikeRegexp(`^${fn}`),
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: 'batch:SubmitJob',
              Resource: Match.arrayWith([{ 'Fn::GetAtt': [jobQueueId, 'JobQueueArn'] }]),
            }),
          ]),
        },
      });
    },
  );

  it("lets the sync read the verification queue's counts and nothing else of it", () => {
    // Prepare
    const { template } = built;
    const queueId = logicalIdOf(template, 'AWS::SQS::Queue', 'ProofBundlesQueue');
    // Act
    const onQueue = policyStatements(template, 'SyncFunction').filter((st) =>
      JSON.stringify(st.Resource).includes(queueId),
    );
    // Assess
    expect(onQueue.map((st) => st.Action)).toEqual(['sqs:GetQueueAttributes']);
  });

  it('lets only the signing principals (weights Lambda, worker sessions) read the hotkey secret, not the verifier', () => {
    // Prepare
    const { template } = built;
    const secretId = logicalIdOf(template, 'AWS::SecretsManager::Secret', 'HotkeySecret');
    // Act
    const readers = secretReaders(template, secretId);
    // Assess
    expect(readers).toEqual([
      expect.stringMatching(/^WeightsFunction/),
      expect.stringMatching(/^WorkerFunction/),
    ]);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::KMS::Key', 'HotkeyKey'), 'Arn'] },
    });
  });

  it('keeps the W&B API key in its own KMS-encrypted secret, readable by the sync and weights Lambdas only', () => {
    // Prepare
    const { template } = built;
    const secretId = logicalIdOf(template, 'AWS::SecretsManager::Secret', 'WandbApiKeySecret');
    const keyId = logicalIdOf(template, 'AWS::KMS::Key', 'WandbApiKeyKey');
    // Act
    const readers = secretReaders(template, secretId);
    // the key policy names each reader's role, for use through Secrets Manager only
    const statements = template.findResources('AWS::KMS::Key')[keyId]?.Properties.KeyPolicy
      .Statement as Array<{ Action: string | string[]; Principal: { AWS: unknown }; Condition?: unknown }>;
    const decrypters = statements
      .filter((st) => st.Action === 'kms:Decrypt')
      .map((st) => ({
        role: (st.Principal.AWS as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt']?.[0],
        via: st.Condition,
      }))
      .sort((a, b) => String(a.role).localeCompare(String(b.role)));
    // Assess
    expect(readers).toEqual([
      expect.stringMatching(/^SyncFunction/),
      expect.stringMatching(/^WeightsFunction/),
    ]);
    expect(decrypters.map((d) => d.role)).toEqual([
      expect.stringMatching(/^SyncFunctionServiceRole/),
      expect.stringMatching(/^WeightsFunctionServiceRole/),
    ]);
    for (const d of decrypters) expect(JSON.stringify(d.via)).toContain('kms:ViaService');
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('passes W&B settings to the sync and weights Lambdas, disabled unless the context turns it on', () => {
    // Prepare
    const { template: off } = built;
    const { template: on } = synthPipeline({
      wandbEnabled: 'true',
      wandbEntity: 'my-team',
      wandbProject: 'my-project',
      wandbTrustedPenaltyValidators: '5Aaa,5Bbb',
    });
    const wandbVars = (template: Template) =>
      Object.values(template.findResources('AWS::Lambda::Function'))
        .map((f) => f.Properties.Environment.Variables as Record<string, unknown>)
        .filter((v) => 'WANDB_ENABLED' in v);
    // Act
    const offVars = wandbVars(off);
    const onVars = wandbVars(on);
    // Assess
    expect(offVars).toHaveLength(2);
    expect(offVars.map((v) => v.WANDB_ENABLED)).toEqual(['false', 'false']);
    expect(onVars).toHaveLength(2);
    for (const vars of onVars) {
      expect(vars).toMatchObject({
        WANDB_ENABLED: 'true',
        WANDB_ENTITY: 'my-team',
        WANDB_PROJECT: 'my-project',
        WANDB_TRUSTED_PENALTY_VALIDATORS: '5Aaa,5Bbb',
        WANDB_API_KEY_SECRET_ARN: {
          Ref: logicalIdOf(on, 'AWS::SecretsManager::Secret', 'WandbApiKeySecret'),
        },
      });
    }
    expect(() => parseDeployConfig({ chainEndpoints: 'ws://x', wandbEnabled: 'yes' })).toThrow(
      /wandbEnabled/,
    );
  });

  it('invokes the sync Lambda from a rate schedule with a dead-letter queue', () => {
    // Prepare
    const { template } = built;
    const syncId = logicalIdOf(template, 'AWS::Lambda::Function', 'SyncFunction');
    // Act / Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [syncId, 'Arn'] },
          DeadLetterConfig: { Arn: Match.anyValue() },
        }),
      ],
    });
  });

  it('builds every Lambda as Node 22 on ARM64 without X-Ray tracing, with JSON logs and source maps', () => {
    // Prepare
    const functions = Object.values(built.template.findResources('AWS::Lambda::Function'));
    // Act
    const shapes = functions.map((f) => ({
      runtime: f.Properties.Runtime,
      arch: f.Properties.Architectures,
      tracing: f.Properties.TracingConfig?.Mode,
      logFormat: f.Properties.LoggingConfig?.LogFormat,
      nodeOptions: f.Properties.Environment?.Variables?.NODE_OPTIONS as string,
      memory: f.Properties.MemorySize as number,
    }));
    // Assess
    expect(shapes).toHaveLength(3);
    for (const { memory, nodeOptions, ...shape } of shapes) {
      expect(shape).toEqual({
        runtime: 'nodejs22.x',
        arch: ['arm64'],
        tracing: undefined,
        logFormat: 'JSON',
      });
      // the heap limit is half the memory
      expect(nodeOptions).toMatch(
        new RegExp(`^--enable-source-maps --max-old-space-size=${Math.floor(memory / 2)}( |$)`),
      );
    }
    // only the worker (256 MB by default, heap 128) shrinks V8's young generation: its peak is dead proof lines
    expect(shapes.map((s) => s.nodeOptions).sort()).toEqual(
      [
        '--enable-source-maps --max-old-space-size=128 --max-semi-space-size=2',
        ...shapes
          .filter((s) => s.memory !== 256)
          .map((s) => `--enable-source-maps --max-old-space-size=${s.memory / 2}`),
      ].sort(),
    );
  });

  it("runs CI's tests on the Lambda runtime's Node major version", () => {
    // Prepare
    const runtimes = new Set(
      Object.values(built.template.findResources('AWS::Lambda::Function')).map((f) => f.Properties.Runtime),
    );
    // Act
    const ciMajor = /^lambda_node_major=(\d+)$/m.exec(readFileSync(join(ROOT, '.ci', 'run'), 'utf8'))?.[1];
    // Assess
    expect([...runtimes]).toEqual([`nodejs${ciMajor}.x`]);
  });

  it('creates the tables from the shared definitions, on demand, with point-in-time recovery', () => {
    // Prepare
    const tables = Object.values(built.template.findResources('AWS::DynamoDB::Table'));
    // Act
    const schemas = tables.map((t) => JSON.stringify(t.Properties.KeySchema));
    // Assess
    for (const def of Object.values(TABLE_DEFINITIONS)) {
      const expected = [
        { AttributeName: def.partitionKey.name, KeyType: 'HASH' },
        ...(def.sortKey ? [{ AttributeName: def.sortKey.name, KeyType: 'RANGE' }] : []),
      ];
      expect(schemas).toContain(JSON.stringify(expected));
    }
    for (const t of tables) {
      expect(t.Properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(t.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    }
  });

  it('keeps the logical ids of the retained resources, which a changed construct path would replace', () => {
    // Prepare: the ids deployed stacks carry; a new id means a new table (and an orphaned old one)
    const deployed = [
      'AuditTableB07F8EEB',
      'CommitsTable754F4D33',
      'CoordinationTable1F0E3506',
      'HotkeyKey96D381C3',
      'HotkeySecret6B80CC28',
      'JobVpcallLogGroup7A963371',
      'MinersTableFF7E8AAE',
      'PogResultsTableDCCC48AE',
      'StatsTable8BDA1AC3',
      'WandbApiKeyKeyFB507496',
      'WandbApiKeySecret458FC4CA',
    ];
    // Act
    const retained = Object.entries(
      built.template.toJSON().Resources as Record<string, { DeletionPolicy?: string }>,
    )
      .filter(([, resource]) => resource.DeletionPolicy === 'Retain')
      .map(([id]) => id)
      .sort();
    // Assess
    expect(retained).toEqual(deployed);
  });

  it('alarms on every dead-letter queue the stack routes to: queue redrives, Lambda and schedule targets', () => {
    // Prepare: each queue named as a dead-letter target anywhere in the template
    const resources = Object.values(
      built.template.toJSON().Resources as Record<string, { Properties?: unknown }>,
    );
    const targets = new Set<string>();
    const collect = (node: unknown, underDlq: boolean): void => {
      if (Array.isArray(node)) for (const item of node) collect(item, underDlq);
      else if (typeof node === 'object' && node !== null) {
        const getAtt = (node as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
        if (underDlq && getAtt !== undefined && getAtt[1] === 'Arn') targets.add(getAtt[0]);
        for (const [key, value] of Object.entries(node)) {
          collect(value, underDlq || /^(DeadLetterConfig|RedrivePolicy|deadLetterTargetArn)$/.test(key));
        }
      }
    };
    for (const resource of resources) collect(resource.Properties, false);
    // Act
    const alarmed = Object.values(built.template.findResources('AWS::CloudWatch::Alarm'))
      .filter((a) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible')
      .flatMap((a) => (a.Properties.Dimensions as Array<{ Value: { 'Fn::GetAtt': [string, string] } }>) ?? [])
      .map((d) => d.Value['Fn::GetAtt']?.[0]);
    // Assess
    expect([...targets].sort()).toEqual(
      [
        logicalIdOf(built.template, 'AWS::SQS::Queue', 'ChallengeDlq'),
        logicalIdOf(built.template, 'AWS::SQS::Queue', 'ProofBundlesDlq'),
        logicalIdOf(built.template, 'AWS::SQS::Queue', 'ScheduleInvokeDlq'),
      ].sort(),
    );
    expect(alarmed.filter((id) => id !== undefined && targets.has(id)).sort()).toEqual([...targets].sort());
  });

  it('alarms on the DLQs, a verification backlog, missing weight submissions, verifier failure rate, checker faults and sync errors', () => {
    // Prepare
    const alarms = Object.values(built.template.findResources('AWS::CloudWatch::Alarm'));
    // Act
    const described = alarms.map((a) => String(a.Properties.AlarmDescription));
    const noWeights = alarms.find((a) =>
      String(a.Properties.AlarmDescription).startsWith('No confirmed weight'),
    );
    const backlog = alarms.find((a) => String(a.Properties.AlarmDescription).startsWith('A proof bundle'));
    const checker = alarms.find((a) => String(a.Properties.AlarmDescription).includes('self-test'));
    // Assess
    expect(described).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/dead-lettered/),
        expect.stringMatching(/No confirmed weight submission/),
        expect.stringMatching(/verified results failed/),
        expect.stringMatching(/Poison proof bundles/),
        expect.stringMatching(/sync Lambda failed/),
      ]),
    );
    // 2 x 100 blocks x 12 s = 2400 s, and missing data counts as "no submission"
    expect(noWeights?.Properties.Period).toBe(2400);
    expect(noWeights?.Properties.TreatMissingData).toBe('breaching');
    // one PoG interval: 360 blocks x 12 s, on the verification queue's oldest message
    expect(backlog?.Properties).toMatchObject({
      MetricName: 'ApproximateAgeOfOldestMessage',
      Namespace: 'AWS/SQS',
      Statistic: 'Maximum',
      Threshold: 4320,
    });
    // one checker fault in an hour: its bundles wait for a job on a sound host
    expect(checker?.Properties).toMatchObject({
      MetricName: 'RowCheckerFaults',
      Statistic: 'Sum',
      Period: 3600,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it("graphs the worker's wait on the miner per attempt beside its Duration, the cost model's two inputs", () => {
    // Prepare: the body is a join of literal JSON and tokens (inside its strings), resolved to their ids here
    const [dashboard] = Object.values(built.template.findResources('AWS::CloudWatch::Dashboard'));
    const parts = dashboard?.Properties.DashboardBody['Fn::Join'][1] as unknown[];
    const body = parts
      .map((p) => (typeof p === 'string' ? p : JSON.stringify(p).replaceAll('"', '')))
      .join('');
    // Act
    const widgets = JSON.parse(body).widgets as Array<{
      properties: { title?: string; metrics?: unknown[][] };
    }>;
    const worker = widgets.find((w) => w.properties.title === 'Worker time per attempt');
    // Assess: averages per hour (Average is the default statistic, so the body leaves it out)
    expect(worker?.properties.metrics).toEqual([
      [
        'PogValidator',
        'MinerWaitSeconds',
        'component',
        'worker',
        'service',
        'pog-validator',
        { label: 'wait on the miner (s)', period: 3600 },
      ],
      [
        'AWS/Lambda',
        'Duration',
        'FunctionName',
        expect.stringMatching(/^\{Ref:WorkerFunction/),
        { label: 'invocation (ms)', period: 3600, yAxis: 'right' },
      ],
    ]);
  });
});

describe('Deployment config and ProjectFunction', () => {
  it('fails naming the key when the chain endpoints are missing or not WebSocket URLs', () => {
    // Prepare / Act / Assess
    expect(() => parseDeployConfig({})).toThrow(/chainEndpoints/);
    expect(() => parseDeployConfig({ chainEndpoints: 'http://x' })).toThrow(/chainEndpoints.*ws:\/\//);
  });

  it('fails if memorySize is out of range, quoting the value', () => {
    // Prepare
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
    // Act / Assess
    expect(
      () =>
        new ProjectFunction(stack, 'F', {
          entry: 'functions/worker/index.ts',
          component: 'x',
          memorySize: 64,
        }),
    ).toThrow(/given 64/);
  });
});
