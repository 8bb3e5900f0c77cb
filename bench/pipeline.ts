import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startMoto } from '../harness/local/moto.js';
import { RequestCounter } from '../harness/local/request-counter.js';
import { bundleHandler, HANDLERS, type HandlerName } from '../infra/bundling.js';
import { DEFAULT_PERFORMANCE_CONFIG } from '../lib/config/gpu-performance.js';
import { runSync } from '../lib/pipeline/sync.js';
import { runWeights } from '../lib/pipeline/weights.js';
import type { PogChallenge } from '../lib/ports.js';
import { AuditStore, CoordinationStore, MinerStore, PogResultStore, StatsStore } from '../lib/store/index.js';
import {
  clients,
  makeQueues,
  makeTables,
  metagraph,
  StubChain,
  SYNC_OPTIONS,
  WEIGHTS_OPTIONS,
} from '../test/integration/pipeline/fixtures.js';

/**
 * Pipeline figures: minified bundle size and cold import time per handler (built as the CDK construct
 * builds them), the 256-challenge fan-out against moto, and AWS requests per cycle.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const DUMMY_ENV: Record<string, string> = {
  TABLE_POG_RESULTS: 'p',
  TABLE_STATS: 's',
  TABLE_MINERS: 'm',
  TABLE_AUDIT: 'a',
  TABLE_COORDINATION: 'l',
  CHAIN_ENDPOINTS: 'ws://127.0.0.1:1',
  CHALLENGE_QUEUE_URL: 'http://127.0.0.1:1/123456789012/q',
  CHALLENGE_DLQ_URL: 'http://127.0.0.1:1/123456789012/dlq',
  VERIFICATION_QUEUE_URL: 'http://127.0.0.1:1/123456789012/v',
  BUNDLE_BUCKET: 'b',
  VERIFIER_JOB_QUEUE: 'q',
  VERIFIER_JOB_DEFINITION: 'd',
  HOTKEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x',
  AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'x',
  AWS_SECRET_ACCESS_KEY: 'x',
  NODE_NO_WARNINGS: '1',
};

async function bundleAndImport(name: HandlerName, sdkExternal: boolean): Promise<{ kb: number; ms: number }> {
  const out = join(root, '.tmp', 'bench-bundles', sdkExternal ? 'runtime-sdk' : 'bundled-sdk');
  const bytes = await bundleHandler(name, out, { sdkExternal });
  const file = join(out, `${name}.mjs`);
  // a fresh process per sample: module import is a cold-start cost
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    const script = `const t=performance.now();await import(${JSON.stringify(pathToFileURL(file).href)});process.stdout.write(String(performance.now()-t));process.exit(0);`;
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, ...DUMMY_ENV },
      encoding: 'utf8',
    });
    if (res.status !== 0) throw new Error(`${name} bundle failed to load: ${res.stderr.slice(-400)}`);
    samples.push(Number.parseFloat(res.stdout));
  }
  samples.sort((a, b) => a - b);
  return { kb: Math.round(bytes / 1024), ms: Number((samples[1] ?? Number.NaN).toFixed(1)) };
}

/**
 * Lambdas are deployed with the runtime's AWS SDK v3 (external); the verifier job runs in its own image
 * and bundles the SDK. Both variants are measured for the Lambdas so the trade-off stays visible.
 */
async function bundles(figures: Record<string, string | number>): Promise<void> {
  for (const name of HANDLERS) {
    if (name !== 'verifier') {
      const deployed = await bundleAndImport(name, true);
      figures[`${name} bundle KB (minified, SDK from runtime)`] = deployed.kb;
      figures[`${name} import ms (SDK from runtime, median of 3)`] = deployed.ms;
    }
    const full = await bundleAndImport(name, false);
    figures[`${name} bundle KB (minified, SDK bundled)`] = full.kb;
    figures[`${name} import ms (SDK bundled, median of 3)`] = full.ms;
  }
}

async function cycle(figures: Record<string, string | number>): Promise<void> {
  const moto = await startMoto();
  try {
    const c = clients(moto.endpoint);
    const counter = new RequestCounter();
    counter.attach(c.ddb, 'DynamoDB');
    counter.attach(c.sqs, 'SQS');
    counter.attach(c.batch, 'Batch');
    const prefix = `bench${Date.now().toString(36)}`;
    const [tables, queues] = await Promise.all([makeTables(c.ddb, prefix), makeQueues(c.sqs, prefix)]);
    const chain = new StubChain(metagraph(256, 10_000));
    const coordination = new CoordinationStore(c.doc, tables.coordination);
    const pogResults = new PogResultStore(c.doc, tables.pogResults, {
      onRecorded: (o) => coordination.markRoundProgress(27, o.roundId),
    });
    const stats = new StatsStore(c.doc, tables.stats);
    const snapshot = () => new Map(counter.counts);
    const delta = (before: Map<string, number>, service: string) => {
      let sum = 0;
      for (const [k, v] of counter.counts) if (k.startsWith(`${service}:`)) sum += v - (before.get(k) ?? 0);
      return sum;
    };

    let before = snapshot();
    const t0 = performance.now();
    const sync = await runSync(
      {
        chain,
        sqs: c.sqs,
        queueUrl: queues.queueUrl,
        miners: new MinerStore(c.doc, tables.miners),
        pogResults,
        stats,
        coordination,
      },
      SYNC_OPTIONS,
    );
    figures['fan-out 256: sync incl. enqueue ms'] = Math.round(performance.now() - t0);
    figures['fan-out 256: challenges'] = sync.round.status === 'started' ? sync.round.challenges : 0;
    figures['sync (first, 256 new miners): DynamoDB requests'] = delta(before, 'DynamoDB');
    figures['sync: SQS requests'] = delta(before, 'SQS');

    // the worker now runs a PoG session per challenge (test/integration/pipeline/worker.test.ts)
    const challenges: PogChallenge[] = chain.metagraphValue.neurons.map((n) => ({
      netuid: 27,
      roundId: sync.round.status === 'started' ? sync.round.roundId : 'x',
      uid: n.uid,
      hotkey: n.hotkey,
      axon: n.axon ?? { ip: '0.0.0.0', port: 1, version: 0 },
    }));

    before = snapshot();
    for (const ch of challenges) {
      await pogResults.record({
        hotkey: ch.hotkey,
        uid: ch.uid,
        roundId: ch.roundId,
        gpuName: 'NVIDIA L4',
        numGpus: 1,
        attempts: 1,
        durationMs: 1,
      });
    }
    figures['result sink: DynamoDB requests per result'] = delta(before, 'DynamoDB') / 256;

    before = snapshot();
    const tw2 = performance.now();
    const weights = await runWeights(
      {
        chain,
        pogResults,
        stats,
        coordination,
        audit: new AuditStore(c.doc, tables.audit),
        performance: DEFAULT_PERFORMANCE_CONFIG,
      },
      WEIGHTS_OPTIONS,
    );
    figures['weights (256 uids) ms'] = Math.round(performance.now() - tw2);
    figures['weights: status'] = weights.status;
    figures['weights: DynamoDB requests'] = delta(before, 'DynamoDB');
  } finally {
    await moto.stop();
  }
}

export async function run(): Promise<Record<string, string | number>> {
  const figures: Record<string, string | number> = {};
  await bundles(figures);
  await cycle(figures);
  return figures;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.table(await run());
}
