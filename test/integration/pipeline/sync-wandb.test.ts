import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { KeyringPair } from '@polkadot/keyring/types';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readWandbApiKey } from '../../../lib/clients/secrets.js';
import { runSync } from '../../../lib/pipeline/sync.js';
import type { Metagraph } from '../../../lib/ports.js';
import { createWandbState, deferredWandbState, parseWandbConfig } from '../../../lib/wandb/index.js';
import { startWandbServer, type WandbServer } from '../../helpers/wandb-server.js';
import { makeKeys, recorders, validatorConfig } from '../wandb/fixtures.js';
import { clients, metagraph, StubChain, SYNC_OPTIONS, syncDepsOnMoto, uniquePrefix } from './fixtures.js';

const API_KEY = 'sync-wandb-test-key';
const OPTIONS = SYNC_OPTIONS;

describe('Sync with the W&B allocation union (secret on moto, local W&B server)', () => {
  const c = clients(inject('motoEndpoint'));
  let other: KeyringPair;
  let server: WandbServer;

  // uid 0 another validator (no axon), uids 1-4 miners 5Hotkey0001…
  const chainAt = (block: number): Metagraph =>
    metagraph(5, block, (uid) => (uid === 0 ? { hotkey: other.address, stake: 20_000, axon: null } : {}));

  beforeAll(async () => {
    [other] = (await makeKeys('SyncOther')) as [KeyringPair];
    server = await startWandbServer({ apiKey: API_KEY });
    server.addRun({
      name: 'syncoth1',
      config: validatorConfig({ pair: other, runId: 'syncoth1', allocated: ['5Hotkey0002'] }),
    });
  });

  afterAll(async () => {
    await server.stop();
  });

  it('skips miners other validators allocated; a missing key secret degrades W&B until it is set', async () => {
    // Prepare: the Lambda's wiring, the API key read from a secret that does not exist yet
    const rec = recorders();
    const secretName = uniquePrefix('wandb-key');
    const external = deferredWandbState(
      async () =>
        createWandbState({
          config: parseWandbConfig({ baseUrl: server.url, allowInsecureHttp: true }),
          apiKey: await readWandbApiKey(c.secrets, secretName),
          logger: rec.logger,
          metrics: rec.metricsSink,
        }),
      { logger: rec.logger, metrics: rec.metricsSink },
    );
    const chain = new StubChain(chainAt(3_000));
    const first = await syncDepsOnMoto(c, 'sync-wandb-1', chain);
    const second = await syncDepsOnMoto(c, 'sync-wandb-2', chain);
    // Act
    const degraded = await runSync({ ...first, external }, OPTIONS);
    await c.secrets.send(new CreateSecretCommand({ Name: secretName, SecretString: ` ${API_KEY}\n` }));
    const withWandb = await runSync({ ...second, external }, OPTIONS);
    // Assess: without W&B every queryable miner is challenged; with it, uid 2 is skipped
    expect(degraded.round).toMatchObject({ status: 'started', challenges: 4 });
    expect(rec.metrics.map((m) => m.name)).toContain('WandbReadFailed');
    expect(withWandb.round).toMatchObject({ status: 'started', challenges: 3 });
    expect(server.requests.at(-1)?.authorization).toBe(
      `Basic ${Buffer.from(`api:${API_KEY}`).toString('base64')}`,
    );
    expect(server.requests.some((r) => /upsertBucket/.test(r.query))).toBe(false);
  });
});
