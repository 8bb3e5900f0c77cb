import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PERFORMANCE_CONFIG } from '../../../lib/config/gpu-performance.js';
import { createPogRunner } from '../../../lib/pog/index.js';

// A listener on 127.0.0.1 counts every connection: the runner must never reach it unless the
// harness switch is given.
let server: Server;
let port = 0;
let connections = 0;

const HOTKEY = '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty';

describe('only public miners are contacted (second line of defence in the PoG code)', () => {
  beforeAll(async () => {
    server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    port = typeof address === 'object' && address ? address.port : 0;
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it.each([
    ['127.0.0.1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['10.1.2.3', 'private'],
    ['fc00::1', 'private'],
    ['localhost', 'not-an-ip'],
  ])('refuses %s before any request, with the reason on the failure row', async (ip, kind) => {
    // Prepare
    const before = connections;
    const runner = createPogRunner({
      performance: DEFAULT_PERFORMANCE_CONFIG,
      hotkeySecret: '//Alice',
      engine: { allocateCheckTimeoutS: 2 },
    });
    // Act
    const outcome = await runner.run({
      netuid: 27,
      roundId: 'r',
      uid: 1,
      hotkey: HOTKEY,
      axon: { ip, port, version: 0 },
    });
    // Assess
    expect(outcome).toMatchObject({
      gpuName: null,
      numGpus: null,
      error: `axon address is not public (${kind})`,
    });
    expect(connections).toBe(before);
  });

  it('the harness switch (an option, never the environment) lets the runner reach 127.0.0.1', async () => {
    // Prepare
    const before = connections;
    const runner = createPogRunner({
      performance: DEFAULT_PERFORMANCE_CONFIG,
      hotkeySecret: '//Alice',
      engine: { allocateCheckTimeoutS: 2 },
      allowPrivateAddresses: true,
    });
    // Act
    const outcome = await runner.run({
      netuid: 27,
      roundId: 'r',
      uid: 1,
      hotkey: HOTKEY,
      axon: { ip: '127.0.0.1', port, version: 0 },
    });
    // Assess: it connected (the listener hangs up, so the attempt fails as a miner fault)
    expect(connections).toBeGreaterThan(before);
    expect(outcome.error).toMatch(/axon unreachable|axon did not answer/);
  });
});
