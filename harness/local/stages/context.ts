import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { ApiPromise } from '@polkadot/api';
import type { PerformanceConfig } from '../../../lib/config/gpu-performance.js';
import type { Log } from '../../../lib/log.js';
import type { QueryableOptions } from '../../../lib/pipeline/queryable.js';
import type { ChainPort } from '../../../lib/ports.js';
import type {
  AuditStore,
  CoordinationStore,
  MinerStore,
  PogResultStore,
  StatsStore,
} from '../../../lib/store/index.js';
import type { PogOutcomeStore } from '../../../lib/store/pog-results.js';
import type { SimulatedMiners } from '../../sim/index.js';
import type { Chaos } from '../chaos.js';
import { fakeLambdaContext } from '../event-source.js';
import type { Lifecycle } from '../lifecycle.js';
import type { PlannedMiner } from '../miner-plan.js';
import type { RequestCounter } from '../request-counter.js';
import type { EmulatorClients, LocalResources } from '../resources.js';
import type { WsProxy } from '../ws-proxy.js';

export const NETUID = 27;
/** Our validator's hotkey on the local chain (a dev URI: it guards nothing real). */
export const VALIDATOR_URI = '//PogValidatorLocal';

/** The local cycle's queryable filter: the simulated miners listen on 127.0.0.1; no version floor. */
export const LOCAL_FILTER: QueryableOptions = {
  blacklistHotkeys: [],
  blacklistColdkeys: [],
  dedupeIps: false,
  minMinerVersion: undefined,
  versionFilterThresholdPercent: 60,
  allowPrivateAddresses: true,
};

/** The context of a scheduled (sync, weights) invocation. */
export const scheduleContext = fakeLambdaContext('local', () => 900_000);
export const silentLogger = (): Logger =>
  new Logger({ serviceName: 'pog-validator-local', logLevel: 'SILENT' });
export const localMetrics = (): Metrics => new Metrics({ namespace: 'PogValidatorLocal' });

export type DebugLog = Log;

/** Times each stage, counts its AWS requests per service, and says so on the progress stream. */
export class StageClock {
  /** Milliseconds per stage, in the order they ran. */
  readonly stages: Record<string, number> = {};
  readonly requestsByStage: Record<string, Record<string, number>> = {};

  constructor(
    readonly counter: RequestCounter,
    private readonly progress: (line: string) => void,
  ) {}

  async run<T>(name: string, fn: () => Promise<T>, detail?: (value: T) => string): Promise<T> {
    this.progress(`▶ ${name}…`);
    const before = this.counter.byService();
    const started = performance.now();
    const value = await fn();
    const ms = Math.round(performance.now() - started);
    this.stages[name] = ms;
    const after = this.counter.byService();
    this.requestsByStage[name] = Object.fromEntries(
      Object.entries(after)
        .map(([service, count]) => [service, count - (before[service] ?? 0)] as const)
        .filter(([, count]) => count > 0),
    );
    this.progress(`✔ ${name} ${ms} ms${detail ? ` (${detail(value)})` : ''}`);
    return value;
  }
}

/** What every stage gets: the run's settings, its faults, the stage clock and the stop list. */
export interface CycleContext {
  readonly performance: PerformanceConfig;
  /** POG_LOCAL_DEBUG=1: every attempt's and session's events on the progress stream. */
  readonly debug: DebugLog | undefined;
  readonly chaos: Chaos;
  readonly clock: StageClock;
  /** Everything a stage starts is registered here, so it is stopped also on failure. */
  readonly life: Lifecycle;
}

/** What the start-up stages brought up. */
export interface CycleServers {
  /** The AWS emulator's endpoint. */
  readonly endpoint: string;
  /** The proxy in front of the chain (where chaos drops the connection) and its endpoint. */
  readonly proxy: WsProxy;
  readonly chainEndpoint: string;
  /** The harness's own chain connection (seeding, reading weights back), not through the proxy. */
  readonly api: ApiPromise;
  readonly plan: readonly PlannedMiner[];
  readonly sims: SimulatedMiners;
}

export interface LocalStores {
  readonly miners: MinerStore;
  readonly pogResults: PogResultStore;
  readonly stats: StatsStore;
  readonly coordination: CoordinationStore;
  readonly audit: AuditStore;
}

/** The AWS side, made from the stack's own definitions, and how handlers reach the chain. */
export interface CycleAws {
  readonly clients: EmulatorClients;
  readonly resources: LocalResources;
  readonly stores: LocalStores;
  /** Where the worker and the verifier record outcomes (each write trims the hotkey to its newest rows). */
  readonly outcomes: PogOutcomeStore;
  readonly hotkeySecret: string;
  /** A chain port through the proxy, as a handler's cold start builds one; closed when the cycle ends. */
  readonly connectChain: () => Promise<ChainPort>;
}
