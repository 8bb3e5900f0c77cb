import type { ChainPort } from '../ports.js';

/** Options of the production chain port. The chain issue (#4) may add optional fields, never required ones. */
export interface ChainPortOptions {
  /** WebSocket endpoints, tried in order (fallback). */
  readonly endpoints: readonly string[];
  /** The hotkey as a mnemonic, hex seed or URI, read from Secrets Manager; needed only to submit. */
  readonly hotkeySecret?: string;
  /** Deadline for every RPC call, in milliseconds. */
  readonly timeoutMs?: number;
}

/** Connects the production chain port. Contract only until the chain issue (#4) lands. */
export async function createChainPort(_options: ChainPortOptions): Promise<ChainPort> {
  throw new Error('the chain layer is not built yet (issue #4)');
}
