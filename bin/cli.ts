import { costSettingsFromCdkJson } from '../infra/cost-settings.js';
import { runCli } from '../lib/cli/main.js';

process.exitCode = runCli(
  process.argv.slice(2),
  {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
  },
  { costSettings: costSettingsFromCdkJson },
);
