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
    setupFiles: ['reflect-metadata'],
    // One PostgreSQL server and one migrated template per run; each test file clones the template.
    globalSetup: ['src/test/global-setup.ts'],
    // Child processes rather than threads: native modules (argon2, sharp) and the embedded server's process handling.
    pool: 'forks',
    // Vitest's default on a 2-core machine is one worker; the tests mostly wait on PostgreSQL, argon2 and sockets.
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
