/**
 * W&B's GraphQL wire format, as its public Python client (`wandb/apis/public/runs.py`, wandb 0.19)
 * reads and writes it:
 * - `project(name, entityName).runs(filters: JSONString, after, first, order)` is a Relay connection:
 *   `edges[].node`, `edges[].cursor`, `pageInfo { endCursor hasNextPage }`.
 * - A run node's `name` is the run id (the 8-character id a validator signs); `id` is the storage id.
 * - `config` is a JSON *string* of `{ key: { value, desc } }`; `_wandb` / `wandb_version` are internal.
 * - Runs are written with the `upsertBucket(input: {...})` mutation, config in the same string format.
 */
import { randomUUID } from 'node:crypto';
import * as z from 'zod';

/** Our own text of the Runs query; field names and arguments are W&B's public schema. */
export const RUNS_QUERY = `query Runs($project: String!, $entity: String!, $cursor: String, $perPage: Int = 50, $order: String, $filters: JSONString) {
  project(name: $project, entityName: $entity) {
    runs(filters: $filters, after: $cursor, first: $perPage, order: $order) {
      edges { node { id name displayName state config createdAt } cursor }
      pageInfo { endCursor hasNextPage }
    }
  }
}`;

/** Creates the run when `name` is new in the project, otherwise updates it (config replaced). */
export const UPSERT_RUN_MUTATION = `mutation UpsertBucket($name: String, $project: String, $entity: String, $displayName: String, $config: JSONString) {
  upsertBucket(input: { name: $name, modelName: $project, entityName: $entity, displayName: $displayName, config: $config }) {
    bucket { id name displayName }
    inserted
  }
}`;

/** `{ data?, errors? }`, the GraphQL-over-HTTP envelope. */
export const GraphqlEnvelopeSchema = z.object({
  data: z.unknown().optional(),
  errors: z
    .array(z.object({ message: z.string().optional() }).loose())
    .optional()
    .nullable(),
});

export const RunNodeSchema = z
  .object({
    id: z.string().optional(),
    name: z.string().min(1).max(128),
    displayName: z.string().nullable().optional(),
    state: z.string().nullable().optional(),
    config: z
      .union([z.string(), z.record(z.string(), z.unknown())])
      .nullable()
      .optional(),
    createdAt: z.string().nullable().optional(),
  })
  .loose();
export type RunNode = z.infer<typeof RunNodeSchema>;

export const RunsPageSchema = z.object({
  project: z
    .object({
      runs: z.object({
        edges: z.array(z.object({ node: z.unknown(), cursor: z.string().nullable().optional() }).loose()),
        pageInfo: z.object({
          endCursor: z.string().nullable().optional(),
          hasNextPage: z.boolean(),
        }),
      }),
    })
    .nullable(),
});

export const UpsertResultSchema = z.object({
  upsertBucket: z.object({
    bucket: z.object({ id: z.string().optional(), name: z.string().min(1) }).loose(),
    inserted: z.boolean().nullable().optional(),
  }),
});

const NON_FINITE: ReadonlyArray<readonly [string, number]> = [
  ['-Infinity', Number.NEGATIVE_INFINITY],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['NaN', Number.NaN],
];

/**
 * `JSON.parse` that also takes the bare `NaN`, `Infinity` and `-Infinity` Python's `json` writes
 * (a validator's run config may hold them), as those numbers; anything else JSON.parse refuses is
 * still refused. Tokens inside strings are left alone.
 * @throws {SyntaxError} when the text is not JSON in that sense.
 */
export function parsePythonJson(text: string): unknown {
  // a per-call random marker: a hostile string cannot collide with it
  const marker = `pyjson-${randomUUID()}-`;
  let out = '';
  let plainFrom = 0;
  let replaced = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      // skip the string, escapes included
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      continue;
    }
    if (c !== 'N' && c !== 'I' && c !== '-') continue;
    const token = NON_FINITE.find(([word]) => text.startsWith(word, i));
    if (token === undefined) continue;
    out += `${text.slice(plainFrom, i)}"${marker}${token[0]}"`;
    i += token[0].length - 1;
    plainFrom = i + 1;
    replaced = true;
  }
  if (!replaced) return JSON.parse(text);
  out += text.slice(plainFrom);
  return JSON.parse(out, (_key, value: unknown) => {
    if (typeof value !== 'string' || !value.startsWith(marker)) return value;
    return NON_FINITE.find(([word]) => value === marker + word)?.[1] ?? value;
  });
}

const INTERNAL_KEYS = new Set(['_wandb', 'wandb_version']);

/**
 * Decodes a run's `config` (a JSON string of `{key: {value, desc}}`, read as Python's `json` reads
 * it: `NaN` and `±Infinity` allowed) into plain `{key: value}`,
 * dropping W&B's internal keys, as the Python client's `Run.config` does. A value that is not
 * wrapped in `{value}` is taken as is.
 * @throws {SyntaxError|TypeError} when the string is not a JSON object (callers reject the run).
 */
export function decodeRunConfig(
  raw: string | Record<string, unknown> | null | undefined,
): Record<string, unknown> {
  if (raw === null || raw === undefined) return {};
  const parsed: unknown = typeof raw === 'string' ? parsePythonJson(raw) : raw;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new TypeError('run config is not a JSON object');
  }
  const out: Record<string, unknown> = {};
  for (const [key, wrapped] of Object.entries(parsed)) {
    if (INTERNAL_KEYS.has(key)) continue;
    const isWrapped =
      typeof wrapped === 'object' && wrapped !== null && !Array.isArray(wrapped) && 'value' in wrapped;
    out[key] = isWrapped ? (wrapped as { value: unknown }).value : wrapped;
  }
  return out;
}

/** Encodes `{key: value}` in W&B's config wire format, the inverse of {@link decodeRunConfig}. */
export function encodeRunConfig(config: Readonly<Record<string, unknown>>): string {
  const wrapped: Record<string, { value: unknown; desc: null }> = {};
  for (const [key, value] of Object.entries(config)) wrapped[key] = { value, desc: null };
  return JSON.stringify(wrapped);
}
