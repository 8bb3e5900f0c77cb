import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/** Real Powertools objects, silenced: the suites assert on results and AWS state, not on log lines. */
export function quietObservability(): { logger: Logger; metrics: Metrics } {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  return {
    logger: new Logger({ serviceName: 'pog-validator-test', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'PogValidatorTest', serviceName: 'pog-validator-test' }),
  };
}
