import * as z from 'zod';

const hotkey = z.string().min(1).max(64);
const uid = z.number().int().min(0).max(65_535);
const uidKey = z.string().regex(/^\d{1,5}$/, 'must be a decimal uid');
const finite = z.number().finite();

/** A PoG row's specs. Null fields mark a failure row, which never counts as specs (§4.6). */
export const PogSpecsSchema = z.object({
  gpu_name: z.string().min(1).max(256).nullable(),
  num_gpus: z.number().int().min(0).max(1_024).nullable(),
});

/**
 * Another validator's consensus entry (§6.3). `gpu_specs` stays loose on purpose: the reference only
 * asks "is it a dict", and anything else means "no external specs", not a bad snapshot.
 */
export const ExternalStatSchema = z.looseObject({
  hotkey: z.string().max(64).optional(),
  gpu_specs: z.unknown().optional(),
  score: finite.optional(),
  allocated: z.boolean().optional(),
  own_score: z.boolean().optional(),
  reliability_score: finite.nullable().optional(),
});

/** D2: penalty entries may be plain hotkeys or `{hotkey, status_code, description}` objects. */
export const PenaltyEntrySchema = z.union([z.string(), z.looseObject({ hotkey: z.string() })]);

export const ChainLimitsSchema = z.object({
  minAllowedWeights: z.number().int().min(0).max(65_535),
  /** The chain's `MaxWeightsLimit` on the u16 scale (65535 = no limit). */
  maxWeightsLimit: z.number().int().min(0).max(65_535),
});

/** What the scoring core consumes: one metagraph's view plus local PoG rows and external state. */
export const ScoringSnapshotSchema = z
  .object({
    netuid: z.number().int().min(0).max(65_535),
    mode: z.enum(['scores', 'burn']).default('scores'),
    burnUid: uid.optional(),
    uids: z
      .array(z.object({ uid, hotkey, queryable: z.boolean() }))
      .max(65_536)
      .superRefine((rows, ctx) => {
        const seen = new Set<number>();
        rows.forEach((row, index) => {
          if (seen.has(row.uid))
            ctx.addIssue({ code: 'custom', path: [index, 'uid'], message: `duplicate uid ${row.uid}` });
          seen.add(row.uid);
        });
      }),
    pogSpecs: z.record(hotkey, PogSpecsSchema).default({}),
    allocatedHotkeys: z.array(z.string()).default([]),
    penalizedHotkeys: z.array(PenaltyEntrySchema).default([]),
    statsAllocated: z.record(uidKey, ExternalStatSchema).default({}),
    previousStats: z
      .record(uidKey, z.looseObject({ reliability_score: finite.nullable().optional() }))
      .optional(),
    chainLimits: ChainLimitsSchema.optional(),
  })
  .superRefine((snapshot, ctx) => {
    if (snapshot.mode === 'burn' && snapshot.burnUid === undefined) {
      ctx.addIssue({ code: 'custom', path: ['burnUid'], message: 'is required when mode is "burn"' });
    }
  });

export type ScoringSnapshot = z.output<typeof ScoringSnapshotSchema>;
export type ScoringSnapshotInput = z.input<typeof ScoringSnapshotSchema>;
export type PogSpecs = z.output<typeof PogSpecsSchema>;
