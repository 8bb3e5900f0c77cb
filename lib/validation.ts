import type { z } from 'zod';
import { ValidationError } from './errors.js';

/** Formats zod issues as `path: message` lines, so an error names the bad field. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
    return `${path}: ${issue.message}`;
  });
}

/**
 * Parses untrusted input with a zod schema; on failure throws a {@link ValidationError} whose
 * message names `what` and every bad field.
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = formatIssues(result.error);
  throw new ValidationError(`invalid ${what}: ${issues.join('; ')}`, issues);
}
