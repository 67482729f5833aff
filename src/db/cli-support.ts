/**
 * What the database command-line entry points share: their inputs, a logger
 * for a terminal, and a server to work on (DATABASE_URL, or the embedded one
 * in DATA_DIR, stopped again afterwards).
 */
import path from 'node:path';
import { pino, type Logger } from 'pino';
import type { Env } from '../config/env.js';
import type { EmbeddedPostgres } from './embedded-postgres.js';

/** Inputs of the database commands. */
export interface DatabaseCliInput {
  /** `DATABASE_URL`; undefined uses the embedded server in `dataDir`. */
  databaseUrl: string | undefined;
  /** `DATA_DIR`, default `.data`, relative to the working directory. */
  dataDir: string;
  /** `LOG_LEVEL`; `info` (the default) becomes `warn`: the commands print their own summary. */
  logLevel: string;
}

/** The commands' inputs from the validated configuration (src/config/env.ts), as the server reads it. */
export function databaseCliInput(env: Pick<Env, 'databaseUrl' | 'dataDir' | 'logLevel'>): DatabaseCliInput {
  return {
    databaseUrl: env.databaseUrl,
    dataDir: path.resolve(env.dataDir),
    // The commands print their own summary; the server's default (info) would add noise.
    logLevel: env.logLevel === 'info' ? 'warn' : env.logLevel,
  };
}

/** JSON lines on stderr, so stdout carries only the command's result. */
export function createCliLogger(level: string): Logger {
  return pino({ level, base: { service: 'payamak-db' } }, pino.destination(2));
}

/**
 * Runs `work` against the configured server. An embedded server is stopped
 * afterwards, and on SIGINT/SIGTERM, so a command never leaves one running.
 */
export async function withDatabaseServer<T>(input: DatabaseCliInput, logger: Logger, work: (databaseUrl: string) => Promise<T>): Promise<T> {
  if (input.databaseUrl !== undefined) return work(input.databaseUrl);
  const [{ startEmbeddedPostgres }, { runningEmbeddedUrl }, { DataDirInUseError }] = await Promise.all([
    import('./embedded-postgres.js'),
    import('./embedded-cluster-files.js'),
    import('./postgres-processes.js'),
  ]);
  let server: EmbeddedPostgres;
  try {
    server = await startEmbeddedPostgres({ dataDir: input.dataDir, logger });
  } catch (error) {
    // `npm start` is running on this data folder: work on its server instead of a second one.
    if (error instanceof DataDirInUseError) return work(await runningEmbeddedUrl(input.dataDir));
    throw error;
  }
  const onSignal = (signal: NodeJS.Signals) => {
    void server.stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await work(server.url);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await server.stop();
  }
}
