/**
 * Chats and messages as tests set them up: through the API, as the user who
 * acts. Each returns what most callers need (an id, or the raw response where
 * a test asserts on refusals); tests of the operations themselves call `gql`.
 */
import { as, createUser, type TestUser } from './factories.js';
import { CreateGroupChatDocument, CreatePrivateChatDocument, SendMessageDocument, type SendMessageMutation } from './generated/graphql.js';
import { expectNoErrors, gql, type GraphQLResponse, type TestServer } from './server.js';

type Endpoint = Pick<TestServer, 'graphqlUrl'>;

/** The private chat of `a` and `b`, created by `a`; returns its id. */
export async function createPrivateChat(server: Endpoint, a: TestUser, b: TestUser): Promise<string> {
  return expectNoErrors(await gql(server, CreatePrivateChatDocument, { userId: b.user.id }, as(a))).createPrivateChat.id;
}

/** A group created by `owner` (its admin) with `members`; returns its id. */
export async function createGroup(server: Endpoint, owner: TestUser, members: readonly TestUser[], title = 'Group'): Promise<string> {
  const input = { title, memberIds: members.map((m) => m.user.id) };
  return expectNoErrors(await gql(server, CreateGroupChatDocument, { input }, as(owner))).createGroupChat.id;
}

/** Two new people, A and B, and their private chat: a chat no other test writes to. */
export async function createPair(server: TestServer): Promise<{ a: TestUser; b: TestUser; chatId: string }> {
  const [a, b] = await Promise.all([createUser(server, { displayName: 'A' }), createUser(server, { displayName: 'B' })]);
  return { a, b, chatId: await createPrivateChat(server, a, b) };
}

/** `sendMessage` as `user`; the response as it came, for tests that expect a refusal too. */
export function sendText(
  server: Endpoint,
  user: TestUser,
  chatId: string,
  text: string,
  extra: { clientId?: string; replyToId?: string } = {},
): Promise<GraphQLResponse<SendMessageMutation>> {
  return gql(server, SendMessageDocument, { input: { chatId, text, ...extra } }, as(user));
}

/** The message `user` sent with `sendMessage` (the test fails on a refusal). */
export async function sent(server: Endpoint, user: TestUser, chatId: string, text: string, extra: { clientId?: string; replyToId?: string } = {}) {
  return expectNoErrors(await sendText(server, user, chatId, text, extra)).sendMessage;
}
