import { join } from 'node:path';
import { build } from 'esbuild';

/**
 * Bundles bench/probes/<name>.ts into `<outdir>/<name>.mjs` for a plain `node` process, so that a memory
 * probe counts neither tsx nor vitest. Returns the bundle's path.
 */
export async function bundleProbe(name: string, outdir: string): Promise<string> {
  const outfile = join(outdir, `${name}.mjs`);
  await build({
    entryPoints: [join(import.meta.dirname, `${name}.ts`)],
    outfile,
    bundle: true,
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
