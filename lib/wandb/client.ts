import { TimeoutError } from '../errors.js';
import { callSignal, readBoundedText } from '../http.js';
import { WandbHttpError, WandbResponseError } from './errors.js';
import { redactSecrets } from './redact.js';
import {
  GraphqlEnvelopeSchema,
  RUNS_QUERY,
  type RunNode,
  RunNodeSchema,
  RunsPageSchema,
  UPSERT_RUN_MUTATION,
  UpsertResultSchema,
} from './wire.js';

export interface WandbClientOptions {
  /** API origin, e.g. `https://api.wandb.ai`. */
  readonly baseUrl: string;
  /** W&B API key (from Secrets Manager); sent as HTTP basic auth `api:<key>`, like W&B's clients. */
  readonly apiKey?: string;
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  /**
   * Further tries of a request that failed with 429, 408, 5xx, a network error or its own timeout
   * (W&B's Python client retries such failures too). @default 0
   */
  readonly retries?: number;
  /** First backoff, doubled per retry with ±50 % jitter; a `Retry-After` up to 30 s wins. @default 1000 */
  readonly retryBaseMs?: number;
  /** Injected for tests; defaults to the global `fetch`. */
  readonly fetch?: typeof fetch;
}

/** One page of runs. Nodes that fail the wire schema are counted, not thrown. */
export interface RunsPage {
  readonly runs: readonly RunNode[];
  readonly malformed: number;
  readonly endCursor: string | null;
  readonly hasNextPage: boolean;
}

export interface ListRunsRequest {
  readonly entity: string;
  readonly project: string;
  /** MongoDB-style filter, sent as the `filters` JSONString (e.g. `{"$and": [{"config.role": "validator"}]}`). */
  readonly filters: Readonly<Record<string, unknown>>;
  /** `+created_at` = oldest first (the Python client's default since 0.17), `-created_at` = newest first. */
  readonly order?: string;
  readonly perPage: number;
  readonly cursor?: string | null;
}

export interface UpsertRunRequest {
  readonly entity: string;
  readonly project: string;
  /** Run id (`name` on the wire). */
  readonly runId: string;
  readonly displayName: string;
  /** Already in wire format (see `encodeRunConfig`). */
  readonly config: string;
}

const RETRY_AFTER_CAP_MS = 30_000;

function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Worth another try: rate limiting, a server fault, a lost connection or our own per-request timeout. */
function isTransient(error: unknown, signal: AbortSignal | undefined): boolean {
  if (signal?.aborted) return false;
  if (error instanceof WandbHttpError)
    return error.status === 429 || error.status === 408 || error.status >= 500;
  if (error instanceof TimeoutError) return true;
  // fetch's own network failures ("fetch failed", connection reset) are TypeErrors
  return error instanceof TypeError;
}

function sleepUnlessAborted(ms: number, signal: AbortSignal | undefined, last: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const abandon = () => {
      clearTimeout(timer);
      reject(
        new TimeoutError('W&B request abandoned: the deadline passed while waiting to retry', {
          cause: last,
        }),
      );
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abandon);
      resolve();
    }, ms);
    if (signal?.aborted) abandon();
    else signal?.addEventListener('abort', abandon, { once: true });
  });
}

/**
 * A small W&B GraphQL client over `fetch`: one deadline per request (body included), bounded retries
 * of transient failures, a bounded response size, and typed errors whose text never holds the key. It never logs; callers decide what a failure means.
 */
export class WandbClient {
  private readonly endpoint: string;
  private readonly authorization: string | undefined;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly options: WandbClientOptions) {
    this.endpoint = `${options.baseUrl.replace(/\/+$/, '')}/graphql`;
    this.authorization =
      options.apiKey === undefined
        ? undefined
        : `Basic ${Buffer.from(`api:${options.apiKey}`).toString('base64')}`;
    this.fetchFn = options.fetch ?? fetch;
  }

  /**
   * Sends one GraphQL operation and returns its `data`, retrying transient failures (see
   * {@link WandbClientOptions.retries}) until `signal` (the caller's deadline) aborts.
   * @throws the last failure, as {@link WandbClient.requestOnce}.
   */
  async request(
    query: string,
    variables: Readonly<Record<string, unknown>>,
    signal?: AbortSignal,
  ): Promise<unknown> {
    const retries = this.options.retries ?? 0;
    const base = this.options.retryBaseMs ?? 1_000;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.requestOnce(query, variables, signal);
      } catch (error) {
        if (attempt >= retries || !isTransient(error, signal)) throw error;
        const backoff = base * 2 ** attempt * (0.5 + Math.random());
        const wait =
          error instanceof WandbHttpError && error.retryAfterMs !== undefined
            ? Math.min(error.retryAfterMs, RETRY_AFTER_CAP_MS)
            : backoff;
        await sleepUnlessAborted(wait, signal, error);
      }
    }
  }

  /**
   * Sends one GraphQL operation once and returns its `data`.
   * @throws {TimeoutError} past `timeoutMs`, or when `signal` aborts (the caller's overall deadline).
   * @throws {WandbHttpError} on a non-2xx status; {@link WandbResponseError} on an oversized,
   *   non-JSON or `errors`-carrying body.
   */
  private async requestOnce(
    query: string,
    variables: Readonly<Record<string, unknown>>,
    signal?: AbortSignal,
  ): Promise<unknown> {
    const call = callSignal(this.options.timeoutMs, signal);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
    };
    if (this.authorization) headers.authorization = this.authorization;
    let text: string;
    try {
      const response = await this.fetchFn(this.endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables }),
        signal: call.signal,
        redirect: 'error',
      });
      text = await readBoundedText(
        response,
        this.options.maxResponseBytes,
        (bytes) =>
          new WandbResponseError(
            `W&B response of ${bytes} bytes exceeds the ${this.options.maxResponseBytes}-byte limit`,
          ),
      );
      if (!response.ok) {
        // The status says enough; the body may echo request details, so it is not repeated.
        throw new WandbHttpError(
          response.status,
          `W&B answered HTTP ${response.status}`,
          retryAfterMs(response.headers.get('retry-after')),
        );
      }
    } catch (error) {
      if (call.timedOut()) {
        throw new TimeoutError(`W&B did not answer within ${this.options.timeoutMs} ms`, { cause: error });
      }
      if (signal?.aborted) {
        throw new TimeoutError('W&B request abandoned: the caller aborted or its deadline passed', {
          cause: error,
        });
      }
      throw error;
    } finally {
      call.dispose();
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new WandbResponseError('W&B answered with a body that is not JSON', { cause: error });
    }
    const envelope = GraphqlEnvelopeSchema.safeParse(json);
    if (!envelope.success)
      throw new WandbResponseError('W&B answered with a body that is not a GraphQL result');
    if (envelope.data.errors && envelope.data.errors.length > 0) {
      // redacted before it is cut: a server may quote our Authorization header in its message
      const first = redactSecrets(envelope.data.errors[0]?.message ?? 'unknown error', [this.options.apiKey]);
      throw new WandbResponseError(`W&B GraphQL error: ${first.slice(0, 200)}`);
    }
    if (envelope.data.data === undefined || envelope.data.data === null) {
      throw new WandbResponseError('W&B answered without data');
    }
    return envelope.data.data;
  }

  /**
   * Fetches one page of a project's runs.
   * @throws as {@link WandbClient.request}; a missing project is a {@link WandbResponseError}.
   */
  async listRunsPage(request: ListRunsRequest, signal?: AbortSignal): Promise<RunsPage> {
    const data = await this.request(
      RUNS_QUERY,
      {
        entity: request.entity,
        project: request.project,
        filters: JSON.stringify(request.filters),
        order: request.order ?? '+created_at',
        perPage: request.perPage,
        cursor: request.cursor ?? null,
      },
      signal,
    );
    const page = RunsPageSchema.safeParse(data);
    if (!page.success) throw new WandbResponseError('W&B runs page does not have the expected shape');
    if (page.data.project === null) {
      throw new WandbResponseError(`W&B project ${request.entity}/${request.project} not found`);
    }
    const { edges, pageInfo } = page.data.project.runs;
    const runs: RunNode[] = [];
    let malformed = 0;
    for (const edge of edges) {
      const node = RunNodeSchema.safeParse(edge.node);
      if (node.success) runs.push(node.data);
      else malformed += 1;
    }
    const lastCursor = edges.at(-1)?.cursor ?? null;
    return {
      runs,
      malformed,
      endCursor: pageInfo.endCursor ?? lastCursor,
      hasNextPage: pageInfo.hasNextPage,
    };
  }

  /**
   * Creates or updates a run (`upsertBucket`), replacing its config.
   * @returns the run id W&B stored and whether the run was created.
   */
  async upsertRun(
    request: UpsertRunRequest,
    signal?: AbortSignal,
  ): Promise<{ runId: string; inserted: boolean }> {
    const data = await this.request(
      UPSERT_RUN_MUTATION,
      {
        entity: request.entity,
        project: request.project,
        name: request.runId,
        displayName: request.displayName,
        config: request.config,
      },
      signal,
    );
    const result = UpsertResultSchema.safeParse(data);
    if (!result.success)
      throw new WandbResponseError('W&B upsertBucket result does not have the expected shape');
    return {
      runId: result.data.upsertBucket.bucket.name,
      inserted: result.data.upsertBucket.inserted === true,
    };
  }
}
