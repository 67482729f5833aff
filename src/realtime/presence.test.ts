import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedisServer, startRedis } from '../test/redis.js';
import { LocalPresence, RedisPresence, type PresenceStore } from './presence.js';

const connection = (userId: string, sessionId: string, connectionId: string) => ({ userId, sessionId, connectionId });

/** The same story for both stores: a user with two sessions, one of them on two sockets. */
async function sessionsStory(store: PresenceStore) {
  expect(await store.connect(connection('u1', 'web', 'c1'))).toBe(true);
  expect(await store.connect(connection('u1', 'web', 'c2'))).toBe(false);
  expect(await store.connect(connection('u1', 'phone', 'c3'))).toBe(false);
  expect(await store.sessionsOnline(['web', 'phone', 'tablet'])).toEqual(new Set(['web', 'phone']));
  expect(await store.disconnect(connection('u1', 'phone', 'c3'))).toBe(false);
  expect(await store.sessionsOnline(['web', 'phone'])).toEqual(new Set(['web']));
  await store.disconnect(connection('u1', 'web', 'c1'));
  expect(await store.sessionsOnline(['web'])).toEqual(new Set(['web']));
  expect(await store.disconnect(connection('u1', 'web', 'c2'))).toBe(true);
  expect(await store.sessionsOnline(['web', 'phone'])).toEqual(new Set());
  expect(await store.online(['u1'])).toEqual(new Set());
}

describe('presence per session', () => {
  it('LocalPresence counts sockets per session', async () => {
    await sessionsStory(new LocalPresence());
  });

  describe.skipIf(!hasRedisServer)('RedisPresence', () => {
    let redis: Awaited<ReturnType<typeof startRedis>>;
    let client: Redis;
    beforeAll(async () => {
      redis = await startRedis();
      client = new Redis(redis.url);
    });
    afterAll(async () => {
      client?.disconnect();
      await redis?.stop();
    });

    it('counts sockets per session across instances', async () => {
      await sessionsStory(new RedisPresence(client, { prefix: 'story' }));
      const a = new RedisPresence(client, { prefix: 'shared' });
      const b = new RedisPresence(client, { prefix: 'shared' });
      await a.connect(connection('u2', 's1', 'a1'));
      expect(await b.sessionsOnline(['s1'])).toEqual(new Set(['s1']));
      await a.close();
      await b.close();
    });

    it('forgets the sessions of an instance that stopped vouching for them (a crash)', async () => {
      // A short TTL and no heartbeat stand for an instance that died without closing.
      const crashed = new RedisPresence(client, { prefix: 'crash', ttlMs: 200, heartbeatMs: 60_000 });
      await crashed.connect(connection('u3', 'phone', 'x1'));
      const survivor = new RedisPresence(client, { prefix: 'crash' });
      expect(await survivor.sessionsOnline(['phone'])).toEqual(new Set(['phone']));
      await expect.poll(() => survivor.sessionsOnline(['phone']).then((s) => s.size), { timeout: 3000 }).toBe(0);
      await survivor.close();
      await crashed.close();
    });
  });
});
