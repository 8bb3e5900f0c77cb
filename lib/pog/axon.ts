import {
  createHash,
  constants as cryptoConstants,
  generateKeyPairSync,
  privateDecrypt,
  randomUUID,
} from 'node:crypto';
import type { KeyringPair } from '@polkadot/keyring/types';
import { u8aToHex } from '@polkadot/util';
import * as z from 'zod';
import { callSignal, readBoundedText } from '../http.js';
import type { Log } from '../log.js';
import { contactProblem } from '../net/public-address.js';
import { formatIssues } from '../validation.js';
import { PogMinerError } from './errors.js';

/** The device requirement the reference sends with every PoG allocation (§4.2). */
export const TEST_DEVICE_REQUIREMENT = {
  cpu: { count: 1 },
  gpu: { count: 1, capacity: 0, type: '' },
  hard_disk: { capacity: 1073741824 },
  ram: { capacity: 1073741824 },
  testing: true,
} as const;
export const TEST_DOCKER_REQUIREMENT = {
  base_image: 'pytorch/pytorch:2.7.0-cuda12.6-cudnn9-runtime',
} as const;

export interface AllocateRequest {
  readonly timeline: number;
  readonly checking: boolean;
  readonly public_key?: string;
  readonly device_requirement?: unknown;
  readonly docker_requirement?: unknown;
}

export interface AxonTarget {
  readonly ip: string;
  readonly port: number;
  /** The miner's hotkey (ss58): the `axon.hotkey` the dendrite signs over. */
  readonly hotkey: string;
}

export interface DendriteOptions {
  readonly keypair: KeyringPair;
  readonly maxResponseBytes: number;
  readonly dendriteIp: string;
  readonly dendriteVersion: number;
  /** Harness only (simulated miners on 127.0.0.1); see lib/net/public-address.ts. */
  readonly allowPrivateAddresses?: boolean | undefined;
}

/** The miner's `output` of an Allocate synapse: `{status, info?}`; anything else is a refusal. */
const AllocateResponseSchema = z.object({
  output: z
    .object({ status: z.boolean(), info: z.string().max(16_384).optional() })
    .nullable()
    .optional(),
});
export type AllocateOutput = { readonly status: boolean; readonly info?: string };

/** Decrypted SSH credentials: the reference sends a password; key-based credentials are accepted too. */
export const CredentialsSchema = z
  .object({
    username: z.string().min(1).max(64),
    port: z.number().int().min(1).max(65535),
    password: z.string().min(1).max(256).optional(),
    private_key: z.string().min(1).max(8192).optional(),
    version: z.unknown().optional(),
  })
  .refine(
    (c) => c.password !== undefined || c.private_key !== undefined,
    'needs a password or a private_key',
  );
export type Credentials = z.infer<typeof CredentialsSchema>;

let lastNonce = 0n;
/** A strictly increasing nanosecond nonce, as bittensor's `time.time_ns()` (axons reject reused nonces). */
function nextNonce(): bigint {
  const now = BigInt(Date.now()) * 1_000_000n;
  lastNonce = now > lastNonce ? now : lastNonce + 1n;
  return lastNonce;
}

/** A bittensor `TerminalInfo` with every field, as pydantic's `model_dump()` writes it. */
function terminalInfo(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    status_code: null,
    status_message: null,
    process_time: null,
    ip: null,
    port: null,
    version: null,
    nonce: null,
    uuid: null,
    hotkey: null,
    signature: null,
    ...fields,
  };
}

/**
 * Builds the body and dendrite headers of a bittensor synapse request, as bittensor's dendrite
 * sends them: headers from `to_headers()`, body from `model_dump()` of the prepared synapse, so the
 * body carries the `dendrite` terminal (ip, version, nonce, uuid, hotkey, signature) and the `axon`
 * terminal (ip, port, hotkey) too. SN27 miners read the caller's hotkey from the body's
 * `dendrite.hotkey`. The signature is sr25519 over `nonce.dendriteHotkey.axonHotkey.uuid.bodyHash`;
 * Allocate declares no hash fields, so its body hash is sha3-256 of the empty string. The hash
 * travels in the `computed_body_hash` header; the body's field keeps the synapse's default `""`.
 */
export function signedSynapseRequest(
  name: string,
  fields: Record<string, unknown>,
  target: AxonTarget,
  timeoutS: number,
  options: DendriteOptions,
): { body: string; headers: Record<string, string> } {
  const nonce = nextNonce().toString();
  const uuid = randomUUID();
  const bodyHash = createHash('sha3-256').update('').digest('hex');
  const hotkey = options.keypair.address;
  const message = `${nonce}.${hotkey}.${target.hotkey}.${uuid}.${bodyHash}`;
  const signature = u8aToHex(options.keypair.sign(message));
  // the nanosecond nonce exceeds 2^53: it is written as the exact integer Python sends, not a float
  const nonceSlot = `__nonce_${uuid}__`;
  const body = JSON.stringify({
    name,
    timeout: timeoutS,
    total_size: 0,
    header_size: 0,
    dendrite: terminalInfo({
      ip: options.dendriteIp,
      version: options.dendriteVersion,
      nonce: nonceSlot,
      uuid,
      hotkey,
      signature,
    }),
    axon: terminalInfo({ ip: target.ip, port: target.port, hotkey: target.hotkey }),
    computed_body_hash: '',
    ...fields,
  }).replace(`"${nonceSlot}"`, nonce);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      name,
      timeout: String(timeoutS),
      bt_header_axon_ip: target.ip,
      bt_header_axon_port: String(target.port),
      bt_header_axon_hotkey: target.hotkey,
      bt_header_dendrite_ip: options.dendriteIp,
      bt_header_dendrite_version: String(options.dendriteVersion),
      bt_header_dendrite_nonce: nonce,
      bt_header_dendrite_uuid: uuid,
      bt_header_dendrite_hotkey: hotkey,
      bt_header_dendrite_signature: signature,
      computed_body_hash: bodyHash,
      header_size: '0',
      total_size: String(Buffer.byteLength(body)),
    },
  };
}

/**
 * Sends one `Allocate` synapse to the miner's axon and returns its validated `output`. Transport
 * errors, non-200 answers, oversize or malformed bodies are miner faults ({@link PogMinerError}).
 * `attempt` is the attempt's deadline: an allocation request still waiting then is given up.
 */
export async function callAllocate(
  target: AxonTarget,
  request: AllocateRequest,
  timeoutS: number,
  options: DendriteOptions,
  attempt?: AbortSignal,
): Promise<AllocateOutput> {
  const notPublic = contactProblem(target.ip, options);
  if (notPublic !== null) throw new PogMinerError(notPublic);
  const { body, headers } = signedSynapseRequest('Allocate', { ...request }, target, timeoutS, options);
  const host = target.ip.includes(':') ? `[${target.ip}]` : target.ip;
  const call = callSignal(timeoutS * 1000, attempt);
  let text: string;
  try {
    const response = await fetch(`http://${host}:${target.port}/Allocate`, {
      method: 'POST',
      headers,
      body,
      signal: call.signal,
      redirect: 'error',
    });
    text = await readBoundedText(
      response,
      options.maxResponseBytes,
      () => new PogMinerError('axon response over the size limit'),
    );
    if (response.status !== 200) throw new PogMinerError(`axon answered HTTP ${response.status}`);
  } catch (error) {
    if (error instanceof PogMinerError) throw error;
    if (attempt?.aborted === true) throw new PogMinerError('attempt timed out');
    throw new PogMinerError(call.timedOut() ? 'axon did not answer in time' : 'axon unreachable');
  } finally {
    call.dispose();
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new PogMinerError('axon response is not JSON');
  }
  const parsed = AllocateResponseSchema.safeParse(raw);
  if (!parsed.success) {
    throw new PogMinerError(`invalid axon response (${formatIssues(parsed.error).slice(0, 2).join('; ')})`);
  }
  return parsed.data.output ?? { status: false };
}

export interface DeallocateOptions {
  /** Tries in all (the reference: 3). */
  readonly tries: number;
  /** Pause between tries (the reference: 5 s). */
  readonly retryDelayMs: number;
  /** Deadline of one Allocate call (the reference: 15 s). */
  readonly timeoutS: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly log?: Log;
}

/**
 * Releases a PoG allocation (reference §4.2 step 5): `Allocate(timeline=0, checking=false,
 * public_key)` until the miner confirms with `status: true`. An answer of `status: false` (the
 * container is still up) is retried like a failed call; otherwise the test container stays up and
 * the miner answers "busy" to every validator. Never throws.
 * @returns whether the miner confirmed the release.
 */
export async function callDeallocate(
  target: AxonTarget,
  publicKey: string,
  dendrite: DendriteOptions,
  options: DeallocateOptions,
): Promise<boolean> {
  for (let attempt = 1; attempt <= options.tries; attempt++) {
    try {
      const answer = await callAllocate(
        target,
        { timeline: 0, checking: false, public_key: publicKey },
        options.timeoutS,
        dendrite,
      );
      if (answer.status) return true;
      options.log?.info('pog.deallocate.failed', {
        hotkey: target.hotkey,
        attempt,
        reason: 'miner answered status false',
      });
    } catch (error) {
      options.log?.info('pog.deallocate.failed', {
        hotkey: target.hotkey,
        attempt,
        reason: (error as Error).message,
      });
    }
    if (attempt < options.tries) await options.sleep(options.retryDelayMs);
  }
  options.log?.info('pog.deallocate.unconfirmed', { hotkey: target.hotkey, tries: options.tries });
  return false;
}

/** A fresh RSA-2048 key pair for one session (PEM strings), as the reference generates. */
export function generateSessionKeys(): { publicKey: string; privateKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

const RSA_BLOCK = 256;

/**
 * Decrypts the miner's `info`: base64 of RSA-OAEP-SHA256 ciphertext. One 256-byte block is the
 * reference's format; longer credentials (a private key) come as consecutive blocks.
 */
export function decryptCredentials(info: string, privateKeyPem: string): Credentials {
  const blob = Buffer.from(info, 'base64');
  if (blob.length === 0 || blob.length % RSA_BLOCK !== 0 || blob.length > 64 * RSA_BLOCK) {
    throw new PogMinerError('credentials have a bad length');
  }
  const parts: Buffer[] = [];
  try {
    for (let off = 0; off < blob.length; off += RSA_BLOCK) {
      parts.push(
        privateDecrypt(
          { key: privateKeyPem, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
          blob.subarray(off, off + RSA_BLOCK),
        ),
      );
    }
  } catch {
    throw new PogMinerError('credentials cannot be decrypted');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch {
    throw new PogMinerError('credentials are not JSON');
  }
  const parsed = CredentialsSchema.safeParse(raw);
  // never echo the issues' values: they may hold the password
  if (!parsed.success) throw new PogMinerError('credentials are malformed');
  return parsed.data;
}
