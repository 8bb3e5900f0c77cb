import type { StandingProblem, SubnetHyperparams, ValidatorStanding } from '../ports.js';
import { type ChainContext, hasStorage, RAO_PER_TAO, rpc, storage, toNumber } from './context.js';
import { stakeWeights } from './metagraph.js';

/** The validator's standing plus its `LastUpdate`, as the submit path's preflight needs it. */
export interface ValidatorStatus extends ValidatorStanding {
  readonly lastUpdate: number;
}

/**
 * The subnet's weight hyperparameters from storage, not `get_subnet_hyperparams*` (the struct changed
 * three times, the storage names did not). `commitRevealVersion` is 0 on runtimes without
 * `CommitRevealWeightsVersion` (spec ≤ ~300: CRv3, whose call takes no version).
 */
export async function readHyperparams(ctx: ChainContext, netuid: number): Promise<SubnetHyperparams> {
  const read = async (name: string, args: unknown[], fallback: number): Promise<number> => {
    if (!hasStorage(ctx, name)) return fallback;
    const json = (await rpc(ctx, storage(ctx, name)(...args), name)).toJSON();
    if (typeof json === 'boolean') return json ? 1 : 0;
    return toNumber(json);
  };
  const [tempo, rate, version, minW, maxW, cr, period, crVersion] = await Promise.all([
    read('tempo', [netuid], 360),
    read('weightsSetRateLimit', [netuid], 100),
    read('weightsVersionKey', [netuid], 0),
    read('minAllowedWeights', [netuid], 0),
    read('maxWeightsLimit', [netuid], 65535),
    read('commitRevealWeightsEnabled', [netuid], 0),
    read('revealPeriodEpochs', [netuid], 1),
    read('commitRevealWeightsVersion', [], 0),
  ]);
  return {
    tempo,
    weightsRateLimit: rate,
    weightsVersionKey: version,
    minAllowedWeights: minW,
    maxWeightsLimit: maxW,
    commitRevealEnabled: cr === 1,
    revealPeriodEpochs: period,
    commitRevealVersion: crVersion,
  };
}

export async function uidOf(ctx: ChainContext, netuid: number, hotkey: string): Promise<number | null> {
  const v = (await rpc(ctx, storage(ctx, 'uids')(netuid, hotkey), 'Uids')) as unknown as {
    isSome: boolean;
    unwrap(): unknown;
  };
  return v.isSome ? toNumber(v.unwrap()) : null;
}

export async function ownerHotkey(ctx: ChainContext, netuid: number): Promise<string | null> {
  if (!hasStorage(ctx, 'subnetOwnerHotkey')) return null;
  const owner = String(await rpc(ctx, storage(ctx, 'subnetOwnerHotkey')(netuid), 'SubnetOwnerHotkey'));
  // an unset ValueQuery reads as the all-zero account
  return ctx.api.createType('AccountId32', owner).isEmpty ? null : owner;
}

export async function burnUid(ctx: ChainContext, netuid: number): Promise<number | null> {
  const owner = await ownerHotkey(ctx, netuid);
  return owner === null ? null : uidOf(ctx, netuid, owner);
}

/**
 * The hotkey's uid, permit, stake weight (the chain's own figure, see {@link stakeWeights}), the
 * `StakeThreshold`, `LastUpdate`, and what of these stops it from setting weights.
 */
export async function validatorStatus(
  ctx: ChainContext,
  netuid: number,
  hotkey: string,
): Promise<ValidatorStatus> {
  const [uid, owner, threshold] = await Promise.all([
    uidOf(ctx, netuid, hotkey),
    ownerHotkey(ctx, netuid),
    hasStorage(ctx, 'stakeThreshold')
      ? rpc(ctx, storage(ctx, 'stakeThreshold')(), 'StakeThreshold').then((v) => toNumber(v) / RAO_PER_TAO)
      : Promise.resolve(0),
  ]);
  const isOwner = owner === hotkey;
  if (uid === null) {
    const problems: StandingProblem[] = ['not-registered'];
    return {
      hotkey,
      uid,
      validatorPermit: false,
      stake: 0,
      stakeThreshold: threshold,
      isOwner,
      problems,
      lastUpdate: 0,
    };
  }
  const header = await rpc(ctx, ctx.api.rpc.chain.getHeader(), 'chain_getHeader');
  const at = await rpc(ctx, ctx.api.at(header.hash), 'state at head');
  const [permits, last, alpha, weights] = await rpc(
    ctx,
    Promise.all([
      storage(ctx, 'validatorPermit', at)(netuid),
      storage(ctx, 'lastUpdate', at)(netuid),
      storage(ctx, 'totalHotkeyAlpha', at)(hotkey, netuid),
      stakeWeights(ctx, at, netuid),
    ]),
    'validator status',
  );
  const validatorPermit = (permits as unknown as { toJSON(): boolean[] }).toJSON()[uid] ?? false;
  const stake = weights?.[uid] ?? toNumber(alpha) / RAO_PER_TAO;
  const problems: StandingProblem[] = [];
  // the owner's hotkey is exempt from both checks (HEAD); spec 293 has no owner hotkey, so never true there
  if (!validatorPermit && !isOwner) problems.push('no-validator-permit');
  if (threshold > 0 && stake < threshold && !isOwner) problems.push('stake-below-threshold');
  return {
    hotkey,
    uid,
    validatorPermit,
    stake,
    stakeThreshold: threshold,
    isOwner,
    problems,
    lastUpdate: Number((last as unknown as { toJSON(): number[] }).toJSON()[uid] ?? 0),
  };
}
