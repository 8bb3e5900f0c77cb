import { ConfigError } from '../errors.js';
import type { ChainPort, StandingProblem, ValidatorStanding } from '../ports.js';

/** The hotkey secret could not be read or parsed (the preflight's `hotkey-secret-unreadable`). */
export class HotkeySecretUnreadableError extends ConfigError {}

/** What the operator preflight found; `problems` empty means the hotkey can validate. */
export interface PreflightReport {
  readonly problems: readonly StandingProblem[];
  readonly standing?: ValidatorStanding;
}

/** One line per problem, naming what the operator must fix (never a secret). */
export const PREFLIGHT_MESSAGES: Readonly<Record<StandingProblem, string>> = {
  'hotkey-secret-unreadable':
    'the hotkey secret cannot be read or parsed: check HOTKEY_SECRET_ARN and its value',
  'not-registered':
    'the validator hotkey is not registered on the subnet: register it (btcli subnets register)',
  'no-validator-permit':
    'the validator hotkey has no validator permit on the subnet: it needs more stake to rank',
  'stake-below-threshold': "the validator hotkey's stake weight is below the chain's StakeThreshold",
};

/**
 * The operator preflight at the start of a sync or weight tick: the hotkey secret, registration,
 * permit and stake weight, read once, so a broken setup shows as one named problem rather than as
 * hundreds of miner failures ("axon unreachable": SN27 miners hang up on unregistered callers).
 * `null` when the port cannot say (read-only, or no `standing`) and the secret was not the problem.
 */
export async function validatorPreflight(
  chain: ChainPort,
  netuid: number,
  secretProblem?: 'hotkey-secret-unreadable',
): Promise<PreflightReport | null> {
  if (secretProblem !== undefined) return { problems: [secretProblem] };
  if (chain.standing === undefined) return null;
  const standing = await chain.standing(netuid);
  return standing === null ? null : { problems: standing.problems, standing };
}
