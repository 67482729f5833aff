import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LoginDocument, RegisterDocument } from './test/generated/graphql.js';
import { expectNoErrors, gql } from './test/server.js';
import { runEntry } from './test/entry.js';

const children = new Set<ChildProcess>();

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

/** Runs the real entry point, as `npm start` does, with only the given variables set. */
function run(env: Record<string, string>) {
  return runEntry(env, children);
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
});
