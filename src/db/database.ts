/**
 * Opening the app's database: the server at DATABASE_URL, or an embedded one
 * when there is none, brought up to date with the migrations, with a Prisma
 * client on top.
 */
import type { Logger } from 'pino';
import type { PrismaClient } from '../generated/prisma/client.js';
import { describeDatabaseUrl } from './database-url.js';
import type { EmbeddedPostgres } from './embedded-postgres.js';
import { applyMigrations } from './migrations.js';
import { createPrismaClient, type QueryEvent } from './prisma-client.js';

/** Options for {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** A PostgreSQL 14+ URL. When undefined, an embedded server is started in `dataDir`. */
  databaseUrl?: string | undefined;
  /** Folder for the embedded server's cluster (`<dataDir>/postgres`); unused with `databaseUrl`. */
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
}

/** An open database. */
export interface Database {
  /** Connection URL. The embedded server's includes its password: do not log it. */
  readonly url: string;
  /** True when this process started the server (no DATABASE_URL). */
  readonly embedded: boolean;
  readonly prisma: PrismaClient;
  /** Round trip of `SELECT 1` in milliseconds; rejects when the database is unreachable. */
  ping(): Promise<number>;
  /** Disconnects Prisma, then stops the embedded server if there is one. Safe to call more than once. */
  close(): Promise<void>;
}

/**
 * Opens the database: starts embedded PostgreSQL when `databaseUrl` is
 * undefined, applies pending migrations, and creates the Prisma client. On
 * failure everything started so far is stopped again.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const { logger } = options;
  const startedAt = performance.now();
  let embedded: EmbeddedPostgres | undefined;
  let url = options.databaseUrl;
  if (url === undefined) {
    // Loaded only here, so a deployment with DATABASE_URL never loads the PostgreSQL binaries package.
    const { startEmbeddedPostgres } = await import('./embedded-postgres.js');
    embedded = await startEmbeddedPostgres({ dataDir: options.dataDir, logger });
    url = embedded.url;
  }

  let prisma: PrismaClient | undefined;
  try {
    const migrationsApplied = options.migrate === false ? [] : await applyMigrations(url, { logger });
    prisma = createPrismaClient(url, { logger, poolMax: options.poolMax, onQuery: options.onQuery });
    await prisma.$connect();
    logger.info(
      {
        database: describeDatabaseUrl(url),
        embedded: embedded !== undefined,
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
