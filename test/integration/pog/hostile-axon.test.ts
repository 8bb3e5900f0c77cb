import { createServer, type Server } from 'node:http';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PERFORMANCE_CONFIG } from '../../../lib/config/gpu-performance.js';
import { callAllocate } from '../../../lib/pog/axon.js';
import { PogMinerError } from '../../../lib/pog/errors.js';
import { createPogRunner } from '../../../lib/pog/index.js';

/** An axon that answers whatever the current test case says (status code, body). */
let nextAnswer: { status: number; body: string | Buffer } = { status: 200, body: '{}' };
let server: Server;
let port = 0;

const hostileBody = fc.oneof(
  fc.json(),
  fc.string({ maxLength: 300 }),
  fc.constantFrom(
    '{"output":{"status":"true"}}',
    '{"output":{"status":true,"info":12}}',
    '{"output":{"status":true,"info":"@@@"}}',
    '{"output":{"status":true,"info":"aGVsbG8="}}',
    '{"output":{"status":NaN}}',
    '{"output":[]}',
    `{"output":{"status":true,"info":"${'A'.repeat(20_000)}"}}`,
    '[1,2,3]',
    'null',
    '',
  ),
  fc
    .record({ output: fc.record({ status: fc.anything(), info: fc.anything() }, { requiredKeys: [] }) })
    .map((v) => JSON.stringify(v)),
  fc.integer({ min: 1, max: 4 }).map((mb) => Buffer.alloc(mb * 1024 * 1024, 0x41)),
);

describe('hostile axon answers (fuzzed, over HTTP)', () => {
  beforeAll(async () => {
    await cryptoWaitReady();
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(nextAnswer.status, { 'content-type': 'application/json' });
        res.end(nextAnswer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    port = typeof address === 'object' && address ? address.port : 0;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('maps 150 hostile Allocate answers to a refusal or a PogMinerError, never a crash', async () => {
    // Prepare
    const keypair = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
    const options = {
      keypair,
      maxResponseBytes: 64 * 1024,
      dendriteIp: '0.0.0.0',
      dendriteVersion: 1,
      allowPrivateAddresses: true,
    };
    const target = { ip: '127.0.0.1', port, hotkey: keypair.address };
    const cases = fc.sample(fc.tuple(fc.constantFrom(200, 200, 200, 401, 500), hostileBody), {
      numRuns: 150,
      seed: 27,
    });
    let handled = 0;
    for (const [status, body] of cases) {
      nextAnswer = { status, body };
      // Act
      try {
        const output = await callAllocate(target, { timeline: 1, checking: true }, 5, options);
        // Assess: anything accepted must be a well-typed answer
        expect(typeof output.status).toBe('boolean');
        if (output.info !== undefined) expect(typeof output.info).toBe('string');
      } catch (error) {
        expect(error).toBeInstanceOf(PogMinerError);
      }
      handled++;
    }
    expect(handled).toBe(150);
  });

  it('records hostile credentials through the whole runner as failure rows', async () => {
    // Prepare
    const runner = createPogRunner({
      performance: DEFAULT_PERFORMANCE_CONFIG,
      hotkeySecret: '//Alice',
      engine: { retryLimit: 1, deallocateTries: 1, deallocateRetryDelayS: 0 },
      allowPrivateAddresses: true,
    });
    const bodies = [
      '{"output":{"status":true,"info":"aGVsbG8="}}',
      `{"output":{"status":true,"info":"${Buffer.alloc(256, 7).toString('base64')}"}}`,
      '{"output":{"status":true}}',
      '{"output":{"status":1,"info":"x"}}',
      'not json at all',
    ];
    for (const body of bodies) {
      nextAnswer = { status: 200, body };
      // Act
      const outcome = await runner.run({
        netuid: 27,
        roundId: 'r',
        uid: 1,
        hotkey: '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty',
        axon: { ip: '127.0.0.1', port, version: 0 },
      });
      // Assess
      expect(outcome).toMatchObject({ gpuName: null, numGpus: null, attempts: 1 });
      expect(outcome.error).toMatch(/credentials|allocation refused|busy|axon response/);
    }
  });
});
