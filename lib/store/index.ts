export { type AuditRow, AuditStore } from './audit.js';
export { batchWriteAll, StoreError } from './batch-write.js';
export { type CommitRow, CommitRowStore } from './commits.js';
export { type ClaimResult, CoordinationStore, type RoundState } from './coordination.js';
export { type MinerRow, MinerStore } from './miners.js';
export {
  ATTEMPT_KEY_PREFIX,
  type AttemptState,
  type FinalWrite,
  newestSpecs,
  POG_ROWS_KEPT,
  PogOutcomeStore,
  PogResultStore,
  type PogRow,
} from './pog-results.js';
export { createPogResultSink } from './sink.js';
export { type StatsRow, StatsStore } from './stats.js';
export {
  createTables,
  TABLE_DEFINITIONS,
  TABLE_KEYS,
  type TableKey,
  type TableNames,
  tableNamesWithPrefix,
} from './tables.js';
export { WandbRunStore } from './wandb-runs.js';
