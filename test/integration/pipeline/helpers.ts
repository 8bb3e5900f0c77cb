import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll } from 'vitest';
import { type MotoServer, startMoto } from '../../helpers/moto.js';

/** Real Powertools objects, silenced: the suites assert on results and AWS state, not on log lines. */
export function quietObservability(): { logger: Logger; metrics: Metrics } {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  return {
    logger: new Logger({ serviceName: 'pog-validator-test', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'PogValidatorTest', serviceName: 'pog-validator-test' }),
  };
}

/**
 * A second moto for the calling suite whose Batch jobs all fail (MOTO_SIMPLE_BATCH_FAIL_AFTER=0 is
 * server-wide, local-aws.md §1.4): started before the suite's tests, stopped after them.
 */
export function failingBatchMoto(): { readonly endpoint: () => string } {
  let server: MotoServer | undefined;
  beforeAll(async () => {
    server = await startMoto({ MOTO_SIMPLE_BATCH_FAIL_AFTER: '0' });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });
  return {
    endpoint: () => {
      if (server === undefined) throw new Error('failing moto not started');
      return server.endpoint;
    },
  };
}
