import { beforeAll, describe, expect, it } from 'vitest';
import { createGroup, createPrivateChat, sent } from '../../test/chats.js';
import { as, createUser, type TestUser } from '../../test/factories.js';
import {
  AddGroupMembersDocument,
  ClearChatDocument,
  DeleteChatDocument,
  DeleteMessageDocument,
  EditMessageDocument,
  LeaveChatDocument,
  RemoveGroupMemberDocument,
  SearchChatsDocument,
  SendMediaMessageDocument,
  SearchMessagesDocument,
  type SearchMessagesQuery,
  type SearchMessagesQueryVariables,
} from '../../test/generated/graphql.js';
import { expectErrorCode, expectNoErrors, gql, type TestServer } from '../../test/server.js';
import { gqlUpload } from '../../test/uploads.js';
import { serverSuite } from '../../test/suite.js';

/**
 * Every case runs under both plans (search.plan.ts) and under the choice the
 * estimates make: the plans must give the same answers.
 */
const PLANS = {
  chosen: {},
  walk: { plan: 'walk' },
  // A walk that gives way to the index after the first message it reads.
  'walk, then the index': { plan: 'walk', walkBudget: 1 },
  index: { plan: 'index' },
  indexInChats: { plan: 'indexInChats' },
} as const;

describe.each(Object.entries(PLANS))('searchMessages, plan %s', (_, options) => {
  const suite = serverSuite([], [{}, { tuning: { search: options } }]);
  let server: TestServer;
  beforeAll(() => ({ server } = suite.ready()));

  /** New users for one test, so that what each finds is only what the test wrote. */
  const people = <const Names extends readonly string[]>(...names: Names) =>
    Promise.all(names.map((displayName) => createUser(server, { displayName }))) as Promise<{ [K in keyof Names]: TestUser }>;
  const send = (user: TestUser, chatId: string, text: string) => sent(server, user, chatId, text);
  const search = (user: TestUser, variables: SearchMessagesQueryVariables) => gql(server, SearchMessagesDocument, variables, as(user));
  /** The texts `user` finds for `query`, newest first. */
  async function found(user: TestUser, query: string, extra: Omit<SearchMessagesQueryVariables, 'query'> = {}): Promise<(string | null)[]> {
    const { searchMessages } = expectNoErrors(await search(user, { query, first: 100, ...extra }));
    return searchMessages.edges.map((edge) => edge.node.text);
  }

  it('finds Persian words written with or without the zero-width non-joiner, and by prefix', async () => {
    const [ali, sara] = await people('Ali', 'Sara');
    const chatId = await createPrivateChat(server, ali, sara);
    await send(ali, chatId, 'من می‌خواهم بروم');
    await send(ali, chatId, 'سلام دوستان');
    await send(ali, chatId, 'چیز دیگری');
    expect(await found(sara, 'میخواهم')).toEqual(['من می‌خواهم بروم']);
    expect(await found(sara, 'می‌خواهم')).toEqual(['من می‌خواهم بروم']);
    expect(await found(sara, 'دوست')).toEqual(['سلام دوستان']);
    expect(await found(sara, 'سلام دوستان')).toEqual(['سلام دوستان']);
  });

  it('matches Arabic yeh and kaf with Persian ones, ignores diacritics and tatweel', async () => {
    const [ali, sara] = await people('Ali', 'Sara');
    const chatId = await createPrivateChat(server, ali, sara);
    await send(ali, chatId, 'علي آمد');
    await send(ali, chatId, 'این كتاب خوب است');
    await send(ali, chatId, 'مُحَمَّد و سلـــام');
    expect(await found(sara, 'علی')).toEqual(['علي آمد']);
    expect(await found(sara, 'علي')).toEqual(['علي آمد']);
    expect(await found(sara, 'کتاب')).toEqual(['این كتاب خوب است']);
    expect(await found(sara, 'محمد سلام')).toEqual(['مُحَمَّد و سلـــام']);
  });

  it('finds English and mixed Persian and English text; every word must match', async () => {
    const [ali, sara] = await people('Ali', 'Sara');
    const chatId = await createPrivateChat(server, ali, sara);
    await send(ali, chatId, 'Meeting at ساعت ۵ with the Payamak team');
    await send(ali, chatId, 'payamak release notes');
    await send(ali, chatId, 'nothing here');
    expect(await found(sara, 'payam')).toEqual(['payamak release notes', 'Meeting at ساعت ۵ with the Payamak team']);
    expect(await found(sara, 'PAYAMAK ساعت')).toEqual(['Meeting at ساعت ۵ with the Payamak team']);
    expect(await found(sara, 'meet team')).toEqual(['Meeting at ساعت ۵ with the Payamak team']);
    expect(await found(sara, 'payamak zebra')).toEqual([]);
    // A word of one letter matches only a whole word.
    expect(await found(sara, 'with t')).toEqual([]);
  });

  it('reads query syntax as text: operators and quotes are never an error', async () => {
    const [ali, sara] = await people('Ali', 'Sara');
    const chatId = await createPrivateChat(server, ali, sara);
    await send(ali, chatId, "it's (fun) & more | less");
    for (const query of ['(fun) &', "it's", 'fun:*', '!fun', "'fun'", 'fun\\', '& | ! ( ) : * fun']) {
      expect(await found(sara, query), query).toEqual(["it's (fun) & more | less"]);
    }
    expect(await found(sara, 'fun <-> more')).toEqual(["it's (fun) & more | less"]);
    expect(await found(sara, "a' & b | !c")).toEqual([]);
  });

  it('never finds messages of chats the viewer is not in, and chatId of such a chat is NOT_FOUND', async () => {
    const [ali, sara, omid] = await people('Ali', 'Sara', 'Omid');
    const theirs = await createPrivateChat(server, ali, omid);
    await send(ali, theirs, 'secret zanzibar plan');
    const ours = await createPrivateChat(server, ali, sara);
    await send(ali, ours, 'public zanzibar trip');
    expect(await found(sara, 'zanzibar')).toEqual(['public zanzibar trip']);
    expect(await found(omid, 'zanzibar')).toEqual(['secret zanzibar plan']);
    expectErrorCode(await search(sara, { query: 'zanzibar', chatId: theirs }), 'NOT_FOUND');
    expectErrorCode(await search(sara, { query: 'zanzibar', chatId: 'not-an-id' }), 'NOT_FOUND');
  });

  it('leaves out messages deleted for everyone, deleted for me (only for me), and SYSTEM messages', async () => {
    const [ali, sara] = await people('Ali', 'Sara');
    const chatId = await createGroup(server, ali, [sara], 'Kiwi growers');
    const gone = await send(ali, chatId, 'kiwi one');
    const mine = await send(ali, chatId, 'kiwi two');
    await send(ali, chatId, 'kiwi three');
    expectNoErrors(await gql(server, DeleteMessageDocument, { messageId: gone.id, forEveryone: true }, as(ali)));
    expectNoErrors(await gql(server, DeleteMessageDocument, { messageId: mine.id, forEveryone: false }, as(sara)));
    expect(await found(sara, 'kiwi')).toEqual(['kiwi three']);
    expect(await found(ali, 'kiwi')).toEqual(['kiwi three', 'kiwi two']);
    // "Ali created the group "Kiwi growers" with Sara" is a SYSTEM message.
    expect(await found(sara, 'created growers')).toEqual([]);
  });

  it('finds a media message by its caption', async () => {
    const [ali, sara] = await people('Ali', 'Sara');
    const chatId = await createPrivateChat(server, ali, sara);
    const upload = await gqlUpload(
      server,
      SendMediaMessageDocument,
      { input: { chatId, file: null, caption: 'notes from the apricot meeting' } },
      { 'input.file': { data: Buffer.from('minutes\n'), name: 'notes.txt' } },
      as(ali),
    );
    expectNoErrors(upload);
    const { searchMessages } = expectNoErrors(await search(sara, { query: 'apricot' }));
    expect(searchMessages.edges.map((edge) => [edge.node.kind, edge.node.text])).toEqual([['DOCUMENT', 'notes from the apricot meeting']]);
  });

  it('leaves out a disappearing message once it has expired, before the sweep deletes it', async () => {
    const [ali, sara] = await people('Ali', 'Sara');
    const chatId = await createPrivateChat(server, ali, sara);
    const gone = await send(ali, chatId, 'damson one');
    await send(ali, chatId, 'damson two');
    await server.database.prisma.message.update({ where: { id: gone.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await found(sara, 'damson')).toEqual(['damson two']);
  });

  it('finds an edited message by its new text, not its old one', async () => {
    const [ali, sara] = await people('Ali', 'Sara');
    const chatId = await createPrivateChat(server, ali, sara);
    const message = await send(ali, chatId, 'see you at the cinema');
    expectNoErrors(await gql(server, EditMessageDocument, { messageId: message.id, text: 'see you at the theatre' }, as(ali)));
    expect(await found(sara, 'cinema')).toEqual([]);
    expect(await found(sara, 'theatre')).toEqual(['see you at the theatre']);
  });

  it('a former member finds what was said while they were in, nothing after they left or while they were away', async () => {
    const [ali, sara, omid] = await people('Ali', 'Sara', 'Omid');
    const chatId = await createGroup(server, ali, [sara, omid], 'Walnut club');
    await send(ali, chatId, 'walnut before');
    expectNoErrors(await gql(server, RemoveGroupMemberDocument, { chatId, userId: sara.user.id }, as(ali)));
    await send(ali, chatId, 'walnut while away');
    expect(await found(sara, 'walnut')).toEqual(['walnut before']);
    expect(await found(sara, 'walnut', { chatId })).toEqual(['walnut before']);
    expectNoErrors(await gql(server, AddGroupMembersDocument, { chatId, userIds: [sara.user.id] }, as(ali)));
    await send(ali, chatId, 'walnut after return');
    expect(await found(sara, 'walnut')).toEqual(['walnut after return', 'walnut before']);
    expectNoErrors(await gql(server, LeaveChatDocument, { chatId }, as(sara)));
    await send(ali, chatId, 'walnut after leaving');
    expect(await found(sara, 'walnut')).toEqual(['walnut after return', 'walnut before']);
    expect(await found(omid, 'walnut')).toEqual(['walnut after leaving', 'walnut after return', 'walnut while away', 'walnut before']);
  });

  it('leaves out what clearChat hid', async () => {
    const [ali, sara] = await people('Ali', 'Sara');
    const chatId = await createPrivateChat(server, ali, sara);
    await send(ali, chatId, 'pomegranate old');
    expectNoErrors(await gql(server, ClearChatDocument, { chatId }, as(sara)));
    await send(ali, chatId, 'pomegranate new');
    expect(await found(sara, 'pomegranate')).toEqual(['pomegranate new']);
    expect(await found(ali, 'pomegranate')).toEqual(['pomegranate new', 'pomegranate old']);
  });

  it('leaves out a chat deleted for me, and after a new message brings it back, what came before', async () => {
    const [ali, sara, omid] = await people('Ali', 'Sara', 'Omid');
    const chatId = await createPrivateChat(server, ali, sara);
    await send(ali, chatId, 'mulberry before');
    expectNoErrors(await gql(server, DeleteChatDocument, { chatId }, as(sara)));
    expect(await found(sara, 'mulberry')).toEqual([]);
    await send(ali, chatId, 'mulberry after');
    expect(await found(sara, 'mulberry')).toEqual(['mulberry after']);
    const group = await createGroup(server, omid, [sara], 'Mulberry lovers');
    await send(omid, group, 'mulberry in the group');
    expectNoErrors(await gql(server, DeleteChatDocument, { chatId: group }, as(sara)));
    expect(await found(sara, 'mulberry')).toEqual(['mulberry after']);
    expectErrorCode(await search(sara, { query: 'mulberry', chatId: group }), 'NOT_FOUND');
  });

  it('pages newest first across chats with opaque cursors, each hit once', async () => {
    const [ali, sara, omid] = await people('Ali', 'Sara', 'Omid');
    const one = await createPrivateChat(server, ali, sara);
    const two = await createGroup(server, omid, [sara], 'Figs');
    const texts: string[] = [];
    for (let i = 0; i < 7; i++) {
      const text = `fig number ${i}`;
      await send(i % 2 === 0 ? ali : omid, i % 2 === 0 ? one : two, text);
      texts.unshift(text);
    }
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const { searchMessages }: SearchMessagesQuery = expectNoErrors(await search(sara, { query: 'fig', first: 3, after }));
      expect(searchMessages.pageInfo.hasPreviousPage).toBe(after !== null);
      seen.push(...searchMessages.edges.map((edge) => edge.node.text!));
      expect(searchMessages.pageInfo.endCursor).toBe(searchMessages.edges.at(-1)?.cursor ?? null);
      if (!searchMessages.pageInfo.hasNextPage) break;
      after = searchMessages.pageInfo.endCursor;
    }
    expect(seen).toEqual(texts);
    expect(await found(sara, 'fig', { chatId: two })).toEqual(['fig number 5', 'fig number 3', 'fig number 1']);
    expect(await found(sara, 'fig', { senderId: omid.user.id })).toEqual(['fig number 5', 'fig number 3', 'fig number 1']);
    expect(await found(sara, 'fig', { senderId: ali.user.id, chatId: two })).toEqual([]);
  });

  it('finds messages of any age, newest first, across pages', async () => {
    const [ali, sara] = await people('Ali', 'Sara');
    const chatId = await createPrivateChat(server, ali, sara);
    const ages = [400, 30, 2, 0.05, 0];
    const ids: string[] = [];
    for (const [i] of ages.entries()) ids.push((await send(ali, chatId, `quince ${i}`)).id);
    // Back-dated, so that a walk needs several windows and a short one gives way to the index partway.
    const day = 86_400_000;
    await server.database.prisma.chat.update({ where: { id: chatId }, data: { createdAt: new Date(Date.now() - 500 * day) } });
    for (const [i, age] of ages.entries()) {
      await server.database.prisma.message.update({ where: { id: ids[i]! }, data: { createdAt: new Date(Date.now() - age * day) } });
    }
    const newestFirst = ['quince 4', 'quince 3', 'quince 2', 'quince 1', 'quince 0'];
    expect(await found(sara, 'quince')).toEqual(newestFirst);
    const paged: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 6; page++) {
      const { searchMessages }: SearchMessagesQuery = expectNoErrors(await search(sara, { query: 'quince', first: 2, after }));
      paged.push(...searchMessages.edges.map((edge) => edge.node.text!));
      if (!searchMessages.pageInfo.hasNextPage) break;
      after = searchMessages.pageInfo.endCursor;
    }
    expect(paged).toEqual(newestFirst);
  });

  it('marks the matching words in an HTML-escaped snippet', async () => {
    const [ali, sara] = await people('Ali', 'Sara');
    const chatId = await createPrivateChat(server, ali, sara);
    await send(ali, chatId, '<b>Payamak</b> & "friends"');
    const long = `${'word '.repeat(30)}the quince is here ${'more '.repeat(40)}`.trim();
    await send(ali, chatId, long);
    const snippets = async (query: string) => expectNoErrors(await search(sara, { query })).searchMessages.edges.map((edge) => edge.snippet);
    expect(await snippets('payam')).toEqual(['&lt;b&gt;<mark>Payamak</mark>&lt;/b&gt; &amp; &quot;friends&quot;']);
    const [cut] = await snippets('quince');
    expect(cut).toMatch(/^…(word )+the <mark>quince<\/mark> is here (more )+more…$/);
    expect(cut!.length).toBeLessThan(200);
  });

  it('refuses queries that are empty, one letter, too long or too many words, and bad cursors or sender ids', async () => {
    const [sara] = await people('Sara');
    for (const query of ['', '   ', 'a', '!!', 'ـ', 'x'.repeat(201), 'a b c d e f g h i j k']) {
      expectErrorCode(await search(sara, { query }), 'BAD_USER_INPUT');
    }
    expectNoErrors(await search(sara, { query: 'x'.repeat(200) }));
    expectNoErrors(await search(sara, { query: 'a b c d e f g h i j' }));
    expectErrorCode(await search(sara, { query: 'fig', after: 'not-a-cursor' }), 'BAD_USER_INPUT');
    expectErrorCode(await search(sara, { query: 'fig', senderId: 'nobody' }), 'BAD_USER_INPUT');
    expectErrorCode(await search(sara, { query: 'fig', first: -1 }), 'BAD_USER_INPUT');
  });
});

describe('chats(search:)', () => {
  const suite = serverSuite(['Reza Tehrani', 'Sara', 'Omid']);
  let server: TestServer;
  let reza: TestUser;
  let sara: TestUser;
  let omid: TestUser;
  let ids: { withSara: string; withOmid: string; books: string; cinema: string };
  beforeAll(async () => {
    ({
      server,
      users: [reza, sara, omid],
    } = suite.ready());
    const [withSara, withOmid, books, cinema] = [
      await createPrivateChat(server, reza, sara),
      await createPrivateChat(server, omid, reza),
      await createGroup(server, reza, [sara], 'گروه كتاب‌خوانی'),
      await createGroup(server, omid, [reza, sara], 'Cinema Tuesdays'),
    ];
    ids = { withSara, withOmid, books, cinema };
  });

  const listed = async (user: TestUser, search: string | null, extra: { first?: number; after?: string; filter?: { kind: 'GROUP' | 'PRIVATE' } } = {}) => {
    const { chats } = expectNoErrors(await gql(server, SearchChatsDocument, { search, ...extra }, as(user)));
    return { ids: chats.edges.map((edge) => edge.node.id), totalCount: chats.totalCount, chats };
  };

  it('finds a group by its title, with prefixes and the same normalisation as messages', async () => {
    expect((await listed(reza, 'کتاب')).ids).toEqual([ids.books]);
    expect((await listed(reza, 'كتابخوانی')).ids).toEqual([ids.books]);
    expect((await listed(reza, 'cine tues')).ids).toEqual([ids.cinema]);
    expect((await listed(reza, 'cinema books')).ids).toEqual([]);
  });

  it("finds a private chat by the other member's display name or username, never by mine", async () => {
    expect((await listed(reza, 'Sara')).ids).toEqual([ids.withSara]);
    // Usernames are user_<n>_<hex>: '_' separates words, as in any text.
    expect((await listed(reza, omid.user.username)).ids).toEqual([ids.withOmid]);
    expect((await listed(reza, omid.user.username.split('_').at(-1)!)).ids).toEqual([ids.withOmid]);
    expect((await listed(sara, 'reza teh')).ids).toEqual([ids.withSara]);
    expect((await listed(reza, 'reza')).ids).toEqual([]);
  });

  it('works with the filter, and counts what it finds', async () => {
    expect(await listed(sara, 'cinema')).toMatchObject({ ids: [ids.cinema], totalCount: 1 });
    expect(await listed(sara, 'cinema', { filter: { kind: 'GROUP' } })).toMatchObject({ ids: [ids.cinema], totalCount: 1 });
    expect(await listed(sara, 'cinema', { filter: { kind: 'PRIVATE' } })).toMatchObject({ ids: [], totalCount: 0 });
    expect(await listed(omid, 'reza', { filter: { kind: 'PRIVATE' } })).toMatchObject({ ids: [ids.withOmid], totalCount: 1 });
  });

  it('pages the matches with cursors', async () => {
    const extra = await createGroup(server, sara, [reza], 'Cinema Fridays');
    const page1 = await listed(reza, 'cinema', { first: 1 });
    expect(page1).toMatchObject({ ids: [extra], totalCount: 2 });
    expect(page1.chats.pageInfo.hasNextPage).toBe(true);
    const page2 = await listed(reza, 'cinema', { first: 1, after: page1.chats.pageInfo.endCursor! });
    expect(page2.ids).toEqual([ids.cinema]);
    expect(page2.chats.pageInfo.hasNextPage).toBe(false);
  });

  it('lists everything for a blank search, and refuses one letter or an over-long one', async () => {
    expect((await listed(reza, '')).totalCount).toBe((await listed(reza, null)).totalCount);
    expect((await listed(reza, '   ')).totalCount).toBeGreaterThanOrEqual(4);
    expectErrorCode(await gql(server, SearchChatsDocument, { search: 'c' }, as(reza)), 'BAD_USER_INPUT');
    expectErrorCode(await gql(server, SearchChatsDocument, { search: 'c'.repeat(201) }, as(reza)), 'BAD_USER_INPUT');
  });
});
