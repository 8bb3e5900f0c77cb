import type { ApiPromise } from '@polkadot/api';
import type { ApiDecoration, QueryableStorageEntry } from '@polkadot/api/types';
import { withDeadline } from './connection.js';
import { ChainConnectionError, ChainDecodeError, UnsupportedRuntimeError } from './errors.js';

export const RAO_PER_TAO = 1e9;

/** What every chain module needs: the connected API and the per-call deadline. */
export interface ChainContext {
  readonly api: ApiPromise;
  readonly timeoutMs: number;
}

/** Rejects as soon as the websocket drops, instead of waiting for the deadline. */
export function guardDisconnect<T>(api: ApiPromise, promise: Promise<T>, what: string): Promise<T> {
  if (!api.isConnected) {
    // the call was already sent to a dead socket and rejects a moment later; left without a handler,
    // that rejection is unhandled and ends a Lambda runtime (Runtime.UnhandledPromiseRejection)
    promise.catch(() => undefined);
    return Promise.reject(new ChainConnectionError(`${what}: not connected`));
  }
  let off: (() => void) | undefined;
  const dropped = new Promise<never>((_, fail) => {
    const onDrop = (): void => fail(new ChainConnectionError(`${what}: websocket disconnected`));
    api.once('disconnected', onDrop);
    off = () => api.off('disconnected', onDrop);
  });
  return Promise.race([promise, dropped]).finally(() => off?.());
}

/** One RPC call with the deadline and the disconnect guard. */
export function rpc<T>(ctx: ChainContext, promise: Promise<T>, what: string): Promise<T> {
  return guardDisconnect(ctx.api, withDeadline(promise, ctx.timeoutMs, what), what);
}

/** One SubtensorModule storage item, or a typed error when this runtime lacks it. */
export function storage(
  ctx: ChainContext,
  name: string,
  at: ApiDecoration<'promise'> | ApiPromise = ctx.api,
): QueryableStorageEntry<'promise'> {
  const entry = at.query.subtensorModule?.[name];
  if (entry === undefined)
    throw new UnsupportedRuntimeError(`the runtime has no SubtensorModule.${name} storage`);
  return entry;
}

export function hasStorage(ctx: ChainContext, name: string): boolean {
  return ctx.api.query.subtensorModule?.[name] !== undefined;
}

export function toNumber(codec: unknown): number {
  const v = (codec as { toString(): string }).toString();
  const n = Number(v);
  if (!Number.isFinite(n))
    throw new ChainDecodeError(`expected a number from the chain, got ${v.slice(0, 40)}`);
  return n;
}

export async function currentBlock(ctx: ChainContext): Promise<number> {
  const header = await rpc(ctx, ctx.api.rpc.chain.getHeader(), 'chain_getHeader');
  return header.number.toNumber();
}
