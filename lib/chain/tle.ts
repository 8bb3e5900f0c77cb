/**
 * Timelock encryption to a drand quicknet round, in the byte format subtensor's runtime decodes
 * (`tle::<TinyBLS381, AESGCMStreamCipherProvider>` of ideal-lab5/timelock rev 5416406c, chain.md §A.2):
 * Boneh–Franklin FullIdent IBE on BLS12-381 (public key in G2, identity and signatures in G1) wraps a
 * random AES-256-GCM key that encrypts the payload. Written from the format description, on
 * `@noble/curves`; see the report for which parts are proven against upstream bytes.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { bls12_381 as bls } from '@noble/curves/bls12-381.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ChainError } from './errors.js';

/** drand quicknet's group public key (G2, compressed). */
export const QUICKNET_PUBLIC_KEY =
  '83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a';
/** Hash-to-G1 domain tag of quicknet (`bls-unchained-g1-rfc9380`). */
export const QUICKNET_DST = 'BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_';
const CIPHER_SUITE = new TextEncoder().encode('AES_GCM_');
const G2_BYTES = 96;
const FR = bls.fields.Fr;
const FP12 = bls.fields.Fp12;

type G1 = InstanceType<typeof bls.G1.Point>;
type G2 = InstanceType<typeof bls.G2.Point>;
type Fp12 = ReturnType<typeof bls.pairing>;

export class TimelockError extends ChainError {}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.replace(/^0x/, ''), 'hex'));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

function xor32(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = Uint8Array.from(a);
  for (let i = 0; i < 32 && i < out.length; i++) out[i] = (out[i] as number) ^ (b[i] as number);
  return out;
}

/** arkworks `Vec<u8>`: u64 little-endian length, then the bytes. */
function arkVec(bytes: Uint8Array): Uint8Array {
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(bytes.length));
  return concat(len, bytes);
}

class Reader {
  #at = 0;
  constructor(readonly bytes: Uint8Array) {}
  take(n: number): Uint8Array {
    if (this.#at + n > this.bytes.length) throw new TimelockError('timelock ciphertext is truncated');
    const out = this.bytes.subarray(this.#at, this.#at + n);
    this.#at += n;
    return out;
  }
  vec(max: number): Uint8Array {
    const len = Buffer.from(this.take(8)).readBigUInt64LE();
    if (len > BigInt(max))
      throw new TimelockError(`timelock ciphertext field of ${len} bytes exceeds ${max}`);
    return this.take(Number(len));
  }
  get done(): boolean {
    return this.#at === this.bytes.length;
  }
}

/** Field element bytes the way arkworks serializes them: 48-byte little-endian limbs. */
function fpLE(x: bigint): Uint8Array {
  const out = new Uint8Array(48);
  let v = x;
  for (let i = 0; i < 48; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/**
 * arkworks `serialize_compressed` of an Fq12 element: c0 then c1 at every level of the
 * Fq2 ⊂ Fq6 ⊂ Fq12 tower (same tower as noble: u² = −1, v³ = u + 1, w² = v), 576 bytes.
 */
export function serializeGt(x: Fp12): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f6 of [x.c0, x.c1]) {
    for (const f2 of [f6.c0, f6.c1, f6.c2]) parts.push(fpLE(f2.c0), fpLE(f2.c1));
  }
  return concat(...parts);
}

/** The IBE identity of a round: quicknet signs sha256(round as u64 big-endian), hashed to G1. */
export function roundIdentity(round: bigint | number): G1 {
  const be = Buffer.alloc(8);
  be.writeBigUInt64BE(BigInt(round));
  return bls.G1.hashToCurve(sha256(be), { DST: QUICKNET_DST }) as unknown as G1;
}

const h2 = (g: Fp12): Uint8Array => sha256(serializeGt(g));
/** H3: sha256(a ‖ b) read big-endian, reduced mod r (arkworks `from_be_bytes_mod_order`). */
const h3 = (a: Uint8Array, b: Uint8Array): bigint =>
  FR.create(BigInt(`0x${Buffer.from(sha256(concat(a, b))).toString('hex')}`));
const h4 = (a: Uint8Array): Uint8Array => sha256(a).subarray(0, a.length);

export interface TleParts {
  readonly u: Uint8Array;
  readonly v: Uint8Array;
  readonly w: Uint8Array;
  readonly aesCiphertext: Uint8Array;
  readonly nonce: Uint8Array;
  readonly cipherSuite: string;
}

/** Splits a serialized `TLECiphertext` into its fields; checks U is a valid G2 point. */
export function parseTle(bytes: Uint8Array): TleParts {
  const r = new Reader(bytes);
  const u = r.take(G2_BYTES);
  bls.G2.Point.fromBytes(u).assertValidity();
  const v = r.vec(32);
  const w = r.vec(32);
  const body = new Reader(r.vec(5000));
  const suite = new TextDecoder().decode(r.vec(32));
  if (!r.done) throw new TimelockError('trailing bytes after the timelock ciphertext');
  const aesCiphertext = body.vec(5000);
  const nonce = body.vec(64);
  if (!body.done) throw new TimelockError('trailing bytes in the timelock body');
  return { u, v, w, aesCiphertext, nonce, cipherSuite: suite };
}

export interface TleEncryptOptions {
  /** Beacon public key (G2 compressed hex); defaults to quicknet's. */
  readonly publicKey?: string;
  /** Randomness source (tests make it deterministic). */
  readonly random?: (n: number) => Uint8Array;
}

/** Encrypts `message` so that the beacon's signature for `round` decrypts it. */
export function tleEncrypt(
  message: Uint8Array,
  round: bigint | number,
  options: TleEncryptOptions = {},
): Uint8Array {
  const random = options.random ?? ((n: number) => new Uint8Array(randomBytes(n)));
  const pPub = bls.G2.Point.fromBytes(hexBytes(options.publicKey ?? QUICKNET_PUBLIC_KEY)) as unknown as G2;
  const key = random(32);
  // IBE of the 32-byte AES key (FullIdent): sigma from a random scalar, r = H3(sigma, key)
  const t = FR.create(BigInt(`0x${Buffer.from(random(64)).toString('hex')}`));
  const sigma = h4(fpScalarLE(t));
  const r = h3(sigma, key);
  const u = bls.G2.Point.BASE.multiply(r);
  const gId = bls.pairing(roundIdentity(round) as never, pPub.multiply(r) as never);
  const v = xor32(sigma, h2(gId));
  const w = xor32(key, h4(sigma));
  const nonce = random(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  const aes = concat(cipher.update(message), cipher.final(), cipher.getAuthTag());
  const body = concat(arkVec(aes), arkVec(nonce));
  return concat(u.toBytes(true), arkVec(v), arkVec(w), arkVec(body), arkVec(CIPHER_SUITE));
}

/** Arkworks' 32-byte little-endian encoding of a scalar. */
function fpScalarLE(x: bigint): Uint8Array {
  return fpLE(x).subarray(0, 32);
}

/** Decrypts with the beacon signature for the round (G1 compressed hex or bytes), as the chain does. */
export function tleDecrypt(ciphertext: Uint8Array, signature: Uint8Array | string): Uint8Array {
  const parts = parseTle(ciphertext);
  const sig = bls.G1.Point.fromBytes(typeof signature === 'string' ? hexBytes(signature) : signature);
  const u = bls.G2.Point.fromBytes(parts.u);
  const sigma = xor32(parts.v, h2(bls.pairing(sig, u)));
  const key = xor32(parts.w, h4(sigma));
  if (!bls.G2.Point.BASE.multiply(h3(sigma, key)).equals(u)) {
    throw new TimelockError('timelock IBE check failed (wrong signature or corrupted ciphertext)');
  }
  if (parts.cipherSuite !== 'AES_GCM_') throw new TimelockError(`unknown cipher suite ${parts.cipherSuite}`);
  const decipher = createDecipheriv('aes-256-gcm', key, parts.nonce);
  const tag = parts.aesCiphertext.subarray(parts.aesCiphertext.length - 16);
  decipher.setAuthTag(tag);
  return concat(
    decipher.update(parts.aesCiphertext.subarray(0, parts.aesCiphertext.length - 16)),
    decipher.final(),
  );
}

/** Checks a beacon signature for a round against the beacon key (drand's own verification). */
export function verifyBeacon(
  round: bigint | number,
  signature: string,
  publicKey = QUICKNET_PUBLIC_KEY,
): boolean {
  const sig = bls.G1.Point.fromBytes(hexBytes(signature));
  const pk = bls.G2.Point.fromBytes(hexBytes(publicKey));
  return FP12.eql(bls.pairing(sig, bls.G2.Point.BASE), bls.pairing(roundIdentity(round) as never, pk));
}

/** A {@link TimelockEncryptor} for quicknet (or a test beacon key). */
export class DrandTimelock {
  constructor(private readonly options: TleEncryptOptions = {}) {}

  async encrypt(payload: Uint8Array, revealRound: number): Promise<Uint8Array> {
    return tleEncrypt(payload, revealRound, this.options);
  }
}
