/**
 * Applies `prisma/migrations/*` at start-up (and for `npm run db:migrate`)
 * exactly as `prisma migrate deploy` does, with nothing of Prisma's loaded:
 * the same advisory lock, the same `_prisma_migrations` table and rows
 * (checksum, start and finish times, applied steps), the same refusal to go on
 * past a failed migration (P3009) and to migrate a schema that Prisma did not
 * make (P3005). A database migrated here and one migrated by Prisma's CLI
 * agree; migrations.test.ts compares the rows with those Prisma's own engine
 * writes. New migrations are written by Prisma's engine (schema-engine.ts).
 * Then the job queue's own schema is migrated too (job-queue-schema.ts).
 */
import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { migrateJobQueueSchema } from './job-queue-schema.js';
import { describeDatabaseUrl } from './database-url.js';
import { MigrationError, defaultMigrationsDir, readMigrationFolders } from './migration-files.js';

/** Options for {@link applyMigrations}. */
export interface ApplyMigrationsOptions {
  /**
   * Folder of migration folders.
   * @defaultValue `<repo>/prisma/migrations`
   */
  migrationsDir?: string;
  /** Receives one line per applied migration, and a warning for an applied migration whose file changed since. */
  logger?: Logger;
}

/** The key Prisma's CLI and engine lock with, so our runner and theirs exclude each other too. */
const PRISMA_ADVISORY_LOCK = 72707369;

/** Prisma's own definition of the table (schema-engine's sql-migration-connector). */
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/**
 * Applies the migrations in `migrationsDir` that the database has not seen, in
 * name order. Returns the names newly applied: empty when the database is up
 * to date, so it is cheap to call at every start.
 *
 * Concurrent callers (several instances starting at once) are serialised by
 * `pg_advisory_lock(72707369)`, the lock Prisma takes; the second caller then
 * finds nothing to do. Each migration is sent to PostgreSQL whole, as one
 * simple-protocol query: one implicit transaction, so a failing migration
 * leaves nothing of itself behind, and semicolons inside function bodies and
 * literals need no care. A failed migration stays recorded as failed (its
 * error in `logs`), and later calls refuse to continue until it is resolved,
 * as with Prisma.
 */
export async function applyMigrations(databaseUrl: string, options: ApplyMigrationsOptions = {}): Promise<string[]> {
  const migrationsDir = path.resolve(options.migrationsDir ?? defaultMigrationsDir());
  const { logger } = options;
  const startedAt = performance.now();
  const folders = await readMigrationFolders(migrationsDir);
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', (error) => logger?.warn({ err: error }, 'migration connection error'));
  await client.connect();
  const applied: string[] = [];
  try {
    // Session-level: held across the migrations' own transactions, released when the connection ends.
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK]);
    await refuseForeignSchema(client, databaseUrl);
    await client.query(CREATE_MIGRATIONS_TABLE);
    const rows = (await client.query<AppliedRow>('SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"')).rows;
    const failed = rows.filter((row) => row.finished_at === null && row.rolled_back_at === null);
    if (failed.length > 0) {
      throw new MigrationError(
        `Migrations of ${describeDatabaseUrl(databaseUrl)} cannot go on: ${failed.map((row) => row.migration_name).join(', ')} failed. ` +
          'Fix the database by hand, then mark it rolled back (or applied) in _prisma_migrations.',
        { cause: undefined, code: 'P3009' },
      );
    }
    const done = new Map(rows.filter((row) => row.finished_at !== null).map((row) => [row.migration_name, row.checksum]));
    for (const folder of folders) {
      if (!folder.script.ok) throw new MigrationError(`Migration ${folder.name} cannot be read: ${folder.script.error}`, { cause: undefined, code: undefined });
      const checksum = createHash('sha256').update(folder.script.sql).digest('hex');
      const recorded = done.get(folder.name);
      if (recorded !== undefined) {
        if (recorded !== checksum) logger?.warn({ migration: folder.name }, 'an applied migration was edited since; its new text is not applied');
        continue;
      }
      await applyOne(client, folder.name, folder.script.sql, checksum);
      applied.push(folder.name);
      logger?.info({ migration: folder.name }, 'migration applied');
    }
    // Still under the lock: instances starting together migrate the queue one after another too.
    await migrateJobQueueSchema(databaseUrl, logger);
  } finally {
    await client.end();
  }
  logger?.debug({ applied: applied.length, ms: Math.round(performance.now() - startedAt) }, 'migrations up to date');
  return applied;
}

/** Prisma's sequence: record the start, run the script, record the finish (or the error, leaving it failed). */
async function applyOne(client: pg.Client, name: string, sql: string, checksum: string): Promise<void> {
  const id = randomUUID();
  await client.query('INSERT INTO "_prisma_migrations" ("id", "checksum", "migration_name", "started_at") VALUES ($1, $2, $3, now())', [id, checksum, name]);
  try {
    await client.query(sql);
  } catch (error) {
    const logs = databaseErrorLog(error);
    await client.query('UPDATE "_prisma_migrations" SET "logs" = $2 WHERE "id" = $1', [id, logs]);
    throw new MigrationError(`Migration ${name} failed: ${(error as Error).message}`, { cause: error, code: 'P3018' });
  }
  await client.query('UPDATE "_prisma_migrations" SET "finished_at" = now(), "applied_steps_count" = "applied_steps_count" + 1 WHERE "id" = $1', [id]);
}

/**
 * `prisma migrate deploy` will not migrate a schema that has tables but no
 * migration history (P3005): those tables are someone else's.
 */
async function refuseForeignSchema(client: pg.Client, databaseUrl: string): Promise<void> {
  const { rows } = await client.query<{ history: boolean; tables: number }>(
    `SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS "history",
            (SELECT count(*)::int FROM pg_tables WHERE schemaname = current_schema()) AS "tables"`,
  );
  const { history, tables } = rows[0]!;
  if (!history && tables > 0) {
    throw new MigrationError(
      `The schema of ${describeDatabaseUrl(databaseUrl)} is not empty and has no migration history: it was not made by these migrations.`,
      { cause: undefined, code: 'P3005' },
    );
  }
}

/** What Prisma writes to `logs` for a failed script: the code and the server's error. */
function databaseErrorLog(error: unknown): string {
  const { code, message, detail, hint, position } = error as { code?: string; message?: string; detail?: string; hint?: string; position?: string };
  return [
    code ? `Database error code: ${code}` : null,
    `Database error:\n${message ?? String(error)}`,
    position ? `Position: ${position}` : null,
    detail ? `DETAIL: ${detail}` : null,
    hint ? `HINT: ${hint}` : null,
  ]
    .filter((line) => line !== null)
    .join('\n\n');
}
