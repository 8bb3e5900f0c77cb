import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Some CommonJS dependencies (ssh2) use require() and __dirname; ESM bundles need both defined. */
export const ESM_REQUIRE_BANNER = [
  "import { createRequire as __cr } from 'module';",
  "import { fileURLToPath as __fu } from 'url';",
  "import { dirname as __dn } from 'path';",
  'const require = __cr(import.meta.url);',
  'const __filename = __fu(import.meta.url);',
  'const __dirname = __dn(__filename);',
].join(' ');

/**
 * Native addons stay out of bundles: ssh2 and cpu-features load them inside try/catch and fall back to
 * pure JavaScript, so the bundle runs on any architecture.
 */
export const NATIVE_EXTERNALS = ['*.node', 'cpu-features'];

/** The Lambdas use the AWS SDK v3 that the Node 22 runtime ships (bundling ours adds ~550 KB). */
export const RUNTIME_SDK_EXTERNALS = ['@aws-sdk/*'];

/**
 * Source maps carry positions and names, not the sources themselves: under `--enable-source-maps` a
 * Lambda holds its map in memory, and the embedded sources were 4–5 MB of the worker's resident set
 * (`npm run bench -- worker-memory`). Stack traces still name the original file, line and column.
 */
export const MAP_SOURCES_CONTENT = false;

export const HANDLERS = ['sync', 'worker', 'weights', 'verifier'] as const;
export type HandlerName = (typeof HANDLERS)[number];

/** esbuild options of one handler entry: the same for the build script, the Docker image and the benchmarks. */
export function handlerBuildOptions(
  name: HandlerName,
  outfile: string,
  options: { sdkExternal: boolean },
): BuildOptions {
  return entryBuildOptions(join(ROOT, 'functions', name, 'index.ts'), outfile, options);
}

/** The handlers' esbuild options for any entry file (a benchmark's probe of a handler's code, say). */
export function entryBuildOptions(
  entry: string,
  outfile: string,
  options: { sdkExternal: boolean },
): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    // error classes are told apart by name in logs (PogValidatorError sets this.name from the class)
    keepNames: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    sourcemap: true,
    sourcesContent: MAP_SOURCES_CONTENT,
    external: [...NATIVE_EXTERNALS, ...(options.sdkExternal ? RUNTIME_SDK_EXTERNALS : [])],
    logLevel: 'silent',
    banner: { js: ESM_REQUIRE_BANNER },
  };
}

/** Python files each entry needs in `<outdir>/payload/`, where lib/pog looks for them. */
const PAYLOAD_FILES: Partial<Record<HandlerName, readonly string[]>> = {
  // the row checker imports the payload's generator from beside itself
  verifier: ['miner_payload.py', 'row_check.py'],
};

/**
 * Bundles one handler to `<outdir>/<name>.mjs`, with the Python files it needs under `payload/`.
 * Returns the bundle's size in bytes.
 */
export async function bundleHandler(
  name: HandlerName,
  outdir: string,
  options: { sdkExternal: boolean },
): Promise<number> {
  const outfile = join(outdir, `${name}.mjs`);
  await build(handlerBuildOptions(name, outfile, options));
  const files = PAYLOAD_FILES[name] ?? [];
  if (files.length > 0) mkdirSync(join(outdir, 'payload'), { recursive: true });
  for (const file of files) {
    copyFileSync(join(ROOT, 'lib', 'pog', 'payload', file), join(outdir, 'payload', file));
  }
  return statSync(outfile).size;
}
