import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type FormattedExecutionResult, type GraphQLFormattedError } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { expect } from 'vitest';
import WebSocket from 'ws';
import { parseEnv } from '../config/env.js';
import { createLogger } from '../lib/logger.js';
import type { HostLookup } from '../lib/public-address.js';
import { startServer, type RunningServer } from '../server/app.js';
import { createTestDatabase } from './database.js';
import { openTestServers } from './open-servers.js';
import type { Topic } from '../realtime/pubsub.js';

export interface TestServer extends RunningServer {
  graphqlUrl: string;
  wsUrl: string;
  /** The server's DATA_DIR (removed by close); UPLOAD_DIR is `uploads` in it unless overridden. */
  dataDir: string;
  /**
   * Runs `work` and returns how many SQL statements the server sent meanwhile. With `quietMs`, keeps counting
   * after `work` until no statement came for that long: for background work that announces nothing when done.
   * With `runs`, runs `work` that many times (it must be repeatable) and returns the fewest: work the server
   * does on its own (a sweep, a job, a session's last-used mark) may land in any one window, never in all.
   */
  countStatements(work: () => Promise<unknown>, options?: { quietMs?: number; runs?: number }): Promise<number>;
}

/**
 * A real server on 127.0.0.1, a free port, its own fresh database (cloned from
 * the migrated template) and its own data directory. `env` overrides variables.
 */
export async function startTestServer(
  env: Record<string, string> = {},
  options: {
    shareDatabaseWith?: TestServer;
    keepAliveMs?: number;
    tuning?: {
      /** How long a typing signal lasts (300 ms here, so tests of its lapse wait little; production 6 s). */
      typingTtlMs?: number;
      socketSweepMs?: number;
      presenceGraceMs?: number;
      drainTimeoutMs?: number;
      search?: { plan?: 'walk' | 'index' | 'indexInChats'; sample?: number };
      /** TEST ONLY: a CA the APNs sender trusts (the fake's self-signed certificate). */
      pushTestCa?: string;
      /** Link previews that may reach the test's local pages: allowLoopback, or a lookup making made-up names resolve. */
      linkPreviews?: { allowLoopback?: boolean; lookup?: HostLookup; limits?: { maxPageBytes?: number; maxImageBytes?: number; maxRedirects?: number } };
    };
  } = {},
): Promise<TestServer> {
  // A second instance on the first one's database (scale-out tests) leaves dropping it to the first.
  const database = options.shareDatabaseWith ? { url: options.shareDatabaseWith.database.url, drop: async () => undefined } : await createTestDatabase();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'payamak-test-'));
  const parsed = parseEnv({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: database.url,
    DATA_DIR: dataDir,
    UPLOAD_DIR: path.join(dataDir, 'uploads'),
    JWT_SECRET: 'test-secret-that-is-at-least-32-bytes-long',
    LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent',
    RATE_LIMIT_API: '0',
    RATE_LIMIT_AUTH: '0',
    RATE_LIMIT_MESSAGES: '0',
    RATE_LIMIT_UPLOADS: '0',
    RATE_LIMIT_GROUP_ADDS: '0',
    RATE_LIMIT_CONNECT: '0',
    RATE_LIMIT_USER_SEARCH: '0',
    RATE_LIMIT_INVITES: '0',
    RATE_LIMIT_INVITES_IP: '0',
    RATE_LIMIT_REPORTS: '0',
    RATE_LIMIT_LINK_PREVIEWS: '0',
    METRICS_PORT: '0',
    // Bursts fold into one push per chat per device this often: short, so tests of the follow-up wait little.
    PUSH_COALESCE_MS: '200',
    ...env,
  });
  let counting: { statements: number; lastAt: number } | undefined;
  const server = await startServer({
    env: parsed,
    logger: createLogger(parsed),
    tuning: {
      typingTtlMs: 300,
      presenceGraceMs: 150,
      pushRetryDelaysMs: [50, 100],
      // Jobs scheduled ahead are found by polling: often, so tests of scheduled work wait little.
      jobPollIntervalMs: 250,
      // Two jobs at a time, three connections: three test workers' servers share one PostgreSQL.
      jobConcurrency: 2,
      socketSweepMs: 200,
      ...(options.keepAliveMs ? { keepAliveMs: options.keepAliveMs } : {}),
      ...options.tuning,
    },
    onQuery: () => {
      if (counting) {
        counting.statements += 1;
        counting.lastAt = Date.now();
      }
    },
  });
  const url = `http://127.0.0.1:${server.port}`;
  const handle = {};
  openTestServers.set(handle, `${path.basename(expect.getState().testPath ?? '?')} › ${expect.getState().currentTestName ?? 'a hook'}`);
  return {
    ...server,
    url,
    graphqlUrl: `${url}/graphql`,
    wsUrl: `ws://127.0.0.1:${server.port}/graphql`,
    dataDir,
    async countStatements(work, { quietMs = 0, runs = 1 } = {}) {
      let fewest = Number.POSITIVE_INFINITY;
      for (let run = 0; run < runs; run += 1) {
        const window = { statements: 0, lastAt: Date.now() };
        counting = window;
        try {
          await work();
          for (let idle = Date.now() - window.lastAt; idle < quietMs; idle = Date.now() - window.lastAt) {
            await new Promise((resolve) => setTimeout(resolve, quietMs - idle));
          }
          fewest = Math.min(fewest, window.statements);
        } finally {
          counting = undefined;
        }
      }
      return fewest;
    },
    async close() {
      openTestServers.delete(handle);
      await server.close();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface GraphQLResponse<TData> {
  status: number;
  data: TData | null | undefined;
  errors: GraphQLFormattedError[] | undefined;
  headers: Headers;
}

/** Sends one operation over HTTP POST, as a client app would. */
export async function gql<TData, TVariables>(
  server: Pick<TestServer, 'graphqlUrl'>,
  document: TypedDocumentNode<TData, TVariables> | string,
  variables?: TVariables,
  options: { token?: string; headers?: Record<string, string> } = {},
): Promise<GraphQLResponse<TData>> {
  const response = await fetch(server.graphqlUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query: typeof document === 'string' ? document : print(document), variables }),
  });
  const body = (await response.json()) as { data?: TData | null; errors?: GraphQLFormattedError[] };
  return { status: response.status, data: body.data, errors: body.errors, headers: response.headers };
}

/** Fails with the errors themselves in the message, and narrows data to non-null. */
export function expectNoErrors<TData>(result: GraphQLResponse<TData>): TData {
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  expect(result.data).toBeTruthy();
  return result.data as TData;
}

/** Asserts exactly one error with the given `extensions.code`, and returns it. */
export function expectErrorCode(result: { errors?: readonly GraphQLFormattedError[] | undefined }, code: string): GraphQLFormattedError {
  expect(
    result.errors?.map((e) => e.extensions?.['code']),
    JSON.stringify(result.errors),
  ).toEqual([code]);
  return result.errors![0]!;
}

/** graphql-ws' own client, authenticated in connection_init like a real app. */
export function wsClient(server: Pick<TestServer, 'wsUrl'>, token: string | null, options: { lazy?: boolean } = {}): Client {
  return createClient({
    url: server.wsUrl,
    webSocketImpl: WebSocket,
    lazy: options.lazy ?? true,
    retryAttempts: 0,
    onNonLazyError: () => undefined, // tests assert on close codes themselves
    connectionParams: token === null ? {} : { authorization: `Bearer ${token}` },
  });
}

/**
 * Runs one query or mutation over a graphql-ws client and resolves with its
 * result; a refusal before execution (an `error` message) comes back as
 * `{ errors }`. A socket failure rejects.
 */
export function overSocket(client: Client, query: string, variables?: Record<string, unknown>, operationName?: string): Promise<FormattedExecutionResult> {
  return new Promise((resolve, reject) => {
    let last: FormattedExecutionResult | undefined;
    client.subscribe(
      { query, ...(variables ? { variables } : {}), ...(operationName ? { operationName } : {}) },
      {
        next: (result) => void (last = result as FormattedExecutionResult),
        error: (error) => (Array.isArray(error) ? resolve({ errors: error as GraphQLFormattedError[] }) : reject(socketError(error))),
        complete: () => resolve(last ?? {}),
      },
    );
  });
}

/** graphql-ws' client fails a subscription with the socket's CloseEvent, or an Error. */
function socketError(error: unknown): Error {
  if (error instanceof Error) return error;
  const { code, reason } = (error ?? {}) as { code?: number; reason?: string };
  return new Error(code === undefined ? String(error) : `socket closed: ${code} ${reason ?? ''}`.trim());
}

/**
 * graphql-ws connections the server holds open (its `websocket_connections`
 * gauge). It drops once the server has handled a close, presence included: a
 * test waits on it to know the server saw a socket go.
 */
export async function openSockets(server: Pick<TestServer, 'metrics'>): Promise<number> {
  return (await server.metrics.websocketConnections.get()).values[0]?.value ?? 0;
}

/** Opens a raw graphql-ws connection and resolves with how the server closed it (or 'acked'). */
export function connectRaw(server: Pick<TestServer, 'wsUrl'>, payload: unknown): Promise<{ acked: boolean; code?: number; reason?: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws');
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload })));
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string };
      if (message.type === 'connection_ack') {
        socket.close(1000);
        resolve({ acked: true });
      }
    });
    socket.on('close', (code, reason) => resolve({ acked: false, code, reason: String(reason) }));
    socket.on('error', reject);
  });
}

/** A live graphql-ws subscription that records what it receives. */
export class LiveSubscription<TData, TVariables = Record<string, unknown>> {
  readonly events: TData[] = [];
  /** When each event arrived (Date.now()), for tests of timing such as coalescing. */
  readonly receivedAt: number[] = [];
  readonly errors: unknown[] = [];
  completed = false;
  readonly #unsubscribe: () => void;
  #waiters: (() => void)[] = [];

  constructor(client: Client, document: TypedDocumentNode<TData, TVariables>, variables?: TVariables) {
    this.#unsubscribe = client.subscribe<TData>(
      { query: print(document), variables: variables as Record<string, unknown> | undefined },
      {
        next: (result) => {
          if (result.errors) this.errors.push(...result.errors);
          if (result.data) {
            this.events.push(result.data as TData);
            this.receivedAt.push(Date.now());
          }
          this.#notify();
        },
        error: (error) => {
          this.errors.push(error);
          this.#notify();
        },
        complete: () => {
          this.completed = true;
          this.#notify();
        },
      },
    );
  }

  /** Resolves once `count` events arrived (or the subscription ended), failing after `timeoutMs`. */
  async waitFor(count: number, timeoutMs = 5000): Promise<TData[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length < count && !this.completed && this.errors.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} events, got ${this.events.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.events;
  }

  /** Resolves when the server has ended the subscription (complete or error). */
  async waitForEnd(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.completed && this.errors.length === 0) {
      if (Date.now() > deadline) throw new Error('subscription did not end');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  close(): void {
    this.#unsubscribe();
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

/**
 * Waits until the server holds `count` subscriptions to a user's topic, so a
 * test publishes only after the subscription is live (graphql-ws sends no ack).
 */
export async function waitForListeners(server: TestServer, topic: Topic<unknown>, userId: string, count = 1): Promise<void> {
  await expect.poll(() => server.pubsub.listenerCount(topic, userId), { timeout: 5000, interval: 10 }).toBeGreaterThanOrEqual(count);
}

/**
 * A raw graphql-ws socket, acknowledged, and a promise of how the server
 * closes it: for tests that wait on a close code and reason (the positive
 * signal that a session's socket ended). Rejects if it closes before the ack.
 */
export function openSocket(
  server: Pick<TestServer, 'wsUrl'>,
  token: string,
): Promise<{ socket: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws');
    const closed = new Promise<{ code: number; reason: string }>((done) => socket.on('close', (code, reason) => done({ code, reason: String(reason) })));
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    socket.on('message', (data) => {
      if ((JSON.parse(String(data)) as { type: string }).type === 'connection_ack') resolve({ socket, closed });
    });
    socket.on('error', reject);
    void closed.then(({ code, reason }) => reject(new Error(`closed before ack: ${code} ${reason}`)));
  });
}

/** Rejects when `promise` has not settled within `ms`. */
export const within = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms))]);
