import { badInput, forbidden, notFound } from '../../lib/errors.js';
import { isUuid } from '../../lib/text.js';
import type { Viewer } from '../../lib/viewer.js';
import type { ChatRecord, MemberRecord, PeriodRecord } from './chat.types.js';
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

/** Messages a reader may read: fromSeq < seq <= toSeq; toSeq null: onwards (a current member). */
export interface SeqRange {
  fromSeq: number;
  toSeq: number | null;
}

/** Someone who may read a chat: a member, or a former member with the history they kept. */
export interface Reader {
  /** The chat as this reader sees it: for a former member, as it stood when they left (lastSeq, rev, last activity). */
  chat: ChatRecord;
  /** Null for a former member: they cannot send, react or mark anything. */
  member: MemberRecord | null;
  /** The messages they read; null: every message of the chat. */
  ranges: SeqRange[] | null;
  /** When they last left; null while a member. */
  leftAt: Date | null;
}

/**
 * Who may read a chat: members, and former members, who keep their history up
 * to leaving (WhatsApp, Signal); a rejoined member reads each of their
 * membership periods, never what was said in between. NOT_FOUND otherwise.
 * Writing (send, react, mark) takes {@link requireMembership}.
 */
export async function requireReader(loaders: ChatLoaders, viewer: Viewer, chatId: string): Promise<Reader> {
  if (!isUuid(chatId)) throw notFound('Chat');
  const key = memberKey(chatId, viewer.id);
  const [chat, member, periods] = await Promise.all([loaders.chatById.load(chatId), loaders.memberOf.load(key), loaders.periodsOf.load(key)]);
  if (!chat || (!member && periods.length === 0)) throw notFound('Chat');
  if (member && deletedFor(member, chat)) throw notFound('Chat');
  return readerOf(chat, member, periods);
}

/** A chat as reads across all of a viewer's chats need it (message search): what they read of it, and how far it goes. */
export interface ReadableChat {
  chatId: string;
  lastSeq: number;
  /** When the chat was made: none of its messages is older. */
  createdAt: Date;
  /** As {@link Reader.ranges}: null for every message. */
  ranges: SeqRange[] | null;
}

/** A private chat the member deleted (deleteChat) is gone for them until a message above the deletion brings it back. */
export const deletedFor = (member: Pick<MemberRecord, 'deletedSeq'>, chat: Pick<ChatRecord, 'lastSeq'>): boolean =>
  member.deletedSeq !== null && chat.lastSeq <= member.deletedSeq;

/** The reader a membership and earlier periods make (see {@link requireReader}). */
export function readerOf(chat: ChatRecord, member: MemberRecord | null, periods: readonly PeriodRecord[]): Reader {
  const cleared = clearedSeqIn(member, periods);
  const ranges = rangesRead(member, periods);
  if (member) return { chat: { ...chat, leftAt: null, clearedSeq: cleared }, member, ranges, leftAt: null };
  const last = periods.at(-1)!;
  const asLeft = { ...chat, lastSeq: last.toSeq, rev: last.toRev, updatedAt: last.leftAt, leftAt: last.leftAt, clearedSeq: cleared };
  return { chat: asLeft, member: null, ranges: ranges ?? [], leftAt: last.leftAt };
}

/** What a membership (or none: a former member) and earlier periods let one read of a chat: {@link Reader.ranges}. */
export function rangesRead(
  member: Pick<MemberRecord, 'historyFromSeq' | 'clearedSeq'> | null,
  periods: readonly Pick<PeriodRecord, 'fromSeq' | 'toSeq' | 'clearedSeq'>[],
): SeqRange[] | null {
  const cleared = clearedSeqIn(member, periods);
  // clearChat hides everything up to the clearing, in whichever membership it was said.
  const clip = (fromSeq: number, toSeq: number | null): SeqRange => ({ fromSeq: Math.max(fromSeq, cleared), toSeq });
  const earlier = periods.map((period) => clip(period.fromSeq, period.toSeq)).filter((range) => range.fromSeq < range.toSeq!);
  if (!member) return earlier;
  const unrestricted = periods.length === 0 && member.historyFromSeq === 0 && cleared === 0;
  return unrestricted ? null : [...earlier, clip(member.historyFromSeq, null)];
}

const clearedSeqIn = (member: Pick<MemberRecord, 'clearedSeq'> | null, periods: readonly Pick<PeriodRecord, 'clearedSeq'>[]): number =>
  Math.max(member?.clearedSeq ?? 0, ...periods.map((period) => period.clearedSeq));

/**
 * The seq up to which the viewer cleared the chat (clearChat; 0 when never):
 * from the record when it was read for them (the list, the feed,
 * requireReader), else from their membership, through the loaders.
 */
export async function clearedSeqOf(loaders: ChatLoaders, viewer: Viewer | null, chat: ChatRecord): Promise<number> {
  if (chat.clearedSeq !== undefined) return chat.clearedSeq;
  if (!viewer) return 0;
  const key = memberKey(chat.id, viewer.id);
  const [member, periods] = await Promise.all([loaders.memberOf.load(key), loaders.periodsOf.load(key)]);
  return clearedSeqIn(member, periods);
}

/** Whether a reader's history holds the message of this seq. */
export const readsSeq = (ranges: readonly SeqRange[] | null, seq: number): boolean =>
  ranges === null || ranges.some((range) => seq > range.fromSeq && (range.toSeq === null || seq <= range.toSeq));

/**
 * A chat reached through something else (a message's `chat` field): shown on
 * the same terms as `chat(id)`, to readers (members and former members), and to admins, who read every chat
 * through the admin operations anyway. Never trusted from the parent object.
 */
export async function requireVisibleChat(loaders: ChatLoaders, viewer: Viewer | null, chatId: string): Promise<ChatRecord> {
  if (!viewer) throw notFound('Chat');
  if (viewer.role === 'ADMIN') {
    const chat = await loaders.chatById.load(chatId);
    if (!chat) throw notFound('Chat');
    return chat;
  }
  return (await requireReader(loaders, viewer, chatId)).chat;
}

/** Group management is for the group's admins; members see FORBIDDEN, strangers NOT_FOUND. */
export async function requireGroupAdmin(loaders: ChatLoaders, viewer: Viewer, chatId: string): Promise<Membership> {
  const membership = await requireMembership(loaders, viewer, chatId);
  if (membership.chat.kind !== 'GROUP') throw badInput('This is a private chat, not a group', 'chatId');
  if (!membership.member.isAdmin) throw forbidden('Only group admins can do this');
  return membership;
}

/**
 * Who may change a group's title, description and photo and pin its
 * messages: its admins, or every member once onlyAdminsCanEditInfo is off.
 */
export const canEditGroupInfo = (chat: Pick<ChatRecord, 'kind' | 'onlyAdminsCanEditInfo'>, member: Pick<MemberRecord, 'isAdmin'>): boolean =>
  chat.kind === 'GROUP' && (member.isAdmin || !chat.onlyAdminsCanEditInfo);

/**
 * Who may change what a chat's members share beyond a group's info: its pins
 * and its message timer. Both people of a private chat (neither is an admin
 * there); in a group, {@link canEditGroupInfo}.
 */
export const canEditChatInfo = (chat: Pick<ChatRecord, 'kind' | 'onlyAdminsCanEditInfo'>, member: Pick<MemberRecord, 'isAdmin'>): boolean =>
  chat.kind === 'PRIVATE' || canEditGroupInfo(chat, member);

/** What a plain member is told where {@link canEditGroupInfo} says no. */
export const ADMINS_ONLY_EDIT_INFO = "Only group admins can change this group's info";

/** A group whose info the viewer may change ({@link canEditGroupInfo}); members see FORBIDDEN, strangers NOT_FOUND. */
export async function requireInfoEditor(loaders: ChatLoaders, viewer: Viewer, chatId: string): Promise<Membership> {
  const membership = await requireMembership(loaders, viewer, chatId);
  if (membership.chat.kind !== 'GROUP') throw badInput('This is a private chat, not a group', 'chatId');
  if (!canEditGroupInfo(membership.chat, membership.member)) throw forbidden(ADMINS_ONLY_EDIT_INFO);
  return membership;
}

/** What a plain member of an announcement group is told when they send (payamak_append_message refuses it under the chat's lock). */
export const ADMINS_ONLY_SEND = 'Only admins can send messages to this group';

/** Before the lock, for routes that would otherwise read an upload first: an announcement group's plain members may not send. */
export function requireMaySend(chat: Pick<ChatRecord, 'onlyAdminsCanSend'>, member: Pick<MemberRecord, 'isAdmin'>): void {
  if (chat.onlyAdminsCanSend && !member.isAdmin) throw forbidden(ADMINS_ONLY_SEND);
}
