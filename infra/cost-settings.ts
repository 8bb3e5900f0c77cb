import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { CostSettings } from '../lib/cost/model.js';
import { type DeployConfig, deployConfigFromContext } from './config.js';
import { PipelineStack } from './pipeline-stack.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The cost model's inputs for the settings in cdk.json's context: the schedule settings through the
 * stack's own config schema, and the counts (secrets, KMS keys, alarms, worker memory) read off the
 * synthesized stack itself, so the model follows the stack when either changes.
 */
export function costSettingsFromCdkJson(cdkJsonPath = join(ROOT, 'cdk.json')): CostSettings {
  const { config, template } = synthesizeFromCdkJson(cdkJsonPath);
  const count = (type: string) => Object.keys(template.findResources(type)).length;
  return {
    pogIntervalBlocks: config.pogIntervalBlocks,
    syncIntervalMinutes: config.syncIntervalMinutes,
    weightsIntervalMinutes: config.weightsIntervalMinutes,
    verifierInstanceTypes: config.verifierInstanceTypes,
    workerMemoryMb: functionMemory(template).WorkerFunction,
    secrets: count('AWS::SecretsManager::Secret'),
    kmsKeys: count('AWS::KMS::Key'),
    alarms: count('AWS::CloudWatch::Alarm'),
  };
}

/** The memory setting (MB) of each Lambda function, by its construct id, in the stack that cdk.json deploys. */
export function functionMemoryFromCdkJson(cdkJsonPath = join(ROOT, 'cdk.json')): FunctionMemory {
  return functionMemory(synthesizeFromCdkJson(cdkJsonPath).template);
}

export type FunctionMemory = Record<'SyncFunction' | 'WorkerFunction' | 'WeightsFunction', number>;

function functionMemory(template: Template): FunctionMemory {
  const functions = Object.entries(template.findResources('AWS::Lambda::Function'));
  // CloudFormation's default when the property is absent
  const memoryOf = (id: string) =>
    Number(functions.find(([logical]) => logical.startsWith(id))?.[1].Properties.MemorySize ?? 128);
  return {
    SyncFunction: memoryOf('SyncFunction'),
    WorkerFunction: memoryOf('WorkerFunction'),
    WeightsFunction: memoryOf('WeightsFunction'),
  };
}

function synthesizeFromCdkJson(cdkJsonPath: string): { config: DeployConfig; template: Template } {
  const cdk = JSON.parse(readFileSync(cdkJsonPath, 'utf8')) as { context?: Record<string, unknown> };
  const config = deployConfigFromContext((key) => cdk.context?.[key]);
  // no bundling and a registry image: only the template's resources are counted
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new PipelineStack(app, 'CostModel', {
    config,
    jobImage: ecs.ContainerImage.fromRegistry('cost-model/verifier:latest'),
  });
  return { config, template: Template.fromStack(stack) };
}
