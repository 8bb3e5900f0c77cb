import { PogValidatorError } from '../errors.js';

/** W&B answered with something other than a usable GraphQL result. */
export class WandbError extends PogValidatorError {}

/** An HTTP status other than 2xx (401 for a bad key, 429 when rate limited, 5xx). */
export class WandbHttpError extends WandbError {
  constructor(
    readonly status: number,
    message: string,
    /** The server's `Retry-After`, in ms, when it sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** The body was too large, not JSON, or carried GraphQL `errors`. */
export class WandbResponseError extends WandbError {}
