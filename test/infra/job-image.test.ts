import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AssetManifestArtifact } from 'aws-cdk-lib/cx-api';
import { describe, expect, it } from 'vitest';
import { parseDeployConfig } from '../../infra/config.js';
import { PipelineStack } from '../../infra/pipeline-stack.js';

const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/pog-proof-job:1.2.3';

// no esbuild bundling: the job image is what these tests look at
function synth(context: Record<string, unknown>) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new PipelineStack(app, 'Test', {
    config: parseDeployConfig({ chainEndpoints: 'ws://127.0.0.1:9944', ...context }),
  });
  const assembly = app.synth();
  const manifests = assembly.artifacts.filter((a) => a instanceof AssetManifestArtifact);
  const dockerImages = manifests.flatMap((m) =>
    Object.keys((JSON.parse(readFileSync(m.file, 'utf8')) as { dockerImages?: object }).dockerImages ?? {}),
  );
  const jobDefinition = Object.values(
    Template.fromStack(stack).findResources('AWS::Batch::JobDefinition'),
  )[0];
  return {
    image: JSON.stringify(jobDefinition?.Properties.ContainerProperties.Image),
    dockerAssets: dockerImages.length,
  };
}

describe('-c jobImage', () => {
  it('uses the registry image and drops the Docker asset', () => {
    // Prepare / Act
    const built = synth({ jobImage: IMAGE });
    // Assess
    expect(built.image).toBe(JSON.stringify(IMAGE));
    expect(built.dockerAssets).toBe(0);
  });

  it('without it, builds the Dockerfile as a Docker image asset', () => {
    // Prepare / Act
    const built = synth({});
    // Assess
    expect(built.dockerAssets).toBe(1);
    expect(built.image).not.toContain('pog-proof-job');
    expect(built.image).toContain('cdk-hnb659fds-container-assets');
  });

  it('rejects an image URI with spaces, naming the key', () => {
    // Prepare / Act
    const parse = () => parseDeployConfig({ chainEndpoints: 'ws://127.0.0.1:9944', jobImage: 'a b' });
    // Assess
    expect(parse).toThrow(/jobImage/);
  });
});
