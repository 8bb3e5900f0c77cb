/**
 * The pure part of reading other validators' state (reference §6.2–§6.4): which validators count,
 * which stats entries are eligible, the dominant-entry consensus, the allocated-hotkeys union and
 * the penalty list. Inputs are untrusted run config values; nothing here throws on bad data.
 */
import * as z from 'zod';
import type { Metagraph, UidStat } from '../ports.js';

/** Bounds on what one run may contribute; past them the rest is ignored. */
export const LIMITS = {
  hotkeyLength: 64,
  listEntries: 4_096,
  statsEntries: 4_096,
  maxUid: 65_535,
  textLength: 256,
} as const;

/** A penalty entry as the scoring snapshot consumes it: a hotkey, or a D2 object. */
export type PenaltyEntry =
  | string
  | { readonly hotkey: string; readonly status_code?: string; readonly description?: string };

/** Hotkeys of neurons whose stake is strictly above `permitStake` (the reference's `get_valid_validator_hotkeys`). */
export function validValidatorHotkeys(metagraph: Metagraph, permitStake: number): Set<string> {
  const valid = new Set<string>();
  for (const neuron of metagraph.neurons) {
    if (Number.isFinite(neuron.stake) && neuron.stake > permitStake) valid.add(neuron.hotkey);
  }
  return valid;
}

const hotkeyString = z.string().min(1).max(LIMITS.hotkeyLength);
const gpuName = z.string().min(1).max(LIMITS.textLength);
const gpuCount = z.number().int().min(0).max(1_024);

// v1.9.0 publishes gpu_specs {gpu_name, num_gpus}; later reference code publishes `gpu_num`, sometimes
// flattened next to `gpu_name`. All three are read into one shape so the consensus triple compares equal.
const StatEntrySchema = z
  .object({
    hotkey: hotkeyString,
    score: z.number().finite().min(0).max(100),
    allocated: z.boolean(),
    own_score: z.boolean(),
    reliability_score: z.number().finite().nullish(),
    gpu_specs: z
      .object({ gpu_name: gpuName.nullish(), num_gpus: gpuCount.nullish(), gpu_num: gpuCount.nullish() })
      .loose()
      .nullish(),
    gpu_name: gpuName.nullish(),
    gpu_num: gpuCount.nullish(),
  })
  .loose();

/**
 * Parses one published stats entry into a {@link UidStat}; `null` when malformed (missing
 * hotkey, score outside 0–100 or not finite, non-boolean flags). `gpu_specs` is `null` unless a GPU
 * name is present.
 */
export function parseStatEntry(raw: unknown): UidStat | null {
  const parsed = StatEntrySchema.safeParse(raw);
  if (!parsed.success) return null;
  const entry = parsed.data;
  const name = entry.gpu_specs?.gpu_name ?? entry.gpu_name ?? null;
  const count = entry.gpu_specs?.num_gpus ?? entry.gpu_specs?.gpu_num ?? entry.gpu_num ?? 0;
  return {
    hotkey: entry.hotkey,
    gpu_specs: name === null ? null : { gpu_name: name, num_gpus: count },
    score: entry.score,
    allocated: entry.allocated,
    own_score: entry.own_score,
    reliability_score: entry.reliability_score ?? 0,
  };
}

/** §6.3 step 2: only a validator's own (local) result for a miner it allocated, with a positive score. */
export function isConsensusCandidate(raw: unknown): boolean {
  if (typeof raw !== 'object' || raw === null) return false;
  const entry = raw as Record<string, unknown>;
  return (
    entry.own_score === true && entry.allocated === true && typeof entry.score === 'number' && entry.score > 0
  );
}

/** Canonical uid key (`"007"` → `"7"`), or `null` for anything that is not a uid. */
export function canonicalUid(key: string): string | null {
  if (!/^\d{1,5}$/.test(key)) return null;
  const uid = Number(key);
  return uid <= LIMITS.maxUid ? String(uid) : null;
}

/** A run's `stats` value: an object keyed by uid, or (as the reference guards) that object as a JSON string. */
export function statsObject(value: unknown): Record<string, unknown> | null {
  let candidate = value;
  if (typeof candidate === 'string') {
    try {
      candidate = JSON.parse(candidate);
    } catch {
      return null;
    }
  }
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) return null;
  return candidate as Record<string, unknown>;
}

function tripleKey(stat: UidStat): string {
  return JSON.stringify([stat.gpu_specs?.gpu_name ?? null, stat.gpu_specs?.num_gpus ?? null, stat.score]);
}

/**
 * §6.3 `pick_dominant_dict`: the most common `(gpu_name, num_gpus, score)` triple wins; among
 * equally common triples the highest score wins (the first such triple seen on a further tie);
 * the first entry carrying the winning triple is returned.
 * @param entries non-empty, in the order the runs were read.
 */
export function pickDominant(entries: readonly UidStat[]): UidStat {
  const counts = new Map<string, { count: number; score: number }>();
  for (const entry of entries) {
    const key = tripleKey(entry);
    const seen = counts.get(key);
    if (seen) seen.count += 1;
    else counts.set(key, { count: 1, score: entry.score });
  }
  let bestKey: string | undefined;
  let best = { count: -1, score: Number.NEGATIVE_INFINITY };
  for (const [key, value] of counts) {
    if (value.count > best.count || (value.count === best.count && value.score > best.score)) {
      bestKey = key;
      best = value;
    }
  }
  const chosen = entries.find((entry) => tripleKey(entry) === bestKey);
  if (!chosen) throw new RangeError('pickDominant needs at least one entry');
  return chosen;
}

/** What one accepted validator run contributes to the consensus. */
export interface StatsContribution {
  /** The run's decoded `config.stats`. */
  readonly stats: unknown;
}

export interface ConsensusResult {
  readonly stats: Record<string, UidStat>;
  /** Eligible-looking entries dropped because they failed validation. */
  readonly malformed: number;
}

/**
 * §6.3 consensus for allocated miners over accepted runs (in read order): keep eligible entries,
 * then one entry per uid (the only one, or the dominant one), marked `own_score: true`.
 */
export function consensusStats(contributions: Iterable<StatsContribution>): ConsensusResult {
  const perUid = new Map<string, UidStat[]>();
  let malformed = 0;
  for (const { stats } of contributions) {
    const object = statsObject(stats);
    if (!object) continue;
    let seen = 0;
    for (const [key, raw] of Object.entries(object)) {
      if (++seen > LIMITS.statsEntries) break;
      if (!isConsensusCandidate(raw)) continue;
      const uid = canonicalUid(key);
      const stat = parseStatEntry(raw);
      if (uid === null || stat === null) {
        malformed += 1;
        continue;
      }
      const list = perUid.get(uid);
      if (list) list.push(stat);
      else perUid.set(uid, [stat]);
    }
  }
  const result: Record<string, UidStat> = {};
  for (const [uid, entries] of perUid) {
    const nonZero = entries.filter((entry) => entry.score !== 0);
    if (nonZero.length === 0) continue;
    const chosen = nonZero.length === 1 ? (nonZero[0] as UidStat) : pickDominant(nonZero);
    result[uid] = { ...chosen, own_score: true };
  }
  return { stats: result, malformed };
}

/** §6.2: the union of allocation lists (strings only, first-seen order, no duplicates). */
export function unionAllocated(lists: Iterable<unknown>): string[] {
  const out = new Set<string>();
  for (const list of lists) {
    if (!Array.isArray(list)) continue;
    for (const entry of list.slice(0, LIMITS.listEntries)) {
      if (hotkeyString.safeParse(entry).success) out.add(entry as string);
    }
  }
  return [...out];
}

const PenaltyObjectSchema = z
  .object({
    hotkey: hotkeyString,
    status_code: z.string().max(LIMITS.textLength).optional().catch(undefined),
    description: z
      .string()
      .transform((text) => text.slice(0, LIMITS.textLength))
      .optional()
      .catch(undefined),
  })
  .loose();

/**
 * §6.4 + D2: concatenated penalty lists; each entry a hotkey string or `{hotkey, status_code,
 * description}` (kept as such, other keys dropped). One entry per hotkey, first seen wins.
 */
export function collectPenalties(lists: Iterable<unknown>): PenaltyEntry[] {
  const out: PenaltyEntry[] = [];
  const seen = new Set<string>();
  for (const list of lists) {
    if (!Array.isArray(list)) continue;
    for (const entry of list.slice(0, LIMITS.listEntries)) {
      let penalty: PenaltyEntry | null = null;
      if (typeof entry === 'string') {
        penalty = hotkeyString.safeParse(entry).success ? entry : null;
      } else {
        const parsed = PenaltyObjectSchema.safeParse(entry);
        if (parsed.success) {
          const { hotkey, status_code, description } = parsed.data;
          penalty = {
            hotkey,
            ...(status_code === undefined ? {} : { status_code }),
            ...(description === undefined ? {} : { description }),
          };
        }
      }
      if (penalty === null) continue;
      const hotkey = typeof penalty === 'string' ? penalty : penalty.hotkey;
      if (seen.has(hotkey)) continue;
      seen.add(hotkey);
      out.push(penalty);
    }
  }
  return out;
}
