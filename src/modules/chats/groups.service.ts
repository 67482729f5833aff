import type { PrismaClient } from '../../generated/prisma/client.js';
import { badInput, forbidden, notFound } from '../../lib/errors.js';
import { isUuid } from '../../lib/text.js';
import type { Viewer } from '../../lib/viewer.js';
import type { PubSub } from '../../realtime/pubsub.js';
import type { ChatEvents } from './chat-events.js';
import type { ChatLogPort, Logged, Tx } from './chat-log.port.js';
import { ChatTopic } from './chat.topics.js';
import type { ChatKind, ChatRecord } from './chat.types.js';
import { cleanTitle } from './chats.inputs.js';
import type { ChatLoaders } from './chats.loaders.js';
import { ADMINS_ONLY_EDIT_INFO, canEditGroupInfo, requireGroupAdmin, requireInfoEditor, requireMembership } from './chats.policy.js';
import { cleanDescription, type GroupSettingsInput } from './groups.inputs.js';

/** What a plain member is told when they touch the two permission flags. */
const ADMINS_ONLY_PERMISSIONS = 'Only group admins can change who may send messages or edit the group info';

/** What a group looks like under its row's lock, and the viewer's role in it (null: not a member). */
interface LockedGroup {
  kind: ChatKind;
  title: string | null;
  description: string | null;
  avatarId: string | null;
  onlyAdminsCanSend: boolean;
  onlyAdminsCanEditInfo: boolean;
  isAdmin: boolean | null;
}

/**
 * What modules/files does when a group's photo changes, inside
 * {@link GroupsService.setAvatar}'s transaction.
 */
export interface AvatarWrite {
  /**
   * Writes the new picture's File row and returns its id (null: the photo is
   * removed). Runs first, before the chat's lock, so an uploader's quota lock
   * is taken in the order every upload takes it (their row, then the chat).
   */
  create(tx: Tx): Promise<string | null>;
  /** Deletes the replaced picture's File row; what it returns runs after commit (removing its bytes). */
  detach(tx: Tx, fileId: string): Promise<() => Promise<void>>;
  /** Nothing was written (a refusal, a failure): the received bytes can go. */
  discard(): Promise<void>;
}

/**
 * Group administration: the title, description and photo, who may send and
 * who may edit them (onlyAdminsCanSend, onlyAdminsCanEditInfo), and who is
 * an admin. Every change is checked again under the chat row's lock, writes a
 * SYSTEM message in its own transaction (which also stamps the chat for the
 * account feed), and tells every member with chatUpdated after commit.
 */
export class GroupsService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly log: ChatLogPort,
    private readonly pubsub: PubSub,
    private readonly events: ChatEvents,
  ) {}

  /**
   * Changes a group's settings. The title and description need
   * {@link canEditGroupInfo}; the two flags need an admin. Values equal to
   * the current ones change nothing and post nothing.
   */
  async update(viewer: Viewer, loaders: ChatLoaders, chatId: string, input: GroupSettingsInput): Promise<ChatRecord> {
    const changesPermissions = isSet(input.onlyAdminsCanSend) || isSet(input.onlyAdminsCanEditInfo);
    const { chat, member } = await requireInfoEditor(loaders, viewer, chatId);
    if (changesPermissions && !member.isAdmin) throw forbidden(ADMINS_ONLY_PERMISSIONS);
    const title = isSet(input.title) ? cleanTitle(input.title) : undefined;
    const description = isSet(input.description) ? cleanDescription(input.description) : undefined;
    const actor = await this.#displayName(viewer.id);
    const done = await this.log.transaction(async (tx, append) => {
      const locked = changesPermissions
        ? await lockGroup(tx, chatId, viewer.id, 'admin', ADMINS_ONLY_PERMISSIONS)
        : await lockGroup(tx, chatId, viewer.id, 'info');
      const data: { title?: string; description?: string | null; onlyAdminsCanSend?: boolean; onlyAdminsCanEditInfo?: boolean } = {};
      const texts: string[] = [];
      if (title !== undefined && title !== locked.title) {
        data.title = title;
        texts.push(`${actor} renamed the group to "${title}"`);
      }
      if (description !== undefined && description !== locked.description) {
        data.description = description;
        texts.push(description === null ? `${actor} removed the group description` : `${actor} changed the group description`);
      }
      if (isSet(input.onlyAdminsCanSend) && input.onlyAdminsCanSend !== locked.onlyAdminsCanSend) {
        data.onlyAdminsCanSend = input.onlyAdminsCanSend;
        texts.push(input.onlyAdminsCanSend ? `${actor} allowed only admins to send messages` : `${actor} allowed all members to send messages`);
      }
      if (isSet(input.onlyAdminsCanEditInfo) && input.onlyAdminsCanEditInfo !== locked.onlyAdminsCanEditInfo) {
        data.onlyAdminsCanEditInfo = input.onlyAdminsCanEditInfo;
        texts.push(input.onlyAdminsCanEditInfo ? `${actor} allowed only admins to edit the group info` : `${actor} allowed all members to edit the group info`);
      }
      if (texts.length === 0) return null;
      await tx.chat.update({ where: { id: chatId }, data, select: { id: true } });
      let logged: Logged | undefined;
      // One SYSTEM message per change, as WhatsApp posts them: each reads on its own in the chat.
      for (const text of texts) logged = await append({ chatId, senderId: null, kind: 'SYSTEM', text, requireMember: viewer.id, readBy: viewer.id });
      return { memberIds: logged!.memberIds, renamedTo: data.title };
    });
    if (!done) return chat;
    if (done.renamedTo !== undefined) this.events.emit('groupRenamed', { chatId, actorId: viewer.id, title: done.renamedTo, memberIds: done.memberIds });
    this.pubsub.publishMany(ChatTopic.ChatUpdated, done.memberIds, { chatId });
    return this.#reload(viewer, loaders, chatId);
  }

  /** Makes a member an admin; one already an admin changes nothing. */
  promote(viewer: Viewer, loaders: ChatLoaders, chatId: string, userId: string): Promise<ChatRecord> {
    return this.#setAdmin(viewer, loaders, chatId, userId, true);
  }

  /**
   * Takes a member's admin role away; one who is not an admin changes
   * nothing. A group always keeps an admin (leaveChat hands the role on for
   * the same reason), so the last one cannot step down: BAD_USER_INPUT.
   */
  demote(viewer: Viewer, loaders: ChatLoaders, chatId: string, userId: string): Promise<ChatRecord> {
    return this.#setAdmin(viewer, loaders, chatId, userId, false);
  }

  /**
   * Sets or removes a group's photo (modules/files receives and stores the
   * picture; see {@link AvatarWrite}). Needs {@link canEditGroupInfo}, checked
   * again under the chat's lock; the replaced picture's bytes go after commit.
   */
  async setAvatar(viewer: Viewer, loaders: ChatLoaders, chatId: string, write: AvatarWrite): Promise<ChatRecord> {
    let done: { memberIds: string[]; removeOld: (() => Promise<void>) | null } | null;
    try {
      await requireInfoEditor(loaders, viewer, chatId);
      const actor = await this.#displayName(viewer.id);
      done = await this.log.transaction(async (tx, append) => {
        const avatarId = await write.create(tx);
        const locked = await lockGroup(tx, chatId, viewer.id, 'info');
        if (avatarId === null && locked.avatarId === null) return null;
        await tx.chat.update({ where: { id: chatId }, data: { avatarId }, select: { id: true } });
        const removeOld = locked.avatarId === null ? null : await write.detach(tx, locked.avatarId);
        const text = avatarId === null ? `${actor} removed the group photo` : `${actor} changed the group photo`;
        const logged = await append({ chatId, senderId: null, kind: 'SYSTEM', text, requireMember: viewer.id, readBy: viewer.id });
        return { memberIds: logged.memberIds, removeOld };
      });
    } catch (error) {
      await write.discard();
      throw error;
    }
    if (done) {
      await done.removeOld?.();
      this.pubsub.publishMany(ChatTopic.ChatUpdated, done.memberIds, { chatId });
    }
    return this.#reload(viewer, loaders, chatId);
  }

  async #setAdmin(viewer: Viewer, loaders: ChatLoaders, chatId: string, userId: string, isAdmin: boolean): Promise<ChatRecord> {
    const { chat } = await requireGroupAdmin(loaders, viewer, chatId);
    if (!isUuid(userId)) throw notFound('Member');
    const actor = await this.#displayName(viewer.id);
    const logged = await this.log.transaction(async (tx, append) => {
      await lockGroup(tx, chatId, viewer.id, 'admin');
      const target = await tx.chatMember.findUnique({
        where: { chatId_userId: { chatId, userId } },
        select: { isAdmin: true, user: { select: { displayName: true } } },
      });
      if (!target) throw notFound('Member');
      if (target.isAdmin === isAdmin) return null;
      // Under the chat's lock: two admins stepping down at once cannot each count on the other staying.
      if (!isAdmin && (await tx.chatMember.count({ where: { chatId, isAdmin: true } })) <= 1) {
        throw badInput('A group needs an admin: make another member an admin first, or leave the group (its longest-standing member takes over)', 'userId');
      }
      await tx.chatMember.update({ where: { chatId_userId: { chatId, userId } }, data: { isAdmin }, select: { id: true } });
      const name = target.user.displayName;
      const text = isAdmin
        ? `${actor} made ${name} an admin`
        : userId === viewer.id
          ? `${actor} is no longer an admin`
          : `${actor} removed ${name} as an admin`;
      return append({ chatId, senderId: null, kind: 'SYSTEM', text, requireMember: viewer.id, readBy: viewer.id });
    });
    if (!logged) return chat;
    this.pubsub.publishMany(ChatTopic.ChatUpdated, logged.memberIds, { chatId });
    return this.#reload(viewer, loaders, chatId);
  }

  /** The chat as it is now for the viewer (its members, title, rev and last message moved). */
  async #reload(viewer: Viewer, loaders: ChatLoaders, chatId: string): Promise<ChatRecord> {
    loaders.chatById.clear(chatId);
    loaders.membersByChat.clear(chatId);
    loaders.memberCountByChat.clear(chatId);
    loaders.memberOf.clearAll();
    return (await requireMembership(loaders, viewer, chatId)).chat;
  }

  async #displayName(userId: string): Promise<string> {
    const user = await this.prisma.user.findUniqueOrThrow({ where: { id: userId }, select: { displayName: true } });
    return user.displayName;
  }
}

const isSet = <T>(value: T | null | undefined): value is T => value !== null && value !== undefined;

/**
 * Takes the group's row lock (the lock every message and change of the chat
 * takes) and reads it and the viewer's role under it: a demotion, a removal or
 * a flag that committed a moment ago is seen. NOT_FOUND for a non-member.
 */
async function lockGroup(tx: Tx, chatId: string, viewerId: string, need: 'info' | 'admin', refusal = 'Only group admins can do this'): Promise<LockedGroup> {
  if (!isUuid(chatId)) throw notFound('Chat');
  const [group] = await tx.$queryRaw<LockedGroup[]>`
    SELECT c."kind"::text AS "kind", c."title", c."description", c."avatarId"::text AS "avatarId",
           c."onlyAdminsCanSend", c."onlyAdminsCanEditInfo", m."isAdmin"
    FROM "Chat" c LEFT JOIN "ChatMember" m ON m."chatId" = c."id" AND m."userId" = ${viewerId}::uuid
    WHERE c."id" = ${chatId}::uuid
    FOR NO KEY UPDATE OF c`;
  if (!group || group.isAdmin === null) throw notFound('Chat');
  if (group.kind !== 'GROUP') throw badInput('This is a private chat, not a group', 'chatId');
  const member = { isAdmin: group.isAdmin };
  if (need === 'admin' && !member.isAdmin) throw forbidden(refusal);
  if (need === 'info' && !canEditGroupInfo(group, member)) throw forbidden(ADMINS_ONLY_EDIT_INFO);
  return group;
}
