import type { Log, LogFields } from '../../lib/log.js';

export type LogLevel = keyof Log;

/**
 * A {@link Log} that hands every record to `write`, its fields merged into one object as the
 * Powertools logger merges them, so a test keeps only what it asserts on.
 */
export function logTo(write: (level: LogLevel, message: string, fields: LogFields) => void): Log {
  const to =
    (level: LogLevel) =>
    (message: string, ...fields: LogFields[]) =>
      write(level, message, Object.assign({}, ...fields));
  return { info: to('info'), warn: to('warn'), error: to('error') };
}
