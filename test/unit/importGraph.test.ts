// The import graph of our own modules: no cycle, and every layer imports only the layers below it. Two readings:
// the compiled modules (dist/, what really loads: workflow safety, lib purity) and the sources (type-only imports
// included, so a layer cannot lean on a higher one even for a type).
import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const DIST = fileURLToPath(new URL('../..', import.meta.url));
const PROJECT = path.dirname(DIST);
const FOLDERS = ['config', 'lib', 'formats', 'engines', 'storage', 'activities', 'workflows', 'workers', 'client'];
/** Packages a workflow may load: the SDK's workflow-safe parts and pure JavaScript with no Node built-in. */
const WORKFLOW_SAFE_PACKAGES = ['@temporalio/workflow', '@temporalio/common', 'jsonrepair'];

const IMPORT = /^\s*(?:import|export)\s[^;]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm;

/** Module (path under dist/) → the packages and Node built-ins it imports at load time. */
const packagesOf = new Map<string, string[]>();

/** Module (path under dist/) → the modules of ours it imports at load time (`import type` is gone from the JS; `import()` waits). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const folder of FOLDERS) {
    for (const e of readdirSync(path.join(DIST, folder), { recursive: true, withFileTypes: true })) {
      if (!e.isFile() || !e.name.endsWith('.js')) continue;
      const file = path.join(e.parentPath, e.name);
      const from = path.relative(DIST, file);
      // tsc leaves the output of a moved or deleted source behind: only modules whose source exists count.
      if (!existsSync(path.join(PROJECT, from.replace(/\.js$/, '.ts')))) continue;
      const text = readFileSync(file, 'utf8');
      const specifiers = [...text.matchAll(IMPORT)].map((m) => m[1] ?? m[2]);
      graph.set(from, specifiers.filter((s) => s.startsWith('.')).map((s) => path.relative(DIST, path.resolve(path.dirname(file), s))));
      packagesOf.set(from, specifiers.filter((s) => !s.startsWith('.')));
    }
  }
  return graph;
}

/** Source module (path under the project, as .js) → the modules of ours it imports, `import type` included. */
function sourceGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const folder of FOLDERS) {
    for (const e of readdirSync(path.join(PROJECT, folder), { recursive: true, withFileTypes: true })) {
      if (!e.isFile() || !e.name.endsWith('.ts') || e.name.endsWith('.d.ts')) continue;
      const file = path.join(e.parentPath, e.name);
      const from = path.relative(PROJECT, file).replace(/\.ts$/, '.js');
      const specifiers = [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((m) => m[1] ?? m[2]);
      graph.set(from, specifiers.filter((s) => s.startsWith('.')).map((s) => path.relative(PROJECT, path.resolve(path.dirname(file), s))));
    }
  }
  return graph;
}

/** What each folder may import (itself included), type-only imports too; workflows reach activities by type only. */
const MAY_IMPORT: Record<string, string[]> = {
  config: ['config'],
  lib: ['lib', 'config'],
  formats: ['formats', 'lib', 'config'],
  engines: ['engines', 'formats', 'lib', 'config'],
  storage: ['storage', 'engines', 'formats', 'lib', 'config'],
  activities: ['activities', 'storage', 'engines', 'formats', 'lib', 'config'],
  workflows: ['workflows', 'lib', 'config', 'activities'],
  workers: ['workers', 'workflows', 'activities', 'storage', 'engines', 'formats', 'lib', 'config'],
  client: ['client', 'workers', 'workflows', 'activities', 'storage', 'engines', 'formats', 'lib', 'config'],
};

function upwardImports(graph: Map<string, string[]>): string[] {
  return [...graph].flatMap(([from, deps]) => deps.map((to) => [from, to] as const))
    .filter(([from, to]) => !MAY_IMPORT[from.split('/')[0]]?.includes(to.split('/')[0]))
    .map(([f, t]) => `${f} -> ${t}`);
}

/** Every cycle, each once, as the list of modules around it (strongly connected components of more than one, or a self-import). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      for (let w = ''; w !== v;) {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      }
      if (scc.length > 1 || graph.get(v)!.includes(v)) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('import graph of our modules (compiled dist/)', () => {
  const graph = importGraph();
  const sources = sourceGraph();

  it('reads every layer (the reader finds the modules and their imports)', () => {
    expect(graph.get('workflows/index.js')).toEqual(expect.arrayContaining(['workflows/dubJob.js']));
    expect(graph.size).toBeGreaterThan(100);
  });

  it('has no import cycle', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('finds a cycle when there is one (the check itself works)', () => {
    expect(cycles(new Map([['a.js', ['b.js']], ['b.js', ['c.js']], ['c.js', ['a.js']], ['d.js', ['a.js']]]))).toEqual([['a.js', 'b.js', 'c.js']]);
  });

  it('each layer imports only the layers below it, in what loads and in the sources (types included)', () => {
    expect(upwardImports(graph)).toEqual([]);
    expect(upwardImports(sources)).toEqual([]);
    // The check covers every folder.
    expect(new Set([...sources.keys()].map((m) => m.split('/')[0]))).toEqual(new Set(FOLDERS));
  });

  it('has no cycle in the sources either (type-only imports included)', () => {
    expect(cycles(sources)).toEqual([]);
  });

  it('workflows reach activities by type only (import type), never at load time', () => {
    expect([...graph].filter(([m]) => m.startsWith('workflows/')).flatMap(([m, deps]) => deps.filter((d) => d.startsWith('activities/')).map((d) => `${m} -> ${d}`))).toEqual([]);
  });

  it('what a workflow loads is workflow-safe: lib/, workflows/, config/placement.js, and no Node built-in or Node-only package', () => {
    const loaded = new Set<string>();
    const visit = (m: string) => {
      if (loaded.has(m)) return;
      loaded.add(m);
      for (const d of graph.get(m) ?? []) visit(d);
    };
    visit('workflows/index.js');
    const ours = [...loaded].filter((m) => !['lib', 'workflows'].includes(m.split('/')[0]) && m !== 'config/placement.js');
    expect(ours).toEqual([]);
    const packages = [...loaded].flatMap((m) => (packagesOf.get(m) ?? []).filter((p) => !WORKFLOW_SAFE_PACKAGES.includes(p)).map((p) => `${m} -> ${p}`));
    expect(packages).toEqual([]);
    // The check sees what it must: lib/ really is what the workflows load.
    expect(loaded).toContain('lib/review.js');
  });

  it('lib/ is pure: no Node built-in and no package beyond the workflow-safe ones, whoever imports it', () => {
    const impure = [...packagesOf].filter(([m]) => m.startsWith('lib/'))
      .flatMap(([m, pkgs]) => pkgs.filter((p) => !WORKFLOW_SAFE_PACKAGES.includes(p) || p === '@temporalio/workflow').map((p) => `${m} -> ${p}`));
    expect(impure).toEqual([]);
  });
});
