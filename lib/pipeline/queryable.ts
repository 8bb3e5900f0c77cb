import { contactProblem } from '../net/public-address.js';
import type { NeuronInfo } from '../ports.js';
import { PogChallengeSchema } from '../queue/challenge.js';

export interface QueryableOptions {
  readonly blacklistHotkeys: readonly string[];
  readonly blacklistColdkeys: readonly string[];
  /** Keep only the first uid per IP (reference filter_axons). */
  readonly dedupeIps: boolean;
  /** D3: from configuration; undefined skips the version filter. */
  readonly minMinerVersion?: number | undefined;
  /** The reference applies the version filter only when more than this share of miners remains. */
  readonly versionFilterThresholdPercent: number;
  /** Harness only (simulated miners on 127.0.0.1): never set from the environment. */
  readonly allowPrivateAddresses?: boolean | undefined;
}

/**
 * Why a uid is not queryable; `non-public-ip`: loopback, private, link-local, metadata…
 * (lib/net/public-address.ts); `invalid-axon`: an axon the worker's challenge schema refuses (port 0,
 * say, which the chain accepts).
 */
export type ExclusionReason =
  | 'no-axon'
  | 'invalid-axon'
  | 'blacklisted'
  | 'non-public-ip'
  | 'duplicate-ip'
  | 'old-version';

export interface QueryableResult {
  /** Queryable neurons by uid. */
  readonly queryable: ReadonlyMap<number, NeuronInfo>;
  /** Why each other uid is not queryable. */
  readonly excluded: ReadonlyMap<number, ExclusionReason>;
  /** True when the version filter did not run (no minimum configured, or below the threshold). */
  readonly versionFilterSkipped: boolean;
}

/**
 * The reference's `get_queryable` (§7.2): drop 0.0.0.0 / missing axons, axons our challenge schema refuses
 * (not in the reference: port 0 and the like), blacklisted keys and (not in the
 * reference) axons whose IP is not public, since we would contact them from inside our account; optionally
 * keep the first uid per IP, then drop miners below the minimum version — unless that would leave no
 * more than the threshold share of miners, in which case the version filter is skipped, as the
 * reference does. D3: the minimum comes from config, never from a fetch.
 */
export function filterQueryable(neurons: readonly NeuronInfo[], options: QueryableOptions): QueryableResult {
  const hotkeys = new Set(options.blacklistHotkeys);
  const coldkeys = new Set(options.blacklistColdkeys);
  const excluded = new Map<number, ExclusionReason>();
  const valid: NeuronInfo[] = [];
  for (const n of neurons) {
    if (n.axon === null || n.axon.ip === '0.0.0.0' || n.axon.ip === '') excluded.set(n.uid, 'no-axon');
    // a challenge the worker would refuse is dead-lettered with no row, yet counted in the round, which
    // would then wait for it until the round's deadline: such a miner is never challenged
    else if (!PogChallengeSchema.shape.axon.safeParse(n.axon).success) excluded.set(n.uid, 'invalid-axon');
    else if (hotkeys.has(n.hotkey) || coldkeys.has(n.coldkey)) excluded.set(n.uid, 'blacklisted');
    else if (contactProblem(n.axon.ip, options) !== null) excluded.set(n.uid, 'non-public-ip');
    else valid.push(n);
  }
  let afterIp = valid;
  if (options.dedupeIps) {
    const seen = new Set<string>();
    afterIp = [];
    for (const n of [...valid].sort((a, b) => a.uid - b.uid)) {
      const ip = n.axon?.ip ?? '';
      if (seen.has(ip)) excluded.set(n.uid, 'duplicate-ip');
      else {
        seen.add(ip);
        afterIp.push(n);
      }
    }
  }
  let result = afterIp;
  let versionFilterSkipped = true;
  const min = options.minMinerVersion;
  const share = valid.length === 0 ? 0 : (afterIp.length / valid.length) * 100;
  if (min !== undefined && share > options.versionFilterThresholdPercent) {
    versionFilterSkipped = false;
    result = [];
    for (const n of afterIp) {
      if ((n.axon?.version ?? 0) >= min) result.push(n);
      else excluded.set(n.uid, 'old-version');
    }
  }
  return { queryable: new Map(result.map((n) => [n.uid, n])), excluded, versionFilterSkipped };
}
