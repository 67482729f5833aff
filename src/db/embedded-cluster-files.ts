/**
 * The files of an embedded PostgreSQL data folder: where its cluster is, the
 * superuser password kept beside it, and what other processes read from them
 * (the URL of a server another process runs, removal of a throwaway cluster).
 * Starting the server is embedded-postgres.ts's job.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { clusterDirOf } from './embedded-postgres-as-root.js';

/** The cluster's superuser, as initdb creates it and every URL to the cluster names it. */
export const SUPERUSER = 'postgres';

/** Not root: the cluster is `<dataDir>/postgres`, unless root placed it elsewhere, which only root may open. */
export async function clusterDirOutsideRoot(dataDir: string): Promise<string> {
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
export async function readOrCreatePassword(dataDir: string, clusterDir: string, clusterExists: boolean): Promise<string> {
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
