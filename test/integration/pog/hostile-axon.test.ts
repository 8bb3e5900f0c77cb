import { createServer, type Server } from 'node:http';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, signatureVerify } from '@polkadot/util-crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PERFORMANCE_CONFIG } from '../../../lib/config/gpu-performance.js';
import { callAllocate, callDeallocate } from '../../../lib/pog/axon.js';
import { PogMinerError } from '../../../lib/pog/errors.js';
import { createPogRunner } from '../../../lib/pog/index.js';
import { logTo } from '../../helpers/log.js';

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
      engine: { deallocateTries: 1, deallocateRetryDelayS: 0 },
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

/**
 * An axon that reads a request as bittensor's axon and an SN27 miner do: the signature from the
 * headers, the synapse (with its `dendrite` terminal) from the body; it answers each call with the
 * next scripted `output`.
 */
async function startReadingAxon(answers: Array<{ status: boolean }>) {
  const seen: Array<{ headers: Record<string, unknown>; raw: string }> = [];
  const axon = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ output: answers.shift() ?? { status: true } }));
    });
  });
  await new Promise<void>((resolve) => axon.listen(0, '127.0.0.1', resolve));
  const address = axon.address();
  return {
    seen,
    port: typeof address === 'object' && address ? address.port : 0,
    stop: async () => {
      axon.closeAllConnections();
      await new Promise((r) => axon.close(r));
    },
  };
}

describe('dendrite body and deallocation against an axon that reads the body', () => {
  beforeAll(async () => {
    await cryptoWaitReady();
  });

  it("sends a body whose dendrite terminal names our hotkey and matches the signed headers (no 'Allocation made by None')", async () => {
    // Prepare
    const keypair = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
    const miner = new Keyring({ type: 'sr25519' }).addFromUri('//Bob');
    const axon = await startReadingAxon([{ status: true }]);
    const options = {
      keypair,
      maxResponseBytes: 64 * 1024,
      dendriteIp: '198.51.100.2',
      dendriteVersion: 901,
      allowPrivateAddresses: true,
    };
    try {
      // Act
      await callAllocate(
        { ip: '127.0.0.1', port: axon.port, hotkey: miner.address },
        { timeline: 1, checking: true },
        5,
        options,
      );
      // Assess
      const [request] = axon.seen;
      const h = request?.headers ?? {};
      const synapse = JSON.parse(request?.raw ?? '{}') as {
        dendrite?: Record<string, unknown>;
        axon?: Record<string, unknown>;
      };
      const message = `${h.bt_header_dendrite_nonce}.${h.bt_header_dendrite_hotkey}.${h.bt_header_axon_hotkey}.${h.bt_header_dendrite_uuid}.${h.computed_body_hash}`;
      expect(signatureVerify(message, String(h.bt_header_dendrite_signature), keypair.address).isValid).toBe(
        true,
      );
      expect(synapse.dendrite).toMatchObject({
        hotkey: keypair.address,
        uuid: h.bt_header_dendrite_uuid,
        signature: h.bt_header_dendrite_signature,
        ip: '198.51.100.2',
        version: 901,
      });
      expect(request?.raw).toContain(`"nonce":${h.bt_header_dendrite_nonce},`);
      expect(synapse.axon).toMatchObject({ hotkey: miner.address, ip: '127.0.0.1', port: axon.port });
    } finally {
      await axon.stop();
    }
  });

  it('retries the deallocation, 3 tries 5 s apart, until the miner confirms status true', async () => {
    // Prepare
    const keypair = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
    const axon = await startReadingAxon([{ status: false }, { status: true }]);
    const pauses: number[] = [];
    const events: string[] = [];
    const options = {
      keypair,
      maxResponseBytes: 64 * 1024,
      dendriteIp: '0.0.0.0',
      dendriteVersion: 1,
      allowPrivateAddresses: true,
    };
    const retry = {
      tries: 3,
      retryDelayMs: 5_000,
      timeoutS: 5,
      sleep: async (ms: number) => {
        pauses.push(ms);
      },
      log: logTo((_, event) => events.push(event)),
    };
    try {
      // Act
      const confirmed = await callDeallocate(
        { ip: '127.0.0.1', port: axon.port, hotkey: keypair.address },
        'PEM',
        options,
        retry,
      );
      // Assess
      expect(confirmed).toBe(true);
      expect(axon.seen).toHaveLength(2);
      expect(pauses).toEqual([5_000]);
      expect(events).toEqual(['pog.deallocate.failed']);
      for (const call of axon.seen)
        expect(JSON.parse(call.raw)).toMatchObject({ timeline: 0, checking: false, public_key: 'PEM' });
    } finally {
      await axon.stop();
    }
  });

  it('gives up after 3 unconfirmed tries and says so', async () => {
    // Prepare
    const keypair = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
    const axon = await startReadingAxon([
      { status: false },
      { status: false },
      { status: false },
      { status: true },
    ]);
    const events: string[] = [];
    const options = {
      keypair,
      maxResponseBytes: 64 * 1024,
      dendriteIp: '0.0.0.0',
      dendriteVersion: 1,
      allowPrivateAddresses: true,
    };
    try {
      // Act
      const confirmed = await callDeallocate(
        { ip: '127.0.0.1', port: axon.port, hotkey: keypair.address },
        'PEM',
        options,
        {
          tries: 3,
          retryDelayMs: 0,
          timeoutS: 5,
          sleep: async () => {},
          log: logTo((_, event) => events.push(event)),
        },
      );
      // Assess
      expect(confirmed).toBe(false);
      expect(axon.seen).toHaveLength(3);
      expect(events.at(-1)).toBe('pog.deallocate.unconfirmed');
    } finally {
      await axon.stop();
    }
  });
});
