import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** Runs the CDK app entry as `cdk synth` does (context in CDK_CONTEXT_JSON) and reads its template. */
function synthApp(context: Record<string, unknown>): Resources {
  const outdir = mkdtempSync(join(tmpdir(), 'pog-app-'));
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      CDK_OUTDIR: outdir,
      // no Lambda bundling and a registry image: the template is what this test reads
      CDK_CONTEXT_JSON: JSON.stringify({
        'aws:cdk:bundling-stacks': [],
        jobImage: 'registry.example/verifier:1',
        ...context,
      }),
    },
  });
  if (run.status !== 0) throw new Error(`infra/app.ts failed: ${run.stderr}`);
  const template = JSON.parse(readFileSync(join(outdir, 'PogValidator.template.json'), 'utf8')) as {
    Resources: Resources;
  };
  return template.Resources;
}

const ofType = (resources: Resources, type: string, prefix = '') =>
  Object.entries(resources)
    .filter(([id, r]) => r.Type === type && id.startsWith(prefix))
    .map(([, r]) => r.Properties);

describe('infra/app.ts', () => {
  it("passes the worker's deploy settings from the context to the stack", () => {
    // Act: -c workerMemoryMb=512 -c workerConcurrency=10, as strings, as the CDK CLI hands them over
    const resources = synthApp({ workerMemoryMb: '512', workerConcurrency: '10' });
    // Assess
    expect(ofType(resources, 'AWS::Lambda::Function', 'WorkerFunction').map((p) => p.MemorySize)).toEqual([
      512,
    ]);
    expect(ofType(resources, 'AWS::Lambda::EventSourceMapping').map((p) => p.ScalingConfig)).toEqual([
      { MaximumConcurrency: 10 },
    ]);
  }, 120_000);
});
