import { createChainPort } from '../../../lib/chain/index.js';
import { readHotkeySecret } from '../../../lib/clients/secrets.js';
import type { ChainPort } from '../../../lib/ports.js';
import {
  AuditStore,
  CoordinationStore,
  MinerStore,
  PogResultStore,
  StatsStore,
} from '../../../lib/store/index.js';
import { PogOutcomeStore } from '../../../lib/store/pog-results.js';
import { emulatorClients, makeLocalResources } from '../resources.js';
import { type CycleAws, type CycleContext, type CycleServers, NETUID, VALIDATOR_URI } from './context.js';

/** Seconds a received verification message stays hidden in the local cycle (a killed verifier's comes back). */
export const VERIFICATION_VISIBILITY_S = 2;

/**
 * Stage `create resources`, with the clients the handlers get (every request counted, DynamoDB's
 * open to the chaos throttle) and the stores over the new tables; the hotkey is read back from its
 * secret as a cold start reads it.
 */
export async function createAws(ctx: CycleContext, servers: CycleServers): Promise<CycleAws> {
  const clients = emulatorClients({}, (client, service) => ctx.clock.counter.attach(client, service));
  ctx.chaos.throttleDynamo(clients.ddb);
  const prefix = `pog-local-${Date.now().toString(36)}`;
  const resources = await ctx.clock.run('create resources', () =>
    makeLocalResources(clients, servers.endpoint, prefix, {
      hotkeySecret: VALIDATOR_URI,
      verificationVisibilityS: VERIFICATION_VISIBILITY_S,
    }),
  );
  const { doc } = clients;
  const stores = {
    miners: new MinerStore(doc, resources.tables.miners),
    pogResults: new PogResultStore(doc, resources.tables.pogResults),
    stats: new StatsStore(doc, resources.tables.stats),
    coordination: new CoordinationStore(doc, resources.tables.coordination),
    audit: new AuditStore(doc, resources.tables.audit),
  };
  const hotkeySecret = await readHotkeySecret(clients.secrets, resources.secretArn);
  const chains: ChainPort[] = [];
  const connectChain = async (): Promise<ChainPort> => {
    const chain = await createChainPort({
      endpoints: [servers.chainEndpoint],
      hotkeySecret,
      timeoutMs: 20_000,
    });
    chains.push(chain);
    return chain;
  };
  ctx.life.add('chain ports', chains, async (list) => {
    await Promise.allSettled(list.map((c) => c.close()));
  });
  const outcomes = new PogOutcomeStore(doc, resources.tables, NETUID, { trim: true });
  return { clients, resources, stores, outcomes, hotkeySecret, connectChain };
}
