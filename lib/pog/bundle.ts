import { createHash } from 'node:crypto';
import * as z from 'zod';
import { ValidationError } from '../errors.js';
import { formatIssues, parseWith } from '../validation.js';
import { CHALLENGE_MAX_N, entryToleranceParams } from './math.js';

/**
 * The proof bundle (docs: /work/notes/BUNDLE.md, summarised in lib/pog/README.md): what the worker
 * hands the verifier through S3. `POGB`, a u32-LE header length, the JSON header, then the float32-LE
 * values of every challenged row of every GPU in header order. The Python row checker
 * (lib/pog/payload/row_check.py) reads the same file; the TS side owns the header schema.
 */
export const BUNDLE_MAGIC = 'POGB';
export const BUNDLE_VERSION = 1;
/** Bytes before the header: magic and header length. */
const PREFIX_BYTES = 8;
/**
 * Largest bundle accepted: 8 GPUs × 17 rows × 65 536 values × 4 bytes is 35.7 MB; 48 MiB leaves room
 * for the header and a larger GPU count at smaller n, and bounds what the verifier reads from S3.
 */
export const BUNDLE_MAX_BYTES = 48 * 1024 * 1024;
/** Largest header: 8 GPUs × 17 paths × 16 hashes of 67 bytes is ~150 KB. */
export const BUNDLE_MAX_HEADER_BYTES = 1024 * 1024;

const u64String = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,19})$/, 'must be a decimal u64 without leading zeros')
  .refine((s) => BigInt(s) < 2n ** 64n, 'must be below 2^64');
const hex32 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');
const finite = z.number().finite();

export const BundleGpuSchema = z.object({
  gpu: z.number().int().min(0).max(1023),
  seedA: u64String,
  seedB: u64String,
  rows: z
    .array(
      z
        .number()
        .int()
        .min(0)
        .max(CHALLENGE_MAX_N - 1),
    )
    .min(1)
    .max(1024),
  root: hex32,
  paths: z.array(z.array(hex32).max(64)).max(1024),
});

/** The sampled check's verdict in the worker, carried so the verifier can report disagreements. */
export const SampledVerdictSchema = z.object({
  passed: z.boolean(),
  gpusPassed: z.number().int().min(0).max(1024),
  reason: z.string().max(500).nullable(),
});

export const BundleHeaderSchema = z
  .object({
    version: z.literal(BUNDLE_VERSION),
    /**
     * The payload protocol (challenge generator) of the session, lib/pog/verify.ts `PAYLOAD_PROTOCOL`.
     * Absent in bundles written before it was recorded. The verifier row-checks only its own protocol.
     */
    protocol: z.number().int().min(1).max(1_000).optional(),
    n: z.number().int().min(1).max(CHALLENGE_MAX_N),
    tolerance: z.object({ atol: finite.min(0), rtol: finite.min(0) }),
    gpus: z.array(BundleGpuSchema).min(1).max(64),
    // TS-only fields (the row checker ignores them)
    netuid: z.number().int().min(0).max(65_535),
    roundId: z.string().min(1).max(128),
    hotkey: z.string().min(1).max(64),
    uid: z.number().int().min(0).max(65_535),
    attempt: z.number().int().min(1).max(1000),
    gpuName: z.string().min(1).max(256),
    numGpus: z.number().int().min(1).max(1024),
    sampled: SampledVerdictSchema,
    /** Seconds per phase of the session (`compute`, `proof`, ...), for the logs and the cost model. */
    timings: z.record(z.string().max(64), finite.min(0)).optional(),
    createdAt: z.string().max(64),
  })
  .superRefine((h, ctx) => {
    const seen = new Set<number>();
    h.gpus.forEach((g, k) => {
      if (seen.has(g.gpu))
        ctx.addIssue({ code: 'custom', path: ['gpus', k, 'gpu'], message: 'repeated GPU' });
      seen.add(g.gpu);
      if (g.paths.length !== g.rows.length) {
        ctx.addIssue({ code: 'custom', path: ['gpus', k, 'paths'], message: 'one path per row required' });
      }
      if (new Set(g.rows).size !== g.rows.length) {
        ctx.addIssue({ code: 'custom', path: ['gpus', k, 'rows'], message: 'repeated row' });
      }
      if (g.rows.some((r) => r >= h.n)) {
        ctx.addIssue({ code: 'custom', path: ['gpus', k, 'rows'], message: 'row index ≥ n' });
      }
    });
  });
export type BundleHeader = z.infer<typeof BundleHeaderSchema>;
export type BundleGpu = z.infer<typeof BundleGpuSchema>;

/** A decoded bundle: `rows[g][r]` holds the 4n bytes of row `header.gpus[g].rows[r]` (views, not copies). */
export interface ProofBundle {
  readonly header: BundleHeader;
  readonly rows: readonly (readonly Buffer[])[];
}

/** The tolerance of lib/pog/math.ts `entryTolerance` as the header's (atol, rtol) pair. */
export function bundleTolerance(): { atol: number; rtol: number } {
  return entryToleranceParams();
}

/** Number of float32 values the data section holds for a header. */
export function bundleValueCount(header: Pick<BundleHeader, 'n' | 'gpus'>): number {
  return header.gpus.reduce((sum, g) => sum + g.rows.length, 0) * header.n;
}

/** Bytes a {@link RowArena} keeps ahead of its rows: the largest prefix and header. */
const ARENA_HEAD_BYTES = PREFIX_BYTES + BUNDLE_MAX_HEADER_BYTES;

/** The arenas' memory, and whether a bundle's head was already written into it. */
const ARENAS = new WeakMap<ArrayBufferLike, { headWritten: boolean }>();

/**
 * One allocation for the rows of a session's proof, with room ahead of them for the bundle's prefix
 * and header. Rows taken one after another are the bundle's data section as they lie, so
 * {@link encodeBundle} writes the head in front of them and returns a view: the worker never holds
 * a second copy of the rows (31 MB for the largest proof a session accepts). A GPU whose rows are
 * refused gives its space back ({@link rewind}), so the kept rows stay contiguous.
 */
export class RowArena {
  private readonly bytes: Buffer;
  private end = ARENA_HEAD_BYTES;

  /** @param rowBytes room for the rows: the size of every challenged row, bounded by the bundle's */
  constructor(rowBytes: number) {
    const room = Math.max(0, Math.min(rowBytes, BUNDLE_MAX_BYTES));
    // not zero-filled: every byte handed out is written before it is read, and untouched pages cost nothing
    this.bytes = Buffer.allocUnsafeSlow(ARENA_HEAD_BYTES + room);
    ARENAS.set(this.bytes.buffer, { headWritten: false });
  }

  /** The next `size` bytes (a multiple of 4, so float32 views stay aligned), or a buffer of its own when full. */
  take(size: number): Buffer {
    if (size % 4 !== 0 || this.end + size > this.bytes.length) return Buffer.allocUnsafeSlow(size);
    const out = this.bytes.subarray(this.end, this.end + size);
    this.end += size;
    return out;
  }

  /** Where the next row goes: {@link rewind} to it drops every row taken since. */
  mark(): number {
    return this.end;
  }

  rewind(mark: number): void {
    if (mark >= ARENA_HEAD_BYTES && mark <= this.end) this.end = mark;
  }
}

/**
 * The rows as one view with `head` written in front of them, when they are the first rows of a
 * {@link RowArena}, back to back, and no bundle was encoded from that arena before (a second head
 * would change the first bundle's bytes); otherwise undefined.
 */
function inPlace(head: Buffer, rows: readonly Buffer[], total: number): Buffer | undefined {
  const first = rows[0];
  if (first === undefined || first.byteOffset !== ARENA_HEAD_BYTES) return undefined;
  const arena = ARENAS.get(first.buffer);
  if (arena === undefined || arena.headWritten) return undefined;
  let offset = ARENA_HEAD_BYTES;
  for (const row of rows) {
    if (row.buffer !== first.buffer || row.byteOffset !== offset) return undefined;
    offset += row.length;
  }
  arena.headWritten = true;
  const start = ARENA_HEAD_BYTES - head.length;
  const whole = Buffer.from(first.buffer, start, total);
  head.copy(whole, 0);
  return whole;
}

/**
 * Encodes a bundle. Throws {@link ValidationError} when the header is invalid, a row is not 4n
 * bytes, the row count differs from the header's, or the result would exceed `maxBytes`. Rows taken
 * from a {@link RowArena} are not copied: the result is a view of the arena.
 */
export function encodeBundle(bundle: ProofBundle, maxBytes = BUNDLE_MAX_BYTES): Buffer {
  const header = parseWith(BundleHeaderSchema, bundle.header, 'bundle header');
  const rowBytes = 4 * header.n;
  if (bundle.rows.length !== header.gpus.length) throw new ValidationError('bundle: one row list per GPU');
  header.gpus.forEach((g, k) => {
    const rows = bundle.rows[k] ?? [];
    if (rows.length !== g.rows.length) throw new ValidationError(`bundle: GPU ${g.gpu} row count differs`);
    for (const row of rows) {
      if (row.length !== rowBytes)
        throw new ValidationError(`bundle: GPU ${g.gpu} row is not ${rowBytes} bytes`);
    }
  });
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  if (json.length > BUNDLE_MAX_HEADER_BYTES) throw new ValidationError('bundle: header too large');
  const total = PREFIX_BYTES + json.length + bundleValueCount(header) * 4;
  if (total > maxBytes) throw new ValidationError(`bundle: ${total} bytes exceeds ${maxBytes}`);
  const head = Buffer.alloc(PREFIX_BYTES + json.length);
  head.write(BUNDLE_MAGIC, 0, 'ascii');
  head.writeUInt32LE(json.length, 4);
  json.copy(head, PREFIX_BYTES);
  const rows = bundle.rows.flat();
  return inPlace(head, rows, total) ?? Buffer.concat([head, ...rows], total);
}

/**
 * Decodes and validates a bundle: magic, bounded header length, header JSON (zod), and a data
 * section of exactly Σ rows·n·4 bytes. Throws {@link ValidationError} naming what is wrong.
 */
export function decodeBundle(bytes: Uint8Array, maxBytes = BUNDLE_MAX_BYTES): ProofBundle {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length > maxBytes) throw new ValidationError(`bundle: ${buf.length} bytes exceeds ${maxBytes}`);
  if (buf.length < PREFIX_BYTES || buf.toString('ascii', 0, 4) !== BUNDLE_MAGIC) {
    throw new ValidationError('bundle: bad magic');
  }
  const headerLength = buf.readUInt32LE(4);
  if (headerLength > BUNDLE_MAX_HEADER_BYTES || PREFIX_BYTES + headerLength > buf.length) {
    throw new ValidationError('bundle: header length out of range');
  }
  let json: unknown;
  try {
    json = JSON.parse(buf.toString('utf8', PREFIX_BYTES, PREFIX_BYTES + headerLength));
  } catch {
    throw new ValidationError('bundle: header is not JSON');
  }
  const result = BundleHeaderSchema.safeParse(json);
  if (!result.success) {
    const issues = formatIssues(result.error);
    throw new ValidationError(`bundle: invalid header: ${issues.slice(0, 5).join('; ')}`, issues);
  }
  const header = result.data;
  const dataStart = PREFIX_BYTES + headerLength;
  const expected = bundleValueCount(header) * 4;
  if (buf.length - dataStart !== expected) {
    throw new ValidationError(`bundle: data is ${buf.length - dataStart} bytes, header says ${expected}`);
  }
  const rowBytes = 4 * header.n;
  let offset = dataStart;
  const rows = header.gpus.map((g) =>
    g.rows.map(() => {
      const row = buf.subarray(offset, offset + rowBytes);
      offset += rowBytes;
      return row;
    }),
  );
  return { header, rows };
}

/** The S3 key of one attempt's bundle; one key per (round, hotkey, attempt), so a retry never overwrites. */
export function bundleKey(roundId: string, hotkey: string, attempt: number): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');
  return `bundles/${safe(roundId)}/${safe(hotkey)}/${attempt}.pogb`;
}

/** SHA-256 of a bundle's bytes, hex: the message carries it so the verifier checks what it reads. */
export function bundleDigest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The verification queue's message: one per written bundle. */
export const VerificationMessageSchema = z.object({
  version: z.literal(1),
  netuid: z.number().int().min(0).max(65_535),
  roundId: z.string().min(1).max(128),
  hotkey: z.string().min(1).max(64),
  uid: z.number().int().min(0).max(65_535),
  /** The worker attempt (durable count) that produced the bundle. */
  attempt: z.number().int().min(1).max(1000),
  bundleKey: z
    .string()
    .min(1)
    .max(512)
    .regex(/^bundles\/[A-Za-z0-9_./-]+\.pogb$/, 'must be a bundle key'),
  bundleBytes: z.number().int().min(PREFIX_BYTES).max(BUNDLE_MAX_BYTES),
  bundleSha256: hex32,
});
export type VerificationMessage = z.infer<typeof VerificationMessageSchema>;

/** Largest message body accepted before parsing (a real one is ~300 bytes). */
export const MAX_VERIFICATION_BODY_BYTES = 4096;

/** Parses an SQS body of the verification queue (bounded, JSON, zod); throws {@link ValidationError}. */
export function parseVerificationMessage(body: string): VerificationMessage {
  if (Buffer.byteLength(body, 'utf8') > MAX_VERIFICATION_BODY_BYTES) {
    throw new ValidationError(`verification message exceeds ${MAX_VERIFICATION_BODY_BYTES} bytes`);
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new ValidationError('verification message is not JSON');
  }
  return parseWith(VerificationMessageSchema, json, 'verification message');
}
