import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { build } from 'esbuild';
import { MAP_SOURCES_CONTENT } from '../../infra/bundling.js';

/**
 * Bundles bench/probes/<name>.ts into `<outdir>/<name>.mjs` for a plain `node` process, so that a memory
 * probe counts neither tsx nor vitest. Minified with names kept and a source map, as the stack bundles a
 * handler (infra/bundling.ts): under `--enable-source-maps` the map is part of what a Lambda holds.
 * Returns the bundle's path.
 */
export async function bundleProbe(name: string, outdir: string): Promise<string> {
  const outfile = join(outdir, `${name}.mjs`);
  await build({
    entryPoints: [join(import.meta.dirname, `${name}.ts`)],
    outfile,
    bundle: true,
    minify: true,
    keepNames: true,
    sourcemap: true,
    sourcesContent: MAP_SOURCES_CONTENT,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
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
