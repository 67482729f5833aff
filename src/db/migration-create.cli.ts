/**
 * `npm run db:migration:create -- NAME`: writes
 * prisma/migrations/<timestamp>_NAME/migration.sql from the difference between
 * the existing migrations and prisma/schema.prisma. Needs a server on which it
 * may create (and drop) a temporary shadow database: DATABASE_URL, or the
 * embedded server in DATA_DIR (default `.data`). No database is changed.
 *
 *   npx tsx src/db/migration-create.cli.ts NAME
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import { loadEnv } from '../config/env.js';
import { createCliLogger, databaseCliInput, withDatabaseServer, type DatabaseCliInput } from './cli-support.js';
import { defaultMigrationsDir, findRepoRoot } from './migration-files.js';
import { createMigration } from './schema-engine.js';

/** Creates the migration; returns its folder name, or null when the schema matches the migrations. */
export async function runMigrationCreate(name: string, input: DatabaseCliInput, logger: Logger): Promise<string | null> {
  const folder = await withDatabaseServer(input, logger, (databaseUrl) => createMigration(name, { databaseUrl, logger }));
  const shown = path.relative(findRepoRoot(), defaultMigrationsDir());
  process.stdout.write(
    folder === null
      ? 'No changes: prisma/schema.prisma matches the migrations. Nothing written.\n'
      : `Created ${shown}/${folder}/migration.sql. Review it, then apply it with npm run db:migrate.\n`,
  );
  return folder;
}

async function main(): Promise<void> {
  const name = process.argv[2];
  if (name === undefined || name.startsWith('-')) {
    process.stderr.write('Usage: npm run db:migration:create -- NAME   (e.g. add_chats)\n');
    process.exitCode = 2;
    return;
  }
  const input = databaseCliInput(loadEnv());
  const logger = createCliLogger(input.logLevel);
  try {
    await runMigrationCreate(name, input, logger);
  } catch (error) {
    process.stderr.write(`Creating the migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
