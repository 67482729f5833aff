import { badInput, forbidden, notFound } from '../../lib/errors.js';
import { isUuid } from '../../lib/text.js';
import type { Viewer } from '../../lib/viewer.js';
import type { ChatRecord, MemberRecord } from './chat.types.js';
import { memberKey, type ChatLoaders } from './chats.loaders.js';

export interface Membership {
  chat: ChatRecord;
  member: MemberRecord;
}

/**
 * The viewer's membership of a chat. A chat the viewer is not in is NOT_FOUND,
 * exactly like one that does not exist, so ids cannot be probed.
 */
export async function requireMembership(loaders: ChatLoaders, viewer: Viewer, chatId: string): Promise<Membership> {
  if (!isUuid(chatId)) throw notFound('Chat');
  const [chat, member] = await Promise.all([loaders.chatById.load(chatId), loaders.memberOf.load(memberKey(chatId, viewer.id))]);
  if (!chat || !member) throw notFound('Chat');
  return { chat, member };
}

/**
 * A chat reached through something else (a message's `chat` field): shown on
 * the same terms as `chat(id)`, to members, and to admins, who read every chat
 * through the admin operations anyway. Never trusted from the parent object.
 */
export async function requireVisibleChat(loaders: ChatLoaders, viewer: Viewer | null, chatId: string): Promise<ChatRecord> {
  if (!viewer) throw notFound('Chat');
  if (viewer.role === 'ADMIN') {
    const chat = await loaders.chatById.load(chatId);
    if (!chat) throw notFound('Chat');
    return chat;
  }
  return (await requireMembership(loaders, viewer, chatId)).chat;
}

/** Group management is for the group's admins; members see FORBIDDEN, strangers NOT_FOUND. */
export async function requireGroupAdmin(loaders: ChatLoaders, viewer: Viewer, chatId: string): Promise<Membership> {
  const membership = await requireMembership(loaders, viewer, chatId);
  if (membership.chat.kind !== 'GROUP') throw badInput('This is a private chat, not a group', 'chatId');
  if (!membership.member.isAdmin) throw forbidden('Only group admins can do this');
  return membership;
}
