/**
 * `npm run db:migrate`: applies pending migrations in prisma/migrations to
 * DATABASE_URL, or to the embedded server in DATA_DIR (default `.data`).
 *
 *   npx tsx src/db/migrate.cli.ts
 */
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import { loadEnv } from '../config/env.js';
import { createCliLogger, databaseCliInput, withDatabaseServer, type DatabaseCliInput } from './cli-support.js';
import { describeDatabaseUrl } from './database-url.js';
import { applyMigrations } from './migrations.js';

/** Applies pending migrations; returns the names applied. */
export async function runMigrate(input: DatabaseCliInput, logger: Logger): Promise<string[]> {
  return withDatabaseServer(input, logger, async (databaseUrl) => {
    const applied = await applyMigrations(databaseUrl, { logger });
    const where = input.databaseUrl === undefined ? `embedded PostgreSQL in ${input.dataDir}` : describeDatabaseUrl(databaseUrl);
    process.stdout.write(applied.length === 0 ? `Database up to date (${where}).\n` : `Applied to ${where}:\n${applied.map((name) => `  ${name}\n`).join('')}`);
    return applied;
  });
}

async function main(): Promise<void> {
  const input = databaseCliInput(loadEnv());
  const logger = createCliLogger(input.logLevel);
  try {
    await runMigrate(input, logger);
  } catch (error) {
    process.stderr.write(`Migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
