import { describe, expect, it } from 'vitest';
import { runCli } from '../../../lib/cli/main.js';
import { type CostSettings, costPerDay, DEFAULT_ASSUMPTIONS, PRICES_USD } from '../../../lib/cost/model.js';

const settings: CostSettings = {
  pogIntervalBlocks: 360,
  syncIntervalMinutes: 5,
  weightsIntervalMinutes: 5,
  verifierInstanceTypes: ['g4dn.xlarge'],
  workerMemoryMb: 1024,
  secrets: 2,
  kmsKeys: 2,
  alarms: 7,
};

function cli(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = runCli(
    ['cost', ...argv],
    { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {} },
    { costSettings: () => settings },
  );
  return { code, stdout, stderr };
}

describe('costPerDay', () => {
  it('prices the verifier as rounds × (boot + pull + bundles + idle) minutes of the first instance type', () => {
    // Act
    const report = costPerDay(settings);
    // Assess: 20 rounds a day at 360 blocks of 12 s
    const minutes =
      DEFAULT_ASSUMPTIONS.verifierBootMinutes +
      DEFAULT_ASSUMPTIONS.verifierImagePullMinutes +
      (256 * DEFAULT_ASSUMPTIONS.verificationSecondsPerBundle) / 60 +
      DEFAULT_ASSUMPTIONS.verifierIdleMinutes;
    expect(DEFAULT_ASSUMPTIONS.verifierStartsPerRound).toBe(1);
    expect(report.perDayUsd.verifierOnDemand).toBeCloseTo((20 * minutes * 0.526) / 60, 2);
    expect(report.perDayUsd.verifierSpot).toBeLessThan(report.perDayUsd.verifierOnDemand);
    expect(report.perDayUsd.totalSpot).toBeCloseTo(
      report.perDayUsd.serverless + report.perDayUsd.verifierSpot,
      1,
    );
    expect(report.oldDesignGpuPerDay).toBeCloseTo((20 * 256 * 3 * 0.526) / 60, 2);
  });

  it('follows the deploy settings: a slower PoG cadence costs less, an unknown instance type fails', () => {
    // Act
    const slower = costPerDay({ ...settings, pogIntervalBlocks: 720 });
    const base = costPerDay(settings);
    // Assess
    expect(slower.perDayUsd.verifierOnDemand).toBeCloseTo(base.perDayUsd.verifierOnDemand / 2, 2);
    expect(() => costPerDay({ ...settings, verifierInstanceTypes: ['x9.huge'] })).toThrow(/x9.huge/);
    expect(PRICES_USD.onDemandHour['g4dn.xlarge']).toBe(0.526);
  });
});

describe('cli cost', () => {
  it('prints the stable JSON contract', () => {
    // Act
    const out = cli(['--json', '--miners', '128']);
    // Assess
    expect(out.code).toBe(0);
    const parsed = JSON.parse(out.stdout);
    expect(Object.keys(parsed)).toEqual(['perDayUsd', 'assumptions']);
    expect(Object.keys(parsed.perDayUsd)).toEqual([
      'serverless',
      'verifierOnDemand',
      'verifierSpot',
      'totalOnDemand',
      'totalSpot',
      'alwaysOnBox',
    ]);
    expect(parsed.assumptions.miners).toBe(128);
    expect(parsed.assumptions.verifierInstanceType).toBe('g4dn.xlarge');
  });

  it("prices the worker's sessions as the miner's time plus its own, and takes the miner's time from --miner-seconds", () => {
    // Act
    const assumed = JSON.parse(cli(['--json']).stdout);
    const measured = JSON.parse(cli(['--json', '--miner-seconds', '30']).stdout);
    const bad = cli(['--miner-seconds', '-1']);
    // Assess
    expect(assumed.assumptions.workerAttemptSeconds).toBe(
      DEFAULT_ASSUMPTIONS.minerSecondsPerAttempt + DEFAULT_ASSUMPTIONS.workerOwnSecondsPerAttempt,
    );
    expect(measured.assumptions).toMatchObject({
      minerSecondsPerAttempt: 30,
      workerAttemptSeconds: 30 + DEFAULT_ASSUMPTIONS.workerOwnSecondsPerAttempt,
    });
    // 1 GB worker, 20 rounds × 256 miners × 1.2 attempts a day: the difference is the miner seconds saved
    const attemptsPerDay = 20 * 256 * DEFAULT_ASSUMPTIONS.attemptsPerMiner;
    const saved =
      attemptsPerDay * (DEFAULT_ASSUMPTIONS.minerSecondsPerAttempt - 30) * PRICES_USD.lambdaArmGbSecond;
    expect(assumed.perDayUsd.serverless - measured.perDayUsd.serverless).toBeCloseTo(saved, 1);
    expect(measured.perDayUsd.verifierOnDemand).toBe(assumed.perDayUsd.verifierOnDemand);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--miner-seconds must be a number in 0\.\.3600/);
  });

  it('prices each further verifier start in a round at its boot, image pull and idle minutes', () => {
    // Act
    const once = JSON.parse(cli(['--json']).stdout);
    const thrice = JSON.parse(cli(['--json', '--verifier-starts', '3']).stdout);
    const bad = cli(['--verifier-starts', '0']);
    // Assess: 20 rounds a day, 2 more starts each
    const a = DEFAULT_ASSUMPTIONS;
    const startMinutes = a.verifierBootMinutes + a.verifierImagePullMinutes + a.verifierIdleMinutes;
    expect(thrice.assumptions.verifierStartsPerRound).toBe(3);
    expect(thrice.perDayUsd.verifierOnDemand - once.perDayUsd.verifierOnDemand).toBeCloseTo(
      (20 * 2 * startMinutes * 0.526) / 60,
      1,
    );
    expect(thrice.perDayUsd.serverless).toBe(once.perDayUsd.serverless);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--verifier-starts must be a number in 1\.\.256/);
  });

  it('prints a table by default and rejects bad options', () => {
    // Act
    const table = cli([]);
    const bad = cli(['--miners', 'many']);
    // Assess
    expect(table.stdout).toMatch(/total, Spot verifier\s+\$\d+\.\d\d/);
    expect(table.stdout).toMatch(/always-on box/);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--miners/);
  });
});
