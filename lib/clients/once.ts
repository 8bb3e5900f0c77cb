/**
 * Memoises an async factory for the container's life, but forgets a failure: a connection that failed at
 * one invocation is tried again at the next instead of being cached as broken.
 */
export function onceUntilFailure<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= make();
    value.catch(() => {
      value = undefined;
    });
    return value;
  };
}
