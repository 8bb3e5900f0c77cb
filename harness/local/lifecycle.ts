/**
 * Everything the local cycle starts (moto, chopsticks, sshd, axon servers) is registered here and stopped
 * in reverse order — on success, on failure and on Ctrl-C — so a run never leaves a server behind.
 */
export class Lifecycle {
  private readonly stops: Array<{ name: string; stop: () => Promise<void> }> = [];
  /** Child processes still running: killed synchronously if this process exits without stopAll(). */
  private readonly pids = new Set<number>();
  private stopping: Promise<void> | undefined;
  private readonly onExit = (): void => {
    for (const pid of this.pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`\n${signal}: stopping everything this run started…\n`);
    void this.stopAll().finally(() => process.exit(130));
  };

  constructor(private readonly log: (line: string) => void = () => {}) {}

  /**
   * Installs SIGINT/SIGTERM handlers that stop everything, then exit 130, and an exit hook that kills the
   * registered child processes if the process dies another way (a crash, a closed output pipe).
   */
  trapSignals(): this {
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
    process.on('exit', this.onExit);
    return this;
  }

  /**
   * Registers a resource and returns it, so `const x = life.add('moto', await startMoto(), (m) => m.stop())`.
   * A resource with a numeric `pid` (a server we spawned) is also killed by the exit hook.
   */
  add<T>(name: string, resource: T, stop: (resource: T) => Promise<void>): T {
    const pid = (resource as { pid?: unknown } | null)?.pid;
    if (typeof pid === 'number' && pid > 0) this.pids.add(pid);
    this.stops.push({
      name,
      stop: async () => {
        await stop(resource);
        if (typeof pid === 'number') this.pids.delete(pid);
      },
    });
    return resource;
  }

  /** Stops every registered resource once, newest first; errors are logged, never thrown. */
  stopAll(): Promise<void> {
    this.stopping ??= (async () => {
      process.off('SIGINT', this.onSignal);
      process.off('SIGTERM', this.onSignal);
      process.off('exit', this.onExit);
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
