import type { GpuPerformance } from '../config/gpu-performance.js';
import type { UidStat } from '../ports.js';
import { calcScorePog } from './gpu-score.js';
import type { ScoringSnapshot } from './snapshot.js';

/** Which branch of `sync_scores` (§2.3) decided a uid. */
export type SyncBranch =
  | 'not-queryable'
  | 'local-pog'
  | 'external-consensus'
  | 'external-without-specs'
  | 'no-data';

export interface UidDecision {
  readonly uid: number;
  readonly branch: SyncBranch;
  /** The value that enters the 0-1 score vector (before the float32 cast). */
  readonly score: number;
  readonly stat: UidStat;
  readonly penalized: boolean;
  /** Human-readable steps, for `--explain`. */
  readonly reasons: readonly string[];
}

/** What one `sync_scores` pass decides, before anything is persisted. */
export interface SyncScoresOutcome {
  readonly decisions: readonly UidDecision[];
  /** Hotkeys whose PoG rows are deleted (non-queryable uids, §2.3). */
  readonly pogDeletions: readonly string[];
}

/** The external score scale: published on 0-100 (D1). */
const EXTERNAL_SCALE = 100;

function penalizedSet(entries: ScoringSnapshot['penalizedHotkeys']): Set<string> {
  return new Set(entries.map((entry) => (typeof entry === 'string' ? entry : entry.hotkey)));
}

function byUid<T>(entries: Readonly<Record<string, T>>): Map<number, T> {
  return new Map(Object.entries(entries).map(([key, value]) => [Number(key), value]));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The per-uid loop of the reference's `sync_scores` (§2.3), with deviations D1 (external scores divided
 * by 100 for the score vector) and D2 (object-shaped penalty entries). Pure: the caller persists the
 * stats and performs the PoG deletions.
 */
export function syncScores(snapshot: ScoringSnapshot, performance: GpuPerformance): SyncScoresOutcome {
  const allocated = new Set(snapshot.allocatedHotkeys);
  const penalized = penalizedSet(snapshot.penalizedHotkeys);
  const decisions: UidDecision[] = [];
  const pogDeletions: string[] = [];
  // The reference keys these by int(uid), so "007" and "7" name the same uid (the later key wins).
  const externalByUid = byUid(snapshot.statsAllocated);
  const previousByUid = byUid(snapshot.previousStats ?? {});

  for (const { uid, hotkey, queryable } of [...snapshot.uids].sort((a, b) => a.uid - b.uid)) {
    const isAllocated = allocated.has(hotkey);
    if (!queryable) {
      pogDeletions.push(hotkey);
      decisions.push({
        uid,
        branch: 'not-queryable',
        score: 0,
        penalized: false,
        stat: {
          hotkey,
          allocated: isAllocated,
          own_score: true,
          score: 0,
          gpu_specs: null,
          reliability_score: 0,
        },
        reasons: [
          'not queryable (blacklisted, 0.0.0.0 axon, duplicate IP or old version): score 0, PoG rows deleted',
        ],
      });
      continue;
    }

    const reasons: string[] = [];
    let branch: SyncBranch;
    let score: number;
    let statScore: number;
    let specs: UidStat['gpu_specs'];
    let ownScore: boolean;
    const local = snapshot.pogSpecs[hotkey];
    const external = externalByUid.get(uid);

    if (local !== undefined && local.gpu_name !== null && local.num_gpus !== null) {
      branch = 'local-pog';
      specs = { gpu_name: local.gpu_name, num_gpus: local.num_gpus };
      const result = calcScorePog(specs, performance);
      score = result.score;
      statScore = score * 100;
      ownScore = true;
      reasons.push(
        result.kind === 'scored'
          ? `local PoG: ${local.num_gpus} x ${local.gpu_name}; gpu_score ${result.gpuScore} x ${result.countedGpus} GPU(s) counted → ${score}`
          : `local PoG: ${local.num_gpus} x ${local.gpu_name}; ${result.reason} → 0`,
      );
    } else if (external !== undefined && isPlainObject(external.gpu_specs)) {
      branch = 'external-consensus';
      specs = external.gpu_specs;
      // D1: the published score is on 0-100. Out-of-range values from the network are clamped, so one
      // bad publisher cannot take the whole emission.
      const published = external.score ?? 0;
      const bounded = Math.min(Math.max(published, 0), EXTERNAL_SCALE);
      score = bounded / EXTERNAL_SCALE;
      statScore = bounded;
      ownScore = false;
      reasons.push(`no local PoG; external consensus score ${published} (0-100) → ${score}`);
      if (bounded !== published) reasons.push(`external score clamped to ${bounded}`);
    } else {
      branch = external !== undefined ? 'external-without-specs' : 'no-data';
      specs = null;
      score = 0;
      statScore = 0;
      ownScore = true;
      reasons.push(
        branch === 'no-data'
          ? 'no local PoG result and no external consensus entry → 0'
          : 'external entry has no gpu_specs object → 0',
      );
    }

    const isPenalized = penalized.has(hotkey);
    if (isPenalized) {
      score = 0;
      statScore = 0;
      reasons.push('hotkey is on the penalty list → 0');
    }
    const previous = previousByUid.get(uid)?.reliability_score;
    decisions.push({
      uid,
      branch,
      score,
      penalized: isPenalized,
      stat: {
        hotkey,
        allocated: isAllocated,
        own_score: ownScore,
        score: statScore,
        gpu_specs: specs,
        reliability_score: typeof previous === 'number' ? previous : 0,
      },
      reasons,
    });
  }
  return { decisions, pogDeletions };
}
