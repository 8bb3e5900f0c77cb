import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The layout rule of issue 10, checked on the source itself: every import points down, no circles.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Rank of a folder: a file may import only from folders of a lower rank (or its own folder). */
const RANKS: ReadonlyArray<readonly [prefix: string, rank: number]> = [
  ['functions/', 60],
  ['lib/cli/', 50],
  ['lib/pipeline/', 40],
  ['lib/scoring/', 30],
  ['lib/chain/', 30],
  ['lib/pog/', 30],
  ['lib/wandb/', 30],
  ['lib/cost/', 30],
  ['lib/store/', 20],
  ['lib/queue/', 20],
  ['lib/clients/', 20],
  ['lib/observability/', 20],
  ['lib/config/', 10],
  // a leaf (node:net only): the queue's decoder, the PoG code and the queryable filter all check addresses
  ['lib/net/', 10],
  ['lib/', 0],
];

function listTs(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return listTs(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const source = readFileSync(join(ROOT, file), 'utf8');
  const specs = [...source.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map(
    (m) => m[1] ?? '',
  );
  return specs.map((spec) => relative(ROOT, resolve(ROOT, dirname(file), spec)).replace(/\.js$/, '.ts'));
}

const folderOf = (file: string) => file.slice(0, file.lastIndexOf('/') + 1);
const rankOf = (file: string) => RANKS.find(([prefix]) => file.startsWith(prefix))?.[1];

const files = [...listTs('lib'), ...listTs('functions')];
const graph = new Map(files.map((file) => [file, importsOf(file)]));

describe('Layout: imports point down', () => {
  it('no production file imports the harness, tests, benches, entries or infra', () => {
    // Prepare
    const upward = /^(harness|test|bench|bin|infra|scripts)\//;
    // Act
    const bad = [...graph].flatMap(([file, deps]) =>
      deps.filter((d) => upward.test(d)).map((d) => `${file} -> ${d}`),
    );
    // Assess
    expect(bad).toEqual([]);
  });

  it('each import goes to its own folder or a lower-ranked one (domains do not import each other)', () => {
    // Act
    const bad = [...graph].flatMap(([file, deps]) =>
      deps
        .filter((dep) => dep.startsWith('lib/') || dep.startsWith('functions/'))
        .filter((dep) => {
          if (folderOf(dep) === folderOf(file) || folderOf(dep).startsWith(folderOf(file))) return false;
          if (file.startsWith('functions/') && dep.startsWith(folderOf(file))) return false;
          return (rankOf(dep) ?? 99) >= (rankOf(file) ?? -1);
        })
        .map((dep) => `${file} -> ${dep}`),
    );
    // Assess
    expect(bad).toEqual([]);
  });

  it('the pipeline reaches the chain only through its port (lib/chain/index.ts)', () => {
    // Act
    const bad = [...graph]
      .filter(([file]) => file.startsWith('lib/pipeline/'))
      .flatMap(([file, deps]) =>
        deps
          .filter((d) => d.startsWith('lib/chain/') && d !== 'lib/chain/index.ts')
          .map((d) => `${file} -> ${d}`),
      );
    // Assess
    expect(bad).toEqual([]);
  });

  it('has no import circles between files', () => {
    // Prepare
    const state = new Map<string, 'open' | 'done'>();
    const circles: string[] = [];
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        circles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const dep of graph.get(file) ?? []) if (graph.has(dep)) visit(dep, [...path, file]);
      state.set(file, 'done');
    };
    // Act
    for (const file of graph.keys()) visit(file, []);
    // Assess
    expect(circles).toEqual([]);
  });
});
