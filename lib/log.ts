/** Structured fields of one log record (never secrets). */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * The one logging surface lib/ modules accept. The Powertools `Logger` satisfies it, so an entry point
 * passes its logger itself, and the keys it carries (service, component, the Lambda context, any keys
 * appended for the record in hand) land on every line a module writes; tests pass recorders.
 */
export interface Log {
  info(message: string, ...fields: LogFields[]): void;
  warn(message: string, ...fields: LogFields[]): void;
  error(message: string, ...fields: LogFields[]): void;
}

/** Writes nothing: the default where logging is optional. */
export const silentLog: Log = { info: () => {}, warn: () => {}, error: () => {} };
