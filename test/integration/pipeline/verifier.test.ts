import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bundleHandler } from '../../../infra/bundling.js';
import { drainVerificationQueue, type RowCheckMode, VerifierLog } from '../../../lib/pipeline/verifier.js';
import { bundleDigest, bundleKey } from '../../../lib/pog/bundle.js';
import { startRowChecker } from '../../../lib/pog/row-check-process.js';
import { PAYLOAD_PROTOCOL } from '../../../lib/pog/verify.js';
import { queueDepth } from '../../../lib/queue/depth.js';
import { createSqsVerificationQueue } from '../../../lib/queue/verification.js';
import { createS3BundleSource } from '../../../lib/store/bundles.js';
import { CoordinationStore, verifierClaimKey } from '../../../lib/store/coordination.js';
import { finalResultsOf } from '../../../lib/store/final-results.js';
import { PogResultStore } from '../../../lib/store/index.js';
import { PogOutcomeStore } from '../../../lib/store/pog-results.js';
import { lowPrecision, makeTestBundle, oneWrongEntryPerRow } from '../../helpers/bundles.js';
import { logTo } from '../../helpers/log.js';
import { clients, makeTables, makeVerificationQueues, uniquePrefix } from './fixtures.js';

/** python3 running the given script with every stdin line delivered 0.5 s late. */
const SLOW_PYTHON = `#!/bin/sh
exec python3 -c '
import runpy, sys, time
class Late:
    def __init__(self, f):
        self.f = f
    def readline(self):
        line = self.f.readline()
        if line:
            time.sleep(0.5)
        return line
sys.stdin = Late(sys.stdin)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
' "$@"
`;

/**
 * Bundles in S3 → verification queue → verifier → result rows, on moto with the real row checker
 * (numpy on the CPU here; one `--serve` process for the whole suite, as the job keeps one per run):
 * honest bundles pass, the cheats fail naming why, poison ends as a failure row plus a DLQ message, and a
 * verifier process killed mid-queue loses nothing.
 */
describe('verifier on the emulator', () => {
  const endpoint = inject('motoEndpoint');
  const c = clients(endpoint);
  const s3 = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  let prefix: string;
  let tables: Awaited<ReturnType<typeof makeTables>>;
  let bucket: string;
  let results: PogResultStore;
  const checker = startRowChecker({ python: 'python3', device: 'cpu', timeoutMs: 60_000 });
  afterAll(() => checker.close());

  beforeAll(async () => {
    prefix = uniquePrefix('ver');
    tables = await makeTables(c.ddb, prefix);
    bucket = prefix.toLowerCase();
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    results = new PogResultStore(c.doc, tables.pogResults);
  });

  /** A verification queue and DLQ with a short visibility timeout, so a redelivery takes seconds. */
  function makeQueue(name: string, visibilitySeconds = 2) {
    return makeVerificationQueues(c.sqs, `${prefix}-${name}`, visibilitySeconds);
  }

  async function enqueue(queueUrl: string, bundle: ReturnType<typeof makeTestBundle>) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: bundle.key, Body: bundle.bytes }));
    await c.sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(bundle.message) }),
    );
  }

  function deps(urls: { queueUrl: string; dlqUrl: string }, mode: RowCheckMode) {
    const logs: { message: string; fields: Record<string, unknown> }[] = [];
    const doc = c.doc;
    return {
      logs,
      deps: {
        queue: createSqsVerificationQueue(c.sqs, urls),
        bundles: createS3BundleSource(s3, bucket),
        rowCheck: (file: string) => checker.check(file),
        results: finalResultsOf(new PogOutcomeStore(doc, tables, 27)),
        mode,
        log: logTo((_, message, fields) => logs.push({ message, fields })),
      },
    };
  }

  const drain = { batchSize: 5, waitSeconds: 1, emptyPolls: 2 };

  /** Messages waiting or in flight (not delayed), by the stack's own reader. */
  async function visible(url: string): Promise<number> {
    const depth = await queueDepth(c.sqs, url);
    return depth.waiting + depth.inFlight;
  }

  /** The shipped verifier process's variables on the emulator, in enforce mode on the CPU, plus `extra`. */
  function verifierEnv(
    urls: { queueUrl: string; dlqUrl: string },
    extra: Record<string, string>,
  ): Record<string, string> {
    return {
      PATH: process.env.PATH ?? '',
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      TABLE_POG_RESULTS: tables.pogResults,
      TABLE_COORDINATION: tables.coordination,
      BUNDLE_BUCKET: bucket,
      VERIFICATION_QUEUE_URL: urls.queueUrl,
      VERIFICATION_DLQ_URL: urls.dlqUrl,
      ROW_CHECK: 'enforce',
      ROW_CHECK_DEVICE: 'cpu',
      ...extra,
    };
  }

  /** Messages a receive would get now (not those in flight). */
  async function visibleNow(url: string): Promise<number> {
    return (await queueDepth(c.sqs, url)).waiting;
  }

  /** Starts the shipped verifier bundle in `dir`; its exit code, and its JSON log lines once it exited. */
  function startShipped(dir: string, env: Record<string, string>) {
    const job = spawn(process.execPath, [join(dir, 'verifier.mjs')], { env, stdio: 'pipe' });
    // Powertools writes ERROR lines to stderr
    let out = '';
    const keep = (chunk: Buffer) => {
      out += chunk.toString('utf8');
    };
    job.stdout?.on('data', keep);
    job.stderr?.on('data', keep);
    const exited = new Promise((resolve) => job.on('exit', resolve));
    const lines = () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    return { exited, lines };
  }

  it('passes honest bundles and fails the cheats with a reason naming the GPU, the rows and the values', async () => {
    // Prepare
    const urls = await makeQueue('enforce');
    const honest = makeTestBundle({ hotkey: '5Honest', gpus: 2 });
    const oneWrong = makeTestBundle({ hotkey: '5OneWrong', cheat: oneWrongEntryPerRow });
    const low = makeTestBundle({ hotkey: '5LowPrecision', cheat: lowPrecision });
    for (const b of [honest, oneWrong, low]) await enqueue(urls.queueUrl, b);
    const { deps: d } = deps(urls, 'enforce');
    // Act
    const summary = await drainVerificationQueue(d, drain);
    // Assess
    expect(summary).toMatchObject({ processed: 3, recorded: 3, poison: 0, retried: 0 });
    expect(await results.rows('5Honest')).toMatchObject([{ gpuName: 'NVIDIA H100 80GB HBM3', numGpus: 2 }]);
    const [wrong] = await results.rows('5OneWrong');
    expect(wrong).toMatchObject({ gpuName: null, numGpus: null });
    expect(wrong?.error).toMatch(
      /^row check failed: 0\/1 GPUs passed \(GPU 0 \(NVIDIA H100 80GB HBM3\): 3 of 96 values wrong in 3 of 3 rows/,
    );
    const [lowRow] = await results.rows('5LowPrecision');
    expect(lowRow?.error).toMatch(/row check failed: .*values wrong .*max relative error [0-9.]+e-\d/);
    expect(await visible(urls.queueUrl)).toBe(0);
  });

  it('in report mode logs the discrepancy and lets the sampled verdict stand', async () => {
    // Prepare
    const urls = await makeQueue('report');
    const cheat = makeTestBundle({ hotkey: '5ReportCheat', cheat: oneWrongEntryPerRow });
    await enqueue(urls.queueUrl, cheat);
    const { deps: d, logs } = deps(urls, 'report');
    // Act
    await drainVerificationQueue(d, drain);
    // Assess
    expect(await results.rows('5ReportCheat')).toMatchObject([
      { gpuName: 'NVIDIA H100 80GB HBM3', numGpus: 1 },
    ]);
    const discrepancy = logs.find((l) => l.message === VerifierLog.Discrepancy);
    expect(discrepancy?.fields).toMatchObject({ mode: 'report', hotkey: '5ReportCheat', gpusFailed: 1 });
    expect(String(discrepancy?.fields.reason)).toContain('3 of 96 values wrong');
  });

  it('lets the sampled verdict stand, in enforce mode too, for a bundle from another payload protocol', async () => {
    // Prepare: wrong rows under this checker's generator, written before a deploy changed the protocol
    const urls = await makeQueue('protocol');
    const older = makeTestBundle({ hotkey: '5Protocol3', cheat: oneWrongEntryPerRow, protocol: 3 });
    const unrecorded = makeTestBundle({ hotkey: '5Unrecorded', cheat: oneWrongEntryPerRow, protocol: null });
    const sampledFailed = makeTestBundle({
      hotkey: '5SampledFailed',
      protocol: 3,
      sampled: { passed: false, gpusPassed: 0, reason: 'wrong entry of C' },
    });
    const current = makeTestBundle({ hotkey: '5Current', cheat: oneWrongEntryPerRow });
    for (const b of [older, unrecorded, sampledFailed, current]) await enqueue(urls.queueUrl, b);
    const { deps: d, logs } = deps(urls, 'enforce');
    // Act
    const summary = await drainVerificationQueue(d, drain);
    // Assess
    expect(summary).toMatchObject({ processed: 4, recorded: 4, poison: 0 });
    expect(await results.rows('5Protocol3')).toMatchObject([
      { gpuName: 'NVIDIA H100 80GB HBM3', numGpus: 1 },
    ]);
    expect(await results.rows('5Unrecorded')).toMatchObject([{ gpuName: 'NVIDIA H100 80GB HBM3' }]);
    expect((await results.rows('5SampledFailed'))[0]).toMatchObject({
      gpuName: null,
      error: 'wrong entry of C',
    });
    expect((await results.rows('5Current'))[0]?.error).toMatch(/^row check failed: 0\/1 GPUs passed/);
    const skipped = logs.filter((l) =>
      String(l.fields.reason).startsWith('row check did not run: bundle from'),
    );
    expect(skipped.map((l) => [l.fields.hotkey, l.fields.reason])).toEqual([
      [
        '5Protocol3',
        `row check did not run: bundle from payload protocol 3, this checker's is ${PAYLOAD_PROTOCOL}`,
      ],
      [
        '5Unrecorded',
        `row check did not run: bundle from payload protocol 3 or earlier (unrecorded), this checker's is ${PAYLOAD_PROTOCOL}`,
      ],
      [
        '5SampledFailed',
        `row check did not run: bundle from payload protocol 3, this checker's is ${PAYLOAD_PROTOCOL}`,
      ],
    ]);
  });

  it('records a delivered-twice bundle once', async () => {
    // Prepare
    const urls = await makeQueue('twice');
    const bundle = makeTestBundle({ hotkey: '5Twice' });
    await enqueue(urls.queueUrl, bundle);
    await c.sqs.send(
      new SendMessageCommand({ QueueUrl: urls.queueUrl, MessageBody: JSON.stringify(bundle.message) }),
    );
    const { deps: d } = deps(urls, 'enforce');
    // Act
    const summary = await drainVerificationQueue(d, drain);
    // Assess
    expect(summary).toMatchObject({ recorded: 1, duplicates: 1 });
    expect(await results.rows('5Twice')).toHaveLength(1);
  });

  it('turns poison into a failure row plus a DLQ message, and an unreadable message into a DLQ message', async () => {
    // Prepare
    const urls = await makeQueue('poison');
    const junk = Buffer.from('not a bundle at all');
    const junkKey = bundleKey('27-1000', '5Junk', 1);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: junkKey, Body: junk }));
    const base = makeTestBundle({ hotkey: '5Junk' }).message;
    const messages = [
      { ...base, bundleBytes: junk.length, bundleSha256: bundleDigest(junk) },
      { ...base, hotkey: '5Missing', bundleKey: bundleKey('27-1000', '5Missing', 1) },
    ];
    for (const m of messages) {
      await c.sqs.send(new SendMessageCommand({ QueueUrl: urls.queueUrl, MessageBody: JSON.stringify(m) }));
    }
    await c.sqs.send(new SendMessageCommand({ QueueUrl: urls.queueUrl, MessageBody: '{"hotkey": 5}' }));
    const { deps: d } = deps(urls, 'enforce');
    // Act
    const summary = await drainVerificationQueue(d, drain);
    // Assess
    expect(summary).toMatchObject({ processed: 3, poison: 3, recorded: 0 });
    expect((await results.rows('5Junk'))[0]?.error).toBe('invalid proof bundle: bundle: bad magic');
    expect((await results.rows('5Missing'))[0]?.error).toMatch(
      /invalid proof bundle: bundle .* does not exist/,
    );
    const dead = await c.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: urls.dlqUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
      }),
    );
    expect(dead.Messages).toHaveLength(3);
    expect(await visible(urls.queueUrl)).toBe(0);
  });

  it('loses nothing when the shipped verifier process is killed mid-queue', async () => {
    // Prepare: the esbuild entry as the image runs it, three bundles, SIGKILL after the first row. The job
    // keeps one checker process, so a small bundle takes milliseconds: its interpreter (PYTHON) waits
    // 0.5 s before each request, so that the kill lands with bundles still in the queue
    const dir = mkdtempSync(join(tmpdir(), 'verifier-'));
    await bundleHandler('verifier', dir, { sdkExternal: false });
    const slowPython = join(dir, 'slow-python');
    writeFileSync(slowPython, SLOW_PYTHON, { mode: 0o755 });
    const urls = await makeQueue('kill', 2);
    const hotkeys = ['5KillA', '5KillB', '5KillC'];
    for (const hotkey of hotkeys) await enqueue(urls.queueUrl, makeTestBundle({ hotkey, n: 96 }));
    const env = verifierEnv(urls, {
      PYTHON: slowPython,
      VERIFIER_BATCH_SIZE: '3',
      VERIFIER_WAIT_SECONDS: '1',
      VERIFIER_EMPTY_POLLS: '2',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
    const run = (): ChildProcess =>
      spawn(process.execPath, [join(dir, 'verifier.mjs')], { env, stdio: 'pipe' });
    const rowsOf = async () => (await Promise.all(hotkeys.map((h) => results.rows(h)))).map((r) => r.length);
    // Act
    const first = run();
    const exited = new Promise((resolve) => first.on('exit', resolve));
    for (let t = 0; t < 300 && (await rowsOf()).every((n) => n === 0); t++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    first.kill('SIGKILL');
    await exited;
    const afterKill = await rowsOf();
    // the killed process's messages come back when their visibility ends: the next job starts then,
    // so its empty polls cannot run out before they return
    const outstanding = 3 - afterKill.reduce((a, b) => a + b, 0);
    for (let t = 0; t < 100 && (await visibleNow(urls.queueUrl)) < outstanding; t++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const second = run();
    const code = await new Promise((resolve) => second.on('exit', resolve));
    // Assess
    expect(afterKill.reduce((a, b) => a + b, 0)).toBeLessThan(3);
    expect(code).toBe(0);
    expect(await rowsOf()).toEqual([1, 1, 1]);
    for (const h of hotkeys) expect((await results.rows(h))[0]?.gpuName).toBe('NVIDIA H100 80GB HBM3');
  });

  it('as shipped, leaves its bundles queued and exits 1 when its checker fails the self-test; a sound job then verifies them', async () => {
    // Prepare: an interpreter that dies at once (a host whose GPU is gone), then a sound one
    const dir = mkdtempSync(join(tmpdir(), 'verifier-fault-'));
    await bundleHandler('verifier', dir, { sdkExternal: false });
    const urls = await makeQueue('fault', 2);
    const hotkeys = ['5FaultA', '5FaultB'];
    for (const hotkey of hotkeys) await enqueue(urls.queueUrl, makeTestBundle({ hotkey, n: 96 }));
    const run = async (python: string) => {
      const env = verifierEnv(urls, {
        PYTHON: python,
        VERIFIER_BATCH_SIZE: '5',
        VERIFIER_WAIT_SECONDS: '1',
        VERIFIER_EMPTY_POLLS: '2',
        POWERTOOLS_LOG_LEVEL: 'INFO',
      });
      const job = startShipped(dir, env);
      return { code: await job.exited, lines: job.lines() };
    };
    const rowsOf = async () => (await Promise.all(hotkeys.map((h) => results.rows(h)))).map((r) => r.length);
    // Act
    const broken = await run('false');
    const rowsAfterBroken = await rowsOf();
    for (let t = 0; t < 100 && (await visibleNow(urls.queueUrl)) < 2; t++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const sound = await run('python3');
    // Assess
    expect(broken.code).toBe(1);
    expect(rowsAfterBroken).toEqual([0, 0]);
    expect(broken.lines.find((l) => l.message === VerifierLog.CheckerFault)).toMatchObject({
      level: 'ERROR',
      reason: expect.stringMatching(/^row checker failed its self-test after: row checker died mid-request/),
    });
    expect(await visible(urls.dlqUrl)).toBe(0);
    expect(sound.code).toBe(0);
    expect(await rowsOf()).toEqual([1, 1]);
    for (const h of hotkeys) expect((await results.rows(h))[0]?.gpuName).toBe('NVIDIA H100 80GB HBM3');
  }, 120_000);

  it("drops its round's claim when it has drained, so the round's next hand-over starts a new job", async () => {
    // Prepare: the round's claim as the worker leaves it (completed with this job's id), one bundle
    const dir = mkdtempSync(join(tmpdir(), 'verifier-claim-'));
    await bundleHandler('verifier', dir, { sdkExternal: false });
    const urls = await makeQueue('claim', 30);
    await enqueue(urls.queueUrl, makeTestBundle({ hotkey: '5Claim', n: 96 }));
    const coordination = new CoordinationStore(c.doc, tables.coordination);
    const key = verifierClaimKey('r-claim');
    await coordination.claim(key, 3600, 120);
    await coordination.complete(key, 'job-claim-1');
    const env = verifierEnv(urls, {
      VERIFIER_BATCH_SIZE: '5',
      VERIFIER_WAIT_SECONDS: '0',
      VERIFIER_EMPTY_POLLS: '1',
      VERIFIER_ROUND_ID: 'r-claim',
      AWS_BATCH_JOB_ID: 'job-claim-1',
    });
    // Act
    const job = spawn(process.execPath, [join(dir, 'verifier.mjs')], { env, stdio: 'pipe' });
    const code = await new Promise((resolve) => job.on('exit', resolve));
    const afterExit = await coordination.claimRef(key);
    const next = await coordination.claim(key, 3600, 120);
    // Assess
    expect(code).toBe(0);
    expect((await results.rows('5Claim')).map((r) => r.gpuName)).toEqual(['NVIDIA H100 80GB HBM3']);
    expect(afterExit).toBeNull();
    expect(next).toBe('claimed');
  }, 120_000);

  it("as shipped, waits for a late bundle while its round's sessions may run, and ends at once after its round's window", async () => {
    // Prepare: a challenge queue holding one delayed session
    const dir = mkdtempSync(join(tmpdir(), 'verifier-linger-'));
    await bundleHandler('verifier', dir, { sdkExternal: false });
    const challenges = async (name: string) =>
      (await c.sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-${name}` }))).QueueUrl as string;
    const pending = await challenges('pending');
    await c.sqs.send(new SendMessageCommand({ QueueUrl: pending, MessageBody: '{}', DelaySeconds: 900 }));
    const inSeconds = (s: number) => String(Math.floor(Date.now() / 1000) + s);
    const run = async (sessionsUntil: string, name: string, late?: (queueUrl: string) => Promise<void>) => {
      const urls = await makeQueue(name, 30);
      await enqueue(urls.queueUrl, makeTestBundle({ hotkey: `5${name}First`, n: 96 }));
      const env = verifierEnv(urls, {
        CHALLENGE_QUEUE_URL: pending,
        VERIFIER_SESSIONS_UNTIL: sessionsUntil,
        VERIFIER_BATCH_SIZE: '5',
        VERIFIER_WAIT_SECONDS: '1',
        VERIFIER_EMPTY_POLLS: '1',
        VERIFIER_LINGER_SECONDS: '6',
        POWERTOOLS_LOG_LEVEL: 'INFO',
      });
      const job = startShipped(dir, env);
      // the job is in its drain once the first bundle is recorded; two seconds on, one empty poll of 1 s
      // would have ended it
      for (let t = 0; t < 300 && (await results.rows(`5${name}First`)).length === 0; t++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 2000));
      if (late !== undefined) await late(urls.queueUrl);
      const code = await job.exited;
      return { code, finished: job.lines().find((l) => l.message === VerifierLog.Finished) };
    };
    // Act
    const lingered = await run(inSeconds(600), 'Linger', (queueUrl) =>
      enqueue(queueUrl, makeTestBundle({ hotkey: '5LingerLate', n: 96 })),
    );
    // the session still queued is another round's: this round's window has passed
    const ended = await run(inSeconds(-1), 'PastWindow');
    // Assess
    expect(lingered.code).toBe(0);
    expect(lingered.finished).toMatchObject({ recorded: 2, ended: 'idle' });
    expect((await results.rows('5LingerLate')).map((r) => r.gpuName)).toEqual(['NVIDIA H100 80GB HBM3']);
    expect(ended.code).toBe(0);
    expect(ended.finished).toMatchObject({ recorded: 1, ended: 'no session pending' });
  }, 120_000);
});
