import type { Sql } from '../../db/sql.js';
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import { notFound } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { newestFirst, type Connection } from '../../lib/relay.js';
import { isUuid } from '../../lib/text.js';
import type { Viewer } from '../../lib/viewer.js';
import type { PubSub } from '../../realtime/pubsub.js';
import type {
  ChatEventListener,
  GroupRenamed,
  Logged,
  LoggedMessage,
  MemberLeft,
  MembersJoined,
  MembersMentioned,
  MessagesExpired,
  ReactionSet,
} from '../chats/index.js';
import { NOTIFICATION_SELECT, NOTIFICATION_TYPES, NotificationType, isNotificationType, type NotificationRecord } from './notification.types.js';
import type { DevicesService, PushNotice } from '../devices/index.js';
import { type NotificationPayload, NotificationTopic } from './notification.topics.js';

const PREVIEW_LENGTH = 100;
const RETENTION_DAYS = 30;
const KIND_LABELS: Record<string, string> = { IMAGE: 'Photo', VIDEO: 'Video', AUDIO: 'Audio', DOCUMENT: 'Document' };
/** Every read is limited to rows whose type the API can represent (see NOTIFICATION_TYPES). */
const KNOWN_TYPES = { type: { in: [...NOTIFICATION_TYPES] } };

/** Options for {@link NotificationsService}. */
export interface NotificationsOptions {
  /** Which users are connected right now: they get `newMessage` instead of a stored notification. */
  online(userIds: readonly string[]): Promise<Set<string>>;
}

/**
 * Stored notifications for what a user missed, delivered live over the
 * `notification` subscription, and pushed to their devices (modules/devices
 * decides which devices and how; this module, what to say and to whom).
 */
export class NotificationsService implements ChatEventListener {
  constructor(
    private readonly prisma: PrismaClient,
    /** Who may be told of a message: a statement every send runs (src/db/sql.ts). */
    private readonly sql: Sql,
    private readonly pubsub: PubSub,
    private readonly devices: Pick<DevicesService, 'push' | 'registerWebPush' | 'unregisterWebPush'>,
    private readonly logger: Logger,
    private readonly options: NotificationsOptions,
  ) {}

  // --- reacting to chats -------------------------------------------------

  /**
   * NEW_MESSAGE: stored for recipients with no open socket, coalesced per
   * chat; pushed to each device whose own session has no open socket.
   */
  messageAppended({ message, memberIds }: Logged): void {
    // A SYSTEM message ("Alice added Bob") never notifies by itself: what it announces does, through the
    // membership events (ADDED_TO_GROUP, REMOVED_FROM_GROUP, GROUP_RENAMED), and it is not unread either.
    if (message.kind === 'SYSTEM' || message.senderId === null) return;
    const senderId = message.senderId;
    const recipients = memberIds.filter((id) => id !== senderId);
    if (recipients.length === 0) return;
    this.#run('NEW_MESSAGE', async () => {
      const online = await this.options.online(recipients);
      const offline = recipients.filter((id) => !online.has(id));
      // Only members whose settings let this chat notify them of every message (not muted, level ALL),
      // who have not blocked the sender, and who are offline or have a device that may be: one statement,
      // and nothing more when everyone is online with no device.
      const allowed = await this.sql.query<{ userId: string; offline: boolean }>(
        WHO_MAY_BE_TOLD,
        [offline, message.chatId, recipients, senderId],
        'payamak_who_may_be_told',
      );
      if (allowed.length === 0) return;
      const [context] = await this.prisma.$queryRaw<{ sender: string; kind: string; title: string | null }[]>`
        SELECT u."displayName" AS "sender", c."kind"::text AS "kind", c."title" FROM "User" u, "Chat" c
        WHERE u."id" = ${senderId}::uuid AND c."id" = ${message.chatId}::uuid`;
      if (!context) return;
      const preview = previewOf(message.kind, message.text);
      const isGroup = context.kind === 'GROUP';
      const title = isGroup ? (context.title ?? 'Group') : context.sender;
      const body = truncate(isGroup ? `${context.sender}: ${preview}` : preview, PREVIEW_LENGTH);
      const ids = { chatId: message.chatId, messageId: message.id, seq: message.seq };
      this.devices.push.notify(
        allowed.map((row) => row.userId),
        { type: NotificationType.NEW_MESSAGE, title, body, data: ids, collapseKey: message.chatId, urgency: 'high', ttlSeconds: 24 * 3600 },
        { onlyOffline: true, coalesce: true },
      );
      const stored = allowed.filter((row) => row.offline).map((row) => row.userId);
      if (stored.length === 0) return;
      // One statement for every offline member: insert, or fold into their unread one for this chat.
      const rows = await this.prisma.$queryRaw<(NotificationRecord & { userId: string })[]>`
        INSERT INTO "Notification" ("id", "userId", "type", "title", "body", "data", "coalesceKey")
        SELECT gen_random_uuid(), uid, ${NotificationType.NEW_MESSAGE}, ${title}, ${body}, ${JSON.stringify(ids)}, ${`NEW_MESSAGE:${message.chatId}`}
        FROM unnest(${stored}::uuid[]) AS uid
        ON CONFLICT ("userId", "coalesceKey") DO UPDATE
          SET "count" = "Notification"."count" + 1, "title" = EXCLUDED."title", "body" = EXCLUDED."body",
              "data" = EXCLUDED."data", "updatedAt" = now()
        RETURNING "id", "userId"::text AS "userId", "type", "title", "body", "data", "count", "read", "createdAt", "updatedAt"`;
      for (const row of rows) this.pubsub.publish(NotificationTopic.Notification, row.userId, toPayload(row));
    });
  }

  /**
   * MENTION for each member a message mentions, online or not: unlike
   * NEW_MESSAGE, a mention asks for this person's attention even while they
   * are in another chat. One row per message, never coalesced.
   */
  membersMentioned(event: MembersMentioned): void {
    this.#run('MENTION', async () => {
      const [context] = await this.prisma.$queryRaw<{ sender: string; kind: string; title: string | null }[]>`
        SELECT u."displayName" AS "sender", c."kind"::text AS "kind", c."title" FROM "User" u, "Chat" c
        WHERE u."id" = ${event.senderId}::uuid AND c."id" = ${event.chatId}::uuid`;
      if (!context) return;
      const title = context.kind === 'GROUP' ? (context.title ?? 'Group') : context.sender;
      // Truncated here: #create pushes the body as given, and a message may be 65,536 characters.
      const body = truncate(event.text ? `${context.sender} mentioned you: ${event.text}` : `${context.sender} mentioned you`, PREVIEW_LENGTH);
      // A muted chat still tells of a mention when its level is MENTIONS; NONE tells of nothing.
      const allowed = await this.prisma.$queryRaw<{ userId: string }[]>`
        SELECT cm."userId"::text AS "userId" FROM "ChatMember" cm
        WHERE cm."chatId" = ${event.chatId}::uuid AND cm."userId" = ANY(${event.userIds}::uuid[])
          AND cm."notifyLevel" <> 'NONE' AND (cm."notifyLevel" = 'MENTIONS' OR ${NOTIFIES_ALL})`;
      if (allowed.length === 0) return;
      const data = { chatId: event.chatId, messageId: event.messageId, seq: event.seq };
      await this.#create(
        allowed.map((row) => row.userId),
        NotificationType.MENTION,
        title,
        body,
        data,
      );
    });
  }

  /**
   * REACTION for an author with no open socket, coalesced per message: while
   * one is unread, later reactions update it (count, body) instead of adding
   * rows. Pushed to each of the author's devices whose session has no socket.
   */
  reactionSet(event: ReactionSet): void {
    const author = event.messageSenderId;
    if (author === event.userId) return;
    this.#run('REACTION', async () => {
      const offline = !(await this.options.online([author])).has(author);
      // Nothing for an author who left the chat or deleted the message (for everyone, or for themself) since,
      // nor for one who is online with no device to push to (one statement, then nothing).
      const [context] = await this.prisma.$queryRaw<{ reactor: string; chatKind: string; title: string | null; kind: string; text: string | null }[]>`
        SELECT u."displayName" AS "reactor", c."kind"::text AS "chatKind", c."title", m."kind"::text AS "kind", m."text"
        FROM "Message" m JOIN "Chat" c ON c."id" = m."chatId" JOIN "User" u ON u."id" = ${event.userId}::uuid
        WHERE m."id" = ${event.messageId}::uuid AND m."deletedAt" IS NULL
          AND EXISTS (SELECT 1 FROM "ChatMember" cm WHERE cm."chatId" = m."chatId" AND cm."userId" = ${author}::uuid AND ${NOTIFIES_ALL})
          AND NOT EXISTS (SELECT 1 FROM "MessageHidden" h WHERE h."messageId" = m."id" AND h."userId" = ${author}::uuid)
          AND NOT EXISTS (SELECT 1 FROM "UserBlock" b WHERE b."blockerId" = ${author}::uuid AND b."blockedId" = ${event.userId}::uuid)
          AND (${offline}::boolean OR EXISTS (SELECT 1 FROM "Device" d WHERE d."userId" = ${author}::uuid))`;
      if (!context) return;
      const title = truncate(context.chatKind === 'GROUP' ? (context.title ?? 'Group') : context.reactor, 200);
      const body = truncate(`${context.reactor} reacted ${event.emoji} to: ${previewOf(context.kind, context.text)}`, PREVIEW_LENGTH);
      const data = { chatId: event.chatId, messageId: event.messageId };
      // The collapse key lets a later push for the same message replace one still shown or undelivered.
      this.devices.push.notify(
        [author],
        { type: NotificationType.REACTION, title, body, data, collapseKey: event.messageId, urgency: 'normal', ttlSeconds: 24 * 3600 },
        { onlyOffline: true },
      );
      if (!offline) return;
      const [row] = await this.prisma.$queryRaw<NotificationRecord[]>`
        INSERT INTO "Notification" ("id", "userId", "type", "title", "body", "data", "coalesceKey")
        VALUES (gen_random_uuid(), ${author}::uuid, ${NotificationType.REACTION}, ${title}, ${body}, ${JSON.stringify(data)}, ${`REACTION:${event.messageId}`})
        ON CONFLICT ("userId", "coalesceKey") DO UPDATE
          SET "count" = "Notification"."count" + 1, "title" = EXCLUDED."title", "body" = EXCLUDED."body", "updatedAt" = now()
        RETURNING "id", "type", "title", "body", "data", "count", "read", "createdAt", "updatedAt"`;
      if (row) this.pubsub.publish(NotificationTopic.Notification, author, toPayload(row));
    });
  }

  /** An edit of the message an unread NEW_MESSAGE shows: the notification shows the new text. */
  messageEdited(message: LoggedMessage): void {
    this.#run('NEW_MESSAGE', () => this.#refreshPreview(message));
  }

  /** A deletion for everyone of the message an unread NEW_MESSAGE shows: it shows the deletion, not the text. */
  messageDeleted(message: LoggedMessage): void {
    this.#run('NEW_MESSAGE', () => this.#refreshPreview(message));
  }

  /**
   * Disappearing messages that expired: the notifications pointing at them
   * (NEW_MESSAGE showing one, MENTION, REACTION) are removed, not rewritten,
   * so nothing of theirs outlives them. Those are held by the chat's members
   * and former members, whose (userId, …) indexes find them.
   */
  messagesExpired(event: MessagesExpired): void {
    this.#run('messagesExpired', async () => {
      await this.prisma.$executeRaw`
        DELETE FROM "Notification" n
        WHERE n."userId" IN (SELECT cm."userId" FROM "ChatMember" cm WHERE cm."chatId" = ${event.chatId}::uuid
                             UNION SELECT p."userId" FROM "ChatMembershipPeriod" p WHERE p."chatId" = ${event.chatId}::uuid)
          AND n."type" IN (${NotificationType.NEW_MESSAGE}, ${NotificationType.MENTION}, ${NotificationType.REACTION})
          AND (n."data"::jsonb ->> 'messageId') = ANY(${event.messageIds}::text[])`;
    });
  }

  async #refreshPreview(message: LoggedMessage): Promise<void> {
    if (message.senderId === null) return;
    const [context] = await this.prisma.$queryRaw<{ sender: string; kind: string }[]>`
      SELECT u."displayName" AS "sender", c."kind"::text AS "kind" FROM "User" u, "Chat" c
      WHERE u."id" = ${message.senderId}::uuid AND c."id" = ${message.chatId}::uuid`;
    if (!context) return;
    const preview = message.text === null && message.kind !== 'SYSTEM' ? 'This message was deleted' : previewOf(message.kind, message.text);
    const body = truncate(context.kind === 'GROUP' ? `${context.sender}: ${preview}` : preview, PREVIEW_LENGTH);
    // Only where that message is still the preview; the members' (userId, coalesceKey) index finds the rows.
    const rows = await this.prisma.$queryRaw<(NotificationRecord & { userId: string })[]>`
      UPDATE "Notification" n SET "body" = ${body}, "updatedAt" = now()
      WHERE n."userId" IN (SELECT cm."userId" FROM "ChatMember" cm WHERE cm."chatId" = ${message.chatId}::uuid)
        AND n."coalesceKey" = ${`NEW_MESSAGE:${message.chatId}`} AND NOT n."read"
        AND (n."data"::jsonb ->> 'messageId') = ${message.id}
      RETURNING n."id", n."userId"::text AS "userId", n."type", n."title", n."body", n."data", n."count", n."read", n."createdAt", n."updatedAt"`;
    for (const row of rows) this.pubsub.publish(NotificationTopic.Notification, row.userId, toPayload(row));
  }

  membersJoined(event: MembersJoined): void {
    // Someone who joined by themself (an invite link, an accepted invitation, an approved request) needs no "added you".
    const added = event.userIds.filter((id) => id !== event.actorId);
    if (added.length === 0) return;
    this.#run('ADDED_TO_GROUP', async () => {
      const actor = await this.#displayName(event.actorId);
      await this.#create(added, NotificationType.ADDED_TO_GROUP, event.title, `${actor} added you`, { chatId: event.chatId });
    });
  }

  memberLeft(event: MemberLeft): void {
    if (event.actorId === null) return; // leaving by yourself needs no notice
    const actorId = event.actorId;
    this.#run('REMOVED_FROM_GROUP', async () => {
      const actor = await this.#displayName(actorId);
      await this.#create([event.userId], NotificationType.REMOVED_FROM_GROUP, event.title, `${actor} removed you`, { chatId: event.chatId });
    });
  }

  groupRenamed(event: GroupRenamed): void {
    const others = event.memberIds.filter((id) => id !== event.actorId);
    this.#run('GROUP_RENAMED', async () => {
      const actor = await this.#displayName(event.actorId);
      await this.#create(others, NotificationType.GROUP_RENAMED, event.title, `${actor} renamed the group to "${event.title}"`, { chatId: event.chatId });
    });
  }

  /** Reading a chat reads its NEW_MESSAGE notification, and clears its pushes on the user's other devices. */
  chatRead({ chatId, userId, sessionId }: { chatId: string; userId: string; sessionId?: string }): void {
    this.chatsRead({ chatIds: [chatId], userId, ...(sessionId ? { sessionId } : {}) });
  }

  /** markAllChatsRead: their NEW_MESSAGE notifications, in one statement (the (userId, coalesceKey) index). */
  chatsRead({ chatIds, userId, sessionId }: { chatIds: string[]; userId: string; sessionId?: string }): void {
    this.devices.push.cleared(userId, chatIds, sessionId);
    this.#run('chatRead', async () => {
      await this.prisma.notification.updateMany({
        where: { userId, coalesceKey: { in: chatIds.map((chatId) => `NEW_MESSAGE:${chatId}`) } },
        data: { read: true, coalesceKey: null },
      });
    });
  }

  /**
   * A notification another feature decides on (modules/invites: JOIN_REQUEST,
   * JOIN_APPROVED, JOIN_DECLINED, GROUP_INVITATION), stored for each user,
   * published live and pushed like the others. Never fails the caller.
   */
  notify(userIds: readonly string[], type: NotificationType, content: { title: string; body: string; data: object }): void {
    if (userIds.length === 0) return;
    this.#run(type, () => this.#create([...userIds], type, content.title, content.body, content.data));
  }

  // --- the API ------------------------------------------------------------

  async list(viewer: Viewer, args: { unreadOnly?: boolean | null; first?: number | null; after?: string | null }): Promise<Connection<NotificationRecord>> {
    const page = newestFirst('notification', 'updatedAt', args);
    const where = { userId: viewer.id, ...KNOWN_TYPES, ...(args.unreadOnly ? { read: false } : {}) };
    const [rows, totalCount] = await Promise.all([
      this.prisma.notification.findMany({ where: { ...where, ...page.where }, orderBy: page.orderBy, take: page.take, select: NOTIFICATION_SELECT }),
      this.prisma.notification.count({ where }),
    ]);
    return page.connection(rows, totalCount);
  }

  unreadCount(viewer: Viewer): Promise<number> {
    return this.prisma.notification.count({ where: { userId: viewer.id, read: false, ...KNOWN_TYPES } });
  }

  async markRead(viewer: Viewer, id: string): Promise<NotificationRecord> {
    const owned = await this.#own(viewer, id);
    if (owned.read) return owned;
    return this.prisma.notification.update({ where: { id }, data: { read: true, coalesceKey: null }, select: NOTIFICATION_SELECT });
  }

  async markAllRead(viewer: Viewer): Promise<number> {
    const { count } = await this.prisma.notification.updateMany({
      where: { userId: viewer.id, read: false, ...KNOWN_TYPES },
      data: { read: true, coalesceKey: null },
    });
    return count;
  }

  async delete(viewer: Viewer, id: string): Promise<boolean> {
    await this.#own(viewer, id);
    await this.prisma.notification.deleteMany({ where: { id, userId: viewer.id } });
    return true;
  }

  /** Mine as they are stored or change; one of a type the API cannot represent is skipped, like in lists. */
  subscribe(viewer: Viewer): AsyncIterableIterator<NotificationPayload> {
    const source = this.pubsub.subscribe(NotificationTopic.Notification, viewer.id);
    return {
      async next() {
        for (;;) {
          const result = await source.next();
          if (result.done || isNotificationType(result.value.type)) return result;
        }
      },
      return: () => source.return!(),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  /** registerPushSubscription: a WEB_PUSH device of the viewer's current session (modules/devices). */
  registerPush(viewer: Viewer, input: { endpoint: string; p256dh: string; auth: string }): Promise<boolean> {
    return this.devices.registerWebPush(viewer, input);
  }

  unregisterPush(viewer: Viewer, endpoint: string): Promise<boolean> {
    return this.devices.unregisterWebPush(viewer, endpoint);
  }

  /** Deletes read notifications older than 30 days; returns how many. */
  async purge(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - RETENTION_DAYS * 24 * 3600 * 1000);
    const { count } = await this.prisma.notification.deleteMany({ where: { read: true, updatedAt: { lt: cutoff } } });
    if (count > 0) this.logger.info({ count }, 'purged old notifications');
    return count;
  }

  // --- helpers -------------------------------------------------------------

  async #create(userIds: string[], type: NotificationType, title: string, body: string, data: object): Promise<void> {
    if (userIds.length === 0) return;
    const rows = await this.prisma.notification.createManyAndReturn({
      data: userIds.map((userId) => ({
        userId,
        type,
        title: truncate(title || 'Group', 200),
        body: truncate(body, PREVIEW_LENGTH),
        data: JSON.stringify(data),
      })),
      select: { ...NOTIFICATION_SELECT, userId: true },
    });
    for (const { userId, ...row } of rows) this.pubsub.publish(NotificationTopic.Notification, userId, toPayload(row));
    // Told to every device, open socket or not: each of these asks for the person's attention.
    const notice: PushNotice = { type, title, body, data: data as PushNotice['data'], urgency: 'normal', ttlSeconds: 7 * 24 * 3600 };
    this.devices.push.notify(userIds, notice, { onlyOffline: false });
  }

  async #own(viewer: Viewer, id: string): Promise<NotificationRecord> {
    const row = isUuid(id) ? await this.prisma.notification.findFirst({ where: { id, userId: viewer.id, ...KNOWN_TYPES }, select: NOTIFICATION_SELECT }) : null;
    if (!row) throw notFound('Notification');
    return row;
  }

  async #displayName(userId: string): Promise<string> {
    const user = await this.prisma.user.findUnique({ where: { id: userId }, select: { displayName: true } });
    return user?.displayName ?? 'Someone';
  }

  /** Notifications never hold up or fail the operation that caused them. */
  #run(what: string, work: () => Promise<void>): void {
    work().catch((error: unknown) => this.logger.error({ err: error, what }, 'could not create notification'));
  }
}

/** On a ChatMember row `cm`: the chat may notify this member of every message (not muted now, level ALL). */
const NOTIFIES_ALL_SQL = `cm."notifyLevel" = 'ALL' AND NOT (cm."muted" AND (cm."mutedUntil" IS NULL OR cm."mutedUntil" > now()))`;
const NOTIFIES_ALL = Prisma.raw(NOTIFIES_ALL_SQL);

/** Of a message's recipients ($3), who may be told of it, and who of them is offline ($1); it is in chat $2, from $4. */
const WHO_MAY_BE_TOLD = `
  SELECT cm."userId"::text AS "userId", cm."userId" = ANY($1::uuid[]) AS "offline" FROM "ChatMember" cm
  WHERE cm."chatId" = $2::uuid AND cm."userId" = ANY($3::uuid[]) AND ${NOTIFIES_ALL_SQL}
    AND NOT EXISTS (SELECT 1 FROM "UserBlock" b WHERE b."blockerId" = cm."userId" AND b."blockedId" = $4::uuid)
    AND (cm."userId" = ANY($1::uuid[]) OR EXISTS (SELECT 1 FROM "Device" d WHERE d."userId" = cm."userId"))`;

function previewOf(kind: string, text: string | null): string {
  const label = KIND_LABELS[kind];
  if (!label) return text ?? '';
  return text ? `${label}: ${text}` : label;
}

function truncate(text: string, max: number): string {
  const chars = [...text.replace(/\s+/g, ' ')];
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('')}…`;
}

function toPayload(row: NotificationRecord): NotificationPayload {
  return {
    id: row.id,
    type: row.type,
    title: row.title,
    body: row.body,
    data: row.data,
    count: row.count,
    read: row.read,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
