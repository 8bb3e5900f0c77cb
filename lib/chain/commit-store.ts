/** A v2 (hash) weight commit that still has to be revealed by a later run. */
export interface PendingCommit {
  readonly netuid: number;
  /** Hotkey address (public); the secret is never stored. */
  readonly hotkey: string;
  /** `0x`-prefixed blake2-256 commit hash. */
  readonly commitHash: string;
  readonly uids: readonly number[];
  readonly weights: readonly number[];
  readonly salt: readonly number[];
  readonly versionKey: number;
  /** Block the commit was sent at (the chain's own window is read back at reveal time). */
  readonly committedAtBlock: number;
}

/**
 * Where pending commits live between runs. The weight Lambda passes lib/store's `CommitRowStore`
 * (DynamoDB table `commits`); tests and the local cycle use {@link InMemoryCommitStore}.
 */
export interface CommitStore {
  put(commit: PendingCommit): Promise<void>;
  list(netuid: number, hotkey: string): Promise<readonly PendingCommit[]>;
  delete(netuid: number, hotkey: string, commitHash: string): Promise<void>;
}

/** Process-local {@link CommitStore}. */
export class InMemoryCommitStore implements CommitStore {
  readonly #commits = new Map<string, PendingCommit>();

  async put(commit: PendingCommit): Promise<void> {
    this.#commits.set(`${commit.netuid}/${commit.hotkey}/${commit.commitHash}`, commit);
  }

  async list(netuid: number, hotkey: string): Promise<readonly PendingCommit[]> {
    return [...this.#commits.values()]
      .filter((c) => c.netuid === netuid && c.hotkey === hotkey)
      .sort((a, b) => a.committedAtBlock - b.committedAtBlock);
  }

  async delete(netuid: number, hotkey: string, commitHash: string): Promise<void> {
    this.#commits.delete(`${netuid}/${hotkey}/${commitHash}`);
  }
}
