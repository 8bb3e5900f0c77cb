import { constants, generateKeyPairSync, publicEncrypt } from 'node:crypto';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, signatureVerify } from '@polkadot/util-crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lib/errors.js';
import { decryptCredentials, generateSessionKeys, signedSynapseRequest } from '../../../lib/pog/axon.js';
import { parsePogEngineConfig } from '../../../lib/pog/config.js';
import { PogMinerError } from '../../../lib/pog/errors.js';

const encrypt = (plain: string, pem: string) => {
  const buf = Buffer.from(plain);
  const blocks: Buffer[] = [];
  for (let off = 0; off < buf.length; off += 190) {
    blocks.push(
      publicEncrypt(
        { key: pem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
        buf.subarray(off, off + 190),
      ),
    );
  }
  return Buffer.concat(blocks).toString('base64');
};

describe('dendrite request signing', () => {
  beforeAll(async () => {
    await cryptoWaitReady();
  });

  it('signs nonce.dendrite.axon.uuid.bodyhash with sr25519 and sends the standard headers', () => {
    // Prepare
    const keypair = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
    const target = {
      ip: '127.0.0.1',
      port: 8091,
      hotkey: '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty',
    };
    // Act
    const { headers, body } = signedSynapseRequest('Allocate', { checking: true }, target, 15, {
      keypair,
      maxResponseBytes: 1024,
      dendriteIp: '0.0.0.0',
      dendriteVersion: 1,
    });
    // Assess
    const message = `${headers.bt_header_dendrite_nonce}.${keypair.address}.${target.hotkey}.${headers.bt_header_dendrite_uuid}.${headers.computed_body_hash}`;
    expect(
      signatureVerify(message, headers.bt_header_dendrite_signature as string, keypair.address).isValid,
    ).toBe(true);
    expect(headers.computed_body_hash).toBe(
      'a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a',
    );
    expect(JSON.parse(body)).toMatchObject({ name: 'Allocate', timeout: 15, checking: true });
  });
});

describe('credential decryption (RSA-OAEP-SHA256)', () => {
  const keys = generateSessionKeys();

  it('decrypts a one-block password credential (the reference format) and a multi-block key credential', () => {
    // Prepare
    const password = JSON.stringify({ username: 'root', password: 'abcdefghij', port: 4444 });
    const key = JSON.stringify({ username: 'root', private_key: 'k'.repeat(500), port: 4444 });
    // Act
    const a = decryptCredentials(encrypt(password, keys.publicKey), keys.privateKey);
    const b = decryptCredentials(encrypt(key, keys.publicKey), keys.privateKey);
    // Assess
    expect(a).toMatchObject({ username: 'root', password: 'abcdefghij', port: 4444 });
    expect(b.private_key).toHaveLength(500);
  });

  it.each([
    ['not base64 of whole blocks', 'aGVsbG8='],
    ['empty', ''],
    [
      'a block for another key',
      encrypt(
        '{"username":"root","password":"x","port":1}',
        generateKeyPairSync('rsa', {
          modulusLength: 2048,
          publicKeyEncoding: { type: 'spki', format: 'pem' },
          privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        }).publicKey,
      ),
    ],
    ['not JSON', encrypt('not json', keys.publicKey)],
    ['no secret', encrypt('{"username":"root","port":22}', keys.publicKey)],
    ['bad port', encrypt('{"username":"root","password":"p","port":70000}', keys.publicKey)],
  ])('rejects %s as a miner fault that does not echo the secret', (_label, info) => {
    // Prepare / Act
    const attempt = () => decryptCredentials(info, keys.privateKey);
    // Assess
    expect(attempt).toThrow(PogMinerError);
    try {
      attempt();
    } catch (error) {
      expect((error as Error).message).not.toContain('"p"');
    }
  });
});

describe('engine configuration', () => {
  it('applies defaults and fails loudly naming a bad key', () => {
    // Prepare / Act
    const cfg = parsePogEngineConfig({});
    // Assess
    expect(cfg).toMatchObject({
      rowsPerGpu: 17,
      entriesPerRow: 2,
      remotePython: '/opt/conda/bin/python',
    });
    expect(() => parsePogEngineConfig({ rowsPerGpu: 0 })).toThrow(/rowsPerGpu/);
    expect(() => parsePogEngineConfig({ rowsPerGpu: 0 })).toThrow(ConfigError);
    expect(() => parsePogEngineConfig({ nope: 1 })).toThrow(ConfigError);
    // the simulation's fixed n is a runner option of the harness, never a production setting
    expect(() => parsePogEngineConfig({ simMatrixSize: 64 })).toThrow(ConfigError);
  });
});
