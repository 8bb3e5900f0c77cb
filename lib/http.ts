/**
 * Reads a response body as UTF-8 text, abandoning it once it passes `maxBytes` (declared or actual):
 * untrusted peers (miners' axons, W&B) must not make us buffer without bound.
 */
export async function readBoundedText(
  response: Response,
  maxBytes: number,
  tooLarge: (bytes: number) => Error,
): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(declared);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(size);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A request's abort signal: its own timeout, and the caller's deadline when given. */
export interface CallSignal {
  readonly signal: AbortSignal;
  /** Whether the call's own timeout (not the caller) ended it. */
  timedOut(): boolean;
  /** Clears the timer and the listener on the caller's signal; call it when the request is over. */
  dispose(): void;
}

/**
 * One controller with a timer and a listener, instead of AbortSignal.any over AbortSignal.timeout, which
 * left some axon calls hanging past both on Node 20 (3 of 8 runs of a loopback test).
 */
export function callSignal(timeoutMs: number, outer?: AbortSignal): CallSignal {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onOuterAbort = () => controller.abort();
  if (outer?.aborted === true) controller.abort();
  else outer?.addEventListener('abort', onOuterAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    dispose: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
    },
  };
}
