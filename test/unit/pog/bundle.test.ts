import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../lib/errors.js';
import {
  BUNDLE_MAX_BYTES,
  type BundleHeader,
  bundleDigest,
  bundleKey,
  bundleTolerance,
  decodeBundle,
  encodeBundle,
  type ProofBundle,
  parseVerificationMessage,
  RowArena,
} from '../../../lib/pog/bundle.js';
import { entryTolerance } from '../../../lib/pog/math.js';

const n = 8;

function row(seed: number): Buffer {
  const buf = Buffer.alloc(4 * n);
  for (let k = 0; k < n; k++) buf.writeFloatLE(seed + k / 4, 4 * k);
  return buf;
}

function header(overrides: Partial<BundleHeader> = {}): BundleHeader {
  const hash = 'ab'.repeat(32);
  return {
    version: 1,
    n,
    tolerance: bundleTolerance(),
    gpus: [
      {
        gpu: 0,
        seedA: '18446744073709551615',
        seedB: '7',
        rows: [3, 0],
        root: hash,
        paths: [[hash], [hash]],
      },
      { gpu: 1, seedA: '1', seedB: '2', rows: [5], root: hash, paths: [[hash, hash, hash]] },
    ],
    netuid: 27,
    roundId: '27-1000',
    hotkey: '5F3sa2TJAWMqDhXG6jhV4N8ko9SxwGy8TpaNS1repo5EYjQX',
    uid: 4,
    attempt: 1,
    gpuName: 'NVIDIA H100 80GB HBM3',
    numGpus: 2,
    sampled: { passed: true, gpusPassed: 2, reason: null },
    createdAt: '2026-11-28T03:00:00.000Z',
    ...overrides,
  };
}

function bundle(overrides: Partial<BundleHeader> = {}): ProofBundle {
  return { header: header(overrides), rows: [[row(1), row(2)], [row(3)]] };
}

describe('encodeBundle / decodeBundle', () => {
  it('round-trips the header and every row in header order', () => {
    // Prepare
    const original = bundle();
    // Act
    const bytes = encodeBundle(original);
    const decoded = decodeBundle(bytes);
    // Assess
    expect(bytes.toString('ascii', 0, 4)).toBe('POGB');
    expect(decoded.header).toEqual(original.header);
    expect(decoded.rows.map((rows) => rows.map((r) => r.readFloatLE(4)))).toEqual([[1.25, 2.25], [3.25]]);
  });

  it('lays the data out as the contract says: prefix, header, exactly Σ rows·n·4 bytes', () => {
    // Prepare
    const bytes = encodeBundle(bundle());
    // Act
    const headerLength = bytes.readUInt32LE(4);
    const dataBytes = bytes.length - 8 - headerLength;
    // Assess
    expect(JSON.parse(bytes.toString('utf8', 8, 8 + headerLength)).n).toBe(n);
    expect(dataBytes).toBe(3 * n * 4);
    expect(bytes.readFloatLE(8 + headerLength + 2 * 4 * n)).toBe(3);
  });

  it('rejects a truncated or extended data section', () => {
    // Prepare
    const bytes = encodeBundle(bundle());
    // Act
    const truncated = () => decodeBundle(bytes.subarray(0, bytes.length - 1));
    const extended = () => decodeBundle(Buffer.concat([bytes, Buffer.alloc(4)]));
    // Assess
    expect(truncated).toThrow(/data is \d+ bytes, header says 96/);
    expect(extended).toThrow(ValidationError);
  });

  it('rejects a bad magic, a header length past the end, and a header that is not JSON', () => {
    // Prepare
    const bytes = encodeBundle(bundle());
    const badMagic = Buffer.from(bytes);
    badMagic.write('XOGB', 0, 'ascii');
    const longHeader = Buffer.from(bytes);
    longHeader.writeUInt32LE(bytes.length, 4);
    const notJson = Buffer.concat([Buffer.from('POGB'), Buffer.from([3, 0, 0, 0]), Buffer.from('{{{')]);
    // Act & Assess
    expect(() => decodeBundle(badMagic)).toThrow(/bad magic/);
    expect(() => decodeBundle(longHeader)).toThrow(/header length/);
    expect(() => decodeBundle(notJson)).toThrow(/not JSON/);
    expect(() => decodeBundle(new Uint8Array(3))).toThrow(/bad magic/);
  });

  it('validates the header with zod and names the bad field', () => {
    // Prepare: one path missing, a row index ≥ n, a seed past u64
    const bad = header();
    const gpu0 = bad.gpus[0] as BundleHeader['gpus'][number];
    const broken = {
      ...bad,
      gpus: [{ ...gpu0, paths: [gpu0.paths[0]], rows: [3, n], seedA: '18446744073709551616' }],
    } as BundleHeader;
    const json = Buffer.from(JSON.stringify(broken));
    const prefix = Buffer.alloc(8);
    prefix.write('POGB', 0, 'ascii');
    prefix.writeUInt32LE(json.length, 4);
    const bytes = Buffer.concat([prefix, json, Buffer.alloc(2 * n * 4)]);
    // Act
    let error: unknown;
    try {
      decodeBundle(bytes);
    } catch (e) {
      error = e;
    }
    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    const issues = (error as ValidationError).issues.join('\n');
    expect(issues).toMatch(/gpus\.0\.seedA/);
    expect(issues).toMatch(/gpus\.0\.paths: one path per row/);
    expect(issues).toMatch(/gpus\.0\.rows: row index ≥ n/);
  });

  it('refuses to encode rows of the wrong length or count, and bundles above the bound', () => {
    // Prepare
    const wrongLength: ProofBundle = { header: header(), rows: [[row(1), Buffer.alloc(4)], [row(3)]] };
    const wrongCount: ProofBundle = { header: header(), rows: [[row(1)], [row(3)]] };
    // Act & Assess
    expect(() => encodeBundle(wrongLength)).toThrow(/row is not 32 bytes/);
    expect(() => encodeBundle(wrongCount)).toThrow(/row count differs/);
    expect(() => encodeBundle(bundle(), 100)).toThrow(/exceeds 100/);
    expect(() => decodeBundle(encodeBundle(bundle()), 100)).toThrow(/exceeds 100/);
    expect(BUNDLE_MAX_BYTES).toBeGreaterThan(8 * 17 * 65_536 * 4);
  });
});

/** `rows` copied into `arena`, in order, as the proof stage decodes them there. */
function inArena(arena: RowArena, rows: readonly (readonly Buffer[])[]): Buffer[][] {
  return rows.map((list) =>
    list.map((r) => {
      const slot = arena.take(r.length);
      r.copy(slot);
      return slot;
    }),
  );
}

describe('RowArena', () => {
  it("encodes rows taken from an arena around them, without a copy: the copying encoder's bytes", () => {
    // Prepare
    const plainBundle = bundle();
    const arena = new RowArena(3 * 4 * n);
    const rows = inArena(arena, plainBundle.rows);
    // Act
    const bytes = encodeBundle({ header: plainBundle.header, rows });
    // Assess: the same bytes, over the arena's memory (a row written now shows in the bundle)
    expect(bytes).toEqual(encodeBundle(plainBundle));
    expect(bytes.buffer).toBe(rows[0]?.[0]?.buffer);
    ((rows[1] as Buffer[])[0] as Buffer).writeFloatLE(-9, 0);
    expect(decodeBundle(bytes).rows[1]?.[0]?.readFloatLE(0)).toBe(-9);
  });

  it('copies when the rows do not start the arena, and for a second bundle from one arena', () => {
    // Prepare: a GPU's rows given back (rewind) and taken again, then two encodings from one arena
    const plainBundle = bundle();
    const arena = new RowArena(3 * 4 * n);
    const mark = arena.mark();
    inArena(arena, [[row(100)]]);
    arena.rewind(mark);
    const rows = inArena(arena, plainBundle.rows);
    const secondGpuOnly: ProofBundle = {
      header: header({ gpus: header().gpus.slice(1), numGpus: 1 }),
      rows: [rows[1] as Buffer[]],
    };
    // Act
    const first = encodeBundle({ header: plainBundle.header, rows });
    const firstBytes = Buffer.from(first);
    const again = encodeBundle({ header: header({ attempt: 2 }), rows });
    const partial = encodeBundle(secondGpuOnly);
    // Assess: the rewound space was reused; later bundles are copies and the first is untouched
    expect(rows[0]?.[0]?.byteOffset).toBe(mark);
    expect(first.buffer).toBe(rows[0]?.[0]?.buffer);
    expect(again.buffer).not.toBe(first.buffer);
    expect(partial.buffer).not.toBe(first.buffer);
    expect(first).toEqual(firstBytes);
    expect(decodeBundle(again).header.attempt).toBe(2);
    expect(decodeBundle(partial).rows).toEqual([[row(3)]]);
  });

  it('hands out buffers of their own once full, and the bundle is then a copy with the same bytes', () => {
    // Prepare: room for two of the three rows
    const plainBundle = bundle();
    const arena = new RowArena(2 * 4 * n);
    const rows = inArena(arena, plainBundle.rows);
    // Act
    const bytes = encodeBundle({ header: plainBundle.header, rows });
    // Assess
    expect(rows[1]?.[0]?.buffer).not.toBe(rows[0]?.[0]?.buffer);
    expect(bytes.buffer).not.toBe(rows[0]?.[0]?.buffer);
    expect(bytes).toEqual(encodeBundle(plainBundle));
  });
});

describe('bundleTolerance', () => {
  it('is entryTolerance as (atol, rtol)', () => {
    // Prepare
    const scale = 7300;
    // Act
    const { atol, rtol } = bundleTolerance();
    // Assess
    expect(atol + rtol * scale).toBeCloseTo(entryTolerance(scale), 12);
  });
});

describe('parseVerificationMessage', () => {
  const message = {
    version: 1,
    netuid: 27,
    roundId: '27-1000',
    hotkey: '5F3sa2TJAWMqDhXG6jhV4N8ko9SxwGy8TpaNS1repo5EYjQX',
    uid: 4,
    attempt: 2,
    bundleKey: bundleKey('27-1000', '5F3sa2TJAWMqDhXG6jhV4N8ko9SxwGy8TpaNS1repo5EYjQX', 2),
    bundleBytes: 1234,
    bundleSha256: bundleDigest(Buffer.from('x')),
  };

  it('parses a valid message', () => {
    // Act
    const parsed = parseVerificationMessage(JSON.stringify(message));
    // Assess
    expect(parsed).toEqual(message);
    expect(parsed.bundleKey).toBe('bundles/27-1000/5F3sa2TJAWMqDhXG6jhV4N8ko9SxwGy8TpaNS1repo5EYjQX/2.pogb');
  });

  it('rejects oversized bodies, non-JSON, keys outside bundles/ and bundles above the bound', () => {
    // Act & Assess
    expect(() => parseVerificationMessage('x'.repeat(5000))).toThrow(/exceeds 4096/);
    expect(() => parseVerificationMessage('nope')).toThrow(/not JSON/);
    expect(() => parseVerificationMessage(JSON.stringify({ ...message, bundleKey: 'locks/x' }))).toThrow(
      /bundleKey/,
    );
    expect(() =>
      parseVerificationMessage(JSON.stringify({ ...message, bundleBytes: BUNDLE_MAX_BYTES + 1 })),
    ).toThrow(/bundleBytes/);
  });

  it('keeps bundle keys inside their prefix whatever the round id holds', () => {
    // Act
    const key = bundleKey('../../etc', 'hk/../x', 1);
    // Assess
    expect(key).toBe('bundles/.._.._etc/hk_.._x/1.pogb');
    expect(key.split('/')).toHaveLength(4);
  });
});
