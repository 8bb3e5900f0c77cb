import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** `npm run bench [-- name…]`: runs each bench/<name>.ts module's `run()` and prints one table of figures. */
type Figures = Record<string, string | number>;
const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const modules = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => basename(f, '.ts'))
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();

const rows: Array<[string, string, string]> = [];
let failed = false;
for (const name of modules) {
  const mod = (await import(pathToFileURL(join(here, `${name}.ts`)).href)) as {
    run?: () => Promise<Figures>;
  };
  if (typeof mod.run !== 'function') continue;
  process.stderr.write(`bench ${name}…\n`);
  try {
    const figures = await mod.run();
    for (const [key, value] of Object.entries(figures)) rows.push([name, key, String(value)]);
  } catch (error) {
    failed = true;
    rows.push([name, 'error', (error as Error).message]);
  }
}
const widths = [0, 1, 2].map((i) =>
  Math.max(...rows.map((r) => r[i]?.length ?? 0), ['area', 'figure', 'value'][i]?.length ?? 0),
);
const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ');
console.log(line(['area', 'figure', 'value']));
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
for (const r of rows) console.log(line(r));
process.exitCode = failed ? 1 : 0;
