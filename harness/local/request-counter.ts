/** Minimal view of an AWS SDK v3 client's middleware stack, enough to count requests. */
interface CountableClient {
  readonly middlewareStack: {
    add(
      middleware: (
        next: (args: unknown) => Promise<unknown>,
        context: { commandName?: string; clientName?: string },
      ) => (args: unknown) => Promise<unknown>,
      options: { step: 'initialize'; name: string },
    ): void;
  };
}

/** Counts AWS requests per `Service:Operation`, for the cost model and the benchmarks. */
export class RequestCounter {
  readonly counts = new Map<string, number>();

  /** Adds a counting middleware to an SDK client; returns the client for chaining. */
  attach<C>(client: C, service: string): C {
    (client as unknown as CountableClient).middlewareStack.add(
      (next, context) => async (args) => {
        const key = `${service}:${(context.commandName ?? 'Unknown').replace(/Command$/, '')}`;
        this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
        return next(args);
      },
      { step: 'initialize', name: `pogRequestCounter${service}` },
    );
    return client;
  }

  total(service?: string): number {
    let sum = 0;
    for (const [key, value] of this.counts)
      if (service === undefined || key.startsWith(`${service}:`)) sum += value;
    return sum;
  }

  /** Totals per service; DynamoDB is split into reads and writes (they are priced apart). */
  byService(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [key, value] of this.counts) {
      const [service = '', operation = ''] = key.split(':');
      const name =
        service === 'DynamoDB'
          ? /^(Get|Query|Scan|BatchGet|Describe|List)/.test(operation)
            ? 'DynamoDBRead'
            : 'DynamoDBWrite'
          : service;
      out[name] = (out[name] ?? 0) + value;
    }
    return out;
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }
}
