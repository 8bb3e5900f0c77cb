import { constants as cryptoConstants, publicEncrypt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { signatureVerify } from '@polkadot/util-crypto';
import type { SimBehaviour } from './profiles.js';
import type { SimSshLogin } from './ssh.js';

/** Allocation bookkeeping, for tests: every allocation must be followed by a deallocation. */
export interface SimAxonStats {
  allocations: number;
  deallocations: number;
  allocated: boolean;
  rejectedSignatures: number;
}

export interface SimAxon {
  readonly server: Server;
  readonly port: number;
  readonly stats: SimAxonStats;
}

/**
 * RSA-OAEP-SHA256 of the credentials JSON, base64, as the reference miner's `info` (one 256-byte
 * block for a password login; longer plaintexts in 190-byte chunks, the most one 2048-bit block holds).
 */
export function encryptForValidator(plain: Buffer, publicKeyPem: string): string {
  const blocks: Buffer[] = [];
  for (let off = 0; off < plain.length; off += 190) {
    blocks.push(
      publicEncrypt(
        { key: publicKeyPem, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
        plain.subarray(off, off + 190),
      ),
    );
  }
  return Buffer.concat(blocks).toString('base64');
}

/**
 * One miner's axon: an HTTP server on 127.0.0.1 implementing `Allocate` as an SN27 miner does
 * (dendrite signature checked, one allocation at a time, deallocation by the same public key). An
 * allocation asks the SSH side for a fresh password (`grant`) and returns
 * `{"username","password","port","version"}` RSA-wrapped for the validator's key; deallocation
 * invalidates it (`revoke`).
 */
export async function startSimAxon(options: {
  readonly hotkey: string;
  readonly behaviour: SimBehaviour;
  /** `slow-but-valid`: delay before each answer, in ms. */
  readonly delayMs: number;
  readonly grant: () => Promise<SimSshLogin>;
  readonly revoke: () => Promise<void>;
}): Promise<SimAxon> {
  const { hotkey, behaviour, delayMs } = options;
  const stats: SimAxonStats = { allocations: 0, deallocations: 0, allocated: false, rejectedSignatures: 0 };
  let allocationKey: string | null = null;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const h = req.headers;
    const message = `${h.bt_header_dendrite_nonce}.${h.bt_header_dendrite_hotkey}.${h.bt_header_axon_hotkey}.${h.bt_header_dendrite_uuid}.${h.computed_body_hash}`;
    const signed =
      typeof h.bt_header_dendrite_signature === 'string' &&
      typeof h.bt_header_dendrite_hotkey === 'string' &&
      h.bt_header_axon_hotkey === hotkey &&
      signatureVerify(message, h.bt_header_dendrite_signature, h.bt_header_dendrite_hotkey).isValid;
    if (req.url !== '/Allocate' || !signed) {
      stats.rejectedSignatures++;
      return reply(401, { message: 'Signature mismatch' });
    }
    const synapse = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    let output: Record<string, unknown>;
    // answers the check, then never answers the allocation or the deallocation (stop() closes them)
    if (behaviour === 'stall-allocation' && synapse.checking !== true) return;
    if (behaviour === 'refuse-allocation') output = { status: false };
    else if (synapse.timeline === 0) {
      if (allocationKey !== null && synapse.public_key === allocationKey) {
        allocationKey = null;
        await options.revoke();
        stats.allocated = false;
        stats.deallocations++;
        output = { status: true };
      } else output = { status: false };
    } else if (synapse.checking === true) output = { status: allocationKey === null };
    else if (allocationKey !== null || typeof synapse.public_key !== 'string') output = { status: false };
    else {
      allocationKey = synapse.public_key;
      stats.allocated = true;
      stats.allocations++;
      const login = await options.grant();
      const creds = Buffer.from(
        JSON.stringify({ username: login.username, password: login.password, port: login.port, version: 1 }),
      );
      output = { status: true, info: encryptForValidator(creds, synapse.public_key) };
    }
    return reply(200, { ...synapse, output });
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  return { server, port, stats };
}
