import { TimeoutError } from '../errors.js';
import { readBoundedText } from '../http.js';
import { WandbHttpError, WandbResponseError } from './errors.js';
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

/**
 * A small W&B GraphQL client over `fetch`: one deadline per request (body included), a bounded
 * response size, and typed errors. It never logs; callers decide what a failure means.
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
   * Sends one GraphQL operation and returns its `data`.
   * @throws {TimeoutError} past `timeoutMs`, or when `signal` aborts (the caller's overall deadline).
   * @throws {WandbHttpError} on a non-2xx status; {@link WandbResponseError} on an oversized,
   *   non-JSON or `errors`-carrying body.
   */
  async request(
    query: string,
    variables: Readonly<Record<string, unknown>>,
    signal?: AbortSignal,
  ): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const combined = signal ? AbortSignal.any([timeout, signal]) : timeout;
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
        signal: combined,
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
        throw new WandbHttpError(response.status, `W&B answered HTTP ${response.status}`);
      }
    } catch (error) {
      if (timeout.aborted) {
        throw new TimeoutError(`W&B did not answer within ${this.options.timeoutMs} ms`, { cause: error });
      }
      if (signal?.aborted) {
        throw new TimeoutError('W&B request abandoned: the caller aborted or its deadline passed', {
          cause: error,
        });
      }
      throw error;
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
      const first = envelope.data.errors[0]?.message ?? 'unknown error';
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
