/**
 * Whether a CloudWatch Logs JSON filter pattern matches a log record. Only the shape the stack uses
 * (string equalities on top-level fields joined by &&) is understood; anything else throws.
 */
export function filterMatches(pattern: string, record: Record<string, unknown>): boolean {
  const clause = /\$\.(\w+) = "([^"]*)"/g;
  const rest = pattern.replace(clause, '').replace(/[{}()\s]|&&/g, '');
  const clauses = [...pattern.matchAll(clause)];
  if (rest !== '' || clauses.length === 0) throw new Error(`unsupported filter pattern: ${pattern}`);
  return clauses.every(([, field, value]) => record[field ?? ''] === value);
}

/** The value a metric filter's `$.a.b.c` selector takes from a log record (undefined when absent). */
export function selectorValue(selector: string, record: Record<string, unknown>): unknown {
  if (!selector.startsWith('$.')) throw new Error(`unsupported selector: ${selector}`);
  return selector
    .slice(2)
    .split('.')
    .reduce<unknown>(
      (value, key) =>
        value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined,
      record,
    );
}
