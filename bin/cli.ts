import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDeployConfig } from '../infra/config.js';
import { runCli } from '../lib/cli/main.js';
import type { CostSettings } from '../lib/cost/model.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The deploy settings of cdk.json's context, through the stack's own config schema. */
function costSettings(): CostSettings {
  const cdk = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  const context = cdk.context ?? {};
  const config = parseDeployConfig({
    ...context,
    chainEndpoints: context.chainEndpoints ?? 'wss://entrypoint-finney.opentensor.ai:443',
  });
  return {
    pogIntervalBlocks: config.pogIntervalBlocks,
    syncIntervalMinutes: config.syncIntervalMinutes,
    weightsIntervalMinutes: config.weightsIntervalMinutes,
    verifierInstanceTypes: config.verifierInstanceTypes,
    // the stack's counts: hotkey + W&B secrets with one KMS key each; alarms in infra/pipeline-stack.ts
    workerMemoryMb: 1024,
    secrets: 2,
    kmsKeys: 2,
    alarms: 7,
  };
}

process.exitCode = runCli(
  process.argv.slice(2),
  {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
  },
  { costSettings },
);
