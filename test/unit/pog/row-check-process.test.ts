import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { RowCheckError, runRowCheck } from '../../../lib/pog/row-check.js';
import { type RowCheckProcessOptions, startRowChecker } from '../../../lib/pog/row-check-process.js';
import { bundleBytes, bundleDir, payloadRows, ROW_CHECK_PATH } from '../../helpers/bundle-file.js';
import { hasCudaTorch } from '../../helpers/python.js';

const files = bundleDir();
afterAll(() => files.cleanup());

const SEED_A = 0x0bad_cafe_0000_0011n;
const SEED_B = 0x7777_1234_5678_9999n;

/** A bundle file of one GPU at size n; `wrong` values of its first row are pushed far out of tolerance. */
function bundleFile(name: string, n: number, wrong = 0): string {
  const rows = [0, Math.floor(n / 2), n - 1];
  const values = payloadRows(n, SEED_A, SEED_B, rows, 'float32');
  for (let j = 0; j < wrong; j++) (values[0] as Float32Array)[j] = 1e6;
  return files.write(name, bundleBytes(n, [{ gpu: 0, seedA: SEED_A, seedB: SEED_B, rows, values }]));
}

/**
 * A misbehaving `--serve` peer run by the real python3: what it does depends on the bundle path it is
 * asked about, so each protocol fault can be triggered on demand; otherwise it answers with a valid
 * empty report whose deviceName carries its pid (to tell a restarted process from the old one).
 */
const STUB = files.write(
  'stub_serve.py',
  Buffer.from(`
import json, os, sys, time
while True:
    raw = sys.stdin.readline()
    if not raw:
        sys.exit(0)
    req = json.loads(raw)
    path = req['bundle']
    report = {'device': 'cpu', 'deviceName': 'stub %d' % os.getpid(), 'seconds': 0, 'entriesChecked': 0, 'gpus': []}
    if 'hang' in path:
        time.sleep(600)
    if 'die' in path:
        sys.stderr.write('stub: dying on purpose\\n')
        sys.stderr.flush()
        os._exit(3)
    if 'garbage' in path:
        out = 'not json at all'
    elif 'long' in path:
        out = 'x' * 100000
    elif 'wrong-id' in path:
        out = json.dumps({'id': req['id'] + 1, 'ok': True, 'report': report})
    elif 'bad-report' in path:
        out = json.dumps({'id': req['id'], 'ok': True, 'report': {'device': 'cpu'}})
    elif 'unsolicited' in path:
        out = json.dumps({'id': req['id'], 'ok': True, 'report': report}) + '\\n{"id": 999}'
    else:
        out = json.dumps({'id': req['id'], 'ok': True, 'report': report})
    sys.stdout.write(out + '\\n')
    sys.stdout.flush()
`),
);

const stubOptions = (extra: Partial<RowCheckProcessOptions> = {}): RowCheckProcessOptions => ({
  python: 'python3',
  script: STUB,
  device: 'cpu',
  timeoutMs: 10_000,
  ...extra,
});

async function failure(run: Promise<unknown>): Promise<RowCheckError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof RowCheckError)) throw new Error(`expected a RowCheckError, got ${String(error)}`);
  return error;
}

const alive = (pid: number | undefined) => {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitGone(pid: number | undefined): Promise<boolean> {
  for (let t = 0; t < 100 && alive(pid); t++) await new Promise((r) => setTimeout(r, 20));
  return !alive(pid);
}

describe('RowCheckProcess with the real row_check.py --serve (CPU path)', () => {
  it('speaks the --serve contract: one answer line per request line, in order, exit 0 at the end of stdin', () => {
    // Prepare
    const good = bundleFile('serve-good.pogb', 32);
    const invalid = files.write('serve-invalid.pogb', Buffer.from('POGX0000'));
    const input = [
      JSON.stringify({ id: 7, bundle: good }),
      'not a request',
      '',
      JSON.stringify({ id: 8, bundle: `${files.dir}/missing.pogb` }),
      JSON.stringify({ id: 9, bundle: invalid }),
    ].join('\n');
    // Act
    const run = spawnSync('python3', [ROW_CHECK_PATH, '--serve', '--device', 'cpu'], {
      input,
      encoding: 'utf8',
    });
    // Assess
    expect(run.status).toBe(0);
    const answers = run.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(answers).toEqual([
      { id: 7, ok: true, report: expect.objectContaining({ device: 'cpu', entriesChecked: 3 * 32 }) },
      { id: null, ok: false, kind: 'error', error: 'request is not {"id": int, "bundle": str}' },
      { id: 8, ok: false, kind: 'error', error: 'cannot open bundle: No such file or directory' },
      { id: 9, ok: false, kind: 'invalid-bundle', error: 'not a proof bundle (bad magic)' },
    ]);
  });

  it('checks several bundles in one process, with the one-shot CLI’s verdicts', async () => {
    // Prepare
    const honest = bundleFile('honest.pogb', 96);
    const cheat = bundleFile('cheat.pogb', 64, 5);
    const invalid = files.write('invalid.pogb', Buffer.from('POGB'));
    const options = { python: 'python3', device: 'cpu', timeoutMs: 60_000 } as const;
    const checker = startRowChecker(options);
    try {
      const pid = checker.pid;
      // Act
      const first = await checker.check(honest);
      const second = await checker.check(cheat);
      const rejected = await failure(checker.check(invalid));
      const again = await checker.check(honest);
      const oneShot = await runRowCheck(cheat, options);
      // Assess
      expect(first).toMatchObject({ device: 'cpu', entriesChecked: 3 * 96 });
      expect(first.gpus[0]).toMatchObject({ rowsChecked: 3, wrongValues: 0 });
      expect(second.gpus[0]).toMatchObject({ wrongValues: 5, wrongRows: 1, firstWrong: { row: 0, col: 0 } });
      expect(second.gpus).toEqual(oneShot.gpus);
      expect(rejected.kind).toBe('invalid-bundle');
      expect(rejected.message).toMatch(/^bundle rejected by row check: truncated/);
      expect(again.gpus).toEqual(first.gpus);
      expect(checker.started).toBe(1);
      expect(checker.pid).toBe(pid);
    } finally {
      await checker.close();
    }
  }, 60_000);

  it('fails the bundle in hand when the process is killed mid-request, and checks the next in a new one', async () => {
    // Prepare
    const bundle = bundleFile('after-kill.pogb', 64);
    const checker = startRowChecker({ python: 'python3', device: 'cpu', timeoutMs: 60_000 });
    try {
      const first = checker.pid;
      // Act: the request is written before any I/O event, so the kill lands while it is in hand
      const killed = failure(checker.check(bundle));
      process.kill(first as number, 'SIGKILL');
      const error = await killed;
      const next = await checker.check(bundle);
      // Assess
      expect(error.kind).toBe('crashed');
      expect(error.message).toBe('row checker died mid-request (signal SIGKILL)');
      expect(next.gpus[0]).toMatchObject({ rowsChecked: 3, wrongValues: 0 });
      expect(checker.started).toBe(2);
      expect(checker.pid).not.toBe(first);
    } finally {
      await checker.close();
    }
  }, 60_000);

  it.skipIf(hasCudaTorch())(
    'names the reason when the device cannot be used (--device cuda without CUDA)',
    async () => {
      // Prepare
      const bundle = bundleFile('cuda.pogb', 32);
      const checker = startRowChecker({ python: 'python3', device: 'cuda', timeoutMs: 60_000 });
      try {
        // Act
        const error = await failure(checker.check(bundle));
        // Assess
        expect(error.kind).toBe('crashed');
        expect(error.message).toMatch(
          /^row checker died mid-request \(code 1\): row_check: --device cuda: torch/,
        );
      } finally {
        await checker.close();
      }
    },
    60_000,
  );

  it('closes by ending stdin: the process exits, later checks are refused, a second close is harmless', async () => {
    // Prepare
    const checker = startRowChecker({ python: 'python3', device: 'cpu', timeoutMs: 60_000 });
    const pid = checker.pid;
    // Act
    await checker.close();
    await checker.close();
    const refused = await failure(checker.check(bundleFile('closed.pogb', 32)));
    // Assess
    expect(alive(pid)).toBe(false);
    expect(refused).toMatchObject({ message: 'row checker is closed', kind: 'closed' });
  });
});

describe('RowCheckProcess protocol faults (a scripted peer on the real python3)', () => {
  it('times a request out: that bundle fails with the deadline, the process is killed and replaced', async () => {
    // Prepare
    const checker = startRowChecker(stubOptions({ timeoutMs: 700 }));
    try {
      const first = checker.pid;
      // Act
      const started = Date.now();
      const error = await failure(checker.check('/x/hang.pogb'));
      const waited = Date.now() - started;
      const next = await checker.check('/x/ok.pogb');
      // Assess
      expect(error.kind).toBe('timeout');
      expect(error.message).toBe('row check ran past 700 ms; the checker was killed and restarted');
      expect(waited).toBeGreaterThanOrEqual(690);
      expect(await waitGone(first)).toBe(true);
      expect(next.deviceName).toBe(`stub ${checker.pid}`);
      expect(checker.started).toBe(2);
    } finally {
      await checker.close();
    }
  });

  it('reports a death mid-request with its exit code and last stderr line, then serves the next bundle', async () => {
    // Prepare
    const checker = startRowChecker(stubOptions());
    try {
      // Act
      const error = await failure(checker.check('/x/die.pogb'));
      const next = await checker.check('/x/ok.pogb');
      // Assess
      expect(error.kind).toBe('crashed');
      expect(error.message).toBe('row checker died mid-request (code 3): stub: dying on purpose');
      expect(next.deviceName).toBe(`stub ${checker.pid}`);
      expect(checker.started).toBe(2);
    } finally {
      await checker.close();
    }
  });

  it.each([
    ['a line that is not JSON', '/x/garbage.pogb', 'row check output is not JSON'],
    [
      'the answer to another request',
      '/x/wrong-id.pogb',
      'row check output is not the response to the request',
    ],
    ['a line over the size bound', '/x/long.pogb', 'row check output line longer than 10000 characters'],
  ])(
    'treats %s as a broken stream: the bundle fails and the process is replaced',
    async (_, path, message) => {
      // Prepare
      const checker = startRowChecker(stubOptions({ maxOutputChars: 10_000 }));
      try {
        const first = checker.pid;
        // Act
        const error = await failure(checker.check(path));
        const next = await checker.check('/x/ok.pogb');
        // Assess
        expect(error).toMatchObject({ kind: 'crashed', message });
        expect(await waitGone(first)).toBe(true);
        expect(next.deviceName).toBe(`stub ${checker.pid}`);
        expect(checker.started).toBe(2);
      } finally {
        await checker.close();
      }
    },
  );

  it('rejects a well-framed answer whose report breaks the schema, keeping the process', async () => {
    // Prepare
    const checker = startRowChecker(stubOptions());
    try {
      const pid = checker.pid;
      // Act
      const error = await failure(checker.check('/x/bad-report.pogb'));
      const next = await checker.check('/x/ok.pogb');
      // Assess
      expect(error.kind).toBe('crashed');
      expect(error.message).toMatch(/^row check output invalid: /);
      expect(next.deviceName).toBe(`stub ${pid}`);
      expect(checker.started).toBe(1);
    } finally {
      await checker.close();
    }
  });

  it('replaces a process that writes a line nobody asked for', async () => {
    // Prepare
    const checker = startRowChecker(stubOptions());
    try {
      const first = checker.pid;
      // Act
      const answered = await checker.check('/x/unsolicited.pogb');
      const gone = await waitGone(first);
      const next = await checker.check('/x/ok.pogb');
      // Assess
      expect(answered.deviceName).toBe(`stub ${first}`);
      expect(gone).toBe(true);
      expect(next.deviceName).not.toBe(`stub ${first}`);
    } finally {
      await checker.close();
    }
  });

  it('runs concurrent checks one at a time, each with its own answer', async () => {
    // Prepare
    const checker = startRowChecker(stubOptions());
    try {
      // Act
      const results = await Promise.allSettled([
        checker.check('/x/ok-1.pogb'),
        checker.check('/x/die.pogb'),
        checker.check('/x/ok-2.pogb'),
      ]);
      // Assess
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(checker.started).toBe(2);
    } finally {
      await checker.close();
    }
  });

  it('kills a process that does not leave within the grace period after close, failing the bundle in hand', async () => {
    // Prepare
    const checker = startRowChecker(stubOptions({ closeGraceMs: 200 }));
    const pid = checker.pid;
    const inHand = failure(checker.check('/x/hang.pogb'));
    await new Promise((r) => setTimeout(r, 300));
    // Act
    await checker.close();
    // Assess
    expect(await inHand).toMatchObject({ message: 'row checker closed mid-request', kind: 'closed' });
    expect(await waitGone(pid)).toBe(true);
  });

  it('says the checker did not start when the interpreter is missing', async () => {
    // Prepare
    const checker = startRowChecker(stubOptions({ python: '/nonexistent/python3' }));
    try {
      // Act
      const error = await failure(checker.check('/x/ok.pogb'));
      // Assess
      expect(error.kind).toBe('crashed');
      expect(error.message).toMatch(/^row check did not start: spawn \/nonexistent\/python3 ENOENT/);
    } finally {
      await checker.close();
    }
  });
});
