import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { costSettingsFromCdkJson } from '../../infra/cost-settings.js';
import { costPerDay } from '../../lib/cost/model.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The dollar figures that `pattern` captures in the README, as numbers. */
function figures(pattern: RegExp): number[] {
  const match = README.match(pattern);
  if (match === null) throw new Error(`the README no longer says ${pattern}`);
  return match.slice(1).map(Number);
}

// The README's cost paragraph quotes `cli cost` for the repository's cdk.json. Every resource the stack
// gains (an alarm costs $0.10 a month) moves those figures, so they are read back here, not trusted.
describe('README: the cost paragraph', () => {
  it("quotes the cost command's figures for the stack that cdk.json deploys", () => {
    // Prepare: the model for the settings and counts of the synthesized stack, as `cli cost` prints it
    const report = costPerDay(costSettingsFromCdkJson());
    const worker = report.lines.find((line) => line.item === 'worker Lambda sessions');
    const cents = (x: number) => Math.round(x * 100) / 100;
    // Act
    const [serverless, workerSessions] = figures(
      /serverless \$(\d+\.\d\d)\/day \(of which worker Lambda sessions\s+\$(\d+\.\d\d):/,
    );
    const [onDemand, spot] = figures(
      /verifier \$(\d+\.\d\d)\/day on-demand and\s+\$(\d+\.\d\d)\/day on Spot/,
    );
    const [totalOnDemand, totalSpot] = figures(/totals \$(\d+\.\d\d) \/ \$(\d+\.\d\d) per day/);
    const [oldDesign] = figures(/\$(\d+\.\d\d)\/day for the old one-GPU-instance-per-session design/);
    const [box] = figures(/\$(\d+\.\d\d)\/day for an always-on box/);
    // Assess
    expect({ serverless, workerSessions, onDemand, spot, totalOnDemand, totalSpot, oldDesign, box }).toEqual({
      serverless: report.perDayUsd.serverless,
      workerSessions: cents(worker?.perDay ?? Number.NaN),
      onDemand: report.perDayUsd.verifierOnDemand,
      spot: report.perDayUsd.verifierSpot,
      totalOnDemand: report.perDayUsd.totalOnDemand,
      totalSpot: report.perDayUsd.totalSpot,
      oldDesign: report.oldDesignGpuPerDay,
      box: report.perDayUsd.alwaysOnBox,
    });
  });
});
