import { randomInt } from 'node:crypto';

/** What a simulated miner's SSH side hands its axon for one allocation: a login, as a real miner's `root`. */
export interface SimSshLogin {
  readonly username: string;
  readonly password: string;
  readonly port: number;
}

/**
 * The SSH side of the simulated miners. Every command of a login runs `python3 miner_shell.py
 * <miner k's JSON>` with the validator's command in `SSH_ORIGINAL_COMMAND`, as sshd's forced command.
 */
export interface SimSshBackend {
  /** Sets a fresh random password for miner k and returns the login, as a real miner does per allocation. */
  grant(miner: number): Promise<SimSshLogin>;
  /** Invalidates miner k's password (deallocation): later logins with it fail. */
  revoke(miner: number): Promise<void>;
  /** A child process that serves SSH (OpenSSH only), so an owner can kill it by PID. */
  readonly pid?: number;
  stop(): Promise<void>;
}

/** What both backends need to run a miner's commands. */
export interface SimSshSetup {
  /** Interpreter with numpy for `miner_shell.py`. */
  readonly python: string;
  /** Absolute path of `miner_shell.py`. */
  readonly wrapper: string;
  /** Miner k's JSON file (the wrapper's argument). */
  readonly configPaths: readonly string[];
  /** A private temp directory the backend may write into. */
  readonly root: string;
}

/**
 * The exit status with which `miner_shell.py`'s `disconnect` behaviour asks the embedded server to drop
 * the connection (under OpenSSH it kills its own sshd session process instead).
 */
export const DROP_CONNECTION_EXIT = 86;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random 10-character password, as the reference miner sets for `root` per allocation. */
export function randomPassword(length = 10): string {
  return Array.from({ length }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
}
