import type { ChainPort } from '../ports.js';
import { DEFAULT_TIMEOUT_MS, withDeadline } from './connection.js';

/** A port over one websocket that can tell whether that socket is still up (a {@link SubtensorChain}). */
export interface SocketChainPort extends ChainPort {
  readonly api: { readonly isConnected: boolean };
}

/** The chain port a warm Lambda keeps between ticks, handed out only while its socket works. */
export interface ChainHolder<P extends SocketChainPort> {
  /**
   * The kept port if its socket is up and answers a header read within the deadline; otherwise the
   * kept port is closed and a fresh one connected (which rejects on failure; the next call tries again).
   */
  connected(): Promise<P>;
  /** Closes the kept port, if any; a later `connected()` connects again. */
  close(): Promise<void>;
}

export interface ChainHolderOptions {
  /** Deadline for the liveness read and for closing a dead port (default {@link DEFAULT_TIMEOUT_MS}). */
  readonly timeoutMs?: number;
}

/**
 * Keeps one chain port for the container's life and replaces it when its websocket died in between
 * (an idle timeout or load-balancer reset while the Lambda was frozen). The port connects with
 * auto-reconnect off, so without this a dropped socket stays dead for every later tick.
 *
 * `isConnected` alone is not enough: a reset that arrived while the container was frozen may be
 * processed only after the tick has started, and a peer that vanished without a reset (a NAT entry
 * expired) leaves the socket open but silent. So a kept port must also answer one header read.
 * `connect` is bounded by the connection's own deadline (`connectApi`), the read by `timeoutMs`.
 *
 * @example
 * const chain = chainHolder(() => createChainPort({ endpoints, hotkeySecret, timeoutMs }), { timeoutMs });
 * // per tick:
 * const port = await chain.connected();
 */
export function chainHolder<P extends SocketChainPort>(
  connect: () => Promise<P>,
  options: ChainHolderOptions = {},
): ChainHolder<P> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let kept: P | undefined;
  // one check or connection at a time: two concurrent callers must not open two sockets
  let pending: Promise<P> | undefined;

  async function live(port: P): Promise<boolean> {
    if (!port.api.isConnected) return false;
    return withDeadline(port.currentBlock(), timeoutMs, 'chain liveness read').then(
      () => true,
      () => false,
    );
  }

  async function replaceOrKeep(): Promise<P> {
    const old = kept;
    if (old !== undefined) {
      if (await live(old)) return old;
      kept = undefined;
      // a dead port's close is best effort: it must not delay or fail the fresh connection
      await withDeadline(old.close(), timeoutMs, 'closing a dead chain port').catch(() => undefined);
    }
    kept = await connect();
    return kept;
  }

  return {
    connected() {
      pending ??= replaceOrKeep().finally(() => {
        pending = undefined;
      });
      return pending;
    },
    async close() {
      await pending?.catch(() => undefined);
      const old = kept;
      kept = undefined;
      await old?.close();
    },
  };
}
