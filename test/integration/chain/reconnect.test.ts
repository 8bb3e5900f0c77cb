import type { ApiPromise } from '@polkadot/api';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Devnet, SeedNeuron } from '../../../harness/chain/devnet.js';
import {
  ChainConnectionError,
  type ChainHolder,
  createChainHolder,
  type SubtensorChain,
} from '../../../lib/chain/index.js';
import type { ChainPort } from '../../../lib/ports.js';
import { startSeededDevnet } from './fixtures.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

// A warm Lambda keeps its chain port between ticks; these cut the real websocket (chopsticks behind a
// TCP relay) the way an idle timeout or a load-balancer reset does, and run the next tick as the
// entries do: through the holder they build once per container.
const NETUID = 1;
const NEURONS: SeedNeuron[] = [
  { hotkeyUri: '//Alice', stake: 1000, validatorPermit: true },
  { hotkeyUri: '//Bob', stake: 5, axon: { ip: '10.0.0.2', port: 8091, version: 190 } },
];

/**
 * What a sync or weight tick reads first: the head, the metagraph and the hyperparameters; `midway`
 * runs once the tick holds its port.
 */
async function tick(holder: ChainHolder<SubtensorChain & ChainPort>, midway = (): void => undefined) {
  const chain = await holder.connected();
  midway();
  const [block, metagraph] = await Promise.all([chain.currentBlock(), chain.metagraph(NETUID)]);
  await chain.hyperparams(NETUID);
  return { chain, block, neurons: metagraph.neurons.length };
}

describe('chain port kept across ticks, on the spec-293 runtime behind a TCP relay', () => {
  let devnet: Devnet;
  let admin: ApiPromise;
  let proxy: TcpProxy;
  let holder: ChainHolder<SubtensorChain & ChainPort>;
  const unhandled: unknown[] = [];
  const record = (reason: unknown): void => {
    unhandled.push(reason);
  };

  beforeAll(async () => {
    ({ devnet, admin } = await startSeededDevnet({ netuid: NETUID, neurons: NEURONS, ownerHotkey: '//Bob' }));
  });

  beforeEach(async () => {
    proxy = await startTcpProxy(devnet.endpoint);
    holder = createChainHolder({ endpoints: [proxy.endpoint], hotkeySecret: '//Alice', timeoutMs: 5000 });
    process.on('unhandledRejection', record);
  });

  afterEach(async () => {
    process.off('unhandledRejection', record);
    unhandled.length = 0;
    await holder.close();
    await proxy.close();
  });

  afterAll(async () => {
    await admin?.disconnect();
    await devnet?.stop();
  });

  it('a socket dropped between ticks: the next tick connects afresh and succeeds', async () => {
    // Prepare
    const first = await tick(holder);
    proxy.dropNow();

    // Act: at once, before the client may even have seen the reset (a thawed container's race)
    const second = await tick(holder);

    // Assess
    expect(proxy.drops).toBe(1);
    expect(second.chain).not.toBe(first.chain);
    expect(first.chain.api.isConnected).toBe(false);
    expect(second).toMatchObject({ block: first.block, neurons: 2 });
  });

  it('a socket dropped during a tick: that tick fails typed, the next succeeds, nothing is left unhandled', async () => {
    // Prepare
    const first = await tick(holder);

    // Act
    const during = await tick(holder, () => proxy.dropNow()).catch((e: unknown) => e);
    // the dead port itself, called again as a kept port was before the holder: a typed refusal only
    const onDead = await first.chain.currentBlock().catch((e: unknown) => e);
    const after = await tick(holder);
    await new Promise((done) => setTimeout(done, 200));

    // Assess
    expect(during).toBeInstanceOf(ChainConnectionError);
    expect(onDead).toBeInstanceOf(ChainConnectionError);
    expect(String(onDead)).toMatch(/not connected/);
    expect(after.chain).not.toBe(first.chain);
    expect(after.neurons).toBe(2);
    expect(unhandled).toEqual([]);
  });
});
