// `npm run schema:emit`: writes schema.graphql from the type-graphql classes.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitSchemaFile } from './schema.js';

const target = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schema.graphql');
await emitSchemaFile(target);
process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
