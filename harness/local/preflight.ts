import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface MissingDependency {
  readonly what: string;
  /** The exact command that installs it. */
  readonly install: string;
}

function succeeds(command: string, args: readonly string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

/**
 * Checks the system dependencies of the local cycle and says exactly how to install what is missing.
 * No SSH server: the simulated miners serve SSH in process (harness/sim/ssh-embedded.ts).
 * `needMoto` is false when AWS_ENDPOINT_URL already points at a running emulator.
 */
export function checkLocalDependencies(options: {
  needMoto: boolean;
  chainFixture: string;
}): MissingDependency[] {
  const missing: MissingDependency[] = [];
  if (!succeeds('python3', ['-c', 'import numpy'])) {
    missing.push({
      what: 'python3 with numpy (the simulated miners run the payload on it)',
      install: 'sudo apt-get install -y python3 python3-numpy',
    });
  }
  if (
    options.needMoto &&
    !succeeds('sh', ['-c', 'command -v moto_server']) &&
    !succeeds('python3', ['-c', 'import moto.server'])
  ) {
    missing.push({
      what: 'moto_server (the local AWS emulator)',
      install: "python3 -m pip install 'moto[server]==5.2.1'",
    });
  }
  if (!existsSync(options.chainFixture)) {
    missing.push({
      what: `the subtensor runtime fixture ${options.chainFixture}`,
      install: 'check out ../shared/ beside this repository (it holds chain/subtensor-spec293.raw.json)',
    });
  }
  return missing;
}
