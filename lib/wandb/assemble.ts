import type { ExternalState } from '../ports.js';
import {
  collectPenalties,
  consensusStats,
  type StatsContribution,
  statsObject,
  unionAllocated,
} from './consensus.js';
import { verifyRunSignature } from './signature.js';
import { decodeRunConfig, type RunNode } from './wire.js';

/** Why a listed run contributed nothing. */
export type RejectReason = 'malformed-config' | 'filter-mismatch' | 'bad-signature' | 'not-permitted';

export interface AssembleInput {
  /** Runs in read order, oldest first (`+created_at`, as the reference reads them). */
  readonly runs: readonly RunNode[];
  readonly netuid: number;
  /** Validators above the permit stake (§2.2 step 2). */
  readonly validHotkeys: ReadonlySet<string>;
  /** Validators whose penalty list is trusted (§6.4). */
  readonly trustedPenaltyHotkeys: ReadonlySet<string>;
  /** Signature check; defaults to {@link verifyRunSignature} (the service passes a memoised one). */
  readonly verify?: (runId: string, hotkey: string, signature: unknown) => boolean;
}

export interface AssembleResult {
  readonly state: ExternalState;
  readonly accepted: number;
  readonly rejected: Readonly<Record<RejectReason, number>>;
  readonly malformedStats: number;
}

function netuidOf(config: Record<string, unknown>): unknown {
  const inner = config.config;
  return typeof inner === 'object' && inner !== null ? (inner as Record<string, unknown>).netuid : undefined;
}

function nonEmptyArray(value: unknown): value is unknown[] {
  return Array.isArray(value) && value.length > 0;
}

/**
 * Turns listed runs into the external state (§6.2–§6.4). A run counts only if its config decodes,
 * it is a validator run for `netuid` (re-checked here: the server filter is not trusted) and its
 * signature verifies. Allocations and stats come from validators in `validHotkeys`, penalties from
 * `trustedPenaltyHotkeys`.
 *
 * Deliberate difference from the reference: each hotkey contributes each field once, from its
 * newest (last-listed) run that has it, so a validator cannot multiply its consensus vote by keeping
 * several runs. Contributions keep the read order, which decides the reference's first-seen tie-breaks.
 */
export function assembleExternalState(input: AssembleInput): AssembleResult {
  const rejected: Record<RejectReason, number> = {
    'malformed-config': 0,
    'filter-mismatch': 0,
    'bad-signature': 0,
    'not-permitted': 0,
  };
  type Accepted = { readonly hotkey: string; readonly config: Record<string, unknown> };
  const acceptedRuns: Accepted[] = [];
  const verify = input.verify ?? verifyRunSignature;

  for (const run of input.runs) {
    let config: Record<string, unknown>;
    try {
      config = decodeRunConfig(run.config);
    } catch {
      rejected['malformed-config'] += 1;
      continue;
    }
    if (config.role !== 'validator' || netuidOf(config) !== input.netuid) {
      rejected['filter-mismatch'] += 1;
      continue;
    }
    const hotkey = config.hotkey;
    if (typeof hotkey !== 'string' || !verify(run.name, hotkey, config.signature)) {
      rejected['bad-signature'] += 1;
      continue;
    }
    if (!input.validHotkeys.has(hotkey) && !input.trustedPenaltyHotkeys.has(hotkey)) {
      rejected['not-permitted'] += 1;
      continue;
    }
    acceptedRuns.push({ hotkey, config });
  }

  // Which run supplies each (hotkey, field): the last-listed, i.e. newest, run that has the field.
  const supplier = {
    allocated: new Map<string, number>(),
    stats: new Map<string, number>(),
    penalties: new Map<string, number>(),
  };
  acceptedRuns.forEach(({ hotkey, config }, index) => {
    const permitted = input.validHotkeys.has(hotkey);
    if (permitted && nonEmptyArray(config.allocated_hotkeys)) supplier.allocated.set(hotkey, index);
    if (permitted && statsObject(config.stats) !== null) supplier.stats.set(hotkey, index);
    if (input.trustedPenaltyHotkeys.has(hotkey) && nonEmptyArray(config.penalized_hotkeys_checklist)) {
      supplier.penalties.set(hotkey, index);
    }
  });
  const allocationLists: unknown[] = [];
  const contributions: StatsContribution[] = [];
  const penaltyLists: unknown[] = [];
  acceptedRuns.forEach(({ hotkey, config }, index) => {
    if (supplier.allocated.get(hotkey) === index) allocationLists.push(config.allocated_hotkeys);
    if (supplier.stats.get(hotkey) === index) contributions.push({ stats: config.stats });
    if (supplier.penalties.get(hotkey) === index) penaltyLists.push(config.penalized_hotkeys_checklist);
  });

  const consensus = consensusStats(contributions);
  return {
    state: {
      allocatedHotkeys: unionAllocated(allocationLists),
      penalizedHotkeys: collectPenalties(penaltyLists),
      statsAllocated: consensus.stats,
    },
    accepted: acceptedRuns.length,
    rejected,
    malformedStats: consensus.malformed,
  };
}
