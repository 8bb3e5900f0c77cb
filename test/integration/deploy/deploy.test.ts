import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  BatchClient,
  DescribeComputeEnvironmentsCommand,
  DescribeJobDefinitionsCommand,
  DescribeJobQueuesCommand,
} from '@aws-sdk/client-batch';
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStacksCommand,
  ListStackResourcesCommand,
  type Stack,
  type StackResourceSummary,
} from '@aws-sdk/client-cloudformation';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { App, DefaultStackSynthesizer } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDeployConfig } from '../../../infra/config.js';
import { PipelineStack } from '../../../infra/pipeline-stack.js';
import { type MotoServer, startMoto } from '../../helpers/moto.js';

/**
 * Resource types moto 5.2.1's CloudFormation cannot create (local-aws.md §1.9: it skips them, and
 * references to a skipped resource then break the stack). They are removed from the deployed copy of the
 * template and every Ref/GetAtt to them becomes a placeholder ARN; the README's local-deploy section names
 * the same list. Everything else is created by moto and compared with the synthesized template below,
 * except DynamoDB `TimeToLiveSpecification`, which moto's CloudFormation ignores (the tables exist, TTL off).
 */
const NOT_CREATABLE_ON_MOTO = [
  'AWS::SecretsManager::Secret',
  'AWS::CloudWatch::Alarm',
  'AWS::Logs::MetricFilter',
  'AWS::S3::BucketPolicy',
  'AWS::SQS::QueuePolicy',
] as const;

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const STACK = 'PogValidatorEmu';
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const JOB_IMAGE = 'public.ecr.aws/docker/library/node:22';

type Json = unknown;
interface Resource {
  Type: string;
  Properties?: Record<string, Json>;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
}
interface CfnTemplate {
  Resources: Record<string, Resource>;
  [key: string]: Json;
}

/**
 * moto's gaps, worked around in the deployed copy only (the synthesized template stays the reference):
 * unsupported types dropped; Batch compute environments get an explicit service role (moto requires one,
 * AWS uses its service-linked role) and an upper-case `Type` (moto rejects `managed`); `Fn::GetAtt <Batch>.…Arn`
 * becomes `Ref` (moto has no Batch GetAtt; in AWS both give the ARN).
 */
function forMoto(synthesized: CfnTemplate): { template: CfnTemplate; dropped: Map<string, string> } {
  const template = structuredClone(synthesized);
  const dropped = new Map<string, string>();
  for (const [id, r] of Object.entries(template.Resources)) {
    if ((NOT_CREATABLE_ON_MOTO as readonly string[]).includes(r.Type)) {
      dropped.set(id, r.Type);
      delete template.Resources[id];
    }
  }
  const batch = new Set(
    Object.keys(template.Resources).filter((id) => template.Resources[id]?.Type.startsWith('AWS::Batch::')),
  );
  const placeholder = (id: string): string =>
    `arn:aws:cloudformation:${REGION}:${ACCOUNT}:not-created-on-moto/${id}`;
  const rewrite = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(rewrite);
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, Json>;
    if (typeof o.Ref === 'string' && dropped.has(o.Ref)) return placeholder(o.Ref);
    const att = o['Fn::GetAtt'];
    if (Array.isArray(att) && typeof att[0] === 'string') {
      if (dropped.has(att[0])) return placeholder(att[0]);
      if (batch.has(att[0]) && String(att[1]).endsWith('Arn')) return { Ref: att[0] };
    }
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(o)) {
      if (k === 'DependsOn') {
        const deps = (Array.isArray(x) ? x : [x]).filter((d) => !dropped.has(String(d)));
        if (deps.length > 0) out[k] = deps;
      } else out[k] = rewrite(x);
    }
    return out;
  };
  const rewritten = rewrite(template) as CfnTemplate;
  rewritten.Resources.EmuBatchServiceRole = {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'batch.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      },
    },
  };
  for (const r of Object.values(rewritten.Resources)) {
    if (r.Type !== 'AWS::Batch::ComputeEnvironment' || r.Properties === undefined) continue;
    r.Properties.Type = String(r.Properties.Type).toUpperCase();
    r.Properties.ServiceRole ??= { 'Fn::GetAtt': ['EmuBatchServiceRole', 'Arn'] };
  }
  return { template: rewritten, dropped };
}

function ofType(template: CfnTemplate, type: string): [string, Record<string, Json>][] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => [id, r.Properties ?? {}]);
}

describe('the CDK app deployed into moto_server CloudFormation', () => {
  let moto: MotoServer;
  let outdir: string;
  let synthesized: CfnTemplate;
  let dropped: Map<string, string>;
  let stack: Stack | undefined;
  let resources: StackResourceSummary[] = [];
  let cfn: CloudFormationClient;
  const clientConfig = () => ({
    endpoint: moto.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
  });
  const physical = (id: string): string => {
    const r = resources.find((x) => x.LogicalResourceId === id);
    if (r?.PhysicalResourceId === undefined) throw new Error(`${id} has no physical resource`);
    return r.PhysicalResourceId;
  };

  beforeAll(async () => {
    // Prepare: synthesize the real app (bundling the Lambdas) with a registry job image, as `-c jobImage=…` does
    outdir = mkdtempSync(join(tmpdir(), 'pog-deploy-'));
    const app = new App({ outdir });
    new PipelineStack(app, STACK, {
      config: parseDeployConfig({
        chainEndpoints: 'ws://127.0.0.1:9944',
        validatorHotkey: '5Fake',
        jobImage: JOB_IMAGE,
      }),
      // as infra/app.ts does whenever AWS_ENDPOINT_URL is set (emulators, local-aws.md §1.9)
      synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
    });
    app.synth();
    synthesized = JSON.parse(readFileSync(join(outdir, `${STACK}.template.json`), 'utf8')) as CfnTemplate;

    moto = await startMoto();
    // CloudFormation puts functions in moto's docker-mode backend; only that mode lists them (local-aws.md §1.7)
    await fetch(`${moto.endpoint}/moto-api/config`, {
      method: 'POST',
      body: JSON.stringify({ lambda: { use_docker: true } }),
    });
    const client = clientConfig();
    cfn = new CloudFormationClient(client);
    const s3 = new S3Client({ ...client, forcePathStyle: true });
    const settle = async (name: string): Promise<Stack | undefined> => {
      for (;;) {
        const s = (await cfn.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
        if (!s?.StackStatus?.endsWith('_IN_PROGRESS')) return s;
        await new Promise((r) => setTimeout(r, 250));
      }
    };

    // Act: bootstrap with the CDK CLI's own bootstrap template, publish the file assets, create the stack
    const bootstrap = readFileSync(
      join(ROOT, 'node_modules/aws-cdk/lib/api/bootstrap/bootstrap-template.yaml'),
      'utf8',
    );
    await cfn.send(
      new CreateStackCommand({
        StackName: 'CDKToolkit',
        TemplateBody: bootstrap,
        Capabilities: ['CAPABILITY_NAMED_IAM'],
      }),
    );
    const toolkit = await settle('CDKToolkit');
    if (toolkit?.StackStatus !== 'CREATE_COMPLETE')
      throw new Error(`bootstrap: ${toolkit?.StackStatus} ${toolkit?.StackStatusReason}`);

    const assets = JSON.parse(readFileSync(join(outdir, `${STACK}.assets.json`), 'utf8')) as {
      files: Record<
        string,
        {
          source: { path: string; packaging?: string };
          destinations: Record<string, { bucketName: string; objectKey: string }>;
        }
      >;
    };
    for (const [hash, file] of Object.entries(assets.files)) {
      const source = join(outdir, file.source.path);
      let body = source;
      if (file.source.packaging === 'zip') {
        body = join(outdir, `${hash}.zip`);
        // the Python that runs moto has zipfile; the CLI would zip the same folder
        const zipped = spawnSync('python3', [
          '-m',
          'zipfile',
          '-c',
          body,
          ...readdirSync(source).map((n) => join(source, n)),
        ]);
        if (zipped.status !== 0) throw new Error(`zip ${source}: ${zipped.stderr}`);
      }
      for (const dest of Object.values(file.destinations)) {
        const bucket = dest.bucketName
          .replace(/\$\{AWS::AccountId\}/, ACCOUNT)
          .replace(/\$\{AWS::Region\}/, REGION);
        await s3.send(
          new PutObjectCommand({ Bucket: bucket, Key: dest.objectKey, Body: readFileSync(body) }),
        );
      }
    }

    const deployable = forMoto(synthesized);
    dropped = deployable.dropped;
    await cfn.send(
      new CreateStackCommand({
        StackName: STACK,
        TemplateBody: JSON.stringify(deployable.template),
        Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
      }),
    );
    stack = await settle(STACK);
    resources =
      (await cfn.send(new ListStackResourcesCommand({ StackName: STACK }))).StackResourceSummaries ?? [];
  }, 240_000);

  afterAll(async () => {
    await moto?.stop();
    if (outdir !== undefined) rmSync(outdir, { recursive: true, force: true });
  });

  it('reaches CREATE_COMPLETE with every synthesized resource except the types moto cannot create', () => {
    // Prepare
    const expected = Object.entries(synthesized.Resources)
      .filter(([, r]) => !(NOT_CREATABLE_ON_MOTO as readonly string[]).includes(r.Type))
      .map(([id, r]) => `${id} ${r.Type}`)
      .sort();

    // Act
    const created = resources
      .filter((r) => r.LogicalResourceId !== 'EmuBatchServiceRole')
      .map((r) => `${r.LogicalResourceId} ${r.ResourceType}`)
      .sort();

    // Assess
    expect(stack?.StackStatus).toBe('CREATE_COMPLETE');
    expect(created).toEqual(expected);
    expect(resources.every((r) => r.ResourceStatus === 'CREATE_COMPLETE')).toBe(true);
    // the synthesized stack really has each named type, so the list stays honest
    expect([...new Set(dropped.values())].sort()).toEqual([...NOT_CREATABLE_ON_MOTO].sort());
  });

  it('creates the tables with the synthesized keys and billing (moto ignores TimeToLiveSpecification)', async () => {
    // Prepare
    const ddb = new DynamoDBClient(clientConfig());
    const tables = ofType(synthesized, 'AWS::DynamoDB::Table');
    expect(tables.length).toBeGreaterThan(0);

    for (const [id, props] of tables) {
      // Act
      const name = physical(id);
      const table = (await ddb.send(new DescribeTableCommand({ TableName: name }))).Table;

      // Assess
      expect(table?.KeySchema, id).toEqual(props.KeySchema);
      expect(table?.BillingModeSummary?.BillingMode ?? 'PROVISIONED', id).toBe(
        props.BillingMode ?? 'PROVISIONED',
      );
      expect(table?.AttributeDefinitions, id).toEqual(
        expect.arrayContaining(props.AttributeDefinitions as Json[]),
      );
    }
  });

  it('creates the queues with the synthesized visibility timeouts and redrive policies', async () => {
    // Prepare
    const sqs = new SQSClient(clientConfig());
    const queues = ofType(synthesized, 'AWS::SQS::Queue');
    expect(queues.length).toBeGreaterThan(0);

    for (const [id, props] of queues) {
      // Act: moto's queue URLs name AWS's host, so the client must not follow them (local-aws.md §1.2)
      const url = physical(id).replace(/^https:\/\/sqs\.[^/]+/, moto.endpoint);
      const attrs =
        (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] })))
          .Attributes ?? {};

      // Assess
      if (props.VisibilityTimeout !== undefined)
        expect(Number(attrs.VisibilityTimeout), id).toBe(props.VisibilityTimeout);
      if (props.MessageRetentionPeriod !== undefined) {
        expect(Number(attrs.MessageRetentionPeriod), id).toBe(props.MessageRetentionPeriod);
      }
      const redrive = props.RedrivePolicy as
        | { maxReceiveCount: number; deadLetterTargetArn: { 'Fn::GetAtt': [string] } }
        | undefined;
      if (redrive !== undefined) {
        const actual = JSON.parse(attrs.RedrivePolicy ?? '{}') as {
          maxReceiveCount: number;
          deadLetterTargetArn: string;
        };
        expect(Number(actual.maxReceiveCount), id).toBe(redrive.maxReceiveCount);
        const dlqName = physical(redrive.deadLetterTargetArn['Fn::GetAtt'][0]).split('/').at(-1);
        expect(actual.deadLetterTargetArn.endsWith(`:${dlqName}`), id).toBe(true);
      }
    }
  });

  it('creates the functions with the synthesized runtime, timeout, memory and environment names', async () => {
    // Prepare
    const lambda = new LambdaClient(clientConfig());
    const functions = ofType(synthesized, 'AWS::Lambda::Function');
    expect(functions.length).toBe(3);

    for (const [id, props] of functions) {
      // Act
      const fn = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: physical(id) }));

      // Assess
      expect(fn.Runtime, id).toBe(props.Runtime);
      expect(fn.Timeout, id).toBe(props.Timeout);
      expect(fn.MemorySize, id).toBe(props.MemorySize);
      expect(fn.Handler, id).toBe(props.Handler);
      const env = (props.Environment as { Variables: Record<string, Json> }).Variables;
      expect(Object.keys(fn.Environment?.Variables ?? {}).sort(), id).toEqual(Object.keys(env).sort());
    }
  });

  it('bundles each function with a source map of positions and names, without the sources', () => {
    // Prepare: the synthesized function assets (folders holding index.mjs)
    const assets = JSON.parse(readFileSync(join(outdir, `${STACK}.assets.json`), 'utf8')) as {
      files: Record<string, { source: { path: string } }>;
    };
    const folders = Object.values(assets.files)
      .map((f) => join(outdir, f.source.path))
      .filter((dir) => existsSync(join(dir, 'index.mjs')));
    // Act
    const maps = folders.map(
      (dir) =>
        JSON.parse(readFileSync(join(dir, 'index.mjs.map'), 'utf8')) as {
          sources: string[];
          sourcesContent?: unknown[];
        },
    );
    // Assess: the map a Lambda holds under --enable-source-maps names our files but holds no text of them
    expect(maps).toHaveLength(ofType(synthesized, 'AWS::Lambda::Function').length);
    for (const map of maps) {
      expect(map.sources.some((s) => s.includes('lib/pipeline/'))).toBe(true);
      expect(map.sourcesContent).toBeUndefined();
    }
  });

  it('creates the schedules as EventBridge rules with the synthesized rates', async () => {
    // Prepare
    const events = new EventBridgeClient(clientConfig());
    const rules = ofType(synthesized, 'AWS::Events::Rule');
    expect(rules.length).toBe(2);

    for (const [id, props] of rules) {
      // Act
      const rule = await events.send(new DescribeRuleCommand({ Name: physical(id) }));

      // Assess
      expect(rule.ScheduleExpression, id).toBe(props.ScheduleExpression);
      expect(rule.State, id).toBe('ENABLED');
    }
  });

  it('creates the GPU tables parameter with the synthesized value', async () => {
    // Prepare
    const ssm = new SSMClient(clientConfig());
    const [[id, props] = ['', {}]] = ofType(synthesized, 'AWS::SSM::Parameter');

    // Act
    const param = await ssm.send(new GetParameterCommand({ Name: String(props.Name) }));

    // Assess
    expect(physical(id)).toBe(props.Name);
    expect(param.Parameter?.Value).toBe(props.Value);
    expect(JSON.parse(String(param.Parameter?.Value))).toHaveProperty('gpu_performance');
  });

  it('creates the Batch compute environments, job queue and job definition with the jobImage URI', async () => {
    // Prepare
    const batch = new BatchClient(clientConfig());
    const envs = ofType(synthesized, 'AWS::Batch::ComputeEnvironment');
    const [[queueId, queueProps] = ['', {}]] = ofType(synthesized, 'AWS::Batch::JobQueue');
    const [[defId] = ['']] = ofType(synthesized, 'AWS::Batch::JobDefinition');
    expect(envs.length).toBe(2);

    // Act
    const ces =
      (
        await batch.send(
          new DescribeComputeEnvironmentsCommand({ computeEnvironments: envs.map(([id]) => physical(id)) }),
        )
      ).computeEnvironments ?? [];
    const queue = (await batch.send(new DescribeJobQueuesCommand({ jobQueues: [physical(queueId)] })))
      .jobQueues?.[0];
    const def = (await batch.send(new DescribeJobDefinitionsCommand({ jobDefinitions: [physical(defId)] })))
      .jobDefinitions?.[0];

    // Assess
    expect(ces.length).toBe(2);
    for (const [id, props] of envs) {
      const ce = ces.find((c) => c.computeEnvironmentArn === physical(id));
      const resources = props.ComputeResources as { Type: string; MaxvCpus: number; InstanceTypes: string[] };
      expect(ce?.computeResources?.type, id).toBe(resources.Type);
      expect(ce?.computeResources?.maxvCpus, id).toBe(resources.MaxvCpus);
      expect(ce?.computeResources?.instanceTypes, id).toEqual(resources.InstanceTypes);
    }
    expect(queue?.priority).toBe(queueProps.Priority);
    expect(queue?.computeEnvironmentOrder?.map((o) => o.computeEnvironment)).toEqual(
      envs.map(([id]) => physical(id)),
    );
    expect(def?.containerProperties?.image).toBe(JOB_IMAGE);
  });

  it('deletes the stack', async () => {
    // Act: moto deletes in template order, so the VPC's first delete meets its still-present subnets; the
    // retry finds them gone (an emulator gap, AWS orders the deletes by dependency)
    for (let attempt = 1; ; attempt += 1) {
      try {
        await cfn.send(new DeleteStackCommand({ StackName: STACK }));
        break;
      } catch (error) {
        if (attempt >= 5 || (error as Error).name !== 'DependencyViolation') throw error;
      }
    }
    let status: string | undefined;
    for (let i = 0; i < 120; i += 1) {
      const all = (await cfn.send(new DescribeStacksCommand({}))).Stacks ?? [];
      status = all.find((s) => s.StackName === STACK)?.StackStatus;
      if (status === undefined || !status.endsWith('_IN_PROGRESS')) break;
      await new Promise((r) => setTimeout(r, 250));
    }

    // Assess
    expect(status === undefined || status === 'DELETE_COMPLETE').toBe(true);
    // the tables keep their data (DeletionPolicy Retain as synthesized); the queues and the parameter go
    const ddb = new DynamoDBClient(clientConfig());
    for (const [id] of ofType(synthesized, 'AWS::DynamoDB::Table')) {
      expect(synthesized.Resources[id]?.DeletionPolicy, id).toBe('Retain');
      await expect(ddb.send(new DescribeTableCommand({ TableName: physical(id) }))).resolves.toBeDefined();
    }
    const sqs = new SQSClient(clientConfig());
    for (const [id] of ofType(synthesized, 'AWS::SQS::Queue')) {
      expect(synthesized.Resources[id]?.DeletionPolicy, id).toBe('Delete');
      const url = physical(id).replace(/^https:\/\/sqs\.[^/]+/, moto.endpoint);
      await expect(sqs.send(new GetQueueAttributesCommand({ QueueUrl: url })), id).rejects.toThrow();
    }
    const ssm = new SSMClient(clientConfig());
    const [[paramId] = ['']] = ofType(synthesized, 'AWS::SSM::Parameter');
    await expect(ssm.send(new GetParameterCommand({ Name: physical(paramId) }))).rejects.toThrow();
  });
});
