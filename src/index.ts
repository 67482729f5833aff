import 'reflect-metadata';
import { ConfigError, loadEnv } from './config/env.js';
import { createLogger } from './lib/logger.js';
import type { RunningServer } from './server/app.js';
import { startPostgresEarly } from './server/early-postgres.js';

async function main(): Promise<void> {
  let env: ReturnType<typeof loadEnv>;
  try {
    env = loadEnv();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = createLogger(env);

  // Installed before start-up, so a signal during it (initdb, migrations) still shuts down in order once started.
  let server: RunningServer | undefined;
  let stopping = false;
  const shutDown = (running: RunningServer) =>
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // process.exit still runs the 'exit' hook that stops embedded PostgreSQL (fast shutdown).
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    if (server) void shutDown(server);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const startedAt = performance.now();
  // Embedded PostgreSQL first, then the server's modules: the two overlap.
  const early = await startPostgresEarly(env, logger);
  const { startServer } = await import('./server/app.js');
  server = await startServer({ env, logger, ...early });
  if (stopping) {
    void shutDown(server);
    return;
  }
  const db = server.database.embedded ? `embedded PostgreSQL in ${env.dataDir}/ (port ${new URL(server.database.url).port})` : 'PostgreSQL at DATABASE_URL';
  logger.info(
    {
      url: `${server.url}/graphql`,
      metrics: server.metricsUrl,
      database: server.database.embedded ? 'embedded' : 'external',
      startupMs: Math.round(performance.now() - startedAt),
    },
    'server ready',
  );
  process.stdout.write(
    [
      '',
      `  Payamak is listening on ${server.url}`,
      `  Web client: open ${server.url}/ in a browser`,
      `  GraphQL (HTTP and WebSocket): ${server.url.replace('http', 'ws')}/graphql`,
      env.introspection ? `  Apollo Sandbox: open ${server.url}/graphql in a browser` : '  Apollo Sandbox: off (production)',
      `  Database: ${db}`,
      `  Metrics (Prometheus): ${server.metricsUrl}`,
      '',
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`Payamak failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
