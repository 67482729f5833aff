import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, queryOnce } from '../test/database.js';
import { MigrationError, defaultMigrationsDir, defaultSchemaPath } from './migration-files.js';
import { applyMigrations } from './migrations.js';
import { applyMigrationsWithSchemaEngine, createMigration } from './schema-engine.js';

const databases: TestDatabase[] = [];
const tempDirs: string[] = [];

afterAll(async () => {
  await Promise.all(databases.map((database) => database.drop()));
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function newDatabase(empty: boolean): Promise<TestDatabase> {
  const database = await createTestDatabase({ empty });
  databases.push(database);
  return database;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'payamak-migrations-'));
  tempDirs.push(dir);
  return dir;
}

/** A copy of prisma/migrations plus extra migrations, for tests that must not touch the real folder. */
async function migrationsWith(extra: Record<string, string>): Promise<string> {
  const dir = await tempDir();
  await cp(defaultMigrationsDir(), dir, { recursive: true });
  for (const [name, sql] of Object.entries(extra)) {
    await mkdir(path.join(dir, name));
    await writeFile(path.join(dir, name, 'migration.sql'), sql);
  }
  return dir;
}

async function migrationNames(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

async function tableNames(url: string): Promise<string[]> {
  const rows = await queryOnce<{ tablename: string }>(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
  return rows.map((row) => row.tablename);
}

/** Other test files create and drop databases meanwhile, so only shadow databases are compared. */
async function shadowDatabaseNames(url: string): Promise<string[]> {
  const rows = await queryOnce<{ datname: string }>(url, "SELECT datname FROM pg_database WHERE datname LIKE 'prisma\\_migrate\\_shadow\\_db\\_%' ORDER BY 1");
  return rows.map((row) => row.datname);
}

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  applied_steps_count: number;
  logs: string | null;
}

const selectMigrations =
  'SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count, logs FROM _prisma_migrations ORDER BY started_at, migration_name';

describe('applyMigrations', () => {
  it('applies each migration once and records it as prisma migrate deploy does', async () => {
    const database = await newDatabase(true);
    const names = await migrationNames(defaultMigrationsDir());
    expect(names.length).toBeGreaterThan(0);

    expect(await applyMigrations(database.url)).toEqual(names);
    expect(await applyMigrations(database.url)).toEqual([]);

    const rows = await queryOnce<MigrationRow>(database.url, selectMigrations);
    expect(rows.map((row) => row.migration_name)).toEqual(names);
    for (const row of rows) {
      const script = await readFile(path.join(defaultMigrationsDir(), row.migration_name, 'migration.sql'));
      expect(row).toMatchObject({
        checksum: createHash('sha256').update(script).digest('hex'),
        rolled_back_at: null,
        applied_steps_count: 1,
        logs: null,
      });
      expect(row.finished_at).toBeInstanceOf(Date);
    }
    expect(await tableNames(database.url)).toContain('User');
  });

  it('lets concurrent callers apply each migration exactly once', async () => {
    const database = await newDatabase(true);
    const names = await migrationNames(defaultMigrationsDir());

    const results = await Promise.all([applyMigrations(database.url), applyMigrations(database.url), applyMigrations(database.url)]);

    expect(results.flat().sort()).toEqual(names);
    expect(await queryOnce(database.url, selectMigrations)).toHaveLength(names.length);
  });

  it('sends a migration to PostgreSQL whole, semicolons in bodies and literals included', async () => {
    const dir = await migrationsWith({
      '29991231000000_function': [
        "CREATE FUNCTION payamak_probe() RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN 'a;b'; END $$;",
        "COMMENT ON FUNCTION payamak_probe() IS 'one; two';",
        '',
      ].join('\n'),
    });
    const database = await newDatabase(true);

    expect(await applyMigrations(database.url, { migrationsDir: dir })).toContain('29991231000000_function');
    expect(await queryOnce(database.url, 'SELECT payamak_probe() AS value')).toEqual([{ value: 'a;b' }]);
  });

  it('leaves a failing migration marked failed, rolled back, and refuses to go on', async () => {
    const dir = await migrationsWith({
      '29991231000000_broken': 'CREATE TABLE "Half" (id integer);\nSELECT * FROM "NoSuchTable";\n',
    });
    const database = await newDatabase(true);

    const failure = await applyMigrations(database.url, { migrationsDir: dir }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MigrationError);
    expect((failure as Error).message).toContain('NoSuchTable');
    // One script, one implicit transaction: the table created before the error is gone too.
    expect(await tableNames(database.url)).not.toContain('Half');
    const broken = (await queryOnce<MigrationRow>(database.url, selectMigrations)).find((row) => row.migration_name === '29991231000000_broken');
    expect(broken).toMatchObject({ finished_at: null, rolled_back_at: null });
    expect(broken?.logs).toContain('NoSuchTable');

    await expect(applyMigrations(database.url, { migrationsDir: dir })).rejects.toMatchObject({ code: 'P3009' });
  });
});

/** Read from the file, since some of these packages do not export their package.json. */
function installedManifest(name: string): { version: string; dependencies?: Record<string, string> } {
  return JSON.parse(readFileSync(new URL(`../../node_modules/${name}/package.json`, import.meta.url), 'utf8'));
}
const installedVersion = (name: string): string => installedManifest(name).version;

describe('the Prisma packages', () => {
  // src/db/schema-engine.ts reaches into adapter-pg and the engine: a version change must be a deliberate one.
  it('are on one release, and the schema engine is the one that release ships', () => {
    const packages = ['@prisma/client', 'prisma', '@prisma/adapter-pg', '@prisma/driver-adapter-utils'];
    const versions = Object.fromEntries(packages.map((name) => [name, installedVersion(name)]));
    expect(versions).toEqual(Object.fromEntries(packages.map((name) => [name, '7.10.0'])));
    const enginesOfRelease = installedManifest('@prisma/engines').dependencies?.['@prisma/engines-version'];
    expect(installedVersion('@prisma/schema-engine-wasm')).toBe(enginesOfRelease);
  });
});

describe('applyMigrations agrees with Prisma’s engine', () => {
  it('writes the same _prisma_migrations rows as the schema engine, and each accepts the other’s database', async () => {
    const ours = await newDatabase(true);
    const theirs = await newDatabase(true);
    const names = await migrationNames(defaultMigrationsDir());
    expect(await applyMigrations(ours.url)).toEqual(names);
    expect(await applyMigrationsWithSchemaEngine(theirs.url)).toEqual(names);
    const rows = async (url: string) =>
      (await queryOnce<MigrationRow>(url, selectMigrations)).map(({ finished_at, ...row }) => ({ ...row, finished: finished_at instanceof Date }));
    expect(await rows(ours.url)).toEqual(await rows(theirs.url));
    const columns = (url: string) =>
      queryOnce(
        url,
        "SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY column_name",
      );
    expect(await columns(ours.url)).toEqual(await columns(theirs.url));
    // Either side takes over the other's database with nothing to do.
    expect(await applyMigrationsWithSchemaEngine(ours.url)).toEqual([]);
    expect(await applyMigrations(theirs.url)).toEqual([]);
  });

  it('refuses a schema that has tables but no migration history (P3005), as Prisma does', async () => {
    const database = await newDatabase(true);
    await queryOnce(database.url, 'CREATE TABLE "SomeoneElses" (id integer)');
    await expect(applyMigrations(database.url)).rejects.toMatchObject({ code: 'P3005' });
    await expect(applyMigrationsWithSchemaEngine(database.url)).rejects.toMatchObject({ code: 'P3005' });
  });
});

describe('createMigration', () => {
  it('returns null and writes nothing when the schema matches the migrations', async () => {
    // A copy, so that a schema.prisma ahead of prisma/migrations never gets a migration written by a test.
    const dir = await tempDir();
    await cp(defaultMigrationsDir(), dir, { recursive: true });
    const server = await newDatabase(false);
    await createMigration('catch_up', { databaseUrl: server.url, migrationsDir: dir });
    const before = await readdir(dir, { recursive: true });

    expect(await createMigration('nothing', { databaseUrl: server.url, migrationsDir: dir })).toBeNull();

    expect(await readdir(dir, { recursive: true })).toEqual(before);
  });

  it('finds prisma/migrations in step with schema.prisma (else: npm run db:migration:create -- NAME)', async () => {
    const dir = await tempDir();
    await cp(defaultMigrationsDir(), dir, { recursive: true });
    const server = await newDatabase(false);

    const missing = await createMigration('missing', { databaseUrl: server.url, migrationsDir: dir });

    const script = missing === null ? null : await readFile(path.join(dir, missing, 'migration.sql'), 'utf8');
    expect(script, 'schema.prisma has changes that no migration in prisma/migrations contains').toBeNull();
  });

  it('writes the SQL from the migrations to a changed schema and leaves the server as it was', async () => {
    const dir = await tempDir();
    await cp(defaultMigrationsDir(), dir, { recursive: true });
    await rm(path.join(dir, 'migration_lock.toml'));
    const schemaPath = path.join(await tempDir(), 'schema.prisma');
    const schema = await readFile(defaultSchemaPath(), 'utf8');
    await writeFile(schemaPath, `${schema}\nmodel Probe {\n  id   Int    @id\n  note String @db.VarChar(10)\n}\n`);
    const server = await newDatabase(false);
    const tablesBefore = await tableNames(server.url);
    const shadowsBefore = await shadowDatabaseNames(server.url);

    const folder = await createMigration('Add probe!', {
      databaseUrl: server.url,
      migrationsDir: dir,
      schemaPath,
      now: new Date(Date.UTC(2030, 0, 2, 3, 4, 5)),
    });

    expect(folder).toBe('20300102030405_add_probe');
    const script = await readFile(path.join(dir, '20300102030405_add_probe', 'migration.sql'), 'utf8');
    expect(script).toContain('CREATE TABLE "Probe"');
    expect(script).not.toContain('CREATE TABLE "User"');
    expect(await readFile(path.join(dir, 'migration_lock.toml'), 'utf8')).toContain('provider = "postgresql"');
    // Regression: @prisma/adapter-pg's own shadow database replayed the migrations into the main database.
    expect(await tableNames(server.url)).toEqual(tablesBefore);
    expect(await shadowDatabaseNames(server.url)).toEqual(shadowsBefore);

    const fresh = await newDatabase(true);
    await applyMigrations(fresh.url, { migrationsDir: dir });
    expect(await tableNames(fresh.url)).toContain('Probe');
    expect(await createMigration('again', { databaseUrl: server.url, migrationsDir: dir, schemaPath })).toBeNull();
  });
});
