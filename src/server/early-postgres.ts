import type { Env } from '../config/env.js';
import type { EmbeddedPostgres } from '../db/embedded-postgres.js';
import type { Logger } from '../lib/logger.js';

/**
 * Starts embedded PostgreSQL (without DATABASE_URL) before the server's
 * modules load, for startServer's `embeddedPostgres`: it boots in its own
 * process while Node loads them (most of a second here), instead of after.
 * Small on purpose: src/index.ts imports it before app.ts. A failure is
 * reported where the database is opened.
 */
export async function startPostgresEarly(env: Env, logger: Logger): Promise<{ embeddedPostgres?: Promise<EmbeddedPostgres> }> {
  if (env.databaseUrl !== undefined) return {};
  const { startEmbeddedPostgres } = await import('../db/embedded-postgres.js');
  const embeddedPostgres = startEmbeddedPostgres({ dataDir: env.dataDir, logger: logger.child({ module: 'db' }) });
  embeddedPostgres.catch(() => undefined);
  return { embeddedPostgres };
}
