import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CaseOutcome,
  DEADLINE_MARGIN_MS,
  type HostileCase,
  hostileCases,
  runHostileCases,
} from '../../helpers/hostile-cases.js';

const cases = hostileCases();

describe('hostile-miner suite (issue 12: scripted axon, SSH, payload outputs, proofs, bundles)', () => {
  const outcomes = new Map<string, CaseOutcome>();

  beforeAll(async () => {
    // every case runs once here (4 at a time); each `it` below judges one case's recorded end
    const results = await runHostileCases(cases, 4);
    for (const [k, c] of cases.entries()) {
      const o = results[k];
      if (o !== undefined) outcomes.set(`${c.area}: ${c.name}`, o);
    }
    const faults = results.filter((o) => o.kind === 'miner-fault').length;
    const passed = results.filter((o) => o.kind === 'passed').length;
    const crashes = results.filter((o) => o.kind === 'crash').length;
    const overrun = Math.max(0, ...results.map((o) => o.wallMs - o.deadlineMs));
    console.log(
      `hostile suite: ${results.length} cases, ${faults} failure rows, ${passed} passed-valid, ${crashes} crashes, max overrun ${overrun} ms`,
    );
  }, 600_000);

  it('has at least 100 distinct cases across every area', () => {
    // Prepare
    const names = new Set(cases.map((c) => `${c.area}: ${c.name}`));
    const areas = new Set(cases.map((c) => c.area));
    // Act / Assess
    expect(names.size).toBe(cases.length);
    expect(cases.length).toBeGreaterThanOrEqual(100);
    expect([...areas].sort()).toEqual(['axon', 'benchmark', 'bundle', 'compute', 'gpu_info', 'proof', 'ssh']);
  });

  it.each(cases.map((c): [string, string, HostileCase] => [c.area, c.name, c]))(
    '%s: %s',
    (_area, name, c) => {
      // Prepare / Act (the case ran in beforeAll)
      const o = outcomes.get(`${c.area}: ${name}`);
      // Assess
      expect(o?.kind).toBe(c.expect === 'valid' ? 'passed' : 'miner-fault');
      if (c.expect === 'fault') expect(o?.reason).toMatch(c.reason ?? /^$/);
      expect(o?.wallMs).toBeLessThanOrEqual((o?.deadlineMs ?? 0) + DEADLINE_MARGIN_MS);
    },
  );
});
