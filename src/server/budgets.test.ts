/**
 * Budgets by kind (budgets.ts): typing and receipts spend RATE_LIMIT_SIGNALS,
 * not the API budget; refreshes spend neither; operations over a socket spend
 * as over HTTP; every refusal names its budget in `extensions.policy`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, createUser, type TestUser } from '../test/factories.js';
import { createPrivateChat, sendText } from '../test/chats.js';
import { MarkDeliveredDocument, MeDocument, RefreshTokenDocument, SetTypingDocument } from '../test/generated/graphql.js';
import { expectErrorCode, expectNoErrors, gql, overSocket, startTestServer, wsClient, type TestServer } from '../test/server.js';

const API = 5;
const SIGNALS = 75;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ RATE_LIMIT_API: `${API}/60`, RATE_LIMIT_SIGNALS: `${SIGNALS}/60` });
});
afterAll(async () => {
  await server?.close();
});

/** What the API budget has left for `user`, read from the RateLimit header of one `me` (which spends one). */
async function apiLeft(user: TestUser): Promise<number> {
  const answer = await gql(server, MeDocument, {}, as(user));
  expectNoErrors(answer);
  expect(answer.headers.get('ratelimit-policy')).toBe(`${API};w=60`);
  return Number(/remaining=(\d+)/.exec(answer.headers.get('ratelimit') ?? '')?.[1]);
}

describe('signals', () => {
  it('20 setTyping and 50 markDelivered in a minute leave the API budget alone', async () => {
    const [alice, bob] = await Promise.all([createUser(server), createUser(server)]);
    const chatId = await createPrivateChat(server, alice, bob); // 1 of alice's 5
    const message = expectNoErrors(await sendText(server, bob, chatId, 'hi')).sendMessage.id;
    for (let i = 0; i < 20; i++) {
      const typing = await gql(server, SetTypingDocument, { chatId, typing: i % 2 === 0 }, as(alice));
      expect(expectNoErrors(typing).setTyping).toBe(true);
      expect(typing.headers.get('ratelimit-policy')).toBe(`${SIGNALS};w=60`);
    }
    for (let i = 0; i < 50; i++) expectNoErrors(await gql(server, MarkDeliveredDocument, { chatId, upToMessageId: message }, as(alice)));
    expect(await apiLeft(alice)).toBe(API - 2);

    // The signals budget, spent per root field: five aliases cost five.
    const five = Array.from({ length: 5 }, (_, i) => `t${i}: setTyping(chatId: $c, typing: true)`).join(' ');
    expectNoErrors(await gql(server, `mutation ($c: ID!) { ${five} }`, { c: chatId }, as(alice)));
    const refused = expectErrorCode(await gql(server, SetTypingDocument, { chatId, typing: true }, as(alice)), 'RATE_LIMITED');
    expect(refused.extensions?.['policy']).toBe('SIGNALS');
    expect(refused.extensions?.['retryAfterSeconds']).toBeGreaterThan(0);
    // Out of signals, reading still works.
    expect(await apiLeft(alice)).toBe(API - 3);
  });

  it('counts signals over a socket against the same budget, and reads over a socket against the API budget', async () => {
    const [carol, dave] = await Promise.all([createUser(server), createUser(server)]);
    const chatId = await createPrivateChat(server, dave, carol);
    const client = wsClient(server, carol.accessToken);
    try {
      for (let i = 0; i < 10; i++) {
        expect((await overSocket(client, 'mutation ($c: ID!) { setTyping(chatId: $c, typing: true) }', { c: chatId })).data).toEqual({ setTyping: true });
      }
      for (let i = 0; i < API; i++) expect((await overSocket(client, '{ me { id } }')).errors).toBeUndefined();
      const overWs = await overSocket(client, '{ me { id } }');
      expect(overWs.errors?.map((e) => [e.extensions?.['code'], e.extensions?.['policy']])).toEqual([['RATE_LIMITED', 'API']]);
      expect(expectErrorCode(await gql(server, MeDocument, {}, as(carol)), 'RATE_LIMITED').extensions?.['policy']).toBe('API');
      // Signals still go through: their budget is apart.
      expect((await overSocket(client, 'mutation ($c: ID!) { setTyping(chatId: $c, typing: false) }', { c: chatId })).data).toEqual({ setTyping: true });
    } finally {
      await client.dispose();
    }
  });

  it('counts an operation mixing signals with other fields against the API budget', async () => {
    const [erin, frank] = await Promise.all([createUser(server), createUser(server)]);
    const chatId = await createPrivateChat(server, erin, frank); // 1
    expectNoErrors(await gql(server, 'mutation ($c: ID!) { setTyping(chatId: $c, typing: true) markAllChatsRead { chats } }', { c: chatId }, as(erin))); // 2
    expect(await apiLeft(erin)).toBe(API - 3);
  });
});

describe('refreshes', () => {
  it('spend no API budget, so a phone behind a shared address keeps refreshing', async () => {
    const phone = await createUser(server);
    let token = phone.refreshToken;
    // Signed out, the API budget would be the address's: more refreshes than it holds all pass.
    for (let i = 0; i < API + 3; i++) token = expectNoErrors(await gql(server, RefreshTokenDocument, { refreshToken: token })).refreshToken.refreshToken;
  });
});
