import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createGroup, sent } from './test/chats.js';
import { as, registerUser } from './test/factories.js';
import { LoginDocument, OnNewMessageDocument, RegisterDocument, SearchMessagesDocument, UploadAvatarDocument } from './test/generated/graphql.js';
import { phonePhoto } from './test/media-fixtures.js';
import { LiveSubscription, expectNoErrors, gql, wsClient } from './test/server.js';
import { runEntry } from './test/entry.js';
import { gqlUpload } from './test/uploads.js';

const children = new Set<ChildProcess>();

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

/** Runs the real entry point (src/index.ts, or with `built` dist/index.js as `npm start` runs it) with only the given variables set. */
function run(env: Record<string, string>, options: { built?: boolean } = {}) {
  return runEntry(env, children, options);
}

describe('the server process', () => {
  it('refuses to start on bad configuration and lists every problem', async () => {
    const proc = run({ PORT: 'abc', DATABASE_URL: 'mysql://db', RATE_LIMIT_API: '100' });
    expect(await proc.exited).toBe(78);
    const { stderr } = proc.output();
    expect(stderr).toMatch(/Invalid configuration/);
    expect(stderr).toMatch(/PORT/);
    expect(stderr).toMatch(/DATABASE_URL/);
    expect(stderr).toMatch(/RATE_LIMIT_API/);
  }, 30_000);

  it('starts on embedded PostgreSQL, stops cleanly on SIGTERM, and a second start keeps the data', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'payamak-start-'));
    try {
      const env = { PORT: '0', METRICS_PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, UPLOAD_DIR: path.join(dataDir, 'uploads') };
      const first = run(env);
      const url = await first.listening;
      expect(first.output().stdout).toMatch(/Database: embedded PostgreSQL/);
      expect(first.output().stdout).toMatch(/Apollo Sandbox: open http:\/\/127\.0\.0\.1:\d+\/graphql/);
      // Metrics on their own loopback listener, printed at start-up; not on the API port.
      const metricsUrl = /Metrics \(Prometheus\): (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(first.output().stdout)?.[1];
      expect(metricsUrl, first.output().stdout).toBeDefined();
      expect(new URL(metricsUrl!).port).not.toBe(new URL(url).port);
      expect(await (await fetch(metricsUrl!)).text()).toMatch(/^process_cpu_user_seconds_total /m);
      expect((await fetch(`${url}/metrics`)).status).toBe(404);
      const server = { graphqlUrl: `${url}/graphql` };
      const created = expectNoErrors(
        await gql(server, RegisterDocument, { input: { username: 'keeper', password: 'kept across restarts', displayName: 'K' } }),
      );

      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      // The embedded server went down with us: no postmaster is left holding the data directory.
      expect(existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);

      const second = run(env);
      const secondUrl = await second.listening;
      const { login } = expectNoErrors(
        await gql({ graphqlUrl: `${secondUrl}/graphql` }, LoginDocument, { input: { username: 'keeper', password: 'kept across restarts' } }),
      );
      expect(login.user.id).toBe(created.register.user.id);
      second.child.kill('SIGINT');
      expect(await second.exited).toBe(0);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  // npm start runs the server as esbuild bundled it (scripts/build.mjs; the global setup builds it): what is
  // left out of the bundle must still load from node_modules, and what is in it must still find its files.
  it('runs as npm start builds it (dist/): passwords, a group, a live message, an image, search', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'payamak-built-'));
    try {
      const env = { PORT: '0', METRICS_PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, UPLOAD_DIR: path.join(dataDir, 'uploads') };
      const proc = run(env, { built: true });
      const url = await proc.listening;
      const server = { graphqlUrl: `${url}/graphql`, wsUrl: `${url.replace('http', 'ws')}/graphql` };
      // argon2 (a native addon) hashes both passwords.
      const [alice, bob] = await Promise.all([registerUser(server, { displayName: 'Alice' }), registerUser(server, { displayName: 'Bob' })]);
      const chatId = await createGroup(server, alice, [bob], 'Built');

      const socket = wsClient(server, bob.accessToken);
      const live = new LiveSubscription(socket, OnNewMessageDocument, { chatId });
      // graphql-ws sends no ack for a subscription: send until the first one arrives, then one more that must follow it.
      let first: Awaited<ReturnType<typeof sent>> | undefined;
      for (let i = 0; i < 50 && live.events.length === 0; i += 1) {
        first = await sent(server, alice, chatId, `hello from the bundle ${i}`);
        await live.waitFor(1, 100).catch(() => undefined);
      }
      const second = await sent(server, alice, chatId, 'zanzibar, once more');
      const events = await live.waitFor(2);
      expect(events.at(-1)!.newMessage).toMatchObject({ id: second.id, text: 'zanzibar, once more', sender: { id: alice.user.id } });
      expect(events.at(-1)!.newMessage.seq).toBe(first!.seq + 1);
      live.close();
      await socket.dispose();

      // sharp (a native addon) and file-type read real image bytes: a 64 × 48 photo becomes a 48 × 48 avatar.
      const avatar = expectNoErrors(
        await gqlUpload(server, UploadAvatarDocument, { file: null }, { file: { data: await phonePhoto('png', 64, 48), name: 'me.png' } }, as(bob)),
      ).uploadAvatar.avatar;
      expect(avatar).toMatchObject({ kind: 'IMAGE', width: 48, height: 48 });

      const found = expectNoErrors(await gql(server, SearchMessagesDocument, { query: 'zanzibar' }, as(bob))).searchMessages;
      expect(found.edges.map((edge) => edge.node.id)).toEqual([second.id]);

      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
      expect(proc.output().stderr).toBe('');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
