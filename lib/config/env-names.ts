/**
 * Every environment variable the stack sets and the entries read, named once: the schemas in
 * ./env.ts key on these and infra/bind.ts sets them, so a renamed variable cannot leave one side
 * behind (a typo on either side is a compile error, not a cold-start failure after deploy).
 */
export const EnvName = {
  // tables (lib/store/tables.ts)
  TablePogResults: 'TABLE_POG_RESULTS',
  TableStats: 'TABLE_STATS',
  TableMiners: 'TABLE_MINERS',
  TableAudit: 'TABLE_AUDIT',
  TableCoordination: 'TABLE_COORDINATION',
  TableCommits: 'TABLE_COMMITS',
  // chain
  Netuid: 'NETUID',
  ChainEndpoints: 'CHAIN_ENDPOINTS',
  ChainTimeoutMs: 'CHAIN_TIMEOUT_MS',
  ValidatorHotkey: 'VALIDATOR_HOTKEY',
  HotkeySecretArn: 'HOTKEY_SECRET_ARN',
  // queryable filter
  BlacklistHotkeys: 'BLACKLIST_HOTKEYS',
  BlacklistColdkeys: 'BLACKLIST_COLDKEYS',
  DedupeIps: 'DEDUPE_IPS',
  MinMinerVersion: 'MIN_MINER_VERSION',
  VersionFilterThresholdPercent: 'VERSION_FILTER_THRESHOLD_PERCENT',
  // W&B
  WandbEnabled: 'WANDB_ENABLED',
  WandbApiKeySecretArn: 'WANDB_API_KEY_SECRET_ARN',
  WandbBaseUrl: 'WANDB_BASE_URL',
  WandbAllowInsecureHttp: 'WANDB_ALLOW_INSECURE_HTTP',
  WandbEntity: 'WANDB_ENTITY',
  WandbProject: 'WANDB_PROJECT',
  WandbTrustedPenaltyValidators: 'WANDB_TRUSTED_PENALTY_VALIDATORS',
  WandbPermitStake: 'WANDB_PERMIT_STAKE',
  WandbTimeoutMs: 'WANDB_TIMEOUT_MS',
  WandbReadDeadlineMs: 'WANDB_READ_DEADLINE_MS',
  WandbMaxPages: 'WANDB_MAX_PAGES',
  // PoG rounds and the GPU tables
  ChallengeQueueUrl: 'CHALLENGE_QUEUE_URL',
  ChallengeDlqUrl: 'CHALLENGE_DLQ_URL',
  PogIntervalBlocks: 'POG_INTERVAL_BLOCKS',
  PogMaxJitterSeconds: 'POG_MAX_JITTER_SECONDS',
  PogRoundTimeoutSeconds: 'POG_ROUND_TIMEOUT_SECONDS',
  PogPerformanceConfig: 'POG_PERFORMANCE_CONFIG',
  PogPerformanceParameter: 'POG_PERFORMANCE_PARAMETER',
  // worker → verifier hand-over
  BundleBucket: 'BUNDLE_BUCKET',
  VerificationQueueUrl: 'VERIFICATION_QUEUE_URL',
  VerificationDlqUrl: 'VERIFICATION_DLQ_URL',
  VerifierJobQueue: 'VERIFIER_JOB_QUEUE',
  VerifierJobDefinition: 'VERIFIER_JOB_DEFINITION',
  // the verifier job
  RowCheck: 'ROW_CHECK',
  RowCheckDevice: 'ROW_CHECK_DEVICE',
  RowCheckTimeoutSeconds: 'ROW_CHECK_TIMEOUT_SECONDS',
  Python: 'PYTHON',
  VerifierBatchSize: 'VERIFIER_BATCH_SIZE',
  VerifierWaitSeconds: 'VERIFIER_WAIT_SECONDS',
  VerifierEmptyPolls: 'VERIFIER_EMPTY_POLLS',
  VerifierLingerSeconds: 'VERIFIER_LINGER_SECONDS',
  /** Set per job by the worker's SubmitJob (container override), not by the stack. */
  VerifierRoundId: 'VERIFIER_ROUND_ID',
  /** Set per job by the worker's SubmitJob: until when (epoch s) its round's sessions may hand bundles over. */
  VerifierSessionsUntil: 'VERIFIER_SESSIONS_UNTIL',
  /** Set by AWS Batch in every job's container. */
  BatchJobId: 'AWS_BATCH_JOB_ID',
  // weights
  WeightMode: 'WEIGHT_MODE',
  WeightsLockSeconds: 'WEIGHTS_LOCK_SECONDS',
  // read by Powertools and Node, not by our schemas; set by the stack
  PowertoolsServiceName: 'POWERTOOLS_SERVICE_NAME',
  PowertoolsMetricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  NodeOptions: 'NODE_OPTIONS',
  /** The AWS SDK's region: Lambda sets it; the stack sets it for the verifier's container. */
  AwsRegion: 'AWS_REGION',
} as const;

export type EnvName = (typeof EnvName)[keyof typeof EnvName];
