import type { PrismaClient } from '../../generated/prisma/client.js';
import { AppError, ErrorCode, badInput, isUniqueViolation, notFound } from '../../lib/errors.js';
import type { Limiter } from '../../lib/rate-limits.js';
import { newestFirst, type Connection } from '../../lib/relay.js';
import { isUuid } from '../../lib/text.js';
import type { Viewer } from '../../lib/viewer.js';
import { memberKey, requireGroupAdmin, requireReader, type ChatLoaders, type ChatRecord, type ChatsService, type Membership, type Tx } from '../chats/index.js';
import type { UserRecord } from '../users/index.js';
import { USABLE, type InviteLoaders } from './invites.loaders.js';
import { NotificationType, type NotificationsService } from '../notifications/index.js';
import { isInviteCode, newInviteCode, unknownInvite } from './invite-codes.js';
import { MAX_INVITE_LINKS, checkLinkInput, type InviteLinkInput } from './invites.inputs.js';
import {
  INVITE_SELECT,
  JOIN_REQUEST_SELECT,
  isUsable,
  toLink,
  type InviteRecord,
  type JoinRequestRecord,
  type LinkRecord,
  type PreviewRecord,
} from './invites.types.js';

/** joinRequests' cursors name this list. */
const JOIN_REQUESTS = 'joinRequest';

/** Options for {@link InvitesService}. */
export interface InvitesServiceOptions {
  /** RATE_LIMIT_INVITES: codes one user may try (preview and join); default no limit. */
  perUser?: Limiter;
  /** RATE_LIMIT_INVITES_IP: the same per client address; default no limit. */
  perIp?: Limiter;
}

/** Who is trying a code, for the budgets. */
export interface Caller {
  viewer: Viewer;
  ip: string;
}

export interface JoinResult {
  chat: ChatRecord | null;
  request: JoinRequestRecord | null;
}

/**
 * Invite links and join requests. A code is the only thing that lets a
 * stranger see or enter a group, so every code that does not let the viewer
 * in is the same NOT_FOUND, and trying codes spends a budget per user and
 * per address. Joining goes through {@link ChatsService.admit}, the path
 * addGroupMembers takes (SYSTEM message, events, the member cap, a returning
 * member's history), with the link's use taken under the chat's lock.
 */
export class InvitesService {
  readonly #perUser: Limiter | undefined;
  readonly #perIp: Limiter | undefined;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly chats: Pick<ChatsService, 'admit'>,
    private readonly notifications: Pick<NotificationsService, 'notify'>,
    options: InvitesServiceOptions = {},
  ) {
    this.#perUser = options.perUser;
    this.#perIp = options.perIp;
  }

  // --- admins ---------------------------------------------------------------

  async create(viewer: Viewer, loaders: ChatLoaders, chatId: string, input: InviteLinkInput | null | undefined): Promise<LinkRecord> {
    const settings = checkLinkInput(input);
    await requireGroupAdmin(loaders, viewer, chatId);
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.prisma.$transaction(async (tx) => {
          // Under the chat's lock, so two admins at once cannot both make the 101st link.
          await tx.$queryRaw`SELECT 1 FROM "Chat" WHERE "id" = ${chatId}::uuid FOR NO KEY UPDATE`;
          const [live] = await tx.$queryRaw<{ count: number }[]>`
            SELECT count(*)::int AS "count" FROM "ChatInvite" i WHERE i."chatId" = ${chatId}::uuid AND i."inviteeId" IS NULL AND ${USABLE}`;
          if ((live?.count ?? 0) >= MAX_INVITE_LINKS) {
            throw badLinkCount();
          }
          const invite = await tx.chatInvite.create({
            data: { chatId, code: newInviteCode(), createdById: viewer.id, ...settings },
            select: INVITE_SELECT,
          });
          return toLink(invite);
        });
      } catch (error) {
        // 128 random bits do not collide in practice; if they ever do, a fresh code is the answer.
        if (!isUniqueViolation(error) || attempt >= 3) throw error;
      }
    }
  }

  /** Idempotent: true, also when it was revoked already. */
  async revoke(viewer: Viewer, loaders: ChatLoaders, code: string): Promise<boolean> {
    const invite = isInviteCode(code) ? await this.prisma.chatInvite.findUnique({ where: { code }, select: INVITE_SELECT }) : null;
    if (!invite) throw unknownInvite();
    await adminOf(loaders, viewer, invite.chatId, unknownInvite);
    await this.prisma.chatInvite.updateMany({ where: { id: invite.id, revokedAt: null }, data: { revokedAt: new Date() } });
    return true;
  }

  /** The group's links, usable ones first, newest first within each; empty for anyone but the group's admins. */
  async links(viewer: Viewer | null, loaders: ChatLoaders & InviteLoaders, chat: ChatRecord): Promise<LinkRecord[]> {
    if (!(await isAdminOf(viewer, loaders, chat))) return [];
    return (await loaders.inviteLinksByChat.load(chat.id)).map(toLink);
  }

  /** People invited because their groupAdds privacy kept the adder out, until they accept or it lapses; admins only. */
  async invitedUsers(viewer: Viewer | null, loaders: ChatLoaders & InviteLoaders, chat: ChatRecord): Promise<UserRecord[]> {
    if (!(await isAdminOf(viewer, loaders, chat))) return [];
    return loaders.invitedUsersByChat.load(chat.id);
  }

  async requests(
    viewer: Viewer,
    loaders: ChatLoaders,
    chatId: string,
    args: { first?: number | null; after?: string | null },
  ): Promise<Connection<JoinRequestRecord>> {
    await requireGroupAdmin(loaders, viewer, chatId);
    const page = newestFirst(JOIN_REQUESTS, 'createdAt', args);
    const where = { chatId, user: { active: true } };
    const [rows, totalCount] = await Promise.all([
      this.prisma.chatJoinRequest.findMany({ where: { ...where, ...page.where }, orderBy: page.orderBy, take: page.take, select: JOIN_REQUEST_SELECT }),
      this.prisma.chatJoinRequest.count({ where }),
    ]);
    return page.connection(rows, totalCount);
  }

  async approve(viewer: Viewer, loaders: ChatLoaders, requestId: string): Promise<ChatRecord> {
    const request = await this.#pendingRequest(requestId);
    const { chat } = await adminOf(loaders, viewer, request.chatId, unknownRequest);
    const [admin, requester] = await Promise.all([this.#displayName(viewer.id), this.#displayName(request.userId)]);
    const joined = await this.chats.admit(request.chatId, {
      userIds: [request.userId],
      // The requester's own act, approved: no "added you" on top of JOIN_APPROVED.
      actorId: request.userId,
      readBy: viewer.id,
      requireMember: viewer.id,
      field: 'requestId',
      text: () => `${admin} approved ${requester}'s request to join`,
      // Another admin approving or declining it at the same moment: one of the two finds it.
      underLock: (tx) => takeRequest(tx, request.id),
    });
    if (joined.length > 0) {
      this.notifications.notify([request.userId], NotificationType.JOIN_APPROVED, {
        title: chat.title ?? 'Group',
        body: `${admin} approved your request to join`,
        data: { chatId: request.chatId },
      });
    }
    return reloadChat(viewer, loaders, request.chatId);
  }

  async decline(viewer: Viewer, loaders: ChatLoaders, requestId: string): Promise<boolean> {
    const request = await this.#pendingRequest(requestId);
    const { chat } = await adminOf(loaders, viewer, request.chatId, unknownRequest);
    const { count } = await this.prisma.chatJoinRequest.deleteMany({ where: { id: request.id } });
    if (count === 0) throw unknownRequest();
    this.notifications.notify([request.userId], NotificationType.JOIN_DECLINED, {
      title: chat.title ?? 'Group',
      body: 'Your request to join was declined',
      data: { chatId: request.chatId },
    });
    return true;
  }

  // --- whoever has a code ----------------------------------------------------

  async preview(caller: Caller, code: string): Promise<PreviewRecord> {
    await this.#charge(caller);
    const invite = await this.#lookUp(caller.viewer, code);
    if (!isUsable(invite)) throw unknownInvite();
    const chat = await this.prisma.chat.findUnique({
      where: { id: invite.chatId },
      select: { title: true, description: true, avatarId: true, _count: { select: { members: true } } },
    });
    if (!chat) throw unknownInvite();
    return { title: chat.title ?? '', description: chat.description, avatarId: chat.avatarId, memberCount: chat._count.members };
  }

  /**
   * Joins, or files a join request when the link needs approval. A member
   * gets the chat back, and a pending request is returned again, so a
   * retried call changes nothing.
   */
  async join(caller: Caller, loaders: ChatLoaders, code: string): Promise<JoinResult> {
    const { viewer } = caller;
    await this.#charge(caller);
    const invite = await this.#lookUp(viewer, code);
    const [member, pending] = await Promise.all([
      this.prisma.chatMember.findUnique({ where: { chatId_userId: { chatId: invite.chatId, userId: viewer.id } }, select: { userId: true } }),
      this.prisma.chatJoinRequest.findUnique({ where: { chatId_userId: { chatId: invite.chatId, userId: viewer.id } }, select: JOIN_REQUEST_SELECT }),
    ]);
    if (member) return { chat: await reloadChat(viewer, loaders, invite.chatId), request: null };
    if (pending) return { chat: null, request: pending };
    if (!isUsable(invite)) throw unknownInvite();
    if (invite.requiresApproval) return { chat: null, request: await this.#fileRequest(viewer, invite) };

    const [name, inviter] = await Promise.all([
      this.#displayName(viewer.id),
      invite.inviteeId && invite.createdById ? this.#displayName(invite.createdById) : Promise.resolve(null),
    ]);
    await this.chats.admit(invite.chatId, {
      userIds: [viewer.id],
      actorId: viewer.id,
      readBy: viewer.id,
      field: 'code',
      text: () => (inviter ? `${name} joined, invited by ${inviter}` : `${name} joined using an invite link`),
      // Only someone actually joining takes a use; none left is the same NOT_FOUND, and undoes the joining.
      underLock: async (tx, joining) => {
        if (joining.length > 0) await takeUse(tx, invite.id);
      },
    });
    return { chat: await reloadChat(viewer, loaders, invite.chatId), request: null };
  }

  // --- helpers ----------------------------------------------------------------

  /** The invite a code names, if the viewer may use it at all; usability (revoked, expired, used up) is the caller's to check. */
  async #lookUp(viewer: Viewer, code: string): Promise<InviteRecord> {
    const invite = isInviteCode(code)
      ? await this.prisma.chatInvite.findUnique({ where: { code }, select: { ...INVITE_SELECT, chat: { select: { kind: true } } } })
      : null;
    if (invite?.chat.kind !== 'GROUP' || (invite.inviteeId !== null && invite.inviteeId !== viewer.id)) throw unknownInvite();
    const { chat: _chat, ...record } = invite;
    return record;
  }

  async #fileRequest(viewer: Viewer, invite: InviteRecord): Promise<JoinRequestRecord> {
    const filed = await this.prisma.$transaction(async (tx) => {
      const [created] = await tx.chatJoinRequest.createManyAndReturn({
        data: [{ chatId: invite.chatId, userId: viewer.id }],
        skipDuplicates: true,
        select: JOIN_REQUEST_SELECT,
      });
      if (!created) return null;
      // An approval link counts the requests filed through it.
      const used = await tx.chatInvite.updateMany({ where: { id: invite.id, revokedAt: null }, data: { uses: { increment: 1 } } });
      if (used.count === 0) throw unknownInvite();
      return created;
    });
    // Asked twice at once: the other call filed it.
    if (!filed) {
      return this.prisma.chatJoinRequest.findUniqueOrThrow({
        where: { chatId_userId: { chatId: invite.chatId, userId: viewer.id } },
        select: JOIN_REQUEST_SELECT,
      });
    }
    const [chat, admins, name] = await Promise.all([
      this.prisma.chat.findUnique({ where: { id: invite.chatId }, select: { title: true } }),
      this.prisma.chatMember.findMany({ where: { chatId: invite.chatId, isAdmin: true }, select: { userId: true } }),
      this.#displayName(viewer.id),
    ]);
    this.notifications.notify(
      admins.map((admin) => admin.userId),
      NotificationType.JOIN_REQUEST,
      { title: chat?.title ?? 'Group', body: `${name} asked to join`, data: { chatId: invite.chatId, requestId: filed.id } },
    );
    return filed;
  }

  async #pendingRequest(requestId: string): Promise<JoinRequestRecord> {
    const request = isUuid(requestId)
      ? await this.prisma.chatJoinRequest.findFirst({ where: { id: requestId, user: { active: true } }, select: JOIN_REQUEST_SELECT })
      : null;
    if (!request) throw unknownRequest();
    return request;
  }

  /** One try of a code, against the user's budget and the address's; trying costs the same whether the code works or not. */
  async #charge({ viewer, ip }: Caller): Promise<void> {
    await this.#perUser?.takeAll(viewer.id, 1, 'INVITES');
    await this.#perIp?.takeAll(ip, 1, 'INVITES_IP');
  }

  async #displayName(userId: string): Promise<string> {
    const user = await this.prisma.user.findUnique({ where: { id: userId }, select: { displayName: true } });
    return user?.displayName ?? 'Someone';
  }
}

const badLinkCount = () => badInput(`A group has at most ${MAX_INVITE_LINKS} working invite links; revoke one first`, 'chatId');

/** Takes one use of a link, in the joining transaction: the row's lock makes racing joiners take turns, and none left refuses. */
async function takeUse(tx: Tx, inviteId: string): Promise<void> {
  const taken = await tx.$executeRaw`UPDATE "ChatInvite" i SET "uses" = i."uses" + 1 WHERE i."id" = ${inviteId}::uuid AND ${USABLE}`;
  if (taken === 0) throw unknownInvite();
}

async function takeRequest(tx: Tx, requestId: string): Promise<void> {
  const taken = await tx.$executeRaw`DELETE FROM "ChatJoinRequest" WHERE "id" = ${requestId}::uuid`;
  if (taken === 0) throw unknownRequest();
}

const unknownRequest = () => notFound('Join request');

/**
 * {@link requireGroupAdmin} for something reached by its own id (a code, a
 * request): to a stranger it is `missing()`, as if the id named nothing, not
 * a chat they cannot see, so holding an id teaches nothing.
 */
async function adminOf(loaders: ChatLoaders, viewer: Viewer, chatId: string, missing: () => AppError): Promise<Membership> {
  try {
    return await requireGroupAdmin(loaders, viewer, chatId);
  } catch (error) {
    if (error instanceof AppError && error.code === ErrorCode.NOT_FOUND) throw missing();
    throw error;
  }
}

async function isAdminOf(viewer: Viewer | null, loaders: ChatLoaders, chat: ChatRecord): Promise<boolean> {
  if (!viewer || chat.kind !== 'GROUP') return false;
  return (await loaders.memberOf.load(memberKey(chat.id, viewer.id)))?.isAdmin ?? false;
}

/** The chat as the viewer sees it now that the membership changed: the request's loaders cached the old one. */
async function reloadChat(viewer: Viewer, loaders: ChatLoaders, chatId: string): Promise<ChatRecord> {
  loaders.chatById.clear(chatId);
  loaders.membersByChat.clear(chatId);
  loaders.memberCountByChat.clear(chatId);
  loaders.memberOf.clearAll();
  loaders.periodsOf.clearAll();
  return (await requireReader(loaders, viewer, chatId)).chat;
}
