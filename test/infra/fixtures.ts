import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { parseDeployConfig } from '../../infra/config.js';
import { acknowledgeNagFindings } from '../../infra/nag.js';
import { PipelineStack } from '../../infra/pipeline-stack.js';

/** A registry image for the verifier job, so that synthesis needs no Docker. */
export const REGISTRY_JOB_IMAGE = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:22');

/**
 * The pipeline stack as the infra tests see it: esbuild bundling skipped (the template is what they
 * assert on), cdk-nag findings acknowledged as the app does, a local chain endpoint unless `config` says
 * otherwise. `jobImage` undefined leaves the deployed default (the Dockerfile, staged, not built).
 */
export function synthPipeline(
  config: Record<string, unknown> = {},
  /** `'dockerfile'`: the image asset built from the repository's Dockerfile (staged at synth, not built). */
  jobImage: ecs.ContainerImage | 'dockerfile' = REGISTRY_JOB_IMAGE,
): { app: App; stack: PipelineStack; template: Template } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new PipelineStack(app, 'Test', {
    config: parseDeployConfig({ chainEndpoints: 'ws://127.0.0.1:9944', ...config }),
    ...(jobImage === 'dockerfile' ? {} : { jobImage }),
  });
  acknowledgeNagFindings(stack);
  return { app, stack, template: Template.fromStack(stack) };
}

/** The logical id of the one resource of `type` whose id starts with `prefix` (its construct path). */
export function logicalIdOf(template: Template, type: string, prefix: string): string {
  const found = Object.keys(template.findResources(type)).find((id) => id.startsWith(prefix));
  if (found === undefined) throw new Error(`no ${type} starting with ${prefix}`);
  return found;
}

/** Every statement of the IAM policies whose name starts with `policyPrefix` (a role's policies). */
export function policyStatements(template: Template, policyPrefix: string): Array<Record<string, unknown>> {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => String(p.Properties.PolicyName).startsWith(policyPrefix))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>);
}

/** A statement's actions as a list (CloudFormation writes a lone action as a string). */
export const actionsOf = (statement: Record<string, unknown>): string[] =>
  Array.isArray(statement.Action) ? (statement.Action as string[]) : [String(statement.Action)];
