/**
 * Opening the app's database: the server at DATABASE_URL, or an embedded one
 * when there is none, brought up to date with the migrations, with a Prisma
 * client on top.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { PrismaClient } from '../generated/prisma/client.js';
import { loadOrCreateSecret } from '../lib/secrets.js';
import { ensureAppRole } from './app-role.js';
import { describeDatabaseUrl } from './database-url.js';
import type { EmbeddedPostgres } from './embedded-postgres.js';
import { applyMigrations } from './migrations.js';
import { createPool, createPrismaClient, type QueryEvent } from './prisma-client.js';
import { createSql, type Sql } from './sql.js';

/** Options for {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** A PostgreSQL 14+ URL. When undefined, an embedded server is started in `dataDir`. */
  databaseUrl?: string | undefined;
  /**
   * Folder for the embedded server's cluster (`<dataDir>/postgres`) and the
   * passwords of its roles; unused with `databaseUrl`.
   */
  dataDir: string;
  logger: Logger;
  /**
   * Apply pending migrations before returning.
   * @defaultValue `true`
   */
  migrate?: boolean;
  /** Passed to {@link createPrismaClient}. @defaultValue pg's default, 10 */
  poolMax?: number;
  /** Passed to {@link createPrismaClient}: called once per SQL statement Prisma sends. */
  onQuery?: (event: QueryEvent) => void;
  /**
   * The embedded server, already starting (without `databaseUrl`): `npm start` starts it before loading the
   * server's modules, so PostgreSQL boots in its own process meanwhile. Started here when not given.
   */
  embedded?: Promise<EmbeddedPostgres> | undefined;
}

/** An open database. */
export interface Database {
  /**
   * The URL `prisma` connects with: `databaseUrl` as given, or on the embedded
   * server the runtime role's (data rights only, see src/db/app-role.ts; the
   * owner's URL, which migrations use, stays inside openDatabase). It includes
   * a password: do not log it.
   */
  readonly url: string;
  /** True when this process started the server (no DATABASE_URL). */
  readonly embedded: boolean;
  readonly prisma: PrismaClient;
  /** The hot statements' way in (src/db/sql.ts): pg on Prisma's own pool, counted by `onQuery` too. */
  readonly sql: Sql;
  /** Round trip of `SELECT 1` in milliseconds; rejects when the database is unreachable. */
  ping(): Promise<number>;
  /** Disconnects Prisma, then stops the embedded server if there is one. Safe to call more than once. */
  close(): Promise<void>;
}

/**
 * Opens the database: starts embedded PostgreSQL when `databaseUrl` is
 * undefined, applies pending migrations, and creates the Prisma client. On
 * failure everything started so far is stopped again.
 *
 * Migrations run as the URL's role. On the embedded server that is the
 * superuser, and the Prisma client then connects as `payamak_app` instead,
 * created and granted its rights at every start after the migrations; its
 * password is kept in `<dataDir>/postgres-app.password`. With `databaseUrl`
 * the operator's role is used for both, as given.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const { logger } = options;
  const startedAt = performance.now();
  let embedded: EmbeddedPostgres | undefined;
  let ownerUrl = options.databaseUrl;
  if (ownerUrl === undefined) {
    // Loaded only here, so a deployment with DATABASE_URL never loads the PostgreSQL binaries package.
    const started = await (options.embedded ?? import('./embedded-postgres.js').then((m) => m.startEmbeddedPostgres({ dataDir: options.dataDir, logger })));
    embedded = started;
    ownerUrl = started.url;
  }

  let url = ownerUrl;
  let prisma: PrismaClient | undefined;
  let sql: Sql | undefined;
  try {
    const migrationsApplied = options.migrate === false ? [] : await applyMigrations(ownerUrl, { logger });
    if (embedded !== undefined) {
      const password = await loadOrCreateSecret(path.resolve(options.dataDir), 'postgres-app.password');
      url = await ensureAppRole(ownerUrl, { password });
    }
    const pool = createPool(url, options.poolMax);
    prisma = createPrismaClient(url, { logger, onQuery: options.onQuery, pool });
    sql = createSql(pool, options.onQuery);
    await prisma.$connect();
    logger.info(
      {
        database: describeDatabaseUrl(url),
        embedded: embedded !== undefined,
        role: decodeURIComponent(new URL(url).username),
        migrationsApplied: migrationsApplied.length,
        ms: Math.round(performance.now() - startedAt),
      },
      'database ready',
    );
  } catch (error) {
    await prisma?.$disconnect().catch(() => undefined);
    await embedded?.stop();
    throw error;
  }

  const client = prisma;
  let closing: Promise<void> | undefined;
  return {
    url,
    embedded: embedded !== undefined,
    prisma: client,
    sql,
    async ping() {
      const started = performance.now();
      await client.$queryRaw`SELECT 1`;
      return Math.round((performance.now() - started) * 10) / 10;
    },
    close() {
      closing ??= (async () => {
        // Prisma first: stopping the server under open connections would fail in-flight queries noisily.
        try {
          await client.$disconnect();
        } finally {
          await embedded?.stop();
        }
      })();
      return closing;
    },
  };
}
