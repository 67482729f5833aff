/**
 * A 1,000-member group reads as cheaply as a small one: the history's
 * Message.status and the chat list's unreadCount take the same statements
 * whatever the size, and no step walks the members once per message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup, sendText } from '../../test/chats.js';
import { as, createUser, type TestUser } from '../../test/factories.js';
import { ChatUnreadCountsDocument, MessagesDocument } from '../../test/generated/graphql.js';
import { expectNoErrors, gql, startTestServer, type TestServer } from '../../test/server.js';

const MEMBERS = 1_000;
const MESSAGES = 50;

let server: TestServer;
let owner: TestUser;
let reader: TestUser;
let bigChatId: string;
let smallChatId: string;
/** Every member has received every message and read up to this seq. */
let readUpTo: number;
let lastSeq: number;

beforeAll(async () => {
  server = await startTestServer({ RATE_LIMIT_MESSAGES: '0', RATE_LIMIT_API: '0' });
  [owner, reader] = await Promise.all([createUser(server), createUser(server)]);
  bigChatId = await createGroup(server, owner, [reader], 'Big');
  smallChatId = await createGroup(server, owner, [reader], 'Small');
  // The other 998 members go straight into the tables: registering each through the API would hash
  // 998 passwords, and what is measured here is reading the group, not joining it.
  const prisma = server.database.prisma;
  const extra = Array.from({ length: MEMBERS - 2 }, (_, i) => ({
    username: `crowd_${i}_${Date.now().toString(36)}`.slice(0, 32),
    displayName: `Crowd ${i}`,
    passwordHash: 'not-a-hash',
  }));
  await prisma.user.createMany({ data: extra });
  const users = await prisma.user.findMany({ where: { username: { in: extra.map((u) => u.username) } }, select: { id: true } });
  await prisma.chatMember.createMany({ data: users.map((u) => ({ chatId: bigChatId, userId: u.id })) });
  for (const chatId of [bigChatId, smallChatId]) {
    for (let i = 0; i < MESSAGES; i += 10) {
      await Promise.all(Array.from({ length: 10 }, (_, j) => sendText(server, owner, chatId, `message ${i + j}`)));
    }
  }
  // Both groups have the same seqs (a SYSTEM message, then the owner's). Everyone received all and read half:
  // the statuses are worked out, not all SENT.
  lastSeq = (await prisma.chat.findUniqueOrThrow({ where: { id: bigChatId }, select: { lastSeq: true } })).lastSeq;
  readUpTo = lastSeq - MESSAGES / 2;
  for (const chatId of [bigChatId, smallChatId]) {
    await prisma.chatMember.updateMany({ where: { chatId }, data: { deliveredSeq: lastSeq, readSeq: readUpTo } });
  }
}, 120_000);

/** Waits until the sends' background work (notifications, unread events) has stopped issuing statements. */
const quiet = () => expect.poll(() => server.countStatements(() => new Promise((resolve) => setTimeout(resolve, 200))), { timeout: 10_000 }).toBe(0);

afterAll(async () => {
  await server?.close();
});

describe('a 1,000-member group', () => {
  it('has as many members as it says', async () => {
    expect(await server.database.prisma.chatMember.count({ where: { chatId: bigChatId } })).toBe(MEMBERS);
  });

  it('messages(first: 50) takes the same statements as in a group of 2, with each status right', async () => {
    const history = async (chatId: string) => {
      const { messages } = expectNoErrors(await gql(server, MessagesDocument, { chatId, first: MESSAGES }, as(owner)));
      return messages.edges.map((e) => [e.node.seq, e.node.status]);
    };
    const expected = (seqs: number[]) => seqs.map((seq) => [seq, seq <= readUpTo ? 'READ' : 'DELIVERED']);
    const big = await history(bigChatId);
    const seqs = big.map(([seq]) => seq as number);
    expect(big).toEqual(expected(seqs));
    expect(big).toHaveLength(MESSAGES);
    expect(new Set(big.map(([, status]) => status))).toEqual(new Set(['READ', 'DELIVERED']));

    await quiet();
    const inBig = await server.countStatements(() => history(bigChatId), { runs: 3 });
    const inSmall = await server.countStatements(() => history(smallChatId), { runs: 3 });
    expect(inBig).toBe(inSmall);
    expect(inBig).toBeLessThanOrEqual(8);
  });

  it("the chat list's unreadCount takes the same statements for the big group as for the small one", async () => {
    const list = () => gql(server, ChatUnreadCountsDocument, { first: 10 }, as(reader));
    const { chats } = expectNoErrors(await list());
    const unread = Object.fromEntries(chats.edges.map((e) => [e.node.id, e.node.unreadCount]));
    expect(unread[bigChatId]).toBe(lastSeq - readUpTo);
    expect(unread[smallChatId]).toBe(lastSeq - readUpTo);
    const fewest = async () => {
      await quiet();
      return server.countStatements(list, { runs: 3 });
    };
    const both = await fewest();
    await server.database.prisma.chatMember.deleteMany({ where: { chatId: bigChatId, userId: reader.user.id } });
    const smallOnly = await fewest();
    expect(both).toBe(smallOnly);
  });
});
