import { PogValidatorError } from '../errors.js';

/**
 * A fault of the miner (refused allocation, bad output, failed proof, timeout on its side). It ends
 * the attempt and, once retries are spent, becomes a failure row. The message is short and carries
 * nothing the miner sent verbatim beyond a bounded excerpt-free description.
 */
export class PogMinerError extends PogValidatorError {}

/**
 * A fault of our own infrastructure (no randomness, payload missing, bad configuration, the job
 * aborted). `PogRunner.run` rejects with it so the Batch job exits non-zero and is retried.
 */
export class PogInfrastructureError extends PogValidatorError {}
