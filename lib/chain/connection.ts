import { ApiPromise, WsProvider } from '@polkadot/api';
import { asError } from '../errors.js';
import { ChainConnectionError, ChainTimeoutError } from './errors.js';

/**
 * Subtensor's custom signed extensions are all zero-sized (checked at spec 293 and HEAD, chain.md
 * §B.2 gotcha 8); declaring them keeps polkadot.js from warning and encodes them correctly.
 */
export const SUBTENSOR_SIGNED_EXTENSIONS = {
  SubtensorTransactionExtension: { extrinsic: {}, payload: {} },
  SubtensorSignedExtension: { extrinsic: {}, payload: {} },
  DrandPriority: { extrinsic: {}, payload: {} },
  SudoTransactionExtension: { extrinsic: {}, payload: {} },
  CheckShieldedTxValidity: { extrinsic: {}, payload: {} },
  CommitmentsSignedExtension: { extrinsic: {}, payload: {} },
} as const;

/** Default deadline for each RPC call, subscription step and connection attempt. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Races a promise against a deadline; on expiry throws {@link ChainTimeoutError} naming `what`.
 * The loser is not cancelled (polkadot.js has no cancellation), so callers disconnect on error.
 */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new ChainTimeoutError(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Hides credentials that an operator may have put into an endpoint URL. */
export function redactEndpoint(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    if (url.username === '' && url.password === '' && url.search === '') return endpoint;
    if (url.username !== '' || url.password !== '') {
      url.username = '***';
      url.password = '';
    }
    url.search = url.search === '' ? '' : '?***';
    return url.toString();
  } catch {
    return '(unparsable endpoint)';
  }
}

export interface ConnectOptions {
  readonly endpoints: readonly string[];
  readonly timeoutMs?: number;
}

/**
 * Connects to the first endpoint that answers, in order. Auto-reconnect is off: a dropped socket must
 * surface as an error to the caller within its deadline, never as a silent wait for a reconnect.
 */
export async function connectApi(options: ConnectOptions): Promise<{ api: ApiPromise; endpoint: string }> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (options.endpoints.length === 0) throw new ChainConnectionError('no chain endpoint configured');
  const failures: string[] = [];
  for (const endpoint of options.endpoints) {
    // autoConnect off (false): connect once by hand, so a drop is reported instead of retried forever
    const provider = new WsProvider(endpoint, false, {}, timeoutMs);
    try {
      await withDeadline(provider.connect(), timeoutMs, `connect to ${redactEndpoint(endpoint)}`);
      const api = await withDeadline(
        ApiPromise.create({
          provider,
          throwOnConnect: true,
          noInitWarn: true,
          signedExtensions: SUBTENSOR_SIGNED_EXTENSIONS,
        }),
        timeoutMs,
        `connect to ${redactEndpoint(endpoint)}`,
      );
      return { api, endpoint };
    } catch (error) {
      failures.push(`${redactEndpoint(endpoint)}: ${asError(error).message}`);
      await provider.disconnect().catch(() => undefined);
    }
  }
  throw new ChainConnectionError(`no chain endpoint answered (${failures.join('; ')})`);
}
