import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PogMinerError } from '../../../lib/pog/errors.js';
import { merkleLevels, merkleProof, sha256 } from '../../../lib/pog/math.js';
import { type GpuProof, type ProofsTaken, ProofTaker } from '../../../lib/pog/proof-output.js';
import {
  type GpuChallenge,
  type ProofOutput,
  ProofSchema,
  parseMinerJson,
  verifyGpuProof,
} from '../../../lib/pog/verify.js';
import { honestC, rowBytes } from './challenge-helpers.js';

const n = 48;
const ROWS = [3, 47, 0, 20];
/** The checked columns: every row is honest there (a NaN planted elsewhere is never drawn). */
const DRAWN = [5, 11];
const draw = () => {
  let k = 0;
  return () => DRAWN[k++ % DRAWN.length] as number;
};

/** One GPU's committed matrix as bytes (so a test can plant any bit pattern) and its challenge. */
function gpuOf(gpu: number, patch?: (rows: Buffer[]) => void) {
  const seedA = 0xdead_beef_0000_0001n + BigInt(gpu);
  const seedB = 0x0123_4567_89ab_cdefn;
  const rows = honestC(n, seedA, seedB).map(rowBytes);
  patch?.(rows);
  const levels = merkleLevels(rows.map((r) => sha256(r)));
  const root = (levels.at(-1) as Buffer[])[0]?.toString('hex') ?? '';
  const challenge: GpuChallenge = { gpu, n, seedA, seedB, root, rows: ROWS };
  const response: ProofOutput = {
    gpu,
    n,
    rows: ROWS.map((i) => ({
      i,
      row: (rows[i] as Buffer).toString('base64'),
      proof: merkleProof(levels, i).map((h) => h.toString('hex')),
    })),
  };
  return { rows, challenge, response };
}

const gpu0 = gpuOf(0);
const gpu1 = gpuOf(1);
const challenges = [gpu0.challenge, gpu1.challenge];
const line = (response: unknown) => JSON.stringify(response);
/** The proof stage fed `chunks` one by one, as the SSH layer hands them over. */
function takeChunks(chunks: readonly Buffer[], gpus: readonly GpuChallenge[] = challenges): ProofsTaken {
  const taker = new ProofTaker(gpus, DRAWN.length, draw());
  for (const chunk of chunks) taker.push(chunk);
  return taker.finish();
}
const take = (text: string, chunks: Buffer[] = [Buffer.from(text, 'utf8')]) => takeChunks(chunks);

/** The proof stage as it was before ProofTaker (one string, split, rows decoded a second time): the oracle. */
function takeAsBefore(text: string): ProofsTaken {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const gpus: GpuProof[] = [];
  const reasons: string[] = [];
  const pick = draw();
  challenges.forEach((challenge, k) => {
    try {
      const response = parseMinerJson(lines[k] ?? '', ProofSchema, 'proof');
      const verdict = verifyGpuProof(challenge, response, DRAWN.length, pick);
      if (!verdict.passed) {
        reasons.push(verdict.reason ?? 'failed');
        return;
      }
      const values = response.rows.map((item) => {
        const bytes = Buffer.from(item.row, 'base64');
        const row = new Float32Array(n);
        for (let j = 0; j < n; j++) row[j] = bytes.readFloatLE(4 * j);
        return row;
      });
      const paths = response.rows.map((item) => [...item.proof]);
      const { gpu, seedA, seedB, root } = challenge;
      gpus.push({ gpu, seedA, seedB, root, rows: [...challenge.rows], paths, values });
    } catch (error) {
      if (!(error instanceof PogMinerError)) throw error;
      reasons.push(error.message);
    }
  });
  return { gpus, reasons };
}

/** A comparable form: the values as their exact bytes (hex). */
const plain = (taken: ProofsTaken) => ({
  reasons: taken.reasons,
  gpus: taken.gpus.map((g) => ({
    ...g,
    values: g.values.map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')),
  })),
});

/** Splits `bytes` at the given offsets, each piece its own copy (as SSH chunks are). */
const chunked = (bytes: Buffer, cuts: readonly number[]): Buffer[] => {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  return [0, ...at]
    .map((start, k) => Buffer.from(bytes.subarray(start, at[k] ?? bytes.length)))
    .filter((piece) => piece.length > 0);
};

describe('ProofTaker', () => {
  it('keeps the rows of two good GPUs as float32 values, bit for bit the bytes the miner sent', () => {
    // Prepare: GPU 1 carries -0 and a signalling NaN with a payload in columns the check never draws
    const odd = gpuOf(1, (rows) => {
      (rows[47] as Buffer).writeUInt32LE(0x8000_0000, 4 * 30);
      (rows[47] as Buffer).writeUInt32LE(0x7fa0_0001, 4 * 31);
    });
    const chunks = [Buffer.from(`${line(gpu0.response)}\n${line(odd.response)}\n`)];
    // Act
    const taken = takeChunks(chunks, [gpu0.challenge, odd.challenge]);
    // Assess
    expect(taken.reasons).toEqual([]);
    expect(taken.gpus.map((g) => [g.gpu, g.root, g.rows])).toEqual([
      [0, gpu0.challenge.root, ROWS],
      [1, odd.challenge.root, ROWS],
    ]);
    taken.gpus.forEach((g, k) => {
      const sent = k === 0 ? gpu0 : odd;
      expect(g.paths).toEqual(sent.response.rows.map((r) => r.proof));
      expect(g.values.map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength))).toEqual(
        ROWS.map((i) => sent.rows[i]),
      );
    });
    expect(new Uint32Array(taken.gpus[1]?.values[1]?.slice(30, 32).buffer ?? [])).toEqual(
      new Uint32Array([0x8000_0000, 0x7fa0_0001]),
    );
  });

  it("packs the kept GPUs' rows back to back in one allocation, over the space of a GPU that failed", () => {
    // Prepare: GPU 0's last row fails its path after its first rows were decoded; GPU 1 is honest
    const last = gpu0.response.rows.at(-1) as ProofOutput['rows'][number];
    const broken = { ...gpu0.response, rows: [...gpu0.response.rows.slice(0, -1), { ...last, proof: [] }] };
    const chunks = [Buffer.from(`${line(broken)}\n${line(gpu1.response)}\n${line(gpu0.response)}\n`)];
    const honest = take(`${line(gpu0.response)}\n${line(gpu1.response)}`);
    // Act
    const taken = takeChunks(chunks, [gpu0.challenge, gpu1.challenge, gpu0.challenge]);
    // Assess: GPU 1's rows start where the first GPU's rows start; the second GPU 0 follows; values bit for bit
    const views = taken.gpus.flatMap((g) => g.values);
    expect(views[0]?.byteOffset).toBe(honest.gpus[0]?.values[0]?.byteOffset);
    expect(taken.reasons).toEqual(['proof of wrong depth']);
    expect(taken.gpus.map((g) => g.gpu)).toEqual([1, 0]);
    expect(new Set(views.map((v) => v.buffer)).size).toBe(1);
    views.forEach((v, k) => {
      expect(v.byteOffset).toBe((views[0] as Float32Array).byteOffset + k * 4 * n);
    });
    expect(views.map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength))).toEqual([
      ...ROWS.map((i) => gpu1.rows[i]),
      ...ROWS.map((i) => gpu0.rows[i]),
    ]);
  });

  it('fails a row of the wrong length, a bad or short path and a missing GPU line with the reasons of before', () => {
    // Prepare
    const first = gpu1.response.rows[0] as ProofOutput['rows'][number];
    const rest = gpu1.response.rows.slice(1);
    const sibling = first.proof[0] as string;
    const flipped = `${sibling[0] === '0' ? '1' : '0'}${sibling.slice(1)}`;
    const outputs = {
      short: `${line(gpu0.response)}\n${line({ ...gpu1.response, rows: [{ ...first, row: first.row.slice(0, -4) }, ...rest] })}\n`,
      bad: `${line(gpu0.response)}\n${line({ ...gpu1.response, rows: [{ ...first, proof: [flipped, ...first.proof.slice(1)] }, ...rest] })}\n`,
      depth: `${line(gpu0.response)}\n${line({ ...gpu1.response, rows: [{ ...first, proof: first.proof.slice(1) }, ...rest] })}\n`,
      missing: `\n${line(gpu0.response)}\n  \n`,
      schema: `${line({ ...gpu0.response, gpu: 'zero' })}\n${line(gpu1.response)}`,
    };
    // Act
    const reasons = Object.fromEntries(Object.entries(outputs).map(([k, text]) => [k, take(text).reasons]));
    // Assess
    expect(reasons).toEqual({
      short: ['row of wrong length'],
      bad: ['Merkle proof does not match the root'],
      depth: ['proof of wrong depth'],
      missing: ['proof: output is not JSON'],
      schema: [expect.stringMatching(/^proof: invalid output \(gpu: /)],
    });
    for (const text of Object.values(outputs)) expect(plain(take(text))).toEqual(plain(takeAsBefore(text)));
  });

  it('gives the same result however the output is cut into chunks, inside a UTF-8 character or at a newline', () => {
    // Prepare: multi-byte characters inside a line (a field the schema drops) and in a blank line
    const text = `\u00a0\r\n${line({ ...gpu0.response, note: 'é€😀' })}\r\n\n${line(gpu1.response)}`;
    const bytes = Buffer.from(text, 'utf8');
    const whole = plain(take(text));
    const special: number[] = [];
    bytes.forEach((b, k) => {
      if (b === 0x0a || b >= 0x80) special.push(k, k + 1);
    });
    // Act / Assess: every single cut at or next to a newline or a multi-byte character, then random cuts
    expect(whole.gpus).toHaveLength(2);
    expect(whole).toEqual(plain(takeAsBefore(text)));
    for (const cut of special) expect(plain(take(text, chunked(bytes, [cut])))).toEqual(whole);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: bytes.length }), { maxLength: 40 }), (cuts) => {
        expect(plain(take(text, chunked(bytes, cuts)))).toEqual(whole);
      }),
      { numRuns: 60 },
    );
    expect(plain(take(text, chunked(bytes, [...bytes.keys()])))).toEqual(whole);
  });

  it('takes a line far longer than its first buffer, grown mid-line, and a short line after it', () => {
    // Prepare: a 300 KB first line (a field the schema drops) cut into 7 KB chunks; a short second line
    const text = `${line({ ...gpu0.response, note: 'x'.repeat(300_000) })}\n${line(gpu1.response)}\n`;
    const bytes = Buffer.from(text, 'utf8');
    const cuts = Array.from({ length: Math.floor(bytes.length / 7_000) }, (_, k) => (k + 1) * 7_000);
    // Act
    const taken = plain(take(text, chunked(bytes, cuts)));
    // Assess
    expect(taken.gpus).toHaveLength(2);
    expect(taken).toEqual(plain(takeAsBefore(text)));
  });

  it("bounds the output at an honest answer's size: every line fits, with little room to spare", () => {
    // Prepare: the honest answer to both GPUs' challenges
    const text = `${line(gpu0.response)}\n${line(gpu1.response)}\n`;
    // Act
    const bound = new ProofTaker(challenges, DRAWN.length, draw()).honestOutputBytes;
    // Assess
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(bound);
    expect(bound).toBeLessThan(2 * Buffer.byteLength(text));
  });
});
