import type { ApiPromise } from '@polkadot/api';
import { afterEach, describe, expect, it } from 'vitest';
import { guardDisconnect } from '../../../lib/chain/context.js';
import { ChainConnectionError, chainHolder, type SocketChainPort } from '../../../lib/chain/index.js';

/** A port double: a socket flag, a header read that answers, fails or hangs, and a close count. */
function fakePort(id: number, read: 'ok' | 'fail' | 'hang' = 'ok') {
  const state = { isConnected: true, read, closed: 0 };
  const port = {
    id,
    state,
    api: {
      get isConnected() {
        return state.isConnected;
      },
    },
    currentBlock: () =>
      state.read === 'ok'
        ? Promise.resolve(100 + id)
        : state.read === 'fail'
          ? Promise.reject(new ChainConnectionError('chain_getHeader: websocket disconnected'))
          : new Promise<number>(() => undefined),
    close: async () => {
      state.closed += 1;
    },
  };
  return port as typeof port & SocketChainPort;
}

/** A connect double handing out fresh ports 1, 2, … (or rejecting while `failing`). */
function connector() {
  const made: ReturnType<typeof fakePort>[] = [];
  const c = {
    made,
    failing: false,
    connect: async () => {
      if (c.failing) throw new ChainConnectionError('no chain endpoint answered');
      const port = fakePort(made.length + 1);
      made.push(port);
      return port;
    },
  };
  return c;
}

describe('Function: chainHolder()', () => {
  it('keeps one port across ticks while its socket answers', async () => {
    // Prepare
    const c = connector();
    const holder = chainHolder(c.connect, { timeoutMs: 50 });

    // Act
    const first = await holder.connected();
    const second = await holder.connected();

    // Assess
    expect(second).toBe(first);
    expect(c.made).toHaveLength(1);
  });

  it('closes a port whose socket dropped and hands out a fresh one', async () => {
    // Prepare
    const c = connector();
    const holder = chainHolder(c.connect, { timeoutMs: 50 });
    const first = await holder.connected();
    first.state.isConnected = false;

    // Act
    const second = await holder.connected();

    // Assess
    expect(second).not.toBe(first);
    expect(first.state.closed).toBe(1);
    expect(await second.currentBlock()).toBe(102);
  });

  it.each([
    ['fails', 'fail'],
    ['hangs past the deadline', 'hang'],
  ] as const)('replaces a port that claims to be connected but whose header read %s', async (_, read) => {
    // Prepare: a reset not yet processed, or a peer gone silent without one
    const c = connector();
    const holder = chainHolder(c.connect, { timeoutMs: 50 });
    const first = await holder.connected();
    first.state.read = read;

    // Act
    const second = await holder.connected();

    // Assess
    expect(second).not.toBe(first);
    expect(first.state.closed).toBe(1);
  });

  it('rejects when no endpoint answers, and connects at the next call', async () => {
    // Prepare
    const c = connector();
    const holder = chainHolder(c.connect, { timeoutMs: 50 });
    c.failing = true;

    // Act
    const failed = await holder.connected().catch((e: unknown) => e);
    c.failing = false;
    const port = await holder.connected();

    // Assess
    expect(failed).toBeInstanceOf(ChainConnectionError);
    expect(port.id).toBe(1);
  });

  it('opens one socket for concurrent callers', async () => {
    // Prepare
    const c = connector();
    const holder = chainHolder(c.connect, { timeoutMs: 50 });

    // Act
    const [a, b] = await Promise.all([holder.connected(), holder.connected()]);

    // Assess
    expect(a).toBe(b);
    expect(c.made).toHaveLength(1);
  });

  it('closes the kept port on close(), and connects afresh afterwards', async () => {
    // Prepare
    const c = connector();
    const holder = chainHolder(c.connect, { timeoutMs: 50 });
    const first = await holder.connected();

    // Act
    await holder.close();
    const second = await holder.connected();

    // Assess
    expect(first.state.closed).toBe(1);
    expect(second).not.toBe(first);
  });
});

describe('Function: guardDisconnect()', () => {
  const seen: unknown[] = [];
  const record = (reason: unknown): void => {
    seen.push(reason);
  };
  afterEach(() => {
    process.off('unhandledRejection', record);
    seen.length = 0;
  });

  it('on a dead socket rejects at once and leaves no unhandled rejection behind', async () => {
    // Prepare: the call was already sent to the dead socket; polkadot.js rejects it a moment later
    process.on('unhandledRejection', record);
    const api = { isConnected: false } as unknown as ApiPromise;
    const sent = new Promise<never>((_, fail) =>
      setTimeout(() => fail(new Error('WebSocket is not connected')), 1),
    );

    // Act
    const outcome = await guardDisconnect(api, sent, 'chain_getHeader').catch((e: unknown) => e);
    await new Promise((done) => setTimeout(done, 20));

    // Assess
    expect(outcome).toBeInstanceOf(ChainConnectionError);
    expect(String(outcome)).toMatch(/chain_getHeader: not connected/);
    expect(seen).toEqual([]);
  });
});
