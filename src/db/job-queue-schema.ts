/**
 * The job queue's tables (src/jobs, graphile-worker) live in a schema of
 * their own, migrated by the library's own migrations. They run here, with
 * ours and as the same role, so the runtime role on the embedded server
 * needs no DDL rights and every path that migrates (start-up, the test
 * template, `npm run db:migrate`) migrates both.
 */
import { Logger, runMigrations } from 'graphile-worker';
import type { Logger as PinoLogger } from 'pino';

export const JOB_QUEUE_SCHEMA = 'graphile_worker';

/** Brings the job queue's schema up to date (idempotent; concurrent callers are serialised by the library's lock). */
export async function migrateJobQueueSchema(databaseUrl: string, logger?: PinoLogger): Promise<void> {
  await runMigrations({
    connectionString: databaseUrl,
    maxPoolSize: 1,
    schema: JOB_QUEUE_SCHEMA,
    logger: new Logger(() => (level, message) => {
      if (level === 'error') logger?.error(message);
      else logger?.debug(message);
    }),
  });
}
