/**
 * Every root field of schema.graphql, tried signed out, as a stranger to the
 * objects it names, and (where admins are needed) as a plain member. The
 * matrix below must name every field: a new operation without an entry fails
 * this suite until someone decides who may call it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
} from 'graphql';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createUser, type TestUser } from '../test/factories.js';
import { CreateGroupChatDocument, SendMediaMessageDocument, SendMessageDocument } from '../test/generated/graphql.js';
import { gqlUpload } from '../test/uploads.js';
import type { InProcessPubSub } from '../realtime/pubsub.js';
import { expectNoErrors, gql, startTestServer, wsClient, type TestServer } from '../test/server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const schema = buildSchema(readFileSync(path.join(root, 'schema.graphql'), 'utf8'));

/**
 * Who may call what.
 * - public: anyone, signed out too.
 * - self: any signed-in user; it only touches the viewer's own things.
 * - chat: about a chat (or a message, notification…) of someone else: a stranger gets NOT_FOUND;
 *   `member` says what a plain member of that chat gets.
 * - admin: role ADMIN only; everyone else gets FORBIDDEN.
 */
type Rule = { access: 'public' } | { access: 'self' } | { access: 'chat'; member: 'OK' | 'FORBIDDEN' } | { access: 'admin' };

const MATRIX: Record<string, Rule> = {
  // Query
  me: { access: 'self' },
  user: { access: 'self' },
  users: { access: 'self' },
  chats: { access: 'self' },
  // Across my chats; with chatId (the probe passes the victims' chat) a stranger gets NOT_FOUND.
  searchMessages: { access: 'chat', member: 'OK' },
  chat: { access: 'chat', member: 'OK' },
  messages: { access: 'chat', member: 'OK' },
  messageChanges: { access: 'chat', member: 'OK' },
  messageChangesBatch: { access: 'chat', member: 'OK' },
  chatChanges: { access: 'self' },
  blockedUsers: { access: 'self' },
  scheduledMessages: { access: 'self' },
  chatInvitePreview: { access: 'self' },
  joinRequests: { access: 'chat', member: 'FORBIDDEN' },
  notifications: { access: 'self' },
  unreadNotificationCount: { access: 'self' },
  pushPublicKey: { access: 'self' },
  file: { access: 'chat', member: 'OK' },
  // Not an error for a stranger: the victims' file id comes back as null, as a missing id does (media.test.ts).
  files: { access: 'self' },
  adminStats: { access: 'admin' },
  adminUsers: { access: 'admin' },
  adminMessages: { access: 'admin' },
  adminHealth: { access: 'admin' },
  adminActivity: { access: 'admin' },
  adminAuditLog: { access: 'admin' },
  myReports: { access: 'self' },
  adminReports: { access: 'admin' },
  mySessions: { access: 'self' },
  // Mutation
  register: { access: 'public' },
  login: { access: 'public' },
  refreshToken: { access: 'public' },
  logout: { access: 'public' },
  updateProfile: { access: 'self' },
  updatePrivacy: { access: 'self' },
  blockUser: { access: 'self' },
  unblockUser: { access: 'self' },
  changePassword: { access: 'self' },
  // The probe passes the owner's session: a stranger gets NOT_FOUND.
  revokeSession: { access: 'chat', member: 'OK' },
  createRecoveryCodes: { access: 'self' },
  // Signed out on purpose; a wrong code is UNAUTHENTICATED (INVALID_CREDENTIALS), never "Sign in".
  resetPasswordWithRecoveryCode: { access: 'public' },
  adminResetPassword: { access: 'admin' },
  createPrivateChat: { access: 'self' },
  createGroupChat: { access: 'self' },
  addGroupMembers: { access: 'chat', member: 'FORBIDDEN' },
  removeGroupMember: { access: 'chat', member: 'FORBIDDEN' },
  updateGroup: { access: 'chat', member: 'FORBIDDEN' },
  createInviteLink: { access: 'chat', member: 'FORBIDDEN' },
  revokeInviteLink: { access: 'chat', member: 'FORBIDDEN' },
  joinChatByInvite: { access: 'self' },
  approveJoinRequest: { access: 'chat', member: 'FORBIDDEN' },
  declineJoinRequest: { access: 'chat', member: 'FORBIDDEN' },
  updateGroupSettings: { access: 'chat', member: 'FORBIDDEN' },
  uploadGroupAvatar: { access: 'chat', member: 'FORBIDDEN' },
  removeGroupAvatar: { access: 'chat', member: 'FORBIDDEN' },
  promoteGroupAdmin: { access: 'chat', member: 'FORBIDDEN' },
  demoteGroupAdmin: { access: 'chat', member: 'FORBIDDEN' },
  // A group's plain member while onlyAdminsCanEditInfo is on (the default); both people of a private chat may.
  setChatMessageTimer: { access: 'chat', member: 'FORBIDDEN' },
  leaveChat: { access: 'chat', member: 'OK' },
  sendMessage: { access: 'chat', member: 'OK' },
  editMessage: { access: 'chat', member: 'FORBIDDEN' },
  updateChatSettings: { access: 'chat', member: 'OK' },
  deleteMessage: { access: 'chat', member: 'FORBIDDEN' },
  pinMessage: { access: 'chat', member: 'FORBIDDEN' },
  unpinMessage: { access: 'chat', member: 'FORBIDDEN' },
  forwardMessage: { access: 'chat', member: 'OK' },
  setReaction: { access: 'chat', member: 'OK' },
  removeReaction: { access: 'chat', member: 'OK' },
  markDelivered: { access: 'chat', member: 'OK' },
  markRead: { access: 'chat', member: 'OK' },
  updateMessageStatus: { access: 'chat', member: 'OK' },
  setTyping: { access: 'chat', member: 'OK' },
  markNotificationRead: { access: 'chat', member: 'OK' },
  // Someone else's scheduled message is NOT_FOUND; scheduling in a chat I am not in too.
  scheduleMessage: { access: 'chat', member: 'OK' },
  updateScheduledMessage: { access: 'chat', member: 'OK' },
  cancelScheduledMessage: { access: 'chat', member: 'OK' },
  markAllNotificationsRead: { access: 'self' },
  markAllChatsRead: { access: 'self' },
  deleteNotification: { access: 'chat', member: 'OK' },
  registerPushSubscription: { access: 'self' },
  uploadAvatar: { access: 'self' },
  removeAvatar: { access: 'self' },
  sendMediaMessage: { access: 'chat', member: 'OK' },
  // Only the viewer's own uploads: a stranger's upload id is NOT_FOUND (uploads.test.ts), as is the victims' chat.
  sendAttachments: { access: 'chat', member: 'OK' },
  createUpload: { access: 'self' },
  deleteFile: { access: 'chat', member: 'FORBIDDEN' },
  unregisterPushSubscription: { access: 'self' },
  registerDevice: { access: 'self' },
  // The probe passes another user's device: NOT_FOUND, and it stays registered.
  unregisterDevice: { access: 'chat', member: 'OK' },
  clearChat: { access: 'chat', member: 'OK' },
  deleteChat: { access: 'chat', member: 'OK' },
  deleteAccount: { access: 'self' },
  requestDataExport: { access: 'self' },
  adminSetUserActive: { access: 'admin' },
  adminSetUserRole: { access: 'admin' },
  // A stranger reports a message of a chat they are not in (NOT_FOUND), and themself (userId is theirs: BAD_USER_INPUT).
  reportMessage: { access: 'chat', member: 'OK' },
  reportUser: { access: 'self' },
  adminResolveReport: { access: 'admin' },
  // Subscription
  newMessage: { access: 'chat', member: 'OK' },
  messageUpdated: { access: 'chat', member: 'OK' },
  chatUpdated: { access: 'chat', member: 'OK' },
  messageStatus: { access: 'chat', member: 'OK' },
  typing: { access: 'chat', member: 'OK' },
  presence: { access: 'self' },
  notification: { access: 'self' },
  unreadChanged: { access: 'self' },
};

const rootFields = (['Query', 'Mutation', 'Subscription'] as const).flatMap((typeName) => {
  const type = schema.getType(typeName) as { getFields(): Record<string, GraphQLField<unknown, unknown>> } | undefined;
  return type ? Object.values(type.getFields()).map((field) => ({ typeName, field })) : [];
});

let server: TestServer;
let owner: TestUser;
let member: TestUser;
let stranger: TestUser;
let ids: {
  chat: string;
  message: string;
  notification: string;
  file: string;
  code: string;
  openCode: string;
  request: string;
  scheduled: string;
  session: string;
  device: string;
};

beforeAll(async () => {
  server = await startTestServer();
  [owner, member, stranger] = await Promise.all([createUser(server), createUser(server), createUser(server)]);
  const chat = expectNoErrors(
    await gql(server, CreateGroupChatDocument, { input: { title: 'Private group', memberIds: [member.user.id] } }, { token: owner.accessToken }),
  ).createGroupChat.id;
  const message = expectNoErrors(await gql(server, SendMessageDocument, { input: { chatId: chat, text: 'secret' } }, { token: owner.accessToken })).sendMessage
    .id;
  // Someone else's notification, for the stranger to probe.
  const notification = (await server.database.prisma.notification.create({ data: { userId: member.user.id, type: 'ADDED_TO_GROUP', title: 't' } })).id;
  const media = await gqlUpload(
    server,
    SendMediaMessageDocument,
    { input: { chatId: chat, file: null } },
    { 'input.file': { data: Buffer.from('a secret note\n'), name: 'note.txt' } },
    { token: owner.accessToken },
  );
  const file = expectNoErrors(media).sendMediaMessage.file!.id;
  // The victims' invite link and a pending request to their group; and a link to another group, which anyone may use.
  const code = (await server.database.prisma.chatInvite.create({ data: { chatId: chat, code: randomBytes(16).toString('base64url') } })).code;
  const asker = await createUser(server);
  const request = (await server.database.prisma.chatJoinRequest.create({ data: { chatId: chat, userId: asker.user.id } })).id;
  const openChat = expectNoErrors(
    await gql(server, CreateGroupChatDocument, { input: { title: 'Open door', memberIds: [member.user.id] } }, { token: owner.accessToken }),
  ).createGroupChat.id;
  const openCode = (await server.database.prisma.chatInvite.create({ data: { chatId: openChat, code: randomBytes(16).toString('base64url') } })).code;
  const scheduled = (
    await server.database.prisma.scheduledMessage.create({
      data: { chatId: chat, senderId: owner.user.id, text: 'later', sendAt: new Date(Date.now() + 3600_000) },
    })
  ).id;
  // The member's phone, for the stranger to try to unregister.
  const memberSession = await server.database.prisma.session.findFirstOrThrow({ where: { userId: member.user.id } });
  const device = (
    await server.database.prisma.device.create({
      data: { userId: member.user.id, sessionId: memberSession.id, platform: 'APNS', token: 'ab'.repeat(32), tokenHash: 'ab'.repeat(32) },
    })
  ).id;
  const session = (await server.database.prisma.session.findFirstOrThrow({ where: { userId: owner.user.id } })).id;
  ids = { chat, message, notification, file, code, openCode, request, scheduled, session, device };
});
afterAll(async () => {
  await server?.close();
});

/** A value for an argument that points at the victims' objects. */
function argumentValue(fieldName: string, arg: GraphQLArgument | { name: string; type: GraphQLInputType }): unknown {
  const named = getNamedType(arg.type);
  const list = isListType(isNonNullType(arg.type) ? arg.type.ofType : arg.type);
  const one = (() => {
    switch (arg.name) {
      case 'chatId':
      case 'toChatIds':
        return ids.chat;
      case 'userId':
        return fieldName === 'removeGroupMember' ? member.user.id : stranger.user.id;
      case 'userIds':
        return stranger.user.id;
      case 'ids':
        return ids.file;
      case 'messageId':
      case 'upToMessageId':
        return ids.message;
      case 'memberIds':
        return owner.user.id;
      case 'id':
        if (fieldName.toLowerCase().includes('notification')) return ids.notification;
        if (fieldName.toLowerCase().includes('scheduled')) return ids.scheduled;
        if (fieldName === 'file' || fieldName === 'deleteFile') return ids.file;
        if (fieldName === 'revokeSession') return ids.session;
        if (fieldName === 'unregisterDevice') return ids.device;
        return fieldName === 'user' ? owner.user.id : ids.chat;
      case 'endpoint':
        return 'https://push.example/device';
      case 'p256dh':
        return Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]).toString('base64url');
      case 'auth':
        return Buffer.alloc(16, 2).toString('base64url');
      case 'refreshToken':
        return 'not-a-real-token';
      case 'token':
        return 'cd'.repeat(32); // platform APNS, the enum's first value
      case 'code':
        return fieldName === 'joinChatByInvite' ? ids.openCode : ids.code;
      case 'requestId':
        return ids.request;
      case 'sendAt':
        return new Date(Date.now() + 3600_000).toISOString();
      case 'password':
      case 'currentPassword':
      case 'newPassword':
        return 'some password 123';
      case 'username':
        return 'matrix_probe';
      case 'emoji':
        return '👍';
      case 'query':
        return 'probe';
      case 'text':
      case 'title':
      case 'displayName':
        return 'probe';
    }
    if (isInputObjectType(named)) {
      return Object.fromEntries(
        Object.values(named.getFields())
          .filter((f) => isNonNullType(f.type) || ['chatId', 'text'].includes(f.name))
          .map((f) => [f.name, argumentValue(fieldName, f)]),
      );
    }
    if (isEnumType(named)) return named.name === 'MessageStatus' ? 'READ' : named.name === 'Role' ? 'ADMIN' : named.getValues()[0]!.value;
    if (named.name === 'Upload') return null; // sent as a multipart file part
    if (named.name === 'Boolean') return arg.name !== 'active';
    if (named.name === 'Int') return 1;
    return 'x';
  })();
  return list ? [one] : one;
}

function operationFor(typeName: string, field: GraphQLField<unknown, unknown>) {
  const args = field.args.filter((a) => isNonNullType(a.type) || a.name === 'chatId');
  const variables = Object.fromEntries(args.map((a) => [a.name, argumentValue(field.name, a)]));
  const declarations = args.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
  const call = args.map((a) => `${a.name}: $${a.name}`).join(', ');
  const selection = isLeafType(getNamedType(field.type)) ? '' : ' { __typename }';
  const keyword = typeName === 'Query' ? 'query' : typeName === 'Mutation' ? 'mutation' : 'subscription';
  const query = `${keyword} Probe${declarations ? `(${declarations})` : ''} { ${field.name}${call ? `(${call})` : ''}${selection} }`;
  return { query, variables };
}

/** Variable paths of Upload arguments, e.g. `file` or `input.file`. */
function uploadPaths(field: GraphQLField<unknown, unknown>): string[] {
  return field.args.flatMap((arg) => {
    const named = getNamedType(arg.type);
    if (named.name === 'Upload') return [arg.name];
    if (isInputObjectType(named))
      return Object.values(named.getFields())
        .filter((f) => getNamedType(f.type).name === 'Upload')
        .map((f) => `${arg.name}.${f.name}`);
    return [];
  });
}

/** Sends the operation as a client would: multipart when it carries a file. */
async function send(field: GraphQLField<unknown, unknown>, query: string, variables: Record<string, unknown>, token?: string) {
  const paths = uploadPaths(field);
  if (paths.length === 0) return gql(server, query, variables, { token });
  const form = new FormData();
  form.append('operations', JSON.stringify({ query, variables }));
  form.append('map', JSON.stringify(Object.fromEntries(paths.map((p, i) => [String(i), [`variables.${p}`]]))));
  paths.forEach((_, i) => {
    form.append(String(i), new Blob(['probe\n'], { type: 'text/plain' }), 'probe.txt');
  });
  const response = await fetch(server.graphqlUrl, {
    method: 'POST',
    headers: { 'apollo-require-preflight': 'true', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: form,
  });
  return (await response.json()) as { errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

const codeOf = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] | undefined }) => result.errors?.[0]?.extensions?.['code'] ?? 'OK';

describe('authorization matrix', () => {
  it('names every operation of schema.graphql', () => {
    const missing = rootFields.map(({ field }) => field.name).filter((name) => !(name in MATRIX));
    expect(missing, `add these to MATRIX in ${path.relative(root, fileURLToPath(import.meta.url))}`).toEqual([]);
    const stale = Object.keys(MATRIX).filter((name) => !rootFields.some(({ field }) => field.name === name));
    expect(stale, 'remove these from MATRIX: they are not in the schema').toEqual([]);
  });

  const httpFields = rootFields.filter(({ typeName }) => typeName !== 'Subscription');

  it.each(httpFields.map(({ typeName, field }) => [field.name, typeName, field] as const))(
    '%s: signed out, as a stranger, as a plain member',
    async (name, typeName, field) => {
      const rule = MATRIX[name]!;
      const { query, variables } = operationFor(typeName, field);
      const signedOutResult = await send(field, query, variables);
      const signedOut = codeOf(signedOutResult);
      // A public operation may refuse bad credentials (UNAUTHENTICATED) but never for want of signing in.
      if (rule.access === 'public') expect(signedOutResult.errors?.[0]?.message ?? '', 'signed out').not.toMatch(/Sign in/);
      else expect(signedOut, 'signed out').toBe('UNAUTHENTICATED');

      const asStranger = codeOf(await send(field, query, variables, stranger.accessToken));
      if (rule.access === 'chat') expect(asStranger, 'stranger').toBe('NOT_FOUND');
      if (rule.access === 'admin') expect(asStranger, 'plain user').toBe('FORBIDDEN');
      if (rule.access === 'self') expect(['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND'], 'self').not.toContain(asStranger);

      if (rule.access === 'chat' && rule.member === 'FORBIDDEN') {
        expect(codeOf(await send(field, query, variables, member.accessToken)), 'plain member').toBe('FORBIDDEN');
      }
    },
  );

  it('left the victims untouched', async () => {
    const chat = await server.database.prisma.chat.findUniqueOrThrow({ where: { id: ids.chat }, include: { members: true } });
    expect(chat.title).toBe('Private group');
    expect(chat.members.map((m) => m.userId).sort()).toEqual([owner.user.id, member.user.id].sort());
    expect(await server.database.prisma.message.count({ where: { chatId: ids.chat, senderId: stranger.user.id } })).toBe(0);
    expect((await server.database.prisma.user.findUniqueOrThrow({ where: { id: owner.user.id } })).active).toBe(true);
    expect(await server.database.prisma.notification.count({ where: { id: ids.notification } })).toBe(1);
    expect(await server.database.prisma.file.count({ where: { id: ids.file } })).toBe(1);
    expect(await server.database.prisma.chatInvite.findUniqueOrThrow({ where: { code: ids.code } })).toMatchObject({ revokedAt: null, uses: 0 });
    expect(await server.database.prisma.chatInvite.count({ where: { chatId: ids.chat } })).toBe(1);
    expect(await server.database.prisma.chatJoinRequest.count({ where: { id: ids.request } })).toBe(1);
    expect(await server.database.prisma.session.findUniqueOrThrow({ where: { id: ids.session } })).toMatchObject({ revokedAt: null });
    expect((await server.database.prisma.user.findUniqueOrThrow({ where: { id: stranger.user.id } })).mustChangePassword).toBe(false);
    expect(await server.database.prisma.device.findUniqueOrThrow({ where: { id: ids.device } })).toMatchObject({ userId: member.user.id });
  });

  const subscriptionFields = rootFields.filter(({ typeName }) => typeName === 'Subscription');

  it.each(subscriptionFields.map(({ typeName, field }) => [field.name, typeName, field] as const))(
    'subscription %s as a stranger',
    async (name, typeName, field) => {
      const rule = MATRIX[name]!;
      const pubsub = server.pubsub as InProcessPubSub;
      const before = pubsub.subscriptionCount;
      const client = wsClient(server, stranger.accessToken);
      try {
        const { query, variables } = operationFor(typeName, field);
        const errors: unknown[] = [];
        let ended = false;
        const stop = client.subscribe(
          { query, variables },
          {
            // A refused subscription answers with one result carrying the error, then completes.
            next: (result) => {
              if (result.errors) errors.push(...result.errors);
            },
            error: (error) => {
              errors.push(error);
              ended = true;
            },
            complete: () => void (ended = true),
          },
        );
        // Refused (it ended) or admitted (the server now listens for its events): either way the server has decided.
        await expect.poll(() => ended || pubsub.subscriptionCount > before, { timeout: 5000, interval: 10 }).toBe(true);
        stop();
        if (rule.access === 'chat') expect(JSON.stringify(errors)).toMatch(/NOT_FOUND/);
        else expect({ ended, errors }).toEqual({ ended: false, errors: [] });
      } finally {
        await client.dispose();
        // Gone on the server too, so the next case counts from the same baseline.
        await expect.poll(() => pubsub.subscriptionCount, { timeout: 5000, interval: 10 }).toBe(before);
      }
    },
  );
});

/** Sends one operation over an open graphql-ws client; resolves with the error codes (empty when it ran). */
function codesOverSocket(client: ReturnType<typeof createClient>, query: string, variables: Record<string, unknown>): Promise<unknown[]> {
  return new Promise((resolve) => {
    const codes: unknown[] = [];
    client.subscribe(
      { query, variables },
      {
        next: (result) => codes.push(...(result.errors ?? []).map((e) => e.extensions?.['code'])),
        error: (error) =>
          resolve([
            ...codes,
            ...(Array.isArray(error) ? error.map((e: { extensions?: Record<string, unknown> }) => e.extensions?.['code']) : ['SOCKET_ERROR']),
          ]),
        complete: () => resolve(codes),
      },
    );
  });
}

describe('authorization matrix over graphql-ws', () => {
  it('every admin operation on a socket opened as an admin is FORBIDDEN once the role is gone', async () => {
    const demoted = await createUser(server);
    await server.database.prisma.user.update({ where: { id: demoted.user.id }, data: { role: 'ADMIN' } });
    const client = createClient({
      url: server.wsUrl,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${demoted.accessToken}` },
    });
    try {
      expect(await codesOverSocket(client, '{ adminStats { usersTotal } }', {})).toEqual([]);
      // Behind the server's back: no event tells the socket, the next operation must see it anyway.
      await server.database.prisma.user.update({ where: { id: demoted.user.id }, data: { role: 'USER' } });
      const adminFields = rootFields.filter(({ typeName, field }) => typeName !== 'Subscription' && MATRIX[field.name]?.access === 'admin');
      expect(adminFields.length).toBeGreaterThan(5);
      for (const { typeName, field } of adminFields) {
        const { query, variables } = operationFor(typeName, field);
        expect(await codesOverSocket(client, query, variables), field.name).toEqual(['FORBIDDEN']);
      }
    } finally {
      await client.dispose();
    }
  });

  it('every Chat field reached through a message is refused to a former member', async () => {
    const former = await createUser(server);
    const chatId = expectNoErrors(
      await gql(server, CreateGroupChatDocument, { input: { title: 'Former', memberIds: [former.user.id] } }, { token: owner.accessToken }),
    ).createGroupChat.id;
    expectNoErrors(await gql(server, SendMessageDocument, { input: { chatId, text: 'mine', clientId: 'former-1' } }, { token: former.accessToken }));
    expectNoErrors(
      await gql(
        server,
        'mutation ($c: ID!, $u: ID!) { removeGroupMember(chatId: $c, userId: $u) { id } }',
        { c: chatId, u: former.user.id },
        { token: owner.accessToken },
      ),
    );
    const chatType = schema.getType('Chat') as { getFields(): Record<string, GraphQLField<unknown, unknown>> };
    const fields = Object.values(chatType.getFields());
    expect(fields.length).toBeGreaterThan(5);
    const client = createClient({
      url: server.wsUrl,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${former.accessToken}` },
    });
    try {
      for (const field of fields) {
        const selection = `${field.name}${isLeafType(getNamedType(field.type)) ? '' : ' { __typename }'}`;
        const query = `mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id chat { ${selection} } } }`;
        const variables = { input: { chatId, text: 'again', clientId: 'former-1' } };
        const overHttp = await gql(server, query, variables, { token: former.accessToken });
        expect(codeOf(overHttp), `HTTP chat.${field.name}`).toBe('NOT_FOUND');
        expect(overHttp.data ?? null, `HTTP chat.${field.name}`).toBeNull();
        expect(await codesOverSocket(client, query, variables), `WS chat.${field.name}`).toEqual(['NOT_FOUND']);
      }
    } finally {
      await client.dispose();
    }
  });
});
