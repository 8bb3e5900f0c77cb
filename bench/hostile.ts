import { caseHolds, hostileCases, runHostileCases } from '../test/helpers/hostile-cases.js';

/** `npm run bench -- hostile`: the hostile-miner case table (issue 12), run 4 at a time, in counts. */
export async function run(): Promise<Record<string, string | number>> {
  const cases = hostileCases();
  const started = Date.now();
  const outcomes = await runHostileCases(cases, 4);
  const count = (kind: string) => outcomes.filter((o) => o.kind === kind).length;
  const mismatched = cases.filter((c, k) => {
    const o = outcomes[k];
    return o === undefined || !caseHolds(c, o);
  });
  for (const c of mismatched) process.stderr.write(`hostile: case not as expected: ${c.area}: ${c.name}\n`);
  return {
    cases: cases.length,
    'failure rows (miner faults)': count('miner-fault'),
    'passed-valid': count('passed'),
    crashes: count('crash'),
    'cases not as expected': mismatched.length,
    'max overrun of deadline (ms)': Math.max(0, ...outcomes.map((o) => o.wallMs - o.deadlineMs)),
    'max wall time of one case (ms)': Math.max(...outcomes.map((o) => o.wallMs)),
    'suite wall time (s, 4 at a time)': Math.round((Date.now() - started) / 100) / 10,
  };
}
