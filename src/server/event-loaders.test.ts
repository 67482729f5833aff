/**
 * A subscription rendered per subscriber (it selects a message's status, its
 * sender, reactions) reads the database once per event, not once per member:
 * everyone rendering one event shares its loaders (server/shared-subscriptions.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup } from '../test/chats.js';
import { createUser, type TestUser } from '../test/factories.js';
import { OnNewMessageAsAppsShowItDocument, SendMessageForIdDocument, type OnNewMessageAsAppsShowItSubscription } from '../test/generated/graphql.js';
import { LiveSubscription, expectNoErrors, gql, startTestServer, waitForListeners, wsClient, type TestServer } from '../test/server.js';
import { MessageTopic } from '../modules/messages/index.js';
import type { Client } from 'graphql-ws';

let server: TestServer;
let owner: TestUser;
const groups: { chatId: string; members: TestUser[]; live: LiveSubscription<OnNewMessageAsAppsShowItSubscription>[] }[] = [];
const clients: Client[] = [];

beforeAll(async () => {
  // The sweep of revoked sessions issues a statement on its own clock: far apart here, so it stays out of the counts.
  server = await startTestServer({}, { tuning: { socketSweepMs: 600_000 } });
  owner = await createUser(server, { displayName: 'Owner' });
  for (const size of [2, 11]) {
    const members = await Promise.all(Array.from({ length: size }, (_, i) => createUser(server, { displayName: `Member ${i}` })));
    const chatId = await createGroup(server, owner, members);
    const live = members.map((member) => {
      const client = wsClient(server, member.accessToken);
      clients.push(client);
      return new LiveSubscription(client, OnNewMessageAsAppsShowItDocument, { chatId });
    });
    groups.push({ chatId, members, live });
  }
}, 60_000);

afterAll(async () => {
  for (const client of clients) await client.dispose();
  await server?.close();
});

const quiet = () => expect.poll(() => server.countStatements(() => new Promise((resolve) => setTimeout(resolve, 200))), { timeout: 10_000 }).toBe(0);

describe('an event rendered per subscriber', () => {
  it('costs the same statements in a group of 12 as in a group of 3, and each member sees their own status', async () => {
    let sent = 0;
    const sendAndReceive = (group: (typeof groups)[number]) => async () => {
      sent += 1;
      const text = `hello ${sent}`;
      const before = group.live.map((live) => live.events.length);
      expectNoErrors(await gql(server, SendMessageForIdDocument, { input: { chatId: group.chatId, text } }, { token: owner.accessToken }));
      const got = await Promise.all(group.live.map(async (live, i) => (await live.waitFor(before[i]! + 1))[before[i]!]!.newMessage));
      expect(got.map((m) => [m.text, m.sender?.displayName, m.status, m.reactions, m.myReaction])).toEqual(
        group.live.map(() => [text, 'Owner', 'SENT', [], null]),
      );
    };
    for (const member of groups.flatMap((g) => g.members)) await waitForListeners(server, MessageTopic.NewMessage, member.user.id);
    const [small, big] = groups as [(typeof groups)[number], (typeof groups)[number]];
    // Warm: the first event of a group fills caches (the members of the chat) that later ones reuse.
    await sendAndReceive(small)();
    await sendAndReceive(big)();
    await quiet();
    const inSmall = await server.countStatements(sendAndReceive(small), { runs: 3, quietMs: 300 });
    const inBig = await server.countStatements(sendAndReceive(big), { runs: 3, quietMs: 300 });
    expect(inBig).toBe(inSmall);
    // The session check, the append, the sender (shared by every render) and who may be notified: the status and
    // reactions of a message as appended are known without reading (messages' message.record.ts, isAsAppended).
    expect(inSmall).toBe(4);
  });
});
