import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { makeHotkeySecret } from '../../../harness/local/resources.js';
import { bundleHandler } from '../../../infra/bundling.js';
import { DEFAULT_PERFORMANCE_CONFIG } from '../../../lib/config/gpu-performance.js';
import { PogResultStore } from '../../../lib/store/index.js';
import { clients, makeTables, uniquePrefix } from './fixtures.js';

/**
 * The Batch entry as it ships: the esbuild bundle (SDK included, native addons out), run as its own
 * process with the job's environment against moto. Catches what in-process tests cannot: bundling,
 * ESM/CommonJS shims, the payload beside the bundle, and the exit-code contract.
 */
describe('Batch entry: dist/proof-job.mjs', () => {
  const endpoint = inject('motoEndpoint');
  const dir = mkdtempSync(join(tmpdir(), 'proof-job-'));
  const c = clients(endpoint);
  let env: Record<string, string>;
  let results: PogResultStore;

  beforeAll(async () => {
    await bundleHandler('proof-job', dir, { sdkExternal: false });
    const prefix = uniquePrefix('pjb');
    const tables = await makeTables(c.ddb, prefix);
    const secrets = new SecretsManagerClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    const secretArn = await makeHotkeySecret(secrets, prefix, '//PogValidatorBundleTest');
    // one attempt, no wait: the reference's 22 × 60 s would outlast the test
    const config = structuredClone(DEFAULT_PERFORMANCE_CONFIG);
    config.merkle_proof.pog_retry_limit = 1;
    config.merkle_proof.pog_retry_interval = 0;
    const configPath = join(dir, 'performance.json');
    writeFileSync(configPath, JSON.stringify(config));
    env = {
      PATH: process.env.PATH ?? '',
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      TABLE_POG_RESULTS: tables.pogResults,
      TABLE_LOCKS: tables.locks,
      HOTKEY_SECRET_ARN: secretArn,
      POG_PERFORMANCE_CONFIG: configPath,
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    };
    results = new PogResultStore(c.doc, tables.pogResults);
  });

  const runJob = (challenge: string) =>
    spawnSync(process.execPath, [join(dir, 'proof-job.mjs')], {
      env: { ...env, POG_CHALLENGE: challenge },
      encoding: 'utf8',
      timeout: 60_000,
    });

  it('records a miner fault (axon unreachable) as a failure row and exits 0', async () => {
    // Prepare
    const challenge = {
      netuid: 27,
      roundId: 'r1',
      uid: 7,
      hotkey: '5BundleTestMinerHotkey',
      axon: { ip: '127.0.0.1', port: 1, version: 190 },
    };
    // Act
    const run = runJob(JSON.stringify(challenge));
    // Assess
    expect(run.status, run.stderr).toBe(0);
    const rows = await results.rows(challenge.hotkey);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ uid: 7, roundId: 'r1', gpuName: null, numGpus: null });
    expect(rows[0]?.error).toBeTruthy();
    expect(`${run.stdout}${run.stderr}`).not.toContain('//PogValidatorBundleTest');
  });

  it('exits 2 for an invalid challenge, so Batch does not retry it', () => {
    // Act
    const run = runJob('{"uid":"seven"}');
    // Assess
    expect(run.status).toBe(2);
  });

  it('exits 1 (retry) when its configuration is broken', () => {
    // Act
    const run = spawnSync(process.execPath, [join(dir, 'proof-job.mjs')], {
      env: { ...env, TABLE_LOCKS: '', POG_CHALLENGE: '{}' },
      encoding: 'utf8',
    });
    // Assess
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('TABLE_LOCKS');
  });
});
