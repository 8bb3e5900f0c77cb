import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { build } from 'esbuild';
import { entryBuildOptions } from '../../infra/bundling.js';

/**
 * Bundles bench/probes/<name>.ts into `<outdir>/<name>.mjs` for a plain `node` process, so that a memory
 * probe counts neither tsx nor vitest. Built with the handlers' own options (infra/bundling.ts: minified,
 * names kept, a source map without the sources, native addons and the AWS SDK left out), since under
 * `--enable-source-maps` the map is part of what a Lambda holds and the deployed functions load the
 * runtime's SDK from its own files. `outdir` must lie inside the repository, where node finds the SDK in
 * node_modules. Returns the bundle's path.
 */
export async function bundleProbe(name: string, outdir: string): Promise<string> {
  const outfile = join(outdir, `${name}.mjs`);
  await build({
    ...entryBuildOptions(join(import.meta.dirname, `${name}.ts`), outfile, { sdkExternal: true }),
    logLevel: 'error',
  });
  return outfile;
}

/**
 * The node that runs the memory probes: `BENCH_NODE` (a path, e.g. to Node 22, the Lambda runtime's
 * version) or this process's own; with its version, since V8's memory differs between them.
 */
export function probeNode(): { readonly path: string; readonly version: string } {
  const path = process.env.BENCH_NODE ?? process.execPath;
  const result = spawnSync(path, ['--version'], { encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(`BENCH_NODE ${path} does not run: ${result.stderr || result.error}`);
  return { path, version: result.stdout.trim() };
}
