import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ApiPromise } from '@polkadot/api';
import type { ProviderInterface, ProviderInterfaceCallback } from '@polkadot/rpc-provider/types';
import { u8aToHex } from '@polkadot/util';
import { SUBTENSOR_SIGNED_EXTENSIONS } from '../../../lib/chain/connection.js';

export const METADATA_381 = resolve(
  import.meta.dirname,
  '..',
  '..',
  '..',
  '..',
  'shared',
  'chain',
  'subtensor-metadata-381.scale',
);
export const GENESIS_HASH = `0x${'2f'.repeat(32)}`;

/**
 * An in-process provider that answers only what `ApiPromise` needs to decorate itself from the real
 * spec-381 metadata (chain.md §B.5). Encoding and signing are proven against it; chain behaviour is not.
 */
class MetadataProvider implements ProviderInterface {
  readonly hasSubscriptions = false;
  readonly isClonable = false;
  readonly isConnected = true;
  readonly stats = undefined;
  readonly #metadata: string;

  constructor(metadataHex: string) {
    this.#metadata = metadataHex;
  }

  clone(): ProviderInterface {
    return this;
  }
  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}
  on(): () => void {
    return () => undefined;
  }
  async send<T>(method: string): Promise<T> {
    const answers: Record<string, unknown> = {
      chain_getBlockHash: GENESIS_HASH,
      state_getRuntimeVersion: {
        specName: 'node-subtensor',
        implName: 'node-subtensor',
        authoringVersion: 1,
        specVersion: 381,
        implVersion: 1,
        apis: [],
        transactionVersion: 1,
        stateVersion: 1,
      },
      system_chain: 'Bittensor',
      system_properties: { ss58Format: 42, tokenDecimals: 9, tokenSymbol: 'TAO' },
      rpc_methods: { methods: [] },
      state_getMetadata: this.#metadata,
    };
    if (!(method in answers)) throw new Error(`metadata provider does not serve ${method}`);
    return answers[method] as T;
  }
  async subscribe(_t: string, _m: string, _p: unknown[], _cb: ProviderInterfaceCallback): Promise<number> {
    throw new Error('metadata provider has no subscriptions');
  }
  async unsubscribe(): Promise<boolean> {
    return true;
  }
}

/** An ApiPromise decorated with the spec-381 metadata fixture (`../shared/chain/`). */
export async function metadataApi(): Promise<ApiPromise> {
  const hex = u8aToHex(readFileSync(METADATA_381));
  return ApiPromise.create({
    provider: new MetadataProvider(hex),
    throwOnConnect: true,
    noInitWarn: true,
    signedExtensions: SUBTENSOR_SIGNED_EXTENSIONS,
  });
}
