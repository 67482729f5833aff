/**
 * The layers of docs/architecture.md, checked on every `npm test`: no import
 * cycle anywhere in src/ (type-only imports count: a cycle of types is still a
 * cycle for a reader), and every import points down the layer table.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const src = path.dirname(fileURLToPath(import.meta.url));

/** Every .ts and .tsx file under src/, as paths relative to src/, generated code left out. */
function sourceFiles(dir = src): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' || entry.name === 'node_modules' ? [] : sourceFiles(full);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path.relative(src, full)] : [];
  });
}

const isTest = (file: string) => file.endsWith('.test.ts') || file.startsWith('test/') || file.startsWith('security/');

/** The files a file imports (static, type-only, re-exports and dynamic imports), within src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(src, file), 'utf8');
  const { importedFiles } = ts.preProcessFile(text, true, true);
  return (
    importedFiles
      .map((imported) => imported.fileName)
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => path.normalize(path.join(path.dirname(file), specifier)))
      // Node code names its imports .js; the web client (bundled by Vite) names none, and may import a .tsx.
      .map((target) => (target.endsWith('.js') ? target.replace(/\.js$/, '.ts') : resolveExtensionless(target)))
      .filter((target) => !target.startsWith('..') && !target.startsWith('generated/'))
  );
}

function resolveExtensionless(target: string): string {
  for (const candidate of [`${target}.ts`, `${target}.tsx`, path.join(target, 'index.ts')]) {
    if (existsSync(path.join(src, candidate))) return candidate;
  }
  return target;
}

const files = sourceFiles();
const graph = new Map(files.map((file) => [file, importsOf(file)]));

/** Strongly connected components with more than one file (or a file importing itself): Tarjan's algorithm. */
function cycles(): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const lowlinks = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (file: string) => {
    indices.set(file, index);
    lowlinks.set(file, index);
    index += 1;
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue;
      if (!indices.has(next)) {
        visit(next);
        lowlinks.set(file, Math.min(lowlinks.get(file)!, lowlinks.get(next)!));
      } else if (onStack.has(next)) {
        lowlinks.set(file, Math.min(lowlinks.get(file)!, indices.get(next)!));
      }
    }
    if (lowlinks.get(file) === indices.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1 || graph.get(file)!.includes(file)) found.push(component.sort());
    }
  };
  for (const file of files) if (!indices.has(file)) visit(file);
  return found;
}

/** The layer a file belongs to: its top folder, `modules` for features, `entry` for src/index.ts. */
function layerOf(file: string): string {
  if (file === 'index.ts') return 'entry';
  return file.split('/')[0]!;
}

/** Which layers each layer may import (docs/architecture.md, "Layers"). */
const MAY_IMPORT: Record<string, readonly string[]> = {
  // The entry also makes the root logger (lib/logger.ts) before anything else exists.
  entry: ['server', 'config', 'lib'],
  server: ['modules', 'graphql', 'realtime', 'media', 'jobs', 'db', 'lib', 'config'],
  modules: ['graphql', 'realtime', 'media', 'jobs', 'db', 'lib', 'config'],
  jobs: ['db', 'lib', 'config'],
  graphql: ['lib', 'config'],
  realtime: ['lib', 'config'],
  media: ['lib', 'config'],
  db: ['lib', 'config'],
  lib: ['config'],
  config: [],
  // The web client talks to the server only over the API: it imports nothing of src but its own
  // folder (its generated operation types, web/gql, included).
  web: [],
};

describe('architecture', () => {
  it('reads the imports it checks', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(graph.get('server/app.ts')).toContain('server/websocket.ts');
    expect(graph.get('web/app/client.ts')).toContain('web/app/operations.ts');
    expect(graph.get('web/app/operations.ts')).toContain('web/gql/index.ts');
  });

  it('has no import cycle, type-only imports included', () => {
    expect(cycles()).toEqual([]);
  });

  it('imports point down the layer table; a module reaches another only through its index.ts', () => {
    const violations: string[] = [];
    for (const [file, targets] of graph) {
      if (isTest(file)) continue;
      const from = layerOf(file);
      for (const target of targets) {
        const to = layerOf(target);
        if (to === from) {
          if (from !== 'modules') continue;
          const [, fromFeature] = file.split('/');
          const [, toFeature, ...rest] = target.split('/');
          if (fromFeature !== toFeature && rest.join('/') !== 'index.ts') violations.push(`${file} -> ${target} (another module, not through its index.ts)`);
          continue;
        }
        if (!(MAY_IMPORT[from] ?? []).includes(to)) violations.push(`${file} -> ${target} (${from} may not import ${to})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('test code is imported only by tests', () => {
    const leaks = [...graph].flatMap(([file, targets]) => (isTest(file) ? [] : targets.filter(isTest).map((target) => `${file} -> ${target}`)));
    expect(leaks).toEqual([]);
  });
});
