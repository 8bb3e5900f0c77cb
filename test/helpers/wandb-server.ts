/**
 * A local stand-in for W&B's GraphQL API (`POST <baseUrl>/graphql`) on 127.0.0.1, answering in the
 * wire format W&B's public Python client reads and writes (wandb/wandb `wandb/apis/public/runs.py`,
 * `api.py`, wandb 0.19), so lib/wandb is tested against the real shapes:
 * - auth: HTTP basic `api:<key>` (the client's `auth=("api", key)`); anything else is HTTP 401.
 * - `project(name, entityName) { runs(filters, after, first, order) }`: a Relay connection,
 *   `edges[] { node, cursor }` + `pageInfo { endCursor hasNextPage }` (`Runs.more` / `Runs.cursor`);
 *   `project` is `null` for an unknown project (`convert_objects` raises "Could not find project").
 * - a run node's `name` is the run id, `id` the storage id, `displayName` the display name, `config`
 *   a JSON string of `{key: {value, desc}}` (`Run._load_from_attrs`, `Run.json_config`).
 * - `filters` is a JSONString holding a MongoDB-style query (`Runs.__init__` sends
 *   `json.dumps(filters)`); `config.<key>[.<sub>]` addresses a config value (the reference filters on
 *   `config.role`, `config.config.netuid`, `config.hotkey`), `display_name` the display name; `$and`,
 *   `$or`, `$in`, `$exists`, `$eq`, `$ne` are supported. `order` `-created_at` = newest first.
 * - `upsertBucket(input: {name, modelName, entityName, displayName, config})` creates or updates a
 *   run by name and answers `{ bucket { id name displayName }, inserted }` (`Run.create`).
 * - errors: the GraphQL-over-HTTP envelope `{ errors: [{ message }], data: null }`.
 * Faults (delay, HTTP status with Retry-After, garbage, GraphQL errors, an error echoing the
 * Authorization header, oversized or never-ending bodies) are injected
 * per request through {@link WandbServer.fault}.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StoredRun {
  /** Run id (`name` on the wire). */
  name: string;
  displayName: string;
  state: string;
  /** Plain `{key: value}`; stored and served in the `{key: {value, desc}}` wire format. */
  config: Record<string, unknown>;
  createdAt: string;
  /** Served verbatim instead of the encoded `config` (a malformed config); filters still see `config`. */
  rawConfig?: string;
}

export type Fault =
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'status'; readonly status: number; readonly retryAfter?: string }
  /** A GraphQL error quoting the request's Authorization header and the key it decodes to (a canary). */
  | { readonly kind: 'echo-auth' }
  | { readonly kind: 'garbage' }
  | { readonly kind: 'graphql-error'; readonly message: string }
  | { readonly kind: 'oversized'; readonly bytes: number }
  | { readonly kind: 'stall' }
  | { readonly kind: 'raw'; readonly body: string };

export interface RecordedRequest {
  readonly authorization: string | undefined;
  readonly query: string;
  readonly variables: Record<string, unknown>;
}

export interface WandbServer {
  readonly url: string;
  readonly entity: string;
  readonly project: string;
  readonly runs: StoredRun[];
  readonly requests: RecordedRequest[];
  /** Consulted on every request (0-based index); a returned fault replaces the normal answer. */
  fault: ((index: number, request: RecordedRequest) => Fault | undefined) | undefined;
  addRun(run: Partial<StoredRun> & { name: string; config: Record<string, unknown> }): StoredRun;
  stop(): Promise<void>;
}

function encodeConfig(config: Record<string, unknown>): string {
  const wrapped: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) wrapped[key] = { value, desc: null };
  return JSON.stringify(wrapped);
}

function decodeConfig(text: unknown): Record<string, unknown> {
  if (typeof text !== 'string') return {};
  const parsed = JSON.parse(text) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parsed)) {
    out[key] =
      typeof value === 'object' && value !== null && 'value' in value
        ? (value as { value: unknown }).value
        : value;
  }
  return out;
}

function lookup(run: StoredRun, path: string): unknown {
  if (path === 'display_name') return run.displayName;
  if (path === 'state') return run.state;
  if (path === 'name') return run.name;
  if (!path.startsWith('config.')) return undefined;
  let current: unknown = run.config;
  for (const part of path.slice('config.'.length).split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function matches(run: StoredRun, filter: Record<string, unknown>): boolean {
  return Object.entries(filter).every(([key, condition]) => {
    if (key === '$and') return (condition as Record<string, unknown>[]).every((f) => matches(run, f));
    if (key === '$or') return (condition as Record<string, unknown>[]).some((f) => matches(run, f));
    const value = lookup(run, key);
    const isOperator =
      typeof condition === 'object' &&
      condition !== null &&
      !Array.isArray(condition) &&
      Object.keys(condition).every((k) => k.startsWith('$'));
    if (!isOperator) return same(value, condition);
    return Object.entries(condition as Record<string, unknown>).every(([op, operand]) => {
      switch (op) {
        case '$exists':
          return (value !== undefined) === operand;
        case '$in':
          return (operand as unknown[]).some((candidate) => same(candidate, value));
        case '$eq':
          return same(value, operand);
        case '$ne':
          return !same(value, operand);
        default:
          throw new Error(`unsupported filter operator ${op}`);
      }
    });
  });
}

const cursorOf = (position: number): string => Buffer.from(`cursor:${position}`).toString('base64');
const positionOf = (cursor: unknown): number =>
  typeof cursor === 'string' ? Number(Buffer.from(cursor, 'base64').toString().split(':')[1]) : -1;

/** Starts the server on an ephemeral port of 127.0.0.1. */
export async function startWandbServer(
  options: { apiKey?: string; entity?: string; project?: string } = {},
): Promise<WandbServer> {
  const apiKey = options.apiKey ?? 'test-key';
  const expectedAuth = `Basic ${Buffer.from(`api:${apiKey}`).toString('base64')}`;
  const entity = options.entity ?? 'neuralinternet';
  const project = options.project ?? 'opencompute';
  const runs: StoredRun[] = [];
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let clock = Date.parse('2026-01-01T00:00:00Z');

  const state: WandbServer = {
    url: '',
    entity,
    project,
    runs,
    requests,
    fault: undefined,
    addRun(run) {
      clock += 1000;
      const stored: StoredRun = {
        displayName: `run-${run.name}`,
        state: 'running',
        createdAt: new Date(clock).toISOString(),
        ...run,
      };
      runs.push(stored);
      return stored;
    },
    async stop() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const json = (res: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  function answerRuns(variables: Record<string, unknown>): unknown {
    if (variables.entity !== entity || variables.project !== project) return { project: null };
    const filters =
      typeof variables.filters === 'string' ? (JSON.parse(variables.filters) as Record<string, unknown>) : {};
    const ordered = runs.filter((run) => matches(run, filters));
    ordered.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    if (variables.order !== '+created_at') ordered.reverse();
    const first = typeof variables.perPage === 'number' ? variables.perPage : 50;
    const start = positionOf(variables.cursor) + 1;
    const slice = ordered.slice(start, start + first);
    const edges = slice.map((run, i) => ({
      node: {
        id: Buffer.from(`Run:v1:${run.name}:${project}:${entity}`).toString('base64'),
        name: run.name,
        displayName: run.displayName,
        state: run.state,
        config: run.rawConfig ?? encodeConfig(run.config),
        createdAt: run.createdAt,
      },
      cursor: cursorOf(start + i),
    }));
    return {
      project: {
        runs: {
          edges,
          pageInfo: { endCursor: edges.at(-1)?.cursor ?? null, hasNextPage: start + first < ordered.length },
        },
      },
    };
  }

  function answerUpsert(variables: Record<string, unknown>): unknown {
    const name = String(variables.name);
    let run = runs.find((candidate) => candidate.name === name);
    const inserted = run === undefined;
    if (!run) run = state.addRun({ name, config: {} });
    if (typeof variables.displayName === 'string') run.displayName = variables.displayName;
    if (typeof variables.config === 'string') {
      run.config = decodeConfig(variables.config);
      delete run.rawConfig;
    }
    return {
      upsertBucket: {
        bucket: {
          id: Buffer.from(`Run:v1:${run.name}:${project}:${entity}`).toString('base64'),
          name: run.name,
          displayName: run.displayName,
        },
        inserted,
      },
    };
  }

  function applyFault(res: ServerResponse, fault: Fault, respond: () => void): void {
    switch (fault.kind) {
      case 'delay': {
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!res.destroyed) respond();
        }, fault.ms);
        timers.add(timer);
        return;
      }
      case 'status':
        if (fault.retryAfter !== undefined) res.setHeader('retry-after', fault.retryAfter);
        json(res, fault.status, { errors: [{ message: `status ${fault.status}` }] });
        return;
      case 'echo-auth': {
        const header = String(res.req.headers.authorization ?? '');
        const decoded = Buffer.from(header.replace(/^Basic\s+/i, ''), 'base64').toString('utf8');
        json(res, 200, {
          errors: [{ message: `permission denied for authorization=${header} (user ${decoded})` }],
          data: null,
        });
        return;
      }
      case 'garbage':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('<html>502 Bad Gateway</html>');
        return;
      case 'graphql-error':
        json(res, 200, { errors: [{ message: fault.message, path: ['project'] }], data: null });
        return;
      case 'oversized':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`{"data":"${'x'.repeat(fault.bytes)}"}`);
        return;
      case 'stall':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"data":');
        return;
      case 'raw':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(fault.body);
        return;
    }
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/graphql') return json(res, 404, { error: 'not found' });
      let body: { query?: unknown; variables?: unknown };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch {
        return json(res, 400, { errors: [{ message: 'Must provide query string.' }] });
      }
      const recorded: RecordedRequest = {
        authorization: req.headers.authorization,
        query: String(body.query ?? ''),
        variables: (body.variables ?? {}) as Record<string, unknown>,
      };
      const index = requests.push(recorded) - 1;
      const respond = (): void => {
        if (recorded.authorization !== expectedAuth) {
          res.writeHead(401, { 'content-type': 'text/plain' });
          res.end('Unauthorized');
          return;
        }
        if (/\bupsertBucket\s*\(/.test(recorded.query)) {
          json(res, 200, { data: answerUpsert(recorded.variables) });
        } else if (/\bruns\s*\(/.test(recorded.query)) {
          json(res, 200, { data: answerRuns(recorded.variables) });
        } else {
          json(res, 400, { errors: [{ message: 'unsupported operation' }], data: null });
        }
      };
      const fault = state.fault?.(index, recorded);
      if (fault) applyFault(res, fault, respond);
      else respond();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  Object.assign(state, { url: `http://127.0.0.1:${port}` });
  return state;
}
