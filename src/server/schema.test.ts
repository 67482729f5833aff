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

  it('src/test/generated/graphql.ts matches schema.graphql and the operations (run `npm run codegen`)', async () => {
    const context = await loadContext(path.join(root, 'codegen.yml'));
    context.cwd = root;
    const outputs = await generate(context, false);
    expect(outputs).toHaveLength(1);
    const committed = await readFile(path.join(root, 'src/test/generated/graphql.ts'), 'utf8');
    expect(committed).toBe(outputs[0]!.content);
  }, 60_000);
});
