import { createDynamoDocumentClient, createSecretsClient } from '../../lib/clients/index.js';
import { readHotkeySecret } from '../../lib/clients/secrets.js';
import { loadEnv, ProofJobEnvSchema } from '../../lib/config/env.js';
import { loadPerformanceConfig } from '../../lib/config/gpu-performance.js';
import { createLogger } from '../../lib/observability/index.js';
import { runProofJob } from '../../lib/pipeline/proof-job.js';
import { createPogRunner } from '../../lib/pog/index.js';
import { createPogResultSink } from '../../lib/store/index.js';

/**
 * The AWS Batch entry (not a Lambda): one container run per challenge, which arrives in the
 * POG_CHALLENGE variable set by the worker. The exit code tells Batch whether to retry.
 */
async function main(): Promise<number> {
  const env = loadEnv(ProofJobEnvSchema);
  const logger = createLogger('proof-job');
  const doc = createDynamoDocumentClient();
  const sink = createPogResultSink(
    doc,
    { pogResults: env.TABLE_POG_RESULTS, locks: env.TABLE_LOCKS },
    env.NETUID,
  );
  const hotkeySecret = await readHotkeySecret(createSecretsClient(), env.HOTKEY_SECRET_ARN);
  const runner = createPogRunner({
    performance: loadPerformanceConfig(env.POG_PERFORMANCE_CONFIG),
    hotkeySecret,
  });
  const result = await runProofJob(
    { runner, sink, log: (message, fields) => logger.info(message, fields) },
    env.POG_CHALLENGE,
  );
  return result.exitCode;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // config or secret failures: infrastructure, so Batch may retry
    console.error(JSON.stringify({ level: 'ERROR', message: 'proof job crashed', error: String(error) }));
    process.exitCode = 1;
  },
);
