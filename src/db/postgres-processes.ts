/**
 * The lifecycle of the PostgreSQL processes embedded-postgres.ts starts: stopping
 * a tracked server (and every one still running when Node exits), and
 * recognising a server left running on a data folder by a process that died.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';

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

const STOP_TIMEOUT_MS = 30_000;

const runningServers = new Set<ChildProcess>();

/**
 * A child process outlives Node on Linux, so an exit (including
 * `process.exit()`) without stop() would leave PostgreSQL running. Only
 * synchronous work is possible here: ask for a fast shutdown and go.
 * embedded-postgres.ts registers it on `exit` when it loads the library.
 */
export function stopRunningServersNow(): void {
  for (const child of runningServers) child.kill('SIGINT');
}

/** Counts `child` among the servers stopped on exit; returns its stop(), which also removes `ownerFile`. */
export function trackServer(child: ChildProcess, ownerFile: string, logger: Logger): () => Promise<void> {
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
export async function stopOrphanedServer(clusterDir: string, ownerFile: string, logger: Logger): Promise<void> {
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
