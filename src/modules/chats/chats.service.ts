import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import { AppError, badInput, forbidden, isUniqueViolation, notFound } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { Limiter } from '../../lib/rate-limits.js';
import { decodeTimeCursor, encodeTimeCursor, pageSize, toPage } from '../../lib/pagination.js';
import { toConnection, type Connection } from '../../lib/relay.js';
import { optionalSearchQuery } from '../../lib/search-text.js';
import { isUuid } from '../../lib/text.js';
import type { Viewer } from '../../lib/viewer.js';
import type { PubSub } from '../../realtime/pubsub.js';
import { chatChanges, type ChatChangesResult } from './chat-changes.js';
import type { ChatEvents } from './chat-events.js';
import { CANNOT_ADD, CANNOT_MESSAGE, type ChatBlocksPort } from './chat-blocks.port.js';
import type { ChatInvitationsPort } from './chat-invitations.port.js';
import type { ChatLogPort, Tx } from './chat-log.port.js';
import { CHAT_COLUMNS, CHAT_SELECT, type ChatRecord, type MemberRecord, type PeriodRecord } from './chat.types.js';

type MemberRead = Pick<MemberRecord, 'historyFromSeq' | 'clearedSeq' | 'deletedSeq'>;
type PeriodRead = Pick<PeriodRecord, 'fromSeq' | 'toSeq' | 'clearedSeq'>;
import { DEFAULT_MAX_GROUP_MEMBERS, cleanTitle, type CreateGroupChatInput } from './chats.inputs.js';
import type { ChatFilter } from './chat-settings.inputs.js';
import { memberKey, type ChatLoaders } from './chats.loaders.js';
import { deletedFor, rangesRead, requireGroupAdmin, requireMembership, requireReader, type ReadableChat } from './chats.policy.js';
import { ChatTopic } from './chat.topics.js';
import { UNREAD_COUNT_SQL } from './chat-unread.js';

interface ListedChat extends ChatRecord {
  leftAt: Date | null;
  clearedSeq: number;
  unreadCount: number;
  toSeq: number | null;
  toRev: number | null;
  activeAt: Date;
  pinnedAt: Date | null;
}

/** Options for {@link ChatsService}. */
export interface ChatsServiceOptions {
  /** How long a `typing: true` lasts without a refresh, in ms; default 6,000. */
  typingTtlMs?: number;
  /** RATE_LIMIT_GROUP_ADDS: strangers one user may put into groups; default no limit. */
  groupAdds?: Limiter;
  /** Blocks (modules/blocking): refused private chats and group adds. */
  blocks?: ChatBlocksPort;
  /** Invitations (modules/invites): people whose groupAdds privacy refuses the adder are invited instead. */
  invitations?: ChatInvitationsPort;
  /** MAX_GROUP_MEMBERS: members of one group, the creator included; default 1,024 (WhatsApp's figure). */
  maxGroupMembers?: number;
}

/** A way into a group, for {@link ChatsService.admit}. */
export interface Admission {
  userIds: readonly string[];
  /** Whose act it is: the admin who added them, or the user who joined (membersJoined's actorId). */
  actorId: string;
  /** Who has seen the SYSTEM message already: the admin who added, or the joiner. */
  readBy: string;
  /** Refuse (NOT_FOUND, nothing written) unless this user is a member when the chat's lock is held: the admin who adds. */
  requireMember?: string;
  /** The argument a refusal for the member cap names. */
  field: string;
  /** The SYSTEM message, from the display names of those who join. */
  text: (names: string[]) => string;
  /**
   * Runs under the chat's lock, with whoever is about to join (none: they
   * are all in already), before they are added: e.g. counting a use of an
   * invite link. Throwing undoes everything.
   */
  underLock?: (tx: Tx, joining: readonly string[]) => Promise<void>;
}

/** What a group at its cap answers to one more member. */
export const groupFull = (max: number, field?: string) => badInput(`A group has at most ${max} members`, field);

export class ChatsService {
  readonly #typingTimers = new Map<string, NodeJS.Timeout>();
  readonly #typingTtlMs: number;
  readonly #groupAdds: Limiter | undefined;
  readonly #blocks: ChatBlocksPort | undefined;
  readonly #invitations: ChatInvitationsPort | undefined;
  /** MAX_GROUP_MEMBERS (see {@link ChatsServiceOptions.maxGroupMembers}). */
  readonly maxGroupMembers: number;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly log: ChatLogPort,
    private readonly pubsub: PubSub,
    private readonly events: ChatEvents,
    private readonly logger: Logger,
    options: ChatsServiceOptions = {},
  ) {
    this.#typingTtlMs = options.typingTtlMs ?? 6000;
    this.#groupAdds = options.groupAdds;
    this.#blocks = options.blocks;
    this.#invitations = options.invitations;
    this.maxGroupMembers = options.maxGroupMembers ?? DEFAULT_MAX_GROUP_MEMBERS;
  }

  /**
   * The member cap, for every way into a group (adding, and joining by an
   * invite link): refuses (BAD_USER_INPUT) when the group's members and
   * `adding` more would pass MAX_GROUP_MEMBERS. Call it in the transaction
   * that adds them, holding the chat row's lock, so that two additions at
   * once cannot each see room for theirs; after inserting, with `adding` 0.
   */
  async requireRoom(tx: Tx, chatId: string, adding: number, field?: string): Promise<void> {
    if ((await tx.chatMember.count({ where: { chatId } })) + adding > this.maxGroupMembers) throw groupFull(this.maxGroupMembers, field);
  }

  /**
   * The viewer's chats, newest activity first: the chats they are in, and the
   * ones they left or were removed from, as they stood then (dated by the
   * leaving, so later activity neither reorders nor shows through).
   */
  async list(
    viewer: Viewer,
    args: { first?: number | null; after?: string | null; filter?: ChatFilter | null; search?: string | null },
  ): Promise<Connection<ChatRecord>> {
    const size = pageSize(args.first);
    const filter = args.filter ?? {};
    const search = optionalSearchQuery(args.search, 'search');
    // Pinned chats come in pin order (most recently pinned first), the rest by activity; the cursor says which.
    const byPin = filter.pinned === true;
    const cursorKind = byPin ? 'pinnedChat' : 'chat';
    const position = decodeTimeCursor(cursorKind, args.after);
    const sortKey = byPin ? Prisma.sql`mine."pinnedAt"` : Prisma.sql`mine."activeAt"`;
    const conditions = [
      // Without a filter, the main list: what I have not archived (a new message does not bring a chat back).
      Prisma.sql`mine."archived" = ${filter.archived ?? false}`,
      ...(filter.unread === null || filter.unread === undefined ? [] : [Prisma.sql`(mine."unreadCount" > 0) = ${filter.unread}`]),
      ...(filter.kind ? [Prisma.sql`c."kind" = ${filter.kind}::"ChatKind"`] : []),
      ...(filter.pinned === null || filter.pinned === undefined
        ? []
        : [filter.pinned ? Prisma.sql`mine."pinnedAt" IS NOT NULL` : Prisma.sql`mine."pinnedAt" IS NULL`]),
      ...(search ? [chatNameMatches(viewer, search.text)] : []),
    ];
    const where = Prisma.join(conditions, ' AND ');
    const after = position ? Prisma.sql`AND (${sortKey}, c."id") < (${position.at}, ${position.id}::uuid)` : Prisma.empty;
    // Chats I deleted (deleteChat) are left out: a private one until a message comes after the deletion.
    const mine = Prisma.sql`
      SELECT m."chatId", NULL::timestamptz AS "leftAt", NULL::int AS "toSeq", NULL::int AS "toRev", c."updatedAt" AS "activeAt",
             m."archived", m."pinnedAt", ${UNREAD_COUNT_SQL} AS "unreadCount", m."clearedSeq"
      FROM "ChatMember" m JOIN "Chat" c ON c."id" = m."chatId"
      WHERE m."userId" = ${viewer.id}::uuid AND (m."deletedSeq" IS NULL OR c."lastSeq" > m."deletedSeq")
      UNION ALL
      (SELECT DISTINCT ON (p."chatId") p."chatId", p."leftAt", p."toSeq", p."toRev", p."leftAt", false, NULL::timestamptz, 0, p."clearedSeq"
       FROM "ChatMembershipPeriod" p
       WHERE p."userId" = ${viewer.id}::uuid AND p."deletedAt" IS NULL
         AND NOT EXISTS (SELECT 1 FROM "ChatMember" m WHERE m."chatId" = p."chatId" AND m."userId" = p."userId")
       ORDER BY p."chatId", p."leftAt" DESC)`;
    const [rows, counted] = await Promise.all([
      this.prisma.$queryRaw<ListedChat[]>`
        SELECT ${CHAT_COLUMNS}, mine."leftAt", mine."toSeq", mine."toRev", mine."activeAt", mine."pinnedAt", mine."unreadCount", mine."clearedSeq"
        FROM (${mine}) mine JOIN "Chat" c ON c."id" = mine."chatId"
        WHERE ${where} ${after}
        ORDER BY ${sortKey} DESC, c."id" DESC
        LIMIT ${size + 1}`,
      this.prisma.$queryRaw<{ count: number }[]>`
        SELECT count(*)::int AS "count" FROM (${mine}) mine JOIN "Chat" c ON c."id" = mine."chatId" WHERE ${where}`,
    ]);
    const listed = rows.map(({ leftAt, toSeq, toRev, activeAt, pinnedAt, ...chat }) => ({
      chat: leftAt === null ? { ...chat, leftAt } : { ...chat, lastSeq: toSeq ?? chat.lastSeq, rev: toRev ?? chat.rev, updatedAt: activeAt, leftAt },
      key: byPin && pinnedAt ? pinnedAt : activeAt,
    }));
    const connection = toConnection(
      toPage(listed, size, position !== undefined),
      ({ chat, key }) => encodeTimeCursor(cursorKind, key, chat.id),
      counted[0]?.count ?? 0,
    );
    return { ...connection, edges: connection.edges.map((edge) => ({ cursor: edge.cursor, node: edge.node.chat })) };
  }

  /**
   * Every chat the viewer may read and what they read of each, as
   * {@link requireReader} decides it (members and former members, their seq
   * ranges, chats they deleted left out), for reads across all their chats:
   * message search. One statement, however many chats.
   */
  async readable(viewer: Viewer): Promise<ReadableChat[]> {
    const rows = await this.prisma.$queryRaw<
      {
        chatId: string;
        lastSeq: number;
        createdAt: Date;
        historyFromSeq: number | null;
        clearedSeq: number;
        deletedSeq: number | null;
        fromSeq: number | null;
        toSeq: number | null;
      }[]
    >`
      SELECT m."chatId"::text AS "chatId", c."lastSeq", c."createdAt", m."historyFromSeq", m."clearedSeq", m."deletedSeq",
             NULL::int AS "fromSeq", NULL::int AS "toSeq"
      FROM "ChatMember" m JOIN "Chat" c ON c."id" = m."chatId"
      WHERE m."userId" = ${viewer.id}::uuid
      UNION ALL
      SELECT p."chatId"::text, c."lastSeq", c."createdAt", NULL, p."clearedSeq", NULL, p."fromSeq", p."toSeq"
      FROM "ChatMembershipPeriod" p JOIN "Chat" c ON c."id" = p."chatId"
      WHERE p."userId" = ${viewer.id}::uuid AND p."deletedAt" IS NULL`;
    const byChat = new Map<string, { lastSeq: number; createdAt: Date; member: MemberRead | null; periods: PeriodRead[] }>();
    for (const row of rows) {
      const entry = byChat.get(row.chatId) ?? { lastSeq: row.lastSeq, createdAt: row.createdAt, member: null, periods: [] };
      if (row.fromSeq === null || row.toSeq === null) {
        entry.member = { historyFromSeq: row.historyFromSeq ?? 0, clearedSeq: row.clearedSeq, deletedSeq: row.deletedSeq };
      } else {
        entry.periods.push({ fromSeq: row.fromSeq, toSeq: row.toSeq, clearedSeq: row.clearedSeq });
      }
      byChat.set(row.chatId, entry);
    }
    return [...byChat]
      .filter(([, { lastSeq, member }]) => !(member && deletedFor(member, { lastSeq })))
      .map(([chatId, { lastSeq, createdAt, member, periods }]) => ({ chatId, lastSeq, createdAt, ranges: rangesRead(member, periods) }));
  }

  /** The account feed (chat-changes.ts). */
  changes(viewer: Viewer, since: string | null | undefined, first: number | null | undefined): Promise<ChatChangesResult> {
    return chatChanges(this.prisma, viewer, since, first);
  }

  /** A chat's members, oldest first; `first` (1 to the member cap) takes only that many. */
  async members(loaders: ChatLoaders, chatId: string, first: number | null | undefined): Promise<MemberRecord[]> {
    if (first !== null && first !== undefined && (!Number.isInteger(first) || first < 1 || first > this.maxGroupMembers)) {
      throw badInput(`first must be from 1 to ${this.maxGroupMembers}`, 'first');
    }
    const members = await loaders.membersByChat.load(chatId);
    return first ? members.slice(0, first) : members;
  }

  /** A chat as the viewer sees it: members see it as it is, former members as it was when they left. */
  async get(viewer: Viewer, loaders: ChatLoaders, chatId: string): Promise<ChatRecord> {
    return (await requireReader(loaders, viewer, chatId)).chat;
  }

  /** For a former member: when they left (or were removed); null while a member. */
  async leftAt(viewer: Viewer | null, loaders: ChatLoaders, chat: ChatRecord): Promise<Date | null> {
    if (chat.leftAt !== undefined) return chat.leftAt;
    if (!viewer) return null;
    const key = memberKey(chat.id, viewer.id);
    const [member, periods] = await Promise.all([loaders.memberOf.load(key), loaders.periodsOf.load(key)]);
    return member ? null : (periods.at(-1)?.leftAt ?? null);
  }

  /** The chat of the viewer and one other user: created once, the same one after that. */
  async createPrivate(viewer: Viewer, userId: string): Promise<ChatRecord> {
    if (userId === viewer.id) throw badInput('You cannot open a private chat with yourself', 'userId');
    const other = isUuid(userId) ? await this.prisma.user.findUnique({ where: { id: userId }, select: { active: true } }) : null;
    if (!other?.active) throw notFound('User');
    const pairKey = [viewer.id, userId].sort().join(':');
    const existing = await this.prisma.chat.findUnique({ where: { pairKey }, select: CHAT_SELECT });
    // A chat that exists stays readable across a block; a new one is not opened.
    if (existing) {
      // One I deleted (deleteChat) comes back, empty: opening it is asking for it.
      await this.prisma.$executeRaw`
        UPDATE "ChatMember" SET "deletedSeq" = NULL, "changeStamp" = pg_current_xact_id()::text::bigint
        WHERE "chatId" = ${existing.id}::uuid AND "userId" = ${viewer.id}::uuid AND "deletedSeq" IS NOT NULL`;
      return existing;
    }
    if (await this.#blocks?.between(viewer.id, userId)) throw forbidden(CANNOT_MESSAGE);
    try {
      return await this.prisma.chat.create({
        data: { kind: 'PRIVATE', pairKey, members: { create: [{ userId: viewer.id }, { userId }] } },
        select: CHAT_SELECT,
      });
    } catch (error) {
      // Both people opened the chat at once: the unique pair key let one create it.
      if (isUniqueViolation(error)) return this.prisma.chat.findUniqueOrThrow({ where: { pairKey }, select: CHAT_SELECT });
      throw error;
    }
  }

  async createGroup(viewer: Viewer, input: CreateGroupChatInput): Promise<ChatRecord> {
    const title = cleanTitle(input.title);
    const memberIds = [...new Set(input.memberIds)].filter((id) => id !== viewer.id);
    if (memberIds.length + 1 < 2) throw badInput('A group needs at least one other member', 'memberIds');
    if (memberIds.length + 1 > this.maxGroupMembers) throw groupFull(this.maxGroupMembers, 'memberIds');
    const users = await this.activeUsers(memberIds);
    if (await this.#blocks?.anyBlocks(memberIds, viewer.id)) throw forbidden(CANNOT_ADD);
    await this.chargeStrangers(viewer, memberIds);
    // Those whose groupAdds privacy keeps the creator out are invited instead; the group may start with the creator alone.
    const invited = (await this.#invitations?.refusingAdds(viewer.id, memberIds)) ?? new Set<string>();
    const added = users.filter((user) => !invited.has(user.id));
    const addedIds = added.map((user) => user.id);
    const actor = await this.displayName(viewer.id);
    const chatId = await this.log.transaction(
      async (tx, append) => {
        const chat = await tx.chat.create({
          data: {
            kind: 'GROUP',
            title,
            members: { create: [{ userId: viewer.id, isAdmin: true }, ...addedIds.map((userId) => ({ userId }))] },
          },
          select: { id: true },
        });
        const created = `${actor} created the group "${title}"`;
        const text = added.length > 0 ? `${created} with ${listNames(added.map((u) => u.displayName))}` : created;
        await append({ chatId: chat.id, senderId: null, kind: 'SYSTEM', text, readBy: viewer.id });
        return chat.id;
      },
      (appended) => this.announceMembership(appended.message.chatId, [viewer.id, ...addedIds], []),
    );
    this.events.emit('membersJoined', { chatId, actorId: viewer.id, userIds: addedIds, title });
    if (invited.size > 0) await this.#invitations!.invite({ id: chatId, title }, viewer.id, [...invited]);
    return this.prisma.chat.findUniqueOrThrow({ where: { id: chatId }, select: CHAT_SELECT });
  }

  async addMembers(viewer: Viewer, loaders: ChatLoaders, chatId: string, userIds: string[]): Promise<ChatRecord> {
    if (userIds.length === 0) throw badInput('Name at least one user to add', 'userIds');
    const { chat } = await requireGroupAdmin(loaders, viewer, chatId);
    const members = await loaders.membersByChat.load(chatId);
    const present = new Set(members.map((m) => m.userId));
    const newIds = [...new Set(userIds)].filter((id) => !present.has(id));
    if (newIds.length === 0) return this.reload(loaders, chatId);
    await this.activeUsers(newIds, 'userIds');
    if (await this.#blocks?.anyBlocks(newIds, viewer.id)) throw forbidden(CANNOT_ADD);
    // Those whose groupAdds privacy keeps this admin out are invited instead (they count towards the cap when they accept).
    const invited = (await this.#invitations?.refusingAdds(viewer.id, newIds)) ?? new Set<string>();
    const direct = newIds.filter((id) => !invited.has(id));
    if (present.size + direct.length > this.maxGroupMembers) throw groupFull(this.maxGroupMembers, 'userIds');
    await this.chargeStrangers(viewer, newIds);
    if (direct.length > 0) {
      const actor = await this.displayName(viewer.id);
      await this.admit(chatId, {
        userIds: direct,
        actorId: viewer.id,
        readBy: viewer.id,
        requireMember: viewer.id,
        field: 'userIds',
        text: (names) => `${actor} added ${listNames(names)}`,
      });
    }
    if (invited.size > 0) await this.#invitations!.invite({ id: chatId, title: chat.title ?? '' }, viewer.id, [...invited]);
    return this.reload(loaders, chatId);
  }

  /**
   * Puts users into a group: the one path for every way in (addGroupMembers,
   * an invite link, an approved join request). Under the chat's lock it skips
   * whoever is in already, lets a returning member read only from now on,
   * checks the member cap and writes the SYSTEM message; after commit it tells
   * everyone (the joiners' live subscriptions, chatUpdated, membersJoined; the
   * new member rows are the account feed's news). Returns who joined.
   */
  async admit(chatId: string, admission: Admission): Promise<string[]> {
    let joining: string[] = [];
    let title = '';
    await this.log.transaction(
      async (tx, append) => {
        const [locked] = await tx.$queryRaw<{ lastSeq: number; title: string | null; kind: string }[]>`
          SELECT "lastSeq", "title", "kind"::text AS "kind" FROM "Chat" WHERE "id" = ${chatId}::uuid FOR NO KEY UPDATE`;
        if (locked?.kind !== 'GROUP') throw notFound('Chat');
        title = locked.title ?? '';
        // Read under the lock: someone who joined a moment ago (another admin's add, another link) is skipped, not an error.
        const candidates = await tx.$queryRaw<{ id: string; displayName: string; returning: boolean; clearedSeq: number }[]>`
          SELECT u."id"::text AS "id", u."displayName",
                 EXISTS (SELECT 1 FROM "ChatMembershipPeriod" p WHERE p."chatId" = ${chatId}::uuid AND p."userId" = u."id") AS "returning",
                 -- What they cleared stays cleared (clearChat); a chat they deleted is a return all the same.
                 COALESCE((SELECT max(p."clearedSeq") FROM "ChatMembershipPeriod" p WHERE p."chatId" = ${chatId}::uuid AND p."userId" = u."id"), 0)
                   AS "clearedSeq"
          FROM unnest(${[...admission.userIds]}::uuid[]) WITH ORDINALITY AS wanted("id", "position")
          JOIN "User" u ON u."id" = wanted."id"
          WHERE NOT EXISTS (SELECT 1 FROM "ChatMember" m WHERE m."chatId" = ${chatId}::uuid AND m."userId" = u."id")
          ORDER BY wanted."position"`;
        joining = candidates.map((candidate) => candidate.id);
        await admission.underLock?.(tx, joining);
        if (candidates.length === 0) return;
        // Someone coming back reads from now on, never what was said while they were away.
        await tx.chatMember.createMany({
          data: candidates.map((candidate) => ({
            chatId,
            userId: candidate.id,
            historyFromSeq: candidate.returning ? locked.lastSeq : 0,
            clearedSeq: candidate.clearedSeq,
          })),
        });
        await this.requireRoom(tx, chatId, 0, admission.field);
        const text = admission.text(candidates.map((candidate) => candidate.displayName));
        await append({
          chatId,
          senderId: null,
          kind: 'SYSTEM',
          text,
          readBy: admission.readBy,
          ...(admission.requireMember ? { requireMember: admission.requireMember } : {}),
        });
      },
      () => this.announceMembership(chatId, joining, []),
    );
    if (joining.length === 0) return [];
    this.events.emit('membersJoined', { chatId, actorId: admission.actorId, userIds: joining, title });
    await this.#announceUpdate(chatId);
    return joining;
  }

  async removeMember(viewer: Viewer, loaders: ChatLoaders, chatId: string, userId: string): Promise<ChatRecord> {
    const { chat } = await requireGroupAdmin(loaders, viewer, chatId);
    if (userId === viewer.id) throw badInput('To remove yourself, use leaveChat', 'userId');
    if (!isUuid(userId) || !(await loaders.memberOf.load(memberKey(chatId, userId)))) throw notFound('Member');
    const [actor, target] = await Promise.all([this.displayName(viewer.id), this.displayName(userId)]);
    await this.log.transaction(
      async (tx, append) => {
        const removed = await removeMembership(tx, chatId, userId);
        if (!removed) throw notFound('Member');
        const text = `${actor} removed ${target}`;
        const announced = await append({ chatId, senderId: null, kind: 'SYSTEM', text, requireMember: viewer.id, readBy: viewer.id });
        await keepHistory(tx, removed, announced.message);
        return announced;
      },
      () => this.announceMembership(chatId, [], [userId]),
    );
    this.events.emit('memberLeft', { chatId, actorId: viewer.id, userId, title: chat.title ?? '' });
    await this.#announceUpdate(chatId);
    return this.reload(loaders, chatId);
  }

  /**
   * Leaves a group. When the last admin leaves, the longest-standing member
   * becomes admin so the group is never left unmanageable.
   */
  async leave(viewer: Viewer, loaders: ChatLoaders, chatId: string): Promise<boolean> {
    const { chat } = await requireMembership(loaders, viewer, chatId);
    if (chat.kind !== 'GROUP') throw badInput('You cannot leave a private chat', 'chatId');
    await this.#leaveGroup(chatId, viewer.id, await this.displayName(viewer.id), { forget: false });
    return true;
  }

  /**
   * deleteChat of a group (modules/messages, ChatHistoryService): a member
   * leaves it as leaveChat does (the SYSTEM message, admin succession), and
   * every period of theirs is marked deleted in the same transaction: the chat
   * leaves their list and feeds, and reading it is NOT_FOUND. A former member's
   * periods are marked alone. The rows stay, so being added back starts from
   * then on, as any return does.
   */
  async deleteGroupFor(userId: string, chatId: string, stillMember: boolean): Promise<void> {
    if (stillMember) {
      await this.#leaveGroup(chatId, userId, await this.displayName(userId), { forget: true });
      return;
    }
    const forgotten = await forgetPeriods(this.prisma, chatId, userId);
    if (forgotten === 0) throw notFound('Chat');
  }

  /**
   * deleteAccount: the user leaves every group they are in, each as leaveChat
   * does (the SYSTEM message names them as `actor`, an heir is made admin),
   * and forgets it. Listed again until none is left (a hundred at a time, and
   * in case an addition raced with the account's deactivation). Returns how
   * many groups they left.
   */
  async leaveEveryGroup(userId: string, actor: string): Promise<number> {
    let left = 0;
    // Each round ends memberships (a leaving, or finding it ended already), so the rounds end.
    for (;;) {
      const groups = await this.prisma.chatMember.findMany({ where: { userId, chat: { kind: 'GROUP' } }, select: { chatId: true }, take: 100 });
      if (groups.length === 0) break;
      for (const { chatId } of groups) {
        try {
          await this.#leaveGroup(chatId, userId, actor, { forget: true });
          left += 1;
        } catch (error) {
          // Removed by an admin meanwhile: gone either way.
          if (!(error instanceof AppError && error.code === 'NOT_FOUND')) throw error;
        }
      }
    }
    return left;
  }

  /** Leaving a group: under the chat's lock, with admin succession and the SYSTEM message; `forget` is deleteChat's. */
  async #leaveGroup(chatId: string, userId: string, actor: string, options: { forget: boolean }): Promise<void> {
    const announced = await this.log.transaction(
      async (tx, append) => {
        // Lock the chat first: two admins leaving at once must not each count on the other staying.
        const [locked] = await tx.$queryRaw<{ seq: number; rev: number }[]>`
          SELECT "lastSeq" AS "seq", "rev" FROM "Chat" WHERE "id" = ${chatId}::uuid FOR UPDATE`;
        const removed = await removeMembership(tx, chatId, userId);
        if (!removed || !locked) throw notFound('Chat');
        const remaining = await tx.chatMember.findMany({
          where: { chatId },
          orderBy: [{ joinedAt: 'asc' }, { userId: 'asc' }],
          select: { userId: true, isAdmin: true, user: { select: { displayName: true } } },
        });
        if (remaining.length === 0) {
          await keepHistory(tx, removed, locked);
          if (options.forget) await forgetPeriods(tx, chatId, userId);
          return false;
        }
        const heir = remaining.some((m) => m.isAdmin) ? undefined : remaining[0]!;
        if (heir) await tx.chatMember.update({ where: { chatId_userId: { chatId, userId: heir.userId } }, data: { isAdmin: true } });
        const text = heir ? `${actor} left; ${heir.user.displayName} is now an admin` : `${actor} left`;
        const announced = await append({ chatId, senderId: null, kind: 'SYSTEM', text });
        await keepHistory(tx, removed, announced.message);
        if (options.forget) await forgetPeriods(tx, chatId, userId);
        return true;
      },
      () => this.announceMembership(chatId, [], [userId]),
    );
    if (!announced) this.announceMembership(chatId, [], [userId]);
  }

  /** chatUpdated for every member: the chat's title or members changed. */
  async #announceUpdate(chatId: string): Promise<void> {
    const members = await this.prisma.chatMember.findMany({ where: { chatId }, select: { userId: true } });
    this.pubsub.publishMany(
      ChatTopic.ChatUpdated,
      members.map((member) => member.userId),
      { chatId },
    );
  }

  /** Tells the other members; `typing: true` lapses by itself unless refreshed. */
  async setTyping(viewer: Viewer, loaders: ChatLoaders, chatId: string, typing: boolean): Promise<boolean> {
    await requireMembership(loaders, viewer, chatId);
    const members = await loaders.membersByChat.load(chatId);
    const others = members.filter((m) => m.userId !== viewer.id).map((m) => m.userId);
    const key = `${chatId}:${viewer.id}`;
    clearTimeout(this.#typingTimers.get(key));
    this.#typingTimers.delete(key);
    if (typing) {
      const timer = setTimeout(() => {
        this.#typingTimers.delete(key);
        this.pubsub.publishMany(ChatTopic.Typing, others, { chatId, userId: viewer.id, typing: false });
      }, this.#typingTtlMs);
      timer.unref();
      this.#typingTimers.set(key, timer);
    }
    this.pubsub.publishMany(ChatTopic.Typing, others, { chatId, userId: viewer.id, typing });
    return true;
  }

  /** Stops pending typing expiries (shutdown). */
  close(): void {
    for (const timer of this.#typingTimers.values()) clearTimeout(timer);
    this.#typingTimers.clear();
  }

  private announceMembership(chatId: string, joined: string[], left: string[]): void {
    for (const userId of joined) this.pubsub.publish(ChatTopic.Membership, userId, { chatId, change: 'JOINED' });
    for (const userId of left) this.pubsub.publish(ChatTopic.Membership, userId, { chatId, change: 'LEFT' });
  }

  private async reload(loaders: ChatLoaders, chatId: string): Promise<ChatRecord> {
    loaders.chatById.clear(chatId);
    loaders.membersByChat.clear(chatId);
    loaders.memberOf.clearAll();
    const chat = await loaders.chatById.load(chatId);
    if (!chat) throw notFound('Chat');
    return chat;
  }

  private async activeUsers(ids: string[], field = 'memberIds'): Promise<{ id: string; displayName: string }[]> {
    if (!ids.every(isUuid)) throw notFound('User');
    const users = await this.prisma.user.findMany({ where: { id: { in: ids }, active: true }, select: { id: true, displayName: true } });
    if (users.length !== ids.length) {
      this.logger.debug({ field, wanted: ids.length, found: users.length }, 'unknown or inactive users named');
      throw notFound('User');
    }
    return ids.map((id) => users.find((u) => u.id === id)!);
  }

  /**
   * Putting people into a group who share no chat with the adder writes them a
   * notification and pushes to their devices: that is spam's shape, so it has
   * its own budget (RATE_LIMIT_GROUP_ADDS). Adding people one already talks
   * with costs nothing. Nothing is charged when the request does not fit.
   */
  private async chargeStrangers(viewer: Viewer, userIds: string[]): Promise<void> {
    if (!this.#groupAdds?.config || userIds.length === 0) return;
    const known = await this.prisma.$queryRaw<{ userId: string }[]>`
      SELECT DISTINCT other."userId"::text AS "userId"
      FROM "ChatMember" mine JOIN "ChatMember" other ON other."chatId" = mine."chatId"
      WHERE mine."userId" = ${viewer.id}::uuid AND other."userId" = ANY(${userIds}::uuid[])`;
    const strangers = userIds.length - known.length;
    await this.#groupAdds.takeAll(viewer.id, strangers, 'GROUP_ADDS');
  }

  private async displayName(userId: string): Promise<string> {
    const user = await this.prisma.user.findUniqueOrThrow({ where: { id: userId }, select: { displayName: true } });
    return user.displayName;
  }
}

/**
 * chats(search:): a group by its title, a private chat by the other
 * member's display name or username, with message search's words, prefixes
 * and normalisation (migration 20261201180000_message_search). Tested per
 * listed chat: a user's chats are few, and titles have no index.
 */
function chatNameMatches(viewer: Viewer, search: string): Prisma.Sql {
  return Prisma.sql`(CASE WHEN c."kind" = 'GROUP'
    THEN payamak_search_vector(coalesce(c."title", '')) @@ payamak_search_query(${search})
    ELSE EXISTS (SELECT 1 FROM "ChatMember" o JOIN "User" u ON u."id" = o."userId"
                 WHERE o."chatId" = c."id" AND o."userId" <> ${viewer.id}::uuid
                   AND payamak_search_vector(u."displayName" || ' ' || u."username") @@ payamak_search_query(${search})) END)`;
}

/** "Bob", "Bob and Carol", "Bob, Carol and 3 others". */
function listNames(names: string[]): string {
  if (names.length <= 2) return names.join(' and ');
  if (names.length <= 4) return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  return `${names.slice(0, 3).join(', ')} and ${names.length - 3} others`;
}

interface RemovedMembership {
  chatId: string;
  userId: string;
  historyFromSeq: number;
  clearedSeq: number;
}

async function removeMembership(tx: Tx, chatId: string, userId: string): Promise<RemovedMembership | null> {
  const rows = await tx.$queryRaw<{ historyFromSeq: number; clearedSeq: number }[]>`
    DELETE FROM "ChatMember" WHERE "chatId" = ${chatId}::uuid AND "userId" = ${userId}::uuid RETURNING "historyFromSeq", "clearedSeq"`;
  return rows[0] ? { chatId, userId, historyFromSeq: rows[0].historyFromSeq, clearedSeq: rows[0].clearedSeq } : null;
}

/** A former member keeps what they read, up to the message that announced their leaving (or the chat's last one). */
async function keepHistory(tx: Tx, removed: RemovedMembership, upTo: { seq: number; rev: number }): Promise<void> {
  await tx.chatMembershipPeriod.create({
    data: {
      chatId: removed.chatId,
      userId: removed.userId,
      fromSeq: removed.historyFromSeq,
      toSeq: upTo.seq,
      toRev: upTo.rev,
      clearedSeq: removed.clearedSeq,
    },
  });
}

/**
 * deleteChat: the user's periods of the chat are no longer read or listed
 * (the account feed reports the chat in removedChatIds, by this stamp).
 * Returns how many were marked.
 */
async function forgetPeriods(tx: Tx, chatId: string, userId: string): Promise<number> {
  return tx.$executeRaw`
    UPDATE "ChatMembershipPeriod" SET "deletedAt" = now(), "changeStamp" = pg_current_xact_id()::text::bigint
    WHERE "chatId" = ${chatId}::uuid AND "userId" = ${userId}::uuid AND "deletedAt" IS NULL`;
}
