import type { ApiDecoration } from '@polkadot/api/types';
import type { Metagraph, NeuronInfo } from '../ports.js';
import { type ChainContext, RAO_PER_TAO, rpc, storage, toNumber } from './context.js';
import { UnsupportedRuntimeError } from './errors.js';

/** Renders the chain's integer IP (u128) as text: dotted IPv4 or RFC 5952-ish IPv6. */
export function renderIp(ip: bigint, ipType: number): string {
  if (ipType === 4) {
    return [24n, 16n, 8n, 0n].map((s) => String((ip >> s) & 0xffn)).join('.');
  }
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((ip >> BigInt(i * 16)) & 0xffffn).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/**
 * The chain's stake weight per uid, in TAO: `get_subnet_state(netuid).total_stake`, which the runtime
 * computes as the weights check does (own and inherited alpha through child keys, plus TaoWeight × root
 * stake). `null` when the runtime lacks the API.
 */
export async function stakeWeights(
  ctx: ChainContext,
  at: ApiDecoration<'promise'>,
  netuid: number,
): Promise<number[] | null> {
  const call = at.call.subnetInfoRuntimeApi?.getSubnetState;
  if (call === undefined) return null;
  const raw = await rpc(ctx, call(netuid), 'get_subnet_state');
  const json = raw.toJSON() as { totalStake?: unknown[] } | null;
  if (json === null || !Array.isArray(json.totalStake)) return null;
  return json.totalStake.map((v) => toNumber(v) / RAO_PER_TAO);
}

/**
 * Reads the subnet's neurons at the head block through `get_neurons_lite` with stake weights from
 * `get_subnet_state`, or storage (own alpha only) when the runtime lacks those APIs; `source` forces one.
 */
export async function readMetagraph(
  ctx: ChainContext,
  netuid: number,
  source?: 'runtime-api' | 'storage',
): Promise<Metagraph> {
  const header = await rpc(ctx, ctx.api.rpc.chain.getHeader(), 'chain_getHeader');
  const at = await rpc(ctx, ctx.api.at(header.hash), 'state at head');
  const lite = at.call.neuronInfoRuntimeApi?.getNeuronsLite;
  const neurons =
    source !== 'storage' && lite !== undefined
      ? await neuronsFromRuntimeApi(ctx, at, netuid)
      : await neuronsFromStorage(ctx, at, netuid);
  return { netuid, block: header.number.toNumber(), neurons };
}

async function neuronsFromRuntimeApi(
  ctx: ChainContext,
  at: ApiDecoration<'promise'>,
  netuid: number,
): Promise<NeuronInfo[]> {
  const call = at.call.neuronInfoRuntimeApi?.getNeuronsLite;
  if (call === undefined) throw new UnsupportedRuntimeError('get_neurons_lite is not available');
  const [raw, weights] = await Promise.all([
    rpc(ctx, call(netuid), 'get_neurons_lite'),
    stakeWeights(ctx, at, netuid),
  ]);
  const list = raw as unknown as Array<Record<string, unknown>>;
  const neurons = list.map((n) => {
    const uid = toNumber(n.uid);
    const axon = n.axonInfo as Record<string, unknown>;
    const ip = BigInt((axon.ip as { toString(): string }).toString());
    const ownRao = (n.stake as Array<[unknown, unknown]>).reduce((sum, [, v]) => sum + toNumber(v), 0);
    return {
      uid,
      hotkey: String(n.hotkey),
      coldkey: String(n.coldkey),
      axon:
        ip === 0n
          ? null
          : {
              ip: renderIp(ip, toNumber(axon.ipType)),
              port: toNumber(axon.port),
              version: toNumber(axon.version),
            },
      stake: weights?.[uid] ?? ownRao / RAO_PER_TAO,
      validatorPermit: (n.validatorPermit as { isTrue: boolean }).isTrue,
      active: (n.active as { isTrue: boolean }).isTrue,
      lastUpdate: toNumber(n.lastUpdate),
    } satisfies NeuronInfo;
  });
  return neurons.sort((a, b) => a.uid - b.uid);
}

async function neuronsFromStorage(
  ctx: ChainContext,
  at: ApiDecoration<'promise'>,
  netuid: number,
): Promise<NeuronInfo[]> {
  const n = toNumber(await rpc(ctx, storage(ctx, 'subnetworkN', at)(netuid), 'SubnetworkN'));
  const uids = Array.from({ length: n }, (_, i) => i);
  const [keys, permits, actives, lastUpdates] = await rpc(
    ctx,
    Promise.all([
      storage(ctx, 'keys', at).multi(uids.map((u) => [netuid, u])),
      storage(ctx, 'validatorPermit', at)(netuid),
      storage(ctx, 'active', at)(netuid),
      storage(ctx, 'lastUpdate', at)(netuid),
    ]),
    'metagraph storage',
  );
  const hotkeys = keys.map((k) => k.toString());
  const [owners, axons, alphas] = await rpc(
    ctx,
    Promise.all([
      storage(ctx, 'owner', at).multi(hotkeys),
      storage(ctx, 'axons', at).multi(hotkeys.map((h) => [netuid, h])),
      storage(ctx, 'totalHotkeyAlpha', at).multi(hotkeys.map((h) => [h, netuid])),
    ]),
    'metagraph storage',
  );
  const bools = (v: unknown): boolean[] => (v as { toJSON(): boolean[] }).toJSON();
  const nums = (v: unknown): number[] => (v as { toJSON(): number[] }).toJSON().map(Number);
  const permit = bools(permits);
  const active = bools(actives);
  const last = nums(lastUpdates);
  return uids.map((uid) => {
    const axonOpt = axons[uid] as unknown as { isSome: boolean; unwrap(): Record<string, unknown> };
    let axon: NeuronInfo['axon'] = null;
    if (axonOpt.isSome) {
      const a = axonOpt.unwrap();
      const ip = BigInt((a.ip as { toString(): string }).toString());
      if (ip !== 0n) {
        axon = { ip: renderIp(ip, toNumber(a.ipType)), port: toNumber(a.port), version: toNumber(a.version) };
      }
    }
    return {
      uid,
      hotkey: hotkeys[uid] as string,
      coldkey: String(owners[uid]),
      axon,
      stake: toNumber(alphas[uid]) / RAO_PER_TAO,
      validatorPermit: permit[uid] ?? false,
      active: active[uid] ?? false,
      lastUpdate: last[uid] ?? 0,
    };
  });
}
