/**
 * Prisma's schema engine, as Wasm (`@prisma/schema-engine-wasm`), driven
 * through the pg driver adapter: what `npm run db:migration:create` uses to
 * diff the migrations folder against schema.prisma. Prisma's CLI would
 * download a native engine first, which fails offline.
 *
 * Everything that reaches into a library's internals (the Wasm loading, four
 * corrections to @prisma/adapter-pg) lives in this file only, and
 * migrations.test.ts fails loudly when a version change breaks it (it diffs,
 * and applies through this engine to compare rows with our runner). The
 * server's start-up never loads it: migrations.ts applies migrations itself.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory, ColumnTypeEnum, type SqlDriverAdapter, type SqlQuery, type SqlResultSet } from '@prisma/driver-adapter-utils';
import type { MigrationList, SchemaEngine, SchemaFilter } from '@prisma/schema-engine-wasm/schema_engine_bg';
import pg from 'pg';
import type { Logger } from 'pino';
import { describeDatabaseUrl, quoteIdentifier, withDatabaseName } from './database-url.js';
import type { ApplyMigrationsOptions } from './migrations.js';
import {
  LOCK_FILE,
  LOCK_FILE_CONTENT,
  MigrationError,
  defaultMigrationsDir,
  defaultSchemaPath,
  readLockFile,
  readMigrationFolders,
} from './migration-files.js';

/** Options for {@link createMigration}. */
export interface CreateMigrationOptions {
  /**
   * A server on which a temporary shadow database may be created (and is
   * dropped afterwards): the engine replays the existing migrations there to
   * learn the state they produce. The database this URL names is not changed.
   */
  databaseUrl: string;
  /**
   * Folder of migration folders.
   * @defaultValue `<repo>/prisma/migrations`
   */
  migrationsDir?: string;
  /**
   * The Prisma schema the new migration leads to.
   * @defaultValue `<repo>/prisma/schema.prisma`
   */
  schemaPath?: string;
  /** Receives the engine's log at `debug`. */
  logger?: Logger;
  /**
   * Time for the folder's timestamp prefix.
   * @defaultValue now
   */
  now?: Date;
}

const NO_FILTER: SchemaFilter = { externalTables: [], externalEnums: [] };

/**
 * Writes `<migrationsDir>/<YYYYMMDDHHMMSS>_<name>/migration.sql` with the SQL
 * that takes a database from the state of the existing migrations to
 * `schemaPath`, as `prisma migrate dev --create-only` would, and keeps
 * `migration_lock.toml` beside it. Returns the new folder's name, or `null`
 * (writing nothing) when the schema already matches the migrations.
 *
 * The timestamp is UTC, like Prisma's; `name` is reduced to `[a-z0-9_]`.
 *
 * Unlike `migrate dev`, the file has no `/* Warnings *\/` header about data
 * loss: the Wasm engine's own createMigration cannot reach a shadow database
 * and `diff` reports no warnings, so review dropped columns and narrowed
 * types by eye.
 */
export async function createMigration(name: string, options: CreateMigrationOptions): Promise<string | null> {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 200);
  if (slug === '') throw new Error(`"${name}" is not a usable migration name: use letters, digits and underscores`);

  const migrationsDir = path.resolve(options.migrationsDir ?? defaultMigrationsDir());
  const schemaPath = path.resolve(options.schemaPath ?? defaultSchemaPath());
  const schema = await readFile(schemaPath, 'utf8');
  const { list: migrationsList, lockFileOnDisk } = await readMigrationsList(migrationsDir);

  const script = await withSchemaEngine(options.databaseUrl, options.logger, async (engine) => {
    try {
      const result = await engine.diff({
        from: { tag: 'migrations', ...migrationsList },
        to: { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: schema }] },
        script: true,
        // With exitCode the engine reports 2 for "there is a difference", which is sturdier than reading the script.
        exitCode: true,
        filters: NO_FILTER,
      });
      return result.exitCode === 2 ? (result.stdout ?? '') : null;
    } catch (error) {
      throw engineError('Computing the new migration failed', error);
    }
  });
  if (script === null) return null;

  const folder = `${utcTimestamp(options.now ?? new Date())}_${slug}`;
  const folderPath = path.join(migrationsDir, folder);
  if (existsSync(folderPath)) throw new Error(`${folderPath} already exists`);
  await mkdir(folderPath, { recursive: true });
  await writeFile(path.join(folderPath, 'migration.sql'), script);
  if (!lockFileOnDisk) await writeFile(path.join(migrationsDir, LOCK_FILE), LOCK_FILE_CONTENT);
  return folder;
}

/**
 * Applies migrations through Prisma's own engine, as `prisma migrate deploy`
 * does. The server does not use it (see migrations.ts); the test of our runner
 * compares the `_prisma_migrations` rows the two write.
 */
export async function applyMigrationsWithSchemaEngine(databaseUrl: string, options: ApplyMigrationsOptions = {}): Promise<string[]> {
  const migrationsDir = path.resolve(options.migrationsDir ?? defaultMigrationsDir());
  const logger = options.logger;
  const { list: migrationsList } = await readMigrationsList(migrationsDir);
  const startedAt = performance.now();
  const applied = await withSchemaEngine(databaseUrl, logger, async (engine) => {
    try {
      const output = await engine.applyMigrations({ migrationsList, filters: NO_FILTER });
      return output.appliedMigrationNames;
    } catch (error) {
      throw engineError(`Applying migrations to ${describeDatabaseUrl(databaseUrl)} failed`, error);
    }
  });
  for (const name of applied) logger?.info({ migration: name }, 'migration applied');
  logger?.debug({ applied: applied.length, ms: Math.round(performance.now() - startedAt) }, 'migrations up to date');
  return applied;
}

/**
 * The migrations as the engine takes them. When migration_lock.toml is
 * missing the engine is given the content Prisma would have written, since it
 * refuses to diff without one and postgresql is the only provider here.
 */
async function readMigrationsList(migrationsDir: string): Promise<{ list: MigrationList; lockFileOnDisk: boolean }> {
  const [folders, lockFile] = await Promise.all([readMigrationFolders(migrationsDir), readLockFile(migrationsDir)]);
  return {
    list: {
      baseDir: migrationsDir,
      lockfile: { path: LOCK_FILE, content: lockFile ?? LOCK_FILE_CONTENT },
      shadowDbInitScript: '',
      migrationDirectories: folders.map((folder) => ({
        path: folder.name,
        migrationFile: {
          path: 'migration.sql',
          content: folder.script.ok ? { tag: 'ok' as const, value: folder.script.sql } : { tag: 'error' as const, value: folder.script.error },
        },
      })),
    },
    lockFileOnDisk: lockFile !== null,
  };
}

/** Node has WebAssembly, but the project's `lib` (ES2023, no DOM) does not declare it. */
declare const WebAssembly: {
  instantiate(bytes: Uint8Array, imports: Record<string, object>): Promise<{ instance: { exports: Record<string, unknown> } }>;
};

interface SchemaEngineRuntime {
  SchemaEngine: { new: typeof SchemaEngine.new };
}

let runtimePromise: Promise<SchemaEngineRuntime> | undefined;

/**
 * The package's entry imports `.wasm` as an ES module, which Node 20 only does
 * behind a flag. This is what that entry does, by hand, as Prisma's CLI does
 * for its own Wasm modules. Compiled once per process (~5 MB of Wasm).
 */
function loadSchemaEngine(): Promise<SchemaEngineRuntime> {
  runtimePromise ??= (async () => {
    installPanicRegistry();
    const require = createRequire(import.meta.url);
    const gluePath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const glue = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    const bytes = await readFile(gluePath.replace(/\.js$/, '.wasm'));
    // The Wasm imports its JS helpers under the module name its bundler gave the glue file.
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': glue });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start(): void }).__wbindgen_start();
    return glue;
  })();
  runtimePromise.catch(() => {
    runtimePromise = undefined;
  });
  return runtimePromise;
}

interface WasmPanicRegistry {
  set_message(message: string): void;
}

/**
 * Where a panicking Rust engine leaves its message (the glue calls
 * `global.PRISMA_WASM_PANIC_REGISTRY.set_message`); without one, a panic
 * surfaces as "Cannot read properties of undefined". A panic usually ends in
 * an uncaught "RuntimeError: unreachable" thrown outside any promise of ours,
 * so the message goes to stderr at once as well. Chained to a registry that
 * another Prisma Wasm module installed first.
 */
let lastPanicMessage: string | undefined;
function installPanicRegistry(): void {
  const holder = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: WasmPanicRegistry };
  const previous = holder.PRISMA_WASM_PANIC_REGISTRY;
  const record = (message: string) => {
    lastPanicMessage = message;
    process.stderr.write(`Prisma schema engine panicked: ${message}\n`);
  };
  if (previous === undefined) {
    holder.PRISMA_WASM_PANIC_REGISTRY = { set_message: record };
    return;
  }
  const setMessage = previous.set_message.bind(previous);
  previous.set_message = (message) => {
    record(message);
    setMessage(message);
  };
}

/**
 * Runs `work` with a schema engine connected to `databaseUrl`, then frees the
 * engine, closes its connection and drops any shadow database left behind.
 */
async function withSchemaEngine<T>(databaseUrl: string, logger: Logger | undefined, work: (engine: SchemaEngine) => Promise<T>): Promise<T> {
  const runtime = await loadSchemaEngine();
  const connection = createMigrationConnection(databaseUrl, logger);
  let engine: SchemaEngine | undefined;
  enginesRunning++;
  try {
    lastPanicMessage = undefined;
    engine = await runtime.SchemaEngine.new({ datamodels: undefined }, (line: string) => logEngineLine(logger, line), connection.adapterFactory);
    return await work(engine);
  } catch (error) {
    if (lastPanicMessage === undefined) throw error;
    // A panicked Wasm instance is not safe to reuse: the next call compiles a fresh one.
    runtimePromise = undefined;
    engine = undefined;
    throw new MigrationError(`The schema engine crashed: ${lastPanicMessage}`, { cause: error, code: undefined });
  } finally {
    engine?.free();
    await connection.close();
    // Once used, an AsyncLocalStorage keeps Node's promise hooks on for the life of the process
    // (Node 20), and every promise of the server pays for them; off again when no engine needs it.
    if (--enginesRunning === 0) charColumnsOfCall.disable();
  }
}

let enginesRunning = 0;

interface MigrationConnection {
  adapterFactory: object;
  close(): Promise<void>;
}

/**
 * The pg adapter set up for the schema engine, with four corrections to
 * @prisma/adapter-pg 7.10 found while building this:
 *
 * - One connection (pool max 1). The engine takes a session-level advisory
 *   lock and never unlocks it (the native engine holds it for its connection's
 *   life), so every statement must run in that session, and ending the pool
 *   is what releases it.
 * - Shadow databases are made here. The adapter's own `connectToShadowDb`
 *   builds `{ ...config, database }`, but pg lets `connectionString` override
 *   `database`, so the "shadow" replay ran against the main database.
 * - Scripts go to PostgreSQL whole. The adapter splits scripts on every `;`,
 *   which breaks function bodies, DO blocks and string literals; the native
 *   engine sends a migration as one simple-protocol query (one implicit
 *   transaction), and so does this.
 * - Catalog columns of PostgreSQL's one-byte `"char"` type (oid 18, e.g.
 *   `pg_constraint.contype`) are passed on as Character: the adapter has no
 *   mapping for them and fails the engine's introspection of any constraint.
 */
function createMigrationConnection(databaseUrl: string, logger: Logger | undefined): MigrationConnection {
  const pools = new Set<pg.Pool>();
  const shadowDatabases = new Set<string>();

  const openPool = (url: string): pg.Pool => {
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    pool.on('error', (error) => logger?.warn({ err: error }, 'migration connection error'));
    pools.add(pool);
    return pool;
  };
  const closePool = async (pool: pg.Pool): Promise<void> => {
    if (pools.delete(pool)) await pool.end();
  };
  const dropShadowDatabase = async (name: string): Promise<void> => {
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
      shadowDatabases.delete(name);
    } finally {
      await admin.end();
    }
  };

  const mainPool = openPool(databaseUrl);
  const factory = new PrismaPg(mainPool);
  const connect = async (): Promise<SqlDriverAdapter> => correctAdapter(await new PrismaPg(mainPool).connect(), mainPool);
  const connectToShadowDb = async (): Promise<SqlDriverAdapter> => {
    const name = `prisma_migrate_shadow_db_${randomUUID()}`;
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${quoteIdentifier(name)}`);
      shadowDatabases.add(name);
    } finally {
      await admin.end();
    }
    const pool = openPool(withDatabaseName(databaseUrl, name));
    const adapter = correctAdapter(await new PrismaPg(pool).connect(), pool);
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      await dispose();
      await closePool(pool);
      await dropShadowDatabase(name);
    };
    return adapter;
  };
  const patchedFactory = Object.assign(factory, { connect, connectToShadowDb });

  return {
    adapterFactory: bindMigrationAwareSqlAdapterFactory(patchedFactory),
    async close() {
      for (const pool of [...pools]) await closePool(pool);
      for (const name of [...shadowDatabases]) {
        await dropShadowDatabase(name).catch((error: unknown) =>
          logger?.warn({ err: error, database: name }, 'could not drop a shadow database; drop it by hand'),
        );
      }
    },
  };
}

/** The adapter-pg internals the corrections above rely on (pinned at 7.10.0; migrations.test.ts checks the versions). */
interface PgAdapterInternals {
  performIO(query: SqlQuery): Promise<{ fields?: { dataTypeID: number }[] } | undefined>;
  queryRaw(query: SqlQuery): Promise<SqlResultSet>;
  onError(error: unknown): never;
}

const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

function correctAdapter(adapter: SqlDriverAdapter, pool: pg.Pool): SqlDriverAdapter {
  const internals = adapter as unknown as PgAdapterInternals;
  if (typeof internals.performIO !== 'function' || typeof internals.onError !== 'function') {
    throw new Error('@prisma/adapter-pg internals changed; src/db/migrations.ts needs updating');
  }
  readCharColumns(internals);
  adapter.executeScript = async (script: string) => {
    try {
      await pool.query(script);
    } catch (error) {
      internals.onError(error);
    }
  };
  const startTransaction = adapter.startTransaction.bind(adapter);
  adapter.startTransaction = async (...args) => {
    const transaction = await startTransaction(...args);
    readCharColumns(transaction as unknown as PgAdapterInternals);
    return transaction;
  };
  return adapter;
}

/** Indices of `"char"` columns in the result of the queryRaw call in progress. */
const charColumnsOfCall = new AsyncLocalStorage<number[]>();

/**
 * The adapter maps column types from pg's type oids and throws on `"char"`.
 * The column is presented to it as text (pg already returns the value as a
 * one-letter string) and then reported to the engine as Character, which is
 * what the engine reads these columns as.
 */
function readCharColumns(queryable: PgAdapterInternals): void {
  const performIO = queryable.performIO.bind(queryable);
  queryable.performIO = async (query) => {
    const result = await performIO(query);
    const charColumns = charColumnsOfCall.getStore();
    result?.fields?.forEach((field, index) => {
      if (field.dataTypeID !== PG_CHAR_OID) return;
      field.dataTypeID = PG_TEXT_OID;
      charColumns?.push(index);
    });
    return result;
  };
  const queryRaw = queryable.queryRaw.bind(queryable);
  queryable.queryRaw = (query) => {
    const charColumns: number[] = [];
    return charColumnsOfCall.run(charColumns, async () => {
      const result = await queryRaw(query);
      for (const index of charColumns) result.columnTypes[index] = ColumnTypeEnum.Character;
      return result;
    });
  };
}

/** The engine logs JSON lines (tracing events); they are diagnostics, so `debug`. */
function logEngineLine(logger: Logger | undefined, line: string): void {
  if (logger === undefined || !logger.isLevelEnabled('debug')) return;
  try {
    const event = JSON.parse(line) as { level?: string; target?: string; fields?: Record<string, unknown> };
    const { message, script: _script, ...fields } = event.fields ?? {};
    logger.debug({ engine: event.target, ...fields }, typeof message === 'string' ? message : 'schema engine');
  } catch {
    logger.debug({ engine: line }, 'schema engine');
  }
}

/** Engine errors end in a Rust span trace ("   0: schema_engine…"); the cause keeps it. */
function engineError(context: string, error: unknown): MigrationError {
  const message = error instanceof Error ? error.message : String(error);
  const summary = message.split(/\n\s+0: /)[0]?.trim() ?? message;
  const code = (error as { code?: unknown } | undefined)?.code;
  return new MigrationError(`${context}: ${summary}`, { cause: error, code: typeof code === 'string' ? code : undefined });
}

function utcTimestamp(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  return (
    `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}` +
    `${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}`
  );
}
