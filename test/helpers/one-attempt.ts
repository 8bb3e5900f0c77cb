import { cryptoWaitReady } from '@polkadot/util-crypto';
import { DEFAULT_PERFORMANCE_CONFIG } from '../../lib/config/gpu-performance.js';
import { createPogRunner } from '../../lib/pog/index.js';
import { SUITE_ENGINE } from './hostile-cases.js';

/**
 * `tsx test/helpers/one-attempt.ts <axon port> <remote dir>`: one PoG attempt against a hostile
 * miner on 127.0.0.1, in a process of its own. Prints the outcome as one JSON line and returns
 * without `process.exit`, so the process ends only once nothing of the attempt holds it open.
 */
const [port, remoteBaseDir] = process.argv.slice(2);
await cryptoWaitReady();
const runner = createPogRunner({
  performance: DEFAULT_PERFORMANCE_CONFIG,
  hotkeySecret: '//Alice',
  allowPrivateAddresses: true,
  matrixSize: 64,
  engine: { ...SUITE_ENGINE, remoteBaseDir: remoteBaseDir ?? '/tmp' },
});
const result = await runner.attempt({
  netuid: 27,
  roundId: 'r-exit',
  uid: 1,
  hotkey: '5HostileMinerHotkey',
  axon: { ip: '127.0.0.1', port: Number(port), version: 1 },
});
process.stdout.write(
  `${JSON.stringify({ kind: result.kind, reason: result.kind === 'miner-fault' ? result.reason : '' })}\n`,
);
