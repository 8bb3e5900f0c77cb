import { runLocalCommand } from '../harness/cli/local.js';

// A reader that goes away (`| head`) must not crash the run before it stops what it started.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

process.exitCode = await runLocalCommand(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
});
// handles (sockets of stopped servers, timers) must not keep a finished run alive
setTimeout(() => process.exit(), 1_000).unref();
