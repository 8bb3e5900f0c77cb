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
const RELEASED = Buffer.alloc(0);

/** One line's bytes as text; a line ends at 0x0a, which is never part of a multi-byte UTF-8 sequence. */
function textOf(pieces: readonly Buffer[]): string {
  return (pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces)).toString('utf8');
}

/**
 * The non-blank lines of `stdout` (the text split on '\n', as `split('\n')` would), decoded one at
 * a time when asked for. Each chunk's slot is released once the reader is past it, so the chunks of
 * the lines already taken can be freed while later lines wait.
 */
function* nonBlankLines(stdout: Buffer[]): Generator<string, void, undefined> {
  let pieces: Buffer[] = [];
  for (let c = 0; c < stdout.length; c++) {
    const chunk = stdout[c] as Buffer;
    stdout[c] = RELEASED;
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      pieces.push(chunk.subarray(start, end));
      start = end + 1;
      const line = textOf(pieces);
      pieces = [];
      if (line.trim() !== '') yield line;
    }
    if (start < chunk.length) pieces.push(chunk.subarray(start));
  }
  const last = textOf(pieces);
  if (last.trim() !== '') yield last;
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
 * The proof stage's output handling. The proof command's stdout (the chunks as received, at most
 * the size bound of the command) holds one JSON line per challenged GPU, in challenge order (blank
 * lines skipped, a missing line is `proof: output is not JSON`). Each line is parsed
 * ({@link ProofSchema}) and given the quick check ({@link verifyGpuProofRows}); the rows of a GPU
 * that passes are kept as float32 values over the bytes the check decoded, bit for bit.
 *
 * Memory: the output is never joined. One GPU's line at a time is decoded to text, parsed and
 * checked, and `stdout` is emptied as it is read (the caller's array: pass it and drop it), so what
 * stays referenced is the output not yet read, the rows already kept and one GPU's line (what the
 * garbage collector has not yet freed comes on top: `npm run bench -- worker-memory`). The rows are
 * decoded into one {@link RowArena}, the kept GPUs' back to back, so the bundle is encoded around
 * them without a copy.
 *
 * @param draw picks the checked entries' columns (tests and benches fix it)
 */
export function takeProofs(
  stdout: Buffer[],
  challenges: readonly GpuChallenge[],
  entriesPerRow: number,
  draw: (max: number) => number = randomInt,
): ProofsTaken {
  const gpus: GpuProof[] = [];
  const reasons: string[] = [];
  const lines = nonBlankLines(stdout);
  const arena = new RowArena(challenges.reduce((sum, c) => sum + c.rows.length * 4 * c.n, 0));
  const alloc = (size: number) => arena.take(size);
  try {
    for (const challenge of challenges) {
      const line = lines.next();
      const mark = arena.mark();
      try {
        const response = parseMinerJson(line.done ? '' : line.value, ProofSchema, 'proof');
        const { verdict, rows } = verifyGpuProofRows(challenge, response, entriesPerRow, draw, alloc);
        if (!verdict.passed) {
          arena.rewind(mark);
          reasons.push(verdict.reason ?? 'failed');
          continue;
        }
        gpus.push({
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
        arena.rewind(mark);
        reasons.push(error.message);
      }
    }
  } finally {
    lines.return();
    stdout.length = 0;
  }
  return { gpus, reasons };
}
