import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { costSettingsFromCdkJson } from '../../infra/cost-settings.js';

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
