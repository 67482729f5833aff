import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate, loadContext } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';
import { printSdl } from './schema.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('committed generated files', () => {
  it('schema.graphql matches the type-graphql classes (run `npm run schema:emit`)', async () => {
    const committed = await readFile(path.join(root, 'schema.graphql'), 'utf8');
    expect(committed).toBe(await printSdl());
  });

  it('src/test/generated and src/web/gql match schema.graphql and the operations (run `npm run codegen`)', async () => {
    const context = await loadContext(path.join(root, 'codegen.yml'));
    context.cwd = root;
    const outputs = await generate(context, false);
    const files = outputs.map((output: { filename: string }) => path.relative(root, path.resolve(root, output.filename))).sort();
    // The tests' typed documents, and the web client's (graphql-codegen's client preset).
    expect(files).toEqual(['src/test/generated/graphql.ts', 'src/web/gql/gql.ts', 'src/web/gql/graphql.ts', 'src/web/gql/index.ts']);
    for (const output of outputs) {
      const committed = await readFile(path.resolve(root, output.filename), 'utf8');
      expect(committed, output.filename).toBe(output.content);
    }
  }, 60_000);
});
