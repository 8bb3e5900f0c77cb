import { afterEach, beforeEach } from 'vitest';
import { parseWandbConfig, type WandbConfigInput } from '../../../lib/config/wandb.js';
import { createWandbState } from '../../../lib/wandb/state.js';
import { startWandbServer, type WandbServer } from '../../helpers/wandb-server.js';
import { recorders } from './fixtures.js';

/**
 * A fresh local W&B server for each test of the calling file (started before it, stopped after it), and
 * `service`: the W&B state against that server, on the file's `defaults` with a test's overrides on top.
 */
export function localWandb(apiKey: string, defaults: WandbConfigInput = {}) {
  let current: WandbServer | undefined;
  beforeEach(async () => {
    current = await startWandbServer({ apiKey });
  });
  afterEach(async () => {
    await current?.stop();
  });
  const server = (): WandbServer => {
    if (current === undefined) throw new Error('the local W&B server runs only inside a test');
    return current;
  };
  const service = (overrides: WandbConfigInput = {}, key = apiKey) => {
    const rec = recorders();
    const wandb = createWandbState({
      config: parseWandbConfig({ baseUrl: server().url, allowInsecureHttp: true, ...defaults, ...overrides }),
      apiKey: key,
      logger: rec.logger,
      metrics: rec.metricsSink,
    });
    return { wandb, rec };
  };
  /** Hands the afterEach another server to stop (for a test that stops this one itself). */
  const replaceServer = (replacement: WandbServer): void => {
    current = replacement;
  };
  return { server, service, replaceServer };
}
