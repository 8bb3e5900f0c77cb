/**
 * Everything the local cycle starts (moto, chopsticks, sshd, axon servers) is registered here and stopped
 * in reverse order — on success, on failure and on Ctrl-C — so a run never leaves a server behind.
 */
export class Lifecycle {
  private readonly stops: Array<{ name: string; stop: () => Promise<void> }> = [];
  private stopping: Promise<void> | undefined;
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`\n${signal}: stopping everything this run started…\n`);
    void this.stopAll().finally(() => process.exit(130));
  };

  constructor(private readonly log: (line: string) => void = () => {}) {}

  /** Installs SIGINT/SIGTERM handlers that stop everything, then exit 130. */
  trapSignals(): this {
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
    return this;
  }

  /** Registers a resource and returns it, so `const x = life.add('moto', await startMoto(), (m) => m.stop())`. */
  add<T>(name: string, resource: T, stop: (resource: T) => Promise<void>): T {
    this.stops.push({ name, stop: () => stop(resource) });
    return resource;
  }

  /** Stops every registered resource once, newest first; errors are logged, never thrown. */
  stopAll(): Promise<void> {
    this.stopping ??= (async () => {
      process.off('SIGINT', this.onSignal);
      process.off('SIGTERM', this.onSignal);
      while (this.stops.length > 0) {
        const entry = this.stops.pop();
        if (entry === undefined) break;
        try {
          await entry.stop();
          this.log(`stopped ${entry.name}`);
        } catch (error) {
          this.log(`could not stop ${entry.name}: ${(error as Error).message}`);
        }
      }
    })();
    return this.stopping;
  }
}
