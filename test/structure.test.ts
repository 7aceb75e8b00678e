import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The architecture, as the import graph shows it: the pure emulator imports
 * nothing outside itself, the worker and the ingest never reach into the HTTP
 * layer, no route imports another route, and no module imports itself back
 * through a cycle.
 */
const SRC = path.resolve(import.meta.dirname, '..', 'src');

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((entry) => (entry.isDirectory() ? sourceFiles(path.join(dir, entry.name)) : [path.join(dir, entry.name)])));
  return nested.flat().filter((file) => file.endsWith('.ts'));
}

async function importGraph(): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const file of await sourceFiles(SRC)) {
    const text = await readFile(file, 'utf8');
    const specs = [...text.matchAll(/^(?:import|export)[^'"]*?from\s+'(\.[^']+)'/gm)].map((m) => m[1]!);
    graph.set(
      path.relative(SRC, file),
      specs.map((spec) => path.relative(SRC, path.resolve(path.dirname(file), spec))),
    );
  }
  return graph;
}

describe('the import graph of src/', () => {
  it('finds the modules it checks (the parser reads this codebase)', async () => {
    const graph = await importGraph();
    expect(graph.get('worker/runner.ts')).toContain('worker/crontab.ts');
    expect(graph.size).toBeGreaterThan(40);
  });

  it('keeps src/worker, src/ingest, src/auto, src/kpi, src/db and src/domain out of src/api', async () => {
    const graph = await importGraph();
    const offenders = [...graph].flatMap(([file, imports]) =>
      /^(worker|ingest|auto|kpi|db|domain|emulator)\//.test(file)
        ? imports.filter((target) => target.startsWith('api/')).map((target) => `${file} -> ${target}`)
        : [],
    );
    expect(offenders).toEqual([]);
  });

  it('keeps the emulator pure: it imports only itself', async () => {
    const graph = await importGraph();
    const offenders = [...graph].flatMap(([file, imports]) =>
      file.startsWith('emulator/') ? imports.filter((target) => !target.startsWith('emulator/')).map((target) => `${file} -> ${target}`) : [],
    );
    expect(offenders).toEqual([]);
    for (const file of [...graph.keys()].filter((f) => f.startsWith('emulator/'))) {
      // Code only: comments may say what the module avoids.
      const text = (await readFile(path.join(SRC, file), 'utf8')).replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
      expect(text, file).not.toMatch(/Math\.random|new Date\(\)|Date\.now\(|from 'pg'/);
    }
  });

  it('has no route importing another route', async () => {
    const graph = await importGraph();
    const offenders = [...graph].flatMap(([file, imports]) =>
      file.startsWith('api/routes/') ? imports.filter((target) => target.startsWith('api/routes/')).map((target) => `${file} -> ${target}`) : [],
    );
    expect(offenders).toEqual([]);
  });

  it('has no import cycle', async () => {
    const graph = await importGraph();
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (file: string, trail: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...trail.slice(trail.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'visiting');
      for (const next of graph.get(file) ?? []) visit(next, [...trail, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
