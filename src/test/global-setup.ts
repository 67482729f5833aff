/**
 * Vitest global setup: one PostgreSQL server per run and one template
 * database migrated once, which every test file clones (src/test/database.ts).
 *
 * The server is TEST_DATABASE_URL's when set (CI runs the suite once more
 * against the machine's PostgreSQL 15), otherwise an embedded one in
 * `.test-data/`, kept between runs because a warm start is ~10x faster than
 * initialising a cluster.
 *
 * It also builds dist/ as `npm start` does, once per run while the database
 * starts, for the tests that run the built tree or serve the web client.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { pino, type Logger } from 'pino';
import type { TestProject } from 'vitest/node';
import { describeDatabaseUrl, quoteIdentifier, withDatabaseName } from '../db/database-url.js';
import { removeEmbeddedCluster } from '../db/embedded-cluster-files.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../db/embedded-postgres.js';
import { findRepoRoot } from '../db/migration-files.js';
import { applyMigrations } from '../db/migrations.js';
import { DataDirInUseError } from '../db/postgres-processes.js';
import { runOnServer, type TestDatabaseServer } from './database.js';
import { buildAsNpmStartDoes } from './entry.js';

interface RunState {
  server: TestDatabaseServer;
  embedded: EmbeddedPostgres | undefined;
  /** A folder made for this run only, when `.test-data/` was busy; removed at teardown. */
  ownDataDir: string | undefined;
}

let run: RunState | undefined;

/** Starts or connects to the server, migrates the template and provides both to the tests. */
export async function setup(project: TestProject): Promise<void> {
  // Test infrastructure reads its variables here; the app reads them only in src/config.
  const externalUrl = process.env['TEST_DATABASE_URL']?.trim() || undefined;
  const logger = pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'warn', base: { service: 'payamak-test' } }, pino.destination(2));
  const startedAt = performance.now();
  const runId = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const built = buildAsNpmStartDoes();
  built.catch(() => undefined); // awaited below, after the database is up

  let embedded: EmbeddedPostgres | undefined;
  let ownDataDir: string | undefined;
  let adminUrl: string;
  if (externalUrl !== undefined) {
    adminUrl = externalUrl;
  } else {
    const shared = path.join(findRepoRoot(), '.test-data');
    try {
      embedded = await startTestServer(shared, logger);
    } catch (error) {
      if (!(error instanceof DataDirInUseError)) throw error;
      // Another run (say, a watch session) holds .test-data/: a cold cluster of our own costs ~0.5 s more.
      ownDataDir = path.join(shared, `run-${runId}`);
      embedded = await startTestServer(ownDataDir, logger);
    }
    adminUrl = embedded.url;
  }

  const template = `payamak_template_${runId}`;
  const server: TestDatabaseServer = {
    adminUrl,
    template,
    prefix: `payamak_test_${runId}_`,
    external: embedded === undefined,
    cloneStrategy: embedded === undefined ? null : 'FILE_COPY',
  };
  run = { server, embedded, ownDataDir };
  try {
    // An embedded cluster is ours alone while we hold it: what is left in it is from a run that was killed.
    if (embedded !== undefined) await dropDatabases(adminUrl, 'payamak\\_%');
    await runOnServer(adminUrl, `CREATE DATABASE ${quoteIdentifier(template)}`);
    await applyMigrations(withDatabaseName(adminUrl, template), { logger });
    // Cloning fails while anyone is connected to the source; nobody has a reason to.
    await runOnServer(adminUrl, `ALTER DATABASE ${quoteIdentifier(template)} WITH ALLOW_CONNECTIONS false`);
    await built;
  } catch (error) {
    await teardown();
    throw error;
  }
  logger.info(
    { server: describeDatabaseUrl(adminUrl), embedded: embedded !== undefined, ms: Math.round(performance.now() - startedAt) },
    'test database ready',
  );
  project.provide('testDatabase', server);
}

/** Drops this run's template and test databases, then stops the embedded server. */
export async function teardown(): Promise<void> {
  const state = run;
  run = undefined;
  if (state === undefined) return;
  try {
    await dropDatabases(state.server.adminUrl, `${escapeLike(state.server.prefix)}%`);
    await runOnServer(state.server.adminUrl, `DROP DATABASE IF EXISTS ${quoteIdentifier(state.server.template)} WITH (FORCE)`);
  } finally {
    await state.embedded?.stop();
    if (state.ownDataDir !== undefined) {
      // As root in a folder postgres cannot enter, the cluster lives outside the data folder: remove it too.
      await removeEmbeddedCluster(state.ownDataDir);
      await rm(state.ownDataDir, { recursive: true, force: true });
    }
  }
}

function startTestServer(dataDir: string, logger: Logger): Promise<EmbeddedPostgres> {
  // Nothing in a test cluster is worth an fsync.
  return startEmbeddedPostgres({ dataDir, logger, databaseName: 'postgres', durable: false });
}

async function dropDatabases(adminUrl: string, likePattern: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [likePattern]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(datname)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}
