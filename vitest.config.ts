import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // Node loads graphql's CommonJS build for the packages that import it
    // (type-graphql, Apollo); our own code must get the same copy, not the .mjs
    // one Vite prefers, or graphql-js refuses types "from another realm".
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['src/**/*.test.ts'],
    // type-graphql's decorators need the Reflect metadata API before any type is declared.
    setupFiles: ['reflect-metadata', 'src/test/leak-check.ts'],
    // One PostgreSQL server and one migrated template per run; each test file clones the template.
    globalSetup: ['src/test/global-setup.ts'],
    // Child processes rather than threads: native modules (argon2, sharp) and the embedded server's process handling.
    pool: 'forks',
    // A worker runs file after file in one module cache: importing the app (type-graphql, Apollo, Prisma) once
    // per worker instead of once per file took the suite's import time from about 300 s to 50 s. Files share
    // no state through it: each starts its own server on its own database, and leak-check.ts fails a file
    // that leaves one running.
    isolate: false,
    // Vitest's default on a 2-core machine is one worker; the tests mostly wait on PostgreSQL, argon2 and sockets.
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
