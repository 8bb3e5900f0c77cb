import { randomInt } from 'node:crypto';
import { endianness } from 'node:os';
import { RowArena } from './bundle.js';
import { PogMinerError } from './errors.js';
import { proofLength } from './math.js';
import { type GpuChallenge, ProofSchema, parseMinerJson, verifyGpuProofRows } from './verify.js';

/** One GPU's part of a proof: its seeds, committed root and the challenged rows with their paths. */
export interface GpuProof {
  readonly gpu: number;
  readonly seedA: bigint;
  readonly seedB: bigint;
  readonly root: string;
  /** Challenged row indices, in the order asked. */
  readonly rows: readonly number[];
  /** One Merkle path (hex siblings, leaf to root) per challenged row. */
  readonly paths: readonly (readonly string[])[];
  /** The miner's values of each challenged row of C (n float32 each), in `rows` order. */
  readonly values: readonly Float32Array[];
}

/** What the proof command's output yields: the GPUs that passed the quick check, and why the others failed. */
export interface ProofsTaken {
  readonly gpus: readonly GpuProof[];
  /** One reason per failed GPU, in challenge order. */
  readonly reasons: readonly string[];
}

const LITTLE_ENDIAN = endianness() === 'LE';
const NEWLINE = 0x0a;

/**
 * The length of an honest proof line for `rows` challenged rows at size n, with room to spare: base64
 * rows, hex Merkle paths (64 digits, quotes and a comma each) and the JSON around them.
 */
function proofLineBytes(n: number, rows: number): number {
  return rows * (4 * Math.ceil((4 * n) / 3) + proofLength(n) * 67 + 64) + 256;
}

/**
 * A decoded row (4n float32-LE bytes, in the arena or a buffer of its own, never Node's shared pool) as
 * float32 values: a view over the same memory on a little-endian platform (every Lambda architecture);
 * otherwise a copy.
 */
function float32Of(bytes: Buffer): Float32Array {
  const count = bytes.length / 4;
  if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0)
    return new Float32Array(bytes.buffer, bytes.byteOffset, count);
  const values = new Float32Array(count);
  if (LITTLE_ENDIAN) new Uint8Array(values.buffer).set(bytes);
  else for (let j = 0; j < count; j++) values[j] = bytes.readFloatLE(4 * j);
  return values;
}

/**
 * The proof stage's output handling, fed the proof command's stdout as it arrives ({@link push}): one
 * JSON line per challenged GPU, in challenge order (blank lines skipped, lines past the last GPU
 * ignored, a missing line is `proof: output is not JSON`). Each line is parsed ({@link ProofSchema})
 * and given the quick check ({@link verifyGpuProofRows}) as soon as it is complete; the rows of a GPU
 * that passes are kept as float32 values over the bytes the check decoded, bit for bit.
 *
 * Memory: the output is never held. What stays referenced is the line in progress (one buffer) and
 * the rows already kept (what the garbage collector has not yet freed comes on top: `npm run bench --
 * worker-memory`). The rows are decoded into one {@link RowArena}, the kept GPUs' back to back, so the
 * bundle is encoded around them without a copy.
 */
export class ProofTaker {
  private readonly gpus: GpuProof[] = [];
  private readonly reasons: string[] = [];
  private readonly arena: RowArena;
  private readonly alloc: (size: number) => Buffer;
  /** The line in progress: one buffer, reused from line to line, grown if a line is longer than an honest one. */
  private lineBytes: Buffer;
  private lineLength = 0;
  /** The size of an honest answer to the challenges, all its lines: the bound the session puts on the output. */
  readonly honestOutputBytes: number;
  private next = 0;

  /** @param draw picks the checked entries' columns (tests and benches fix it) */
  constructor(
    private readonly challenges: readonly GpuChallenge[],
    private readonly entriesPerRow: number,
    private readonly draw: (max: number) => number = randomInt,
  ) {
    this.arena = new RowArena(challenges.reduce((sum, c) => sum + c.rows.length * 4 * c.n, 0));
    this.alloc = (size) => this.arena.take(size);
    const lines = challenges.map((c) => proofLineBytes(c.n, c.rows.length));
    this.honestOutputBytes = lines.reduce((sum, bytes) => sum + bytes, 0);
    this.lineBytes = Buffer.allocUnsafeSlow(Math.max(0, ...lines));
  }

  /** Takes the lines `chunk` completes; the text split on '\n', as `split('\n')` would. */
  push(chunk: Buffer): void {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      this.append(chunk, start, end);
      start = end + 1;
      this.line();
    }
    if (start < chunk.length) this.append(chunk, start, chunk.length);
  }

  /** The output's end: its last line, even unterminated, and a missing line for each GPU left. */
  finish(): ProofsTaken {
    this.line();
    while (this.next < this.challenges.length) this.take('');
    return { gpus: this.gpus, reasons: this.reasons };
  }

  /**
   * Copies a chunk's part into the line in progress. Copied, not kept: a kept chunk and a joined copy
   * per line were ~5 MB of buffers for each GPU of a proof, freed only when V8 counted enough of them
   * (`npm run bench -- worker-memory`). Past the last GPU nothing is kept.
   */
  private append(chunk: Buffer, start: number, end: number): void {
    if (this.next >= this.challenges.length || end <= start) return;
    const needed = this.lineLength + (end - start);
    if (needed > this.lineBytes.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(needed, 2 * this.lineBytes.length, 64 * 1024));
      this.lineBytes.copy(grown, 0, 0, this.lineLength);
      this.lineBytes = grown;
    }
    this.lineLength += chunk.copy(this.lineBytes, this.lineLength, start, end);
  }

  /** The bytes gathered so far as one line; a line ends at 0x0a, never part of a multi-byte UTF-8 sequence. */
  private line(): void {
    const length = this.lineLength;
    this.lineLength = 0;
    if (this.next >= this.challenges.length || length === 0) return;
    const text = this.lineBytes.toString('utf8', 0, length);
    if (text.trim() !== '') this.take(text);
  }

  private take(text: string): void {
    const challenge = this.challenges[this.next++] as GpuChallenge;
    const mark = this.arena.mark();
    try {
      const response = parseMinerJson(text, ProofSchema, 'proof');
      const { verdict, rows } = verifyGpuProofRows(
        challenge,
        response,
        this.entriesPerRow,
        this.draw,
        this.alloc,
      );
      if (!verdict.passed) {
        this.arena.rewind(mark);
        this.reasons.push(verdict.reason ?? 'failed');
        return;
      }
      this.gpus.push({
        gpu: challenge.gpu,
        seedA: challenge.seedA,
        seedB: challenge.seedB,
        root: challenge.root,
        rows: [...challenge.rows],
        paths: response.rows.map((item) => [...item.proof]),
        values: rows.map(float32Of),
      });
    } catch (error) {
      if (!(error instanceof PogMinerError)) throw error;
      this.arena.rewind(mark);
      this.reasons.push(error.message);
    }
  }
}
