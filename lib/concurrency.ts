/**
 * Calls `fn` on every item with at most `limit` calls in flight, taking items in order as calls finish;
 * resolves to the results in the items' order. After a call rejects no further item is started, and the
 * calls already running are awaited before the first error is thrown, so nothing keeps running unseen
 * after the caller has moved on (a frozen Lambda would resume it in a later invocation).
 * @throws {RangeError} when `limit` is not a positive integer.
 * @example
 * const sizes = await mapLimit(keys, 4, (key) => headObjectSize(s3, bucket, key));
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`limit must be a positive integer (given ${limit})`);
  }
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { readonly error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure !== undefined) throw failure.error;
  return results;
}
