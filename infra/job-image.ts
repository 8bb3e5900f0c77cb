import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { DeployConfig } from './config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The proof job's container image: the prebuilt registry image named by `-c jobImage=<uri>` (a deploy
 * that needs no Docker engine, e.g. from a CI runner or onto an emulator), else this repository's
 * Dockerfile built and published as an asset at deploy time.
 */
export function jobImage(config: Pick<DeployConfig, 'jobImage'>): ecs.ContainerImage {
  if (config.jobImage !== undefined) return ecs.ContainerImage.fromRegistry(config.jobImage);
  return ecs.ContainerImage.fromAsset(ROOT, {
    file: 'Dockerfile',
    // the GPU families are x86_64, whatever machine runs the deploy
    platform: Platform.LINUX_AMD64,
    exclude: ['node_modules', 'cdk.out', '.tmp', '.git', 'test', 'bench'],
  });
}
