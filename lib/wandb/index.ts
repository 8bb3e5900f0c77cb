/** Other validators' state via W&B (reference §6): read, verify, reach consensus, publish ours. */

export {
  NI_PENALTY_VALIDATOR,
  parseWandbConfig,
  type WandbConfig,
  type WandbConfigInput,
  WandbConfigSchema,
} from '../config/wandb.js';
export {
  type AssembleInput,
  type AssembleResult,
  assembleExternalState,
  type RejectReason,
} from './assemble.js';
export { type ListRunsRequest, type RunsPage, WandbClient, type WandbClientOptions } from './client.js';
export {
  collectPenalties,
  consensusStats,
  isConsensusCandidate,
  type PenaltyEntry,
  parseStatEntry,
  pickDominant,
  unionAllocated,
  validValidatorHotkeys,
} from './consensus.js';
export { deferredWandbState } from './deferred.js';
export { WandbError, WandbHttpError, WandbResponseError } from './errors.js';
export { WANDB_METRICS, type WandbMetrics, type WandbMetricUnit } from './observability.js';
export {
  buildValidatorRunConfig,
  type PublishRunInput,
  type PublishRunResult,
  publishValidatorRun,
  validatorRunName,
} from './publish.js';
export { type RunSigner, runSigningDigest, signRunId, verifyRunSignature } from './signature.js';
export { hotkeySigner } from './signer.js';
export { createWandbState, type WandbStateOptions, type WandbStateService } from './state.js';
export { decodeRunConfig, encodeRunConfig } from './wire.js';
