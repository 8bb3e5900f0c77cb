import { describe, expect, it } from 'vitest';
import { filterQueryable, type QueryableOptions } from '../../../lib/pipeline/queryable.js';
import type { NeuronInfo } from '../../../lib/ports.js';

const n = (uid: number, ip: string, version = 185, extra: Partial<NeuronInfo> = {}): NeuronInfo => ({
  uid,
  hotkey: `hk${uid}`,
  coldkey: `ck${uid}`,
  axon: { ip, port: 8091, version },
  stake: 0,
  validatorPermit: false,
  active: true,
  lastUpdate: 0,
  ...extra,
});
const base: QueryableOptions = {
  blacklistHotkeys: [],
  blacklistColdkeys: [],
  dedupeIps: false,
  minMinerVersion: 185,
  versionFilterThresholdPercent: 60,
};

describe('Function: filterQueryable()', () => {
  it('drops 0.0.0.0 and missing axons, blacklisted hotkeys and coldkeys', () => {
    // Prepare
    const neurons = [
      n(0, '0.0.0.0'),
      n(1, '1.1.1.1', 185, { axon: null }),
      n(2, '1.1.1.2'),
      n(3, '1.1.1.3'),
      n(4, '1.1.1.4'),
    ];
    // Act
    const out = filterQueryable(neurons, { ...base, blacklistHotkeys: ['hk2'], blacklistColdkeys: ['ck3'] });
    // Assess
    expect([...out.queryable.keys()]).toEqual([4]);
    expect(Object.fromEntries(out.excluded)).toEqual({
      0: 'no-axon',
      1: 'no-axon',
      2: 'blacklisted',
      3: 'blacklisted',
    });
  });

  it("drops axons the worker's challenge schema refuses (port 0, which the chain accepts), so no round waits on them", () => {
    // Prepare
    const neurons = [
      n(0, '1.1.1.1', 185, { axon: { ip: '1.1.1.1', port: 0, version: 185 } }),
      n(1, '1.1.1.2', 185, { axon: { ip: '1.1.1.2', port: 70_000, version: 185 } }),
      n(2, '1.1.1.3', 185, { axon: { ip: '1.1.1.3', port: 1, version: 185 } }),
      n(3, '1.1.1.4'),
    ];
    // Act
    const out = filterQueryable(neurons, { ...base, minMinerVersion: undefined });
    // Assess
    expect([...out.queryable.keys()]).toEqual([2, 3]);
    expect(Object.fromEntries(out.excluded)).toEqual({ 0: 'invalid-axon', 1: 'invalid-axon' });
  });

  it('keeps the first uid per IP only when IP dedupe is on', () => {
    // Prepare
    const neurons = [n(0, '9.9.9.9'), n(1, '9.9.9.9'), n(2, '8.8.8.8')];
    // Act
    const off = filterQueryable(neurons, { ...base, minMinerVersion: undefined });
    const on = filterQueryable(neurons, { ...base, minMinerVersion: undefined, dedupeIps: true });
    // Assess
    expect([...off.queryable.keys()]).toEqual([0, 1, 2]);
    expect([...on.queryable.keys()]).toEqual([0, 2]);
    expect(on.excluded.get(1)).toBe('duplicate-ip');
  });

  it('drops old miner versions when enough miners remain after the IP filter', () => {
    // Prepare
    const neurons = [n(0, '1.0.0.1', 184), n(1, '1.0.0.2', 185), n(2, '1.0.0.3', 190)];
    // Act
    const out = filterQueryable(neurons, base);
    // Assess
    expect([...out.queryable.keys()]).toEqual([1, 2]);
    expect(out.excluded.get(0)).toBe('old-version');
    expect(out.versionFilterSkipped).toBe(false);
  });

  it('skips the version filter when the IP filter left no more than the threshold share (reference quirk)', () => {
    // Prepare: 2 of 5 left after dedupe = 40% <= 60%
    const neurons = [
      n(0, '1.1.1.1', 100),
      n(1, '1.1.1.1'),
      n(2, '1.1.1.1'),
      n(3, '2.2.2.2', 100),
      n(4, '2.2.2.2'),
    ];
    // Act
    const out = filterQueryable(neurons, { ...base, dedupeIps: true });
    // Assess
    expect([...out.queryable.keys()]).toEqual([0, 3]);
    expect(out.versionFilterSkipped).toBe(true);
  });

  it('D3: without a configured minimum, no uid is dropped for its version and the skip is reported', () => {
    // Prepare
    const neurons = [n(0, '1.0.0.1', 1), n(1, '1.0.0.2', 0)];
    // Act
    const out = filterQueryable(neurons, { ...base, minMinerVersion: undefined });
    // Assess
    expect(out.queryable.size).toBe(2);
    expect(out.versionFilterSkipped).toBe(true);
  });
});
