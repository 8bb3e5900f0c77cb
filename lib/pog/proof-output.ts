import { randomInt } from 'node:crypto';
import { endianness } from 'node:os';
import { RowArena } from './bundle.js';
import { PogMinerError } from './errors.js';
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
 * Memory: the output is never held. What stays referenced is the pieces of the line in progress and
 * the rows already kept (what the garbage collector has not yet freed comes on top: `npm run bench --
 * worker-memory`). The rows are decoded into one {@link RowArena}, the kept GPUs' back to back, so the
 * bundle is encoded around them without a copy.
 */
export class ProofTaker {
  private readonly gpus: GpuProof[] = [];
  private readonly reasons: string[] = [];
  private readonly arena: RowArena;
  private readonly alloc: (size: number) => Buffer;
  private pieces: Buffer[] = [];
  private next = 0;

  /** @param draw picks the checked entries' columns (tests and benches fix it) */
  constructor(
    private readonly challenges: readonly GpuChallenge[],
    private readonly entriesPerRow: number,
    private readonly draw: (max: number) => number = randomInt,
  ) {
    this.arena = new RowArena(challenges.reduce((sum, c) => sum + c.rows.length * 4 * c.n, 0));
    this.alloc = (size) => this.arena.take(size);
  }

  /** Takes the lines `chunk` completes; the text split on '\n', as `split('\n')` would. */
  push(chunk: Buffer): void {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      this.pieces.push(chunk.subarray(start, end));
      start = end + 1;
      this.line();
    }
    if (start < chunk.length) this.pieces.push(chunk.subarray(start));
  }

  /** The output's end: its last line, even unterminated, and a missing line for each GPU left. */
  finish(): ProofsTaken {
    this.line();
    while (this.next < this.challenges.length) this.take('');
    return { gpus: this.gpus, reasons: this.reasons };
  }

  /** The pieces gathered so far as one line; a line ends at 0x0a, never part of a multi-byte UTF-8 sequence. */
  private line(): void {
    const pieces = this.pieces;
    this.pieces = [];
    if (this.next >= this.challenges.length || pieces.length === 0) return;
    const text = (pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces)).toString('utf8');
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
