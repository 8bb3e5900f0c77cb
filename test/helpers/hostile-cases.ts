import { execFileSync } from 'node:child_process';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { mapLimit } from '../../lib/concurrency.js';
import { DEFAULT_PERFORMANCE_CONFIG } from '../../lib/config/gpu-performance.js';
import { ValidationError } from '../../lib/errors.js';
import { decodeBundle } from '../../lib/pog/bundle.js';
import { parsePogEngineConfig, sessionCleanupS } from '../../lib/pog/config.js';
import { createPogRunner, type PogEngineConfigInput } from '../../lib/pog/index.js';
import { makeTestBundle } from './bundles.js';
import {
  type AxonAnswer,
  type AxonPhase,
  type HostileMode,
  type HostileScript,
  type HostileWorld,
  startHostileWorld,
} from './hostile-miner.js';

/**
 * The hostile-miner case table (issue 12), shared by test/integration/pog/hostile-suite.test.ts and
 * bench/hostile.ts. Every case is one PoG attempt (or one bundle decode) against a scripted miner.
 */
export type CaseArea = 'axon' | 'ssh' | 'gpu_info' | 'benchmark' | 'compute' | 'proof' | 'bundle';

export interface HostileCase {
  readonly name: string;
  readonly area: CaseArea;
  /** `fault`: must end as a miner fault; `valid`: odd but valid, must pass. */
  readonly expect: 'fault' | 'valid';
  /** The recorded reason (faults only). */
  readonly reason?: RegExp;
  readonly script?: HostileScript;
  /** Bundle cases: the corrupted bytes given to decodeBundle. */
  readonly bundle?: () => Uint8Array;
}

/** Short engine deadlines so ~110 attempts run in minutes on a loaded 2-core machine. */
export const SUITE_ENGINE = {
  attemptTimeoutS: 30,
  allocateCheckTimeoutS: 5,
  allocateTimeoutS: 5,
  deallocateTimeoutS: 2,
  deallocateTries: 1,
  deallocateRetryDelayS: 0,
  sshConnectTimeoutS: 10,
  commandTimeoutS: 6,
  benchmarkTimeoutS: 6,
  timeToleranceS: 8,
  rowsPerGpu: 4,
} as const satisfies PogEngineConfigInput;
/** Slack on top of the attempt deadline for the measured wall time (event loop and python on a busy machine). */
export const DEADLINE_MARGIN_MS = 2000;
/** Deadline of a bundle decode case (no network, no deadline of its own: a generous bound). */
export const BUNDLE_DEADLINE_MS = 2000;

type Json = Record<string, unknown>;
const MB = 1024 * 1024;

/** Rewrites one JSON output line (every line for proof). */
const rewrite =
  (edit: (value: Json) => unknown) =>
  (honest: string): string =>
    honest
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.stringify(edit(JSON.parse(l) as Json)))
      .join('\n');
const onMode = (mode: HostileMode, stdout: string | ((honest: string) => string)): HostileScript => ({
  commands: { [mode]: { stdout } },
});
const onAxon = (phase: AxonPhase, answer: (honest: Json, key: string) => AxonAnswer): HostileScript => ({
  axon: { [phase]: answer },
});
const body = (value: unknown): AxonAnswer => ({ body: JSON.stringify(value) });
const withOutput = (honest: Json, output: unknown): AxonAnswer => body({ ...honest, output });

const fault = (area: CaseArea, name: string, reason: RegExp, script: HostileScript): HostileCase => ({
  name,
  area,
  expect: 'fault',
  reason,
  script,
});

type Timing = Record<string, number | undefined>;
const timing0 = (c: Json): Timing => ((c.timings as [number, Timing][])[0] ?? [0, {}])[1];
const editTiming = (edit: (t: Timing) => void) =>
  rewrite((c) => {
    edit(timing0(c));
    return c;
  });
type ProofRow = { i: number; row: string; proof: string[] };
const editRows = (edit: (rows: ProofRow[], p: Json) => void) =>
  rewrite((p) => {
    edit(p.rows as ProofRow[], p);
    return p;
  });
const flipHex = (h: string) => (h[0] === '0' ? '1' : '0') + h.slice(1);
const flipByte = (b64: string, at = 0) => {
  const bytes = Buffer.from(b64, 'base64');
  bytes[at] = (bytes[at] ?? 0) ^ 0x40;
  return bytes.toString('base64');
};

function axonCases(): HostileCase[] {
  const cases: HostileCase[] = [];
  for (const phase of ['check', 'allocate'] as const) {
    for (const status of [400, 401, 403, 404, 429, 500, 502, 503]) {
      cases.push(
        fault(
          'axon',
          `${phase}: HTTP ${status}`,
          new RegExp(`^axon answered HTTP ${status}$`),
          onAxon(phase, () => ({ status, body: '{}' })),
        ),
      );
    }
    cases.push(
      fault(
        'axon',
        `${phase}: redirect to another host`,
        /^axon unreachable$/,
        onAxon(phase, () => ({
          status: 307,
          headers: { location: 'http://169.254.169.254/latest/meta-data/' },
          body: '',
        })),
      ),
      fault(
        'axon',
        `${phase}: body not JSON`,
        /^axon response is not JSON$/,
        onAxon(phase, () => ({ body: '{"output": {' })),
      ),
      fault(
        'axon',
        `${phase}: empty body`,
        /^axon response is not JSON$/,
        onAxon(phase, () => ({ body: '' })),
      ),
      fault(
        'axon',
        `${phase}: 1 MiB body`,
        /^axon response over the size limit$/,
        onAxon(phase, () => ({ body: Buffer.alloc(MB, 0x20) })),
      ),
      fault(
        'axon',
        `${phase}: status as a string`,
        /^invalid axon response/,
        onAxon(phase, (h) => withOutput(h, { status: 'true' })),
      ),
      fault(
        'axon',
        `${phase}: output is an array`,
        /^invalid axon response/,
        onAxon(phase, (h) => withOutput(h, [])),
      ),
      fault(
        'axon',
        `${phase}: hangs`,
        /^axon did not answer in time$/,
        onAxon(phase, () => ({ hang: true })),
      ),
      fault(
        'axon',
        `${phase}: answers after its timeout`,
        /^axon did not answer in time$/,
        onAxon(phase, () => ({ delayMs: 7000 })),
      ),
    );
  }
  cases.push(
    fault(
      'axon',
      'check: status false (busy)',
      /^miner is busy or not allocatable$/,
      onAxon('check', (h) => withOutput(h, { status: false })),
    ),
    fault(
      'axon',
      'check: no output field',
      /^miner is busy or not allocatable$/,
      onAxon('check', (h) => body({ ...h, output: undefined })),
    ),
    fault(
      'axon',
      'allocate: status false',
      /^allocation refused$/,
      onAxon('allocate', (h) => withOutput(h, { status: false })),
    ),
    fault(
      'axon',
      'allocate: status true without info',
      /^allocation refused$/,
      onAxon('allocate', (h) => withOutput(h, { status: true })),
    ),
    fault(
      'axon',
      'allocate: info is a number',
      /^invalid axon response/,
      onAxon('allocate', (h) => withOutput(h, { status: true, info: 12 })),
    ),
    fault(
      'axon',
      'allocate: info not base64 of a block',
      /^credentials have a bad length$/,
      onAxon('allocate', (h) => withOutput(h, { status: true, info: 'aGVsbG8=' })),
    ),
    fault(
      'axon',
      'allocate: info truncated by one block byte',
      /^credentials have a bad length$/,
      onAxon('allocate', (h) => {
        const info = Buffer.from(String((h.output as Json).info), 'base64');
        return withOutput(h, { status: true, info: info.subarray(1).toString('base64') });
      }),
    ),
    fault(
      'axon',
      'allocate: info for another key',
      /^credentials cannot be decrypted$/,
      onAxon('allocate', (h) => {
        const info = Buffer.from(String((h.output as Json).info), 'base64');
        info[17] = (info[17] ?? 0) ^ 0xff;
        return withOutput(h, { status: true, info: info.toString('base64') });
      }),
    ),
    fault('axon', 'credentials: not JSON', /^credentials are not JSON$/, {
      credentials: () => 'not json',
    }),
    fault('axon', 'credentials: no password or key', /^credentials are malformed$/, {
      credentials: (c) => ({ username: c.username, port: c.port }),
    }),
    fault('axon', 'credentials: port 0', /^credentials are malformed$/, {
      credentials: (c) => ({ ...c, port: 0 }),
    }),
    fault('axon', 'credentials: port as a string', /^credentials are malformed$/, {
      credentials: (c) => ({ ...c, port: String(c.port) }),
    }),
    fault('axon', 'credentials: empty username', /^credentials are malformed$/, {
      credentials: (c) => ({ ...c, username: '' }),
    }),
    {
      name: 'deallocate: HTTP 500 (attempt still valid)',
      area: 'axon',
      expect: 'valid',
      script: onAxon('deallocate', () => ({ status: 500 })),
    },
    {
      name: 'deallocate: hangs (attempt still valid)',
      area: 'axon',
      expect: 'valid',
      script: onAxon('deallocate', () => ({ hang: true })),
    },
  );
  return cases;
}

function sshCases(): HostileCase[] {
  const modes = ['gpu_info', 'benchmark', 'compute', 'proof'] as const;
  const cases: HostileCase[] = [
    fault('ssh', 'wrong password', /^SSH authentication failed$/, {
      credentials: (c) => ({ ...c, password: `${c.password}x` }),
    }),
    fault('ssh', 'wrong username', /^SSH authentication failed$/, {
      credentials: (c) => ({ ...c, username: 'nobody' }),
    }),
    fault('ssh', 'garbage private key', /^SSH credentials are unusable$/, {
      credentials: (c) => ({ username: c.username, port: c.port, private_key: 'not a key' }),
    }),
    fault('ssh', 'connection refused', /^SSH connection (failed|closed)$/, {
      credentials: (c) => ({ ...c, port: 1 }),
    }),
    fault(
      'ssh',
      'upload: wrong hash',
      /^payload upload or hash check failed$/,
      onMode('upload', '0000  /x\n'),
    ),
    fault('ssh', 'upload: exits 1', /^payload upload or hash check failed$/, {
      commands: { upload: { code: 1 } },
    }),
    fault('ssh', 'upload: hangs', /^command timed out$/, { commands: { upload: { hang: true } } }),
    fault('ssh', 'upload: drops the connection', /^SSH connection dropped$/, {
      commands: { upload: { drop: true } },
    }),
  ];
  for (const mode of modes) {
    cases.push(
      fault('ssh', `${mode}: exits 3`, /^payload exited with status 3$/, {
        commands: { [mode]: { code: 3 } },
      }),
      fault('ssh', `${mode}: drops the connection`, /^SSH connection dropped$/, {
        commands: { [mode]: { drop: true } },
      }),
      fault('ssh', `${mode}: 2 MiB of output`, /^output over the size limit$/, {
        commands: { [mode]: { hugeBytes: 2 * MB } },
      }),
      fault(
        'ssh',
        `${mode}: hangs`,
        mode === 'compute' ? /^timing check failed: compute ran past its deadline$/ : /^command timed out$/,
        { commands: { [mode]: { hang: true } } },
      ),
      // issue 12 item 8: the miner's side ends the session its own way mid-command
      fault('ssh', `${mode}: EOF without exit status`, /^SSH channel ended without an exit status$/, {
        commands: { [mode]: { eofWithoutExit: true } },
      }),
      fault(
        'ssh',
        `${mode}: EOF without exit status, channel never closed`,
        /^SSH channel ended without an exit status$/,
        { commands: { [mode]: { eofWithoutExit: true, neverCloseChannel: true } } },
      ),
      fault('ssh', `${mode}: killed by a signal`, /^payload killed by SIGKILL$/, {
        commands: { [mode]: { signal: 'KILL' } },
      }),
      fault('ssh', `${mode}: TCP socket closed mid-output`, /^SSH connection dropped$/, {
        commands: { [mode]: { cutMidOutput: true } },
      }),
    );
  }
  cases.push({
    name: 'never closes its TCP side after our disconnect (still valid)',
    area: 'ssh',
    expect: 'valid',
    script: { holdSocket: true },
  });
  return cases;
}

function gpuInfoCases(): HostileCase[] {
  const invalid = /^gpu_info: invalid output/;
  return [
    fault(
      'gpu_info',
      'not JSON',
      /^gpu_info: output is not JSON$/,
      onMode('gpu_info', 'CUDA error: out of memory'),
    ),
    fault('gpu_info', 'empty', /^gpu_info: output is not JSON$/, onMode('gpu_info', '')),
    fault(
      'gpu_info',
      'two JSON objects',
      /^gpu_info: output is not JSON$/,
      onMode('gpu_info', (h) => `${h.trim()}\n${h.trim()}`),
    ),
    fault('gpu_info', 'an array', invalid, onMode('gpu_info', '[1]')),
    fault(
      'gpu_info',
      'num_gpus 0',
      /^gpu_info reports no GPU$/,
      onMode(
        'gpu_info',
        rewrite((v) => ({ ...v, num_gpus: 0 })),
      ),
    ),
    fault(
      'gpu_info',
      'num_gpus negative',
      invalid,
      onMode(
        'gpu_info',
        rewrite((v) => ({ ...v, num_gpus: -1 })),
      ),
    ),
    fault(
      'gpu_info',
      'num_gpus fractional',
      invalid,
      onMode(
        'gpu_info',
        rewrite((v) => ({ ...v, num_gpus: 1.5 })),
      ),
    ),
    fault(
      'gpu_info',
      'num_gpus NaN literal',
      /^gpu_info: output is not JSON$/,
      onMode('gpu_info', '{"num_gpus": NaN, "gpu_names": []}'),
    ),
    fault(
      'gpu_info',
      'gpu_names a string',
      invalid,
      onMode(
        'gpu_info',
        rewrite((v) => ({ ...v, gpu_names: 'H100' })),
      ),
    ),
    fault(
      'gpu_info',
      'GPU name of 1000 characters',
      invalid,
      onMode(
        'gpu_info',
        rewrite((v) => ({ ...v, gpu_names: ['X'.repeat(1000)] })),
      ),
    ),
    fault(
      'gpu_info',
      'num_gpus missing',
      invalid,
      onMode(
        'gpu_info',
        rewrite((v) => ({ gpu_names: v.gpu_names })),
      ),
    ),
  ];
}

function benchmarkCases(): HostileCase[] {
  const invalid = /^benchmark: invalid output/;
  const edit = (f: (v: Json) => Json) => onMode('benchmark', rewrite(f));
  return [
    fault(
      'benchmark',
      'not JSON',
      /^benchmark: output is not JSON$/,
      onMode('benchmark', 'Segmentation fault'),
    ),
    fault(
      'benchmark',
      'Infinity literal',
      /^benchmark: output is not JSON$/,
      onMode('benchmark', (h) => h.replace(/"t32":[^,}]+/, '"t32":Infinity')),
    ),
    fault(
      'benchmark',
      'overflowing number (1e400)',
      invalid,
      onMode('benchmark', (h) => h.replace(/"t32":[^,}]+/, '"t32":1e400')),
    ),
    fault(
      'benchmark',
      'num_gpus 0',
      /^benchmark reports 0 GPUs$/,
      edit((v) => ({ ...v, num_gpus: 0 })),
    ),
    fault(
      'benchmark',
      'num_gpus 17 (over maxGpus)',
      /^benchmark reports 17 GPUs$/,
      edit((v) => ({ ...v, num_gpus: 17 })),
    ),
    fault(
      'benchmark',
      'num_gpus 5000',
      invalid,
      edit((v) => ({ ...v, num_gpus: 5000 })),
    ),
    fault(
      'benchmark',
      'negative vram',
      invalid,
      edit((v) => ({ ...v, vram: -80 })),
    ),
    fault(
      'benchmark',
      'huge vram',
      invalid,
      edit((v) => ({ ...v, vram: 1e9 })),
    ),
    fault(
      'benchmark',
      'n16 zero',
      invalid,
      edit((v) => ({ ...v, n16: 0 })),
    ),
    fault(
      'benchmark',
      't16 zero',
      invalid,
      edit((v) => ({ ...v, t16: 0 })),
    ),
    fault(
      'benchmark',
      't32 negative',
      invalid,
      edit((v) => ({ ...v, t32: -0.001 })),
    ),
    fault(
      'benchmark',
      'numbers as strings',
      invalid,
      edit((v) => ({ ...v, t32: String(v.t32) })),
    ),
    fault(
      'benchmark',
      't32 missing',
      invalid,
      edit(({ t32: _t32, ...v }) => v),
    ),
    fault(
      'benchmark',
      'matmuls longer than the command',
      /^timing check failed: benchmark reports [\d.]+ s of matmuls/,
      edit((v) => ({
        ...v,
        t16: 50 * Number(v.t16) * 400,
        t32: 50 * Number(v.t32) * 400,
        n16: Number(v.n16) * 2,
        n32: Number(v.n32) * 2,
      })),
    ),
    fault(
      'benchmark',
      'matrix sizes beyond the VRAM at the same TFLOPS',
      /^timing check failed: benchmark reports [\d.]+ s of matmuls/,
      edit((v) => ({
        ...v,
        n16: 999_968,
        n32: 999_968,
        t16: Number(v.t16) * (999_968 / Number(v.n16)) ** 3,
        t32: Number(v.t32) * (999_968 / Number(v.n32)) ** 3,
      })),
    ),
    {
      name: 'answers after a 0.5 s delay (still valid)',
      area: 'benchmark',
      expect: 'valid',
      script: { commands: { benchmark: { delayMs: 500 } } },
    },
  ];
}

function computeCases(): HostileCase[] {
  const invalid = /^compute: invalid output/;
  const edit = (f: (v: Json) => unknown) => onMode('compute', rewrite(f));
  return [
    fault('compute', 'not JSON', /^compute: output is not JSON$/, onMode('compute', 'Killed')),
    fault(
      'compute',
      'protocol 1',
      invalid,
      edit((c) => ({ ...c, protocol: 1 })),
    ),
    fault(
      'compute',
      'no roots',
      /^compute: GPU 0 missing$/,
      edit((c) => ({ ...c, roots: [], timings: [] })),
    ),
    fault(
      'compute',
      'root for an unknown GPU',
      /^compute: unknown or repeated GPU in roots$/,
      edit((c) => ({ ...c, roots: [...(c.roots as unknown[]), [5, '0'.repeat(64)]] })),
    ),
    fault(
      'compute',
      'repeated GPU in roots',
      /^compute: unknown or repeated GPU in roots$/,
      edit((c) => ({ ...c, roots: [...(c.roots as unknown[]), ...(c.roots as unknown[])] })),
    ),
    fault(
      'compute',
      'uppercase root',
      invalid,
      edit((c) => ({ ...c, roots: (c.roots as [number, string][]).map(([g, r]) => [g, r.toUpperCase()]) })),
    ),
    fault(
      'compute',
      'short root',
      invalid,
      edit((c) => ({ ...c, roots: (c.roots as [number, string][]).map(([g, r]) => [g, r.slice(2)]) })),
    ),
    fault(
      'compute',
      'timings for a GPU without root',
      /^compute: timings do not match roots$/,
      edit((c) => ({ ...c, timings: [...(c.timings as [number, Timing][]), [3, timing0(c)]] })),
    ),
    fault(
      'compute',
      'repeated timings',
      /^compute: timings do not match roots$/,
      edit((c) => ({ ...c, timings: [...(c.timings as unknown[]), ...(c.timings as unknown[])] })),
    ),
    fault(
      'compute',
      'no timings',
      /^compute: GPU 0 missing$/,
      edit((c) => ({ ...c, timings: [] })),
    ),
    fault(
      'compute',
      'wrong n',
      /^compute: wrong matrix size$/,
      onMode(
        'compute',
        editTiming((t) => {
          t.n = Number(t.n) * 2;
        }),
      ),
    ),
    fault(
      'compute',
      'negative multiplication time',
      invalid,
      onMode(
        'compute',
        editTiming((t) => {
          t.multiplication_time = -1;
        }),
      ),
    ),
    fault(
      'compute',
      'multiplication time 1e9 s',
      /^timing check failed: GPU 0 multiplied for/,
      onMode(
        'compute',
        editTiming((t) => {
          t.multiplication_time = 1e9;
        }),
      ),
    ),
    fault(
      'compute',
      'no multiplication interval',
      /^timing check failed: GPU 0 reports no multiplication interval$/,
      onMode(
        'compute',
        editTiming((t) => {
          t.multiplication_start = undefined;
          t.multiplication_end = undefined;
        }),
      ),
    ),
    fault(
      'compute',
      'interval ends after the command',
      /^timing check failed: GPU 0 interval does not fit/,
      onMode(
        'compute',
        editTiming((t) => {
          t.multiplication_end = 1e6;
        }),
      ),
    ),
    fault(
      'compute',
      'interval starts before the command',
      /^timing check failed: GPU 0 interval does not fit/,
      onMode(
        'compute',
        editTiming((t) => {
          t.multiplication_start = -100;
        }),
      ),
    ),
    fault(
      'compute',
      'interval ends before it starts',
      /^timing check failed: GPU 0 (interval does not fit|multiplied for)/,
      onMode(
        'compute',
        editTiming((t) => {
          t.multiplication_end = Number(t.multiplication_start) - 0.5;
        }),
      ),
    ),
    fault(
      'compute',
      'answers past its deadline',
      /^timing check failed: compute (ran past its deadline|took)/,
      { commands: { compute: { delayMs: 14000 } } },
    ),
    fault(
      'compute',
      'wrong root (one hex digit)',
      /^verification failed: 0\/1 GPUs passed/,
      edit((c) => ({ ...c, roots: (c.roots as [number, string][]).map(([g, r]) => [g, flipHex(r)]) })),
    ),
  ];
}

function proofCases(): HostileCase[] {
  const failed = /^verification failed: 0\/1 GPUs passed \(.+\)$/;
  const on = (f: (rows: ProofRow[], p: Json) => void) => onMode('proof', editRows(f));
  return [
    fault(
      'proof',
      'not JSON',
      /^verification failed: 0\/1 GPUs passed \(proof: output is not JSON\)$/,
      onMode('proof', 'Traceback (most recent call last):'),
    ),
    fault(
      'proof',
      'empty',
      /^verification failed: 0\/1 GPUs passed \(proof: output is not JSON\)$/,
      onMode('proof', ''),
    ),
    fault(
      'proof',
      'wrong gpu field',
      failed,
      on((_r, p) => {
        p.gpu = 7;
      }),
    ),
    fault(
      'proof',
      'wrong n',
      failed,
      on((_r, p) => {
        p.n = Number(p.n) + 1;
      }),
    ),
    fault(
      'proof',
      'a row index changed',
      failed,
      on((r) => {
        if (r[0]) r[0].i = (r[0].i + 1) % 64;
      }),
    ),
    fault(
      'proof',
      'rows reversed',
      failed,
      on((r) => {
        r.reverse();
      }),
    ),
    fault(
      'proof',
      'one row missing',
      failed,
      on((r) => {
        r.pop();
      }),
    ),
    fault(
      'proof',
      'one row repeated',
      /^output over the size limit$/,
      on((r) => {
        if (r[0]) r.push(r[0]);
      }),
    ),
    fault(
      'proof',
      'truncated base64 row',
      failed,
      on((r) => {
        if (r[0]) r[0].row = r[0].row.slice(0, -8);
      }),
    ),
    fault(
      'proof',
      'row one float short',
      failed,
      on((r) => {
        if (r[0]) r[0].row = Buffer.from(r[0].row, 'base64').subarray(4).toString('base64');
      }),
    ),
    fault(
      'proof',
      'row with a changed value',
      failed,
      on((r) => {
        if (r[0]) r[0].row = flipByte(r[0].row, 3);
      }),
    ),
    fault(
      'proof',
      'row not base64',
      failed,
      on((r) => {
        if (r[0]) r[0].row = '!'.repeat(r[0].row.length);
      }),
    ),
    fault(
      'proof',
      'row as a number',
      /^verification failed: 0\/1 GPUs passed \(proof: invalid output/,
      on((r) => {
        if (r[0]) (r[0] as unknown as Json).row = 12;
      }),
    ),
    fault(
      'proof',
      'a path sibling changed',
      failed,
      on((r) => {
        if (r[0]?.proof[0]) r[0].proof[0] = flipHex(r[0].proof[0]);
      }),
    ),
    fault(
      'proof',
      'a path truncated',
      failed,
      on((r) => {
        r[0]?.proof.pop();
      }),
    ),
    fault(
      'proof',
      'a path extended',
      failed,
      on((r) => {
        r[0]?.proof.push('0'.repeat(64));
      }),
    ),
    fault(
      'proof',
      'empty paths',
      failed,
      on((r) => {
        for (const row of r) row.proof = [];
      }),
    ),
    fault(
      'proof',
      'paths of another row',
      failed,
      on((r) => {
        if (r[0] && r[1]) [r[0].proof, r[1].proof] = [r[1].proof, r[0].proof];
      }),
    ),
    fault(
      'proof',
      'rows of zeros',
      failed,
      on((r) => {
        for (const row of r) row.row = Buffer.alloc(Buffer.from(row.row, 'base64').length).toString('base64');
      }),
    ),
    fault(
      'proof',
      'NaN values in a row',
      failed,
      on((r) => {
        if (r[0]) {
          const b = Buffer.from(r[0].row, 'base64');
          b.writeFloatLE(Number.NaN, 0);
          r[0].row = b.toString('base64');
        }
      }),
    ),
  ];
}

function bundleCases(): HostileCase[] {
  const valid = () => Buffer.from(makeTestBundle().bytes);
  const headerEdit = (edit: (h: Json) => void) => () => {
    const bytes = valid();
    const len = bytes.readUInt32LE(4);
    const header = JSON.parse(bytes.toString('utf8', 8, 8 + len)) as Json;
    edit(header);
    const json = Buffer.from(JSON.stringify(header));
    const prefix = Buffer.alloc(8);
    prefix.write('POGB', 0, 'ascii');
    prefix.writeUInt32LE(json.length, 4);
    return Buffer.concat([prefix, json, bytes.subarray(8 + len)]);
  };
  const c = (name: string, reason: RegExp, bundle: () => Uint8Array): HostileCase => ({
    name,
    area: 'bundle',
    expect: 'fault',
    reason,
    bundle,
  });
  return [
    c('empty', /^bundle: bad magic$/, () => new Uint8Array(0)),
    c('wrong magic', /^bundle: bad magic$/, () => {
      const b = valid();
      b.write('GZIP', 0, 'ascii');
      return b;
    }),
    c('header length beyond the file', /^bundle: header length out of range$/, () => {
      const b = valid();
      b.writeUInt32LE(0xffffff, 4);
      return b;
    }),
    c('truncated data', /^bundle: data is \d+ bytes, header says \d+$/, () => valid().subarray(0, -5)),
    c('trailing bytes', /^bundle: data is \d+ bytes, header says \d+$/, () =>
      Buffer.concat([valid(), Buffer.alloc(4)]),
    ),
    c('header not JSON', /^bundle: header is not JSON$/, () => {
      const b = valid();
      b.write('{{', 8, 'utf8');
      return b;
    }),
    c(
      'version 2',
      /^bundle: invalid header: .*version/,
      headerEdit((h) => {
        h.version = 2;
      }),
    ),
    c(
      'seed with a leading zero',
      /^bundle: invalid header: .*seedA/,
      headerEdit((h) => {
        ((h.gpus as Json[])[0] as Json).seedA = '007';
      }),
    ),
    c(
      'uppercase root',
      /^bundle: invalid header: .*root/,
      headerEdit((h) => {
        ((h.gpus as Json[])[0] as Json).root = 'A'.repeat(64);
      }),
    ),
    c(
      'n over the limit',
      /^bundle: invalid header: .*n/,
      headerEdit((h) => {
        h.n = 1e9;
      }),
    ),
    c('over the size limit', /^bundle: \d+ bytes exceeds \d+$/, () => Buffer.alloc(48 * MB + 1)),
  ];
}

export function hostileCases(): HostileCase[] {
  const honest: HostileCase[] = [
    { name: 'honest miner (baseline)', area: 'compute', expect: 'valid', script: {} },
    {
      name: 'honest 2-GPU miner',
      area: 'compute',
      expect: 'valid',
      script: { gpu: { name: 'NVIDIA L4', count: 2 } },
    },
  ];
  return [
    ...honest,
    ...axonCases(),
    ...sshCases(),
    ...gpuInfoCases(),
    ...benchmarkCases(),
    ...computeCases(),
    ...proofCases(),
    ...bundleCases(),
  ];
}

/** How one case ended. */
export interface CaseOutcome {
  readonly name: string;
  readonly kind: 'passed' | 'miner-fault' | 'crash';
  readonly reason: string;
  readonly wallMs: number;
  readonly deadlineMs: number;
  readonly modes: readonly string[];
}

function findPython(): string {
  for (const candidate of ['python3', '/usr/bin/python3']) {
    try {
      return execFileSync(candidate, ['-c', 'import sys, numpy; print(sys.executable)'], {
        encoding: 'utf8',
      }).trim();
    } catch {
      // try the next one
    }
  }
  throw new Error('no python3 with numpy for the hostile miner');
}

/** Runs every case with bounded concurrency; a case's crash is recorded, never thrown. */
export async function runHostileCases(
  cases: readonly HostileCase[],
  concurrency = 4,
): Promise<CaseOutcome[]> {
  await cryptoWaitReady();
  const world: HostileWorld = await startHostileWorld(findPython());
  const runner = createPogRunner({
    performance: DEFAULT_PERFORMANCE_CONFIG,
    hotkeySecret: '//Alice',
    allowPrivateAddresses: true,
    matrixSize: 64,
    engine: { ...SUITE_ENGINE, remoteBaseDir: world.workDir },
  });
  const one = async (c: HostileCase): Promise<CaseOutcome> => {
    const started = performance.now();
    const wall = () => Math.round(performance.now() - started);
    if (c.bundle) {
      try {
        const bytes = c.bundle();
        const t0 = performance.now();
        decodeBundle(bytes);
        return {
          name: c.name,
          kind: 'passed',
          reason: '',
          wallMs: Math.round(performance.now() - t0),
          deadlineMs: BUNDLE_DEADLINE_MS,
          modes: [],
        };
      } catch (error) {
        const kind = error instanceof ValidationError ? 'miner-fault' : 'crash';
        return {
          name: c.name,
          kind,
          reason: (error as Error).message,
          wallMs: wall(),
          deadlineMs: BUNDLE_DEADLINE_MS,
          modes: [],
        };
      }
    }
    const miner = await world.start(c.script ?? {});
    // the attempt's deadline, then at most its clean-up (the deallocation it waits for)
    const deadlineMs =
      (SUITE_ENGINE.attemptTimeoutS + sessionCleanupS(parsePogEngineConfig(SUITE_ENGINE))) * 1000;
    const t0 = performance.now();
    try {
      const result = await runner.attempt({
        netuid: 27,
        roundId: 'r-hostile',
        uid: 1,
        hotkey: '5HostileMinerHotkey',
        axon: { ip: '127.0.0.1', port: miner.port, version: 1 },
      } as Parameters<typeof runner.attempt>[0]);
      const wallMs = Math.round(performance.now() - t0);
      return {
        name: c.name,
        kind: result.kind,
        reason: result.kind === 'miner-fault' ? result.reason : '',
        wallMs,
        deadlineMs,
        modes: [...miner.modes],
      };
    } catch (error) {
      return {
        name: c.name,
        kind: 'crash',
        reason: String((error as Error)?.message ?? error),
        wallMs: Math.round(performance.now() - t0),
        deadlineMs,
        modes: [...miner.modes],
      };
    } finally {
      await miner.close();
    }
  };
  try {
    return await mapLimit(cases, concurrency, one);
  } finally {
    await world.stop();
  }
}

/** Whether an outcome is what its case expects (kind, reason, deadline). */
export function caseHolds(c: HostileCase, o: CaseOutcome): boolean {
  const within = o.wallMs <= o.deadlineMs + DEADLINE_MARGIN_MS;
  if (c.expect === 'valid') return o.kind === 'passed' && within;
  return o.kind === 'miner-fault' && (c.reason?.test(o.reason) ?? false) && within;
}
