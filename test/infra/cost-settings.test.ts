import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { costSettingsFromCdkJson, functionMemoryFromCdkJson } from '../../infra/cost-settings.js';

describe('Function: costSettingsFromCdkJson()', () => {
  it('reads the schedule settings from the context and the counts off the synthesized stack', () => {
    // Prepare: the repository's cdk.json with two settings changed
    const cdk = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
      context?: Record<string, unknown>;
    };
    const path = join(mkdtempSync(join(tmpdir(), 'cost-')), 'cdk.json');
    writeFileSync(
      path,
      JSON.stringify({
        ...cdk,
        context: { ...cdk.context, pogIntervalBlocks: 720, wandbEnabled: 'false', workerMemoryMb: 1024 },
      }),
    );
    // Act
    const settings = costSettingsFromCdkJson(path);
    // Assess
    expect(settings.pogIntervalBlocks).toBe(720);
    expect(settings.verifierInstanceTypes).toEqual(['g4dn.xlarge']);
    expect(settings).toMatchObject({ secrets: 2, kmsKeys: 2, workerMemoryMb: 1024 });
    expect(settings.alarms).toBeGreaterThan(5);
  });
});

describe('Function: functionMemoryFromCdkJson()', () => {
  it("reads each Lambda's memory off the synthesized stack, following the worker's deploy setting", () => {
    // Prepare: cdk.json with the worker's memory raised
    const cdk = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
      context?: Record<string, unknown>;
    };
    const path = join(mkdtempSync(join(tmpdir(), 'memory-')), 'cdk.json');
    writeFileSync(path, JSON.stringify({ ...cdk, context: { ...cdk.context, workerMemoryMb: 768 } }));
    // Act
    const memory = functionMemoryFromCdkJson(path);
    // Assess: the stack's fixed sizes for sync and weights, the setting for the worker
    expect(memory).toEqual({ SyncFunction: 512, WorkerFunction: 768, WeightsFunction: 1024 });
  });
});
