/**
 * The project's error family. Every module throws a subclass of {@link PogValidatorError} so that
 * handlers can map failures to results (a failed PoG row, a DLQ message, an exit code) by class,
 * never by message text. Messages name the offending key or value, never a secret.
 */
export class PogValidatorError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Configuration that cannot be parsed or is inconsistent. Fails loudly at cold start. */
export class ConfigError extends PogValidatorError {}

/** Untrusted input (snapshot, SQS body, miner response, chain value) failed validation. */
export class ValidationError extends PogValidatorError {
  constructor(
    message: string,
    readonly issues: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A dependency (AWS, chain, miner, WandB) did not answer within its deadline. */
export class TimeoutError extends PogValidatorError {}

/** Narrows a caught value to an Error (style.md §1.6). */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
