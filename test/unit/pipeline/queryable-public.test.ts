import { describe, expect, it } from 'vitest';
import { filterQueryable, type QueryableOptions } from '../../../lib/pipeline/queryable.js';
import type { NeuronInfo } from '../../../lib/ports.js';

const n = (uid: number, ip: string): NeuronInfo => ({
  uid,
  hotkey: `hk${uid}`,
  coldkey: `ck${uid}`,
  axon: { ip, port: 8091, version: 185 },
  stake: 0,
  validatorPermit: false,
  active: true,
  lastUpdate: 0,
});
const base: QueryableOptions = {
  blacklistHotkeys: [],
  blacklistColdkeys: [],
  dedupeIps: true,
  minMinerVersion: undefined,
  versionFilterThresholdPercent: 60,
};
const HOSTILE = [
  '127.0.0.1',
  '169.254.169.254',
  '10.0.0.7',
  '::1',
  'fc00::1',
  '::ffff:127.0.0.1',
  '100.64.1.1',
  '224.0.0.9',
];

describe('Function: filterQueryable() and non-public axon IPs (issue 12)', () => {
  it('marks loopback, metadata, private, CGNAT, multicast and mapped IPs non-queryable with their reason', () => {
    // Prepare
    const neurons = [...HOSTILE.map((ip, uid) => n(uid, ip)), n(50, '8.8.8.8'), n(51, '2606:4700::1')];
    // Act
    const out = filterQueryable(neurons, base);
    // Assess
    expect([...out.queryable.keys()]).toEqual([50, 51]);
    expect(Object.fromEntries(out.excluded)).toEqual(
      Object.fromEntries(HOSTILE.map((_, uid) => [uid, 'non-public-ip'])),
    );
  });

  it('a non-public IP cannot take the dedupe slot of a public miner, and 0.0.0.0 stays no-axon', () => {
    // Prepare
    const neurons = [n(0, '0.0.0.0'), n(1, '127.0.0.1'), n(2, '127.0.0.1'), n(3, '9.9.9.9')];
    // Act
    const out = filterQueryable(neurons, base);
    // Assess
    expect(Object.fromEntries(out.excluded)).toEqual({
      0: 'no-axon',
      1: 'non-public-ip',
      2: 'non-public-ip',
    });
    expect([...out.queryable.keys()]).toEqual([3]);
  });

  it('only the harness switch lets private IPs through', () => {
    // Prepare
    const neurons = [n(0, '127.0.0.1'), n(1, '127.0.0.2')];
    // Act
    const out = filterQueryable(neurons, { ...base, allowPrivateAddresses: true });
    // Assess
    expect([...out.queryable.keys()]).toEqual([0, 1]);
  });
});
