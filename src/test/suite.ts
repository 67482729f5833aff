/**
 * One test server per test file, with its users and the sockets tests open:
 * the hooks every real-server test file otherwise writes again.
 *
 *   const suite = serverSuite(['Alice', 'Bob']);
 *   let server: TestServer, alice: TestUser, bob: TestUser;
 *   beforeAll(() => ({ server, users: [alice, bob] } = suite.ready()));
 *
 * Sockets from `suite.connect` are closed after each test; the server after the file.
 */
import type { Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createUser, type TestUser } from './factories.js';
import { startTestServer, wsClient, type TestServer } from './server.js';

export interface Suite<Names extends readonly string[]> {
  /** The server and the users, in the order of their names; only once the file's beforeAll ran. */
  ready(): { server: TestServer; users: { [K in keyof Names]: TestUser } };
  /** A graphql-ws client signed in as `user`, closed after the test. */
  connect(user: TestUser): Client;
}

export function serverSuite<const Names extends readonly string[]>(displayNames: Names, options: Parameters<typeof startTestServer> = []): Suite<Names> {
  let server: TestServer | undefined;
  let users: TestUser[] = [];
  const cleanups: (() => unknown)[] = [];
  beforeAll(async () => {
    server = await startTestServer(...options);
    const started = server;
    users = await Promise.all(displayNames.map((displayName) => createUser(started, { displayName })));
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });
  afterAll(async () => {
    await server?.close();
  });
  const ready = () => {
    if (!server) throw new Error('serverSuite: the server is not started yet (use it in beforeAll or in tests)');
    return { server, users: users as { [K in keyof Names]: TestUser } };
  };
  return {
    ready,
    connect(user) {
      const client = wsClient(ready().server, user.accessToken);
      cleanups.push(() => client.dispose());
      return client;
    },
  };
}
