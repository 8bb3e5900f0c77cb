import { describe, expect, it } from 'vitest';
import { TimeoutError } from '../../../lib/errors.js';
import { WandbClient } from '../../../lib/wandb/client.js';
import { WandbResponseError } from '../../../lib/wandb/errors.js';

function stubFetch(respond: (url: string, init: RequestInit) => Response | Promise<Response>) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const fn = (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), init: init ?? {} });
    return respond(String(url), init ?? {});
  }) as typeof fetch;
  return { fn, calls };
}

const page = {
  data: {
    project: {
      runs: {
        edges: [
          {
            node: { id: 'UnVuOnYx', name: 'abc12345', displayName: 'validator-x', config: '{}' },
            cursor: 'c1',
          },
          { node: { id: 'broken' }, cursor: 'c2' },
        ],
        pageInfo: { endCursor: 'c2', hasNextPage: true },
      },
    },
  },
};

describe('Class: WandbClient', () => {
  it('posts the Runs query to <baseUrl>/graphql with basic auth api:<key> and JSONString filters', async () => {
    // Prepare
    const { fn, calls } = stubFetch(() => Response.json(page));
    const client = new WandbClient({
      baseUrl: 'https://wandb.test/',
      apiKey: 'k3y',
      timeoutMs: 1_000,
      maxResponseBytes: 1e6,
      fetch: fn,
    });
    // Act
    const result = await client.listRunsPage({
      entity: 'e',
      project: 'p',
      filters: { 'config.role': 'validator' },
      perPage: 7,
    });
    // Assess
    expect(calls[0]?.url).toBe('https://wandb.test/graphql');
    expect(new Headers(calls[0]?.init.headers).get('authorization')).toBe(`Basic ${btoa('api:k3y')}`);
    const body = JSON.parse(String(calls[0]?.init.body));
    expect(body.variables).toEqual({
      entity: 'e',
      project: 'p',
      filters: '{"config.role":"validator"}',
      order: '+created_at',
      perPage: 7,
      cursor: null,
    });
    expect(body.query).toMatch(
      /runs\(filters: \$filters, after: \$cursor, first: \$perPage, order: \$order\)/,
    );
    expect(result).toMatchObject({ malformed: 1, endCursor: 'c2', hasNextPage: true });
    expect(result.runs.map((r) => r.name)).toEqual(['abc12345']);
  });

  it('refuses a declared content-length above the limit without reading the body', async () => {
    // Prepare
    const { fn } = stubFetch(() => new Response('{}', { headers: { 'content-length': '5000' } }));
    const client = new WandbClient({
      baseUrl: 'http://x',
      timeoutMs: 1_000,
      maxResponseBytes: 100,
      fetch: fn,
    });
    // Act / Assess
    await expect(client.request('{ viewer { id } }', {})).rejects.toThrow(WandbResponseError);
  });

  it('turns an abort past the deadline into a TimeoutError', async () => {
    // Prepare
    const { fn } = stubFetch(
      (_url, init) =>
        new Promise((_resolve, reject) => {
          init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
        }),
    );
    const client = new WandbClient({ baseUrl: 'http://x', timeoutMs: 30, maxResponseBytes: 100, fetch: fn });
    // Act / Assess
    await expect(client.request('{ viewer { id } }', {})).rejects.toThrow(TimeoutError);
  });

  it('names the caller deadline when its signal aborts first', async () => {
    // Prepare
    const { fn } = stubFetch(
      (_url, init) =>
        new Promise((_resolve, reject) => {
          init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
        }),
    );
    const client = new WandbClient({
      baseUrl: 'http://x',
      timeoutMs: 10_000,
      maxResponseBytes: 100,
      fetch: fn,
    });
    // Act / Assess
    await expect(client.request('{ viewer { id } }', {}, AbortSignal.timeout(20))).rejects.toThrow(
      /deadline passed/,
    );
  });

  it('reports a null project as not found', async () => {
    // Prepare
    const { fn } = stubFetch(() => Response.json({ data: { project: null } }));
    const client = new WandbClient({
      baseUrl: 'http://x',
      timeoutMs: 1_000,
      maxResponseBytes: 1e6,
      fetch: fn,
    });
    // Act / Assess
    await expect(client.listRunsPage({ entity: 'e', project: 'p', filters: {}, perPage: 1 })).rejects.toThrow(
      /not found/,
    );
  });
});
