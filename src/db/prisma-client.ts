/**
 * The app's Prisma client. Prisma 7 needs no engine binary: a Wasm query
 * compiler turns calls into SQL, and `@prisma/adapter-pg` runs it on a pg pool.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { Logger } from 'pino';
import { PrismaClient, type Prisma } from '../generated/prisma/client.js';

/** One SQL statement Prisma sent, as Prisma reports it. */
export interface QueryEvent {
  /** The SQL text with `$n` placeholders. */
  readonly sql: string;
  /** Time PostgreSQL took, in milliseconds. */
  readonly durationMs: number;
}

/** Options for {@link createPrismaClient}. */
export interface PrismaClientOptions {
  /** Receives Prisma's warnings, and every query with its duration at `trace` (never its parameters). */
  logger?: Logger;
  /**
   * Most connections the pool opens.
   * @defaultValue 10 (pg's default)
   */
  poolMax?: number;
  /**
   * Called once per SQL statement, for counting statements in tests (see
   * {@link createQueryCounter}). Prisma reports the statements of a request
   * and the `COMMIT` (or `ROLLBACK`) of a transaction, but not its `BEGIN`:
   * a transaction of N statements counts N + 1.
   * Query events are only turned on when this is given or `logger` is at `trace`.
   */
  onQuery?: (event: QueryEvent) => void;
  /** The pg pool to run on (src/db/sql.ts shares it); by default one of its own. `$disconnect()` ends it either way. */
  pool?: pg.Pool;
}

/** A pg pool for `databaseUrl` as {@link createPrismaClient} makes one. */
export const createPool = (databaseUrl: string, poolMax?: number): pg.Pool =>
  new pg.Pool({ connectionString: databaseUrl, ...(poolMax === undefined ? {} : { max: poolMax }) });

/**
 * Creates a Prisma client on a pg pool for `databaseUrl`. It connects
 * lazily; call `$disconnect()` to close the pool.
 */
export function createPrismaClient(databaseUrl: string, options: PrismaClientOptions = {}): PrismaClient {
  const { logger, onQuery } = options;
  const adapter = new PrismaPg(options.pool ?? createPool(databaseUrl, options.poolMax), {
    disposeExternalPool: true,
    // An idle pooled connection can fail (server restart, network): pg drops it and the next query reconnects.
    onPoolError: (error) => logger?.warn({ err: error }, 'idle database connection failed'),
    onConnectionError: (error) => logger?.warn({ err: error }, 'database connection failed'),
  });
  const traceQueries = logger?.isLevelEnabled('trace') ?? false;
  const wantQueries = onQuery !== undefined || traceQueries;
  const log: Prisma.LogDefinition[] = [
    { emit: 'event', level: 'warn' },
    // Errors reach the caller as exceptions (and are mapped there, e.g. P2002 to CONFLICT); logging them here too would double them.
    { emit: 'event', level: 'error' },
    ...(wantQueries ? [{ emit: 'event', level: 'query' } as const] : []),
  ];
  const client = new PrismaClient({ adapter, log });

  // The client's type only allows $on for the levels named in `log`, which is decided at run time here.
  const events = client as unknown as {
    $on(level: 'query', listener: (event: Prisma.QueryEvent) => void): void;
    $on(level: 'warn' | 'error', listener: (event: Prisma.LogEvent) => void): void;
  };
  events.$on('warn', (event) => logger?.warn({ target: event.target }, event.message));
  events.$on('error', (event) => logger?.debug({ target: event.target }, event.message));
  if (wantQueries) {
    events.$on('query', (event) => {
      const query: QueryEvent = { sql: event.query, durationMs: event.duration };
      if (traceQueries) logger?.trace({ sql: query.sql, durationMs: query.durationMs }, 'query');
      onQuery?.(query);
    });
  }
  return client;
}

/** Counts statements through {@link PrismaClientOptions.onQuery}. */
export interface QueryCounter {
  /** Pass as `onQuery`. */
  readonly onQuery: (event: QueryEvent) => void;
  /** Statements seen since creation or the last `reset()`. */
  readonly count: number;
  /** Their SQL, oldest first, to show in a failed assertion. */
  readonly statements: readonly string[];
  reset(): void;
}

/**
 * A statement counter for tests that pin how many queries a request costs:
 * `counter.reset()`, make the request, then `expect(counter.count).toBe(n)`.
 */
export function createQueryCounter(): QueryCounter {
  let statements: string[] = [];
  return {
    onQuery: (event) => {
      statements.push(event.sql);
    },
    get count() {
      return statements.length;
    },
    get statements() {
      return statements;
    },
    reset() {
      statements = [];
    },
  };
}
