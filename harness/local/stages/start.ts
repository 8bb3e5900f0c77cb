import { connectDevnet, seedSubnet, startDevnet } from '../../chain/devnet.js';
import { simProfile, startSimulatedMiners } from '../../sim/index.js';
import { planMiners } from '../miner-plan.js';
import { startMoto } from '../moto.js';
import { WsProxy } from '../ws-proxy.js';
import { type CycleContext, type CycleServers, NETUID, VALIDATOR_URI } from './context.js';

/** Stage `start emulator`: moto, unless `external` (AWS_ENDPOINT_URL) names one already running. */
export async function startEmulator(ctx: CycleContext, external: string | undefined): Promise<string> {
  if (external !== undefined) return external;
  const moto = await ctx.clock.run('start emulator', async () =>
    ctx.life.add('moto_server', await startMoto(), (m) => m.stop()),
  );
  return moto.endpoint;
}

/**
 * Stages `start chain`, `start miners` and `seed subnet`: chopsticks (behind the chaos proxy), the
 * simulated miners, and the chain state: uid 0 is our validator (permit, stake, subnet owner), uids
 * 1..N the miners.
 */
export async function startChainAndMiners(
  ctx: CycleContext,
  endpoint: string,
  miners: number,
): Promise<CycleServers> {
  const devnet = await ctx.clock.run('start chain', async () =>
    ctx.life.add('chopsticks', await startDevnet(), (d) => d.stop()),
  );
  const { proxy, endpoint: chainEndpoint } = await WsProxy.start(devnet.endpoint);
  ctx.life.add('chain proxy', proxy, (p) => p.stop());

  const plan = planMiners(miners);
  const sims = await ctx.clock.run(
    'start miners',
    async () =>
      ctx.life.add(
        'simulated miners',
        await startSimulatedMiners(
          plan.map((p) => ({
            profile: simProfile(p.gpuName, p.count),
            behaviour: p.behaviour,
            claimedName: p.claimedName,
          })),
        ),
        (s) => s.stop(),
      ),
    (s) => `${s.miners.length} miners`,
  );

  const api = ctx.life.add('seeding connection', await connectDevnet(devnet.endpoint), (a) => a.disconnect());
  await ctx.clock.run('seed subnet', () =>
    seedSubnet(api, {
      netuid: NETUID,
      ownerHotkey: VALIDATOR_URI,
      hyperparams: {
        tempo: 360,
        weightsRateLimit: 100,
        weightsVersionKey: 0,
        minAllowedWeights: 1,
        maxWeightsLimit: 65535,
      },
      neurons: [
        { hotkeyUri: VALIDATOR_URI, stake: 100_000, validatorPermit: true },
        ...sims.miners.map((m) => ({ hotkey: m.hotkey, axon: m.axon, stake: 10 })),
      ],
    }),
  );
  return { endpoint, proxy, chainEndpoint, api, plan, sims };
}
