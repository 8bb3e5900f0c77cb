import type { ApiPromise } from '@polkadot/api';
import type { DispatchError as PolkadotDispatchError } from '@polkadot/types/interfaces';
import { asError } from '../errors.js';
import {
  ChainConnectionError,
  ChainError,
  ChainTimeoutError,
  DispatchError,
  POOL_CUSTOM_CODES,
  PoolRejectedError,
  RateLimitedError,
} from './errors.js';

/** The chain's own rate-limit answers: dispatch errors by name, pool rejection `Custom(6)`. */
const RATE_LIMIT_ERRORS = new Set(['SettingWeightsTooFast', 'CommittingWeightsTooFast']);
const RATE_LIMIT_POOL_CODE = 6;

/** Pulls the custom code out of a pool rejection (`1010: Invalid Transaction: Custom error: 1`). */
export function parsePoolRejection(error: unknown): PoolRejectedError | null {
  const e = asError(error) as Error & { code?: number; data?: unknown };
  const text = `${e.message} ${typeof e.data === 'string' ? e.data : JSON.stringify(e.data ?? '')}`;
  if (e.code !== 1010 && !/^1010\b|\b1010:/.test(e.message)) return null;
  const match = /Custom error:\s*(\d+)/i.exec(text) ?? /"custom"\s*:\s*(\d+)/.exec(text);
  const code = match?.[1] === undefined ? null : Number(match[1]);
  const reason = code === null ? 'invalid transaction' : (POOL_CUSTOM_CODES[code] ?? `Custom(${code})`);
  return new PoolRejectedError(`transaction pool rejected the extrinsic: ${reason}`, code, reason);
}

/** A failed dispatch, decoded by name through metadata (indices differ between runtimes). */
export function decodeDispatchError(
  api: ApiPromise,
  de: PolkadotDispatchError,
  call: string,
  blockHash: string,
): DispatchError {
  if (de.isModule) {
    const meta = api.registry.findMetaError(de.asModule);
    return new DispatchError(
      `${call} failed: ${meta.section}.${meta.name}`,
      meta.section,
      meta.name,
      blockHash,
    );
  }
  return new DispatchError(`${call} failed: ${de.type}`, 'system', de.type, blockHash);
}

/**
 * The chain's own rate-limit rejection as the port's {@link RateLimitedError} (`source: 'chain'`), so a
 * tick that lost the race to a set whose confirmation was lost is rate-limited, not failed.
 */
export function asChainRateLimit(error: unknown, nextAllowedBlock: number): RateLimitedError | null {
  const byDispatch = error instanceof DispatchError && RATE_LIMIT_ERRORS.has(error.errorName);
  const byPool = error instanceof PoolRejectedError && error.customCode === RATE_LIMIT_POOL_CODE;
  if (!byDispatch && !byPool) return null;
  const what = byDispatch ? (error as DispatchError).errorName : `pool Custom(${RATE_LIMIT_POOL_CODE})`;
  return new RateLimitedError(
    `the chain refused the submission as too fast (${what})`,
    nextAllowedBlock,
    'chain',
    {
      cause: error,
    },
  );
}

export function toChainError(error: unknown, what: string): ChainError {
  if (error instanceof ChainError) return error;
  const e = asError(error);
  if (/disconnect|socket|WebSocket|not connected/i.test(e.message)) {
    return new ChainConnectionError(`${what}: ${e.message}`);
  }
  if (/timeout/i.test(e.message)) return new ChainTimeoutError(`${what}: ${e.message}`);
  return new ChainError(`${what}: ${e.message}`);
}
