import type { ChatEvents, Tx } from '../chats/index.js';
import { USERNAME } from '../users/index.js';
import type { MessageTextHooks } from './message-changes.service.js';
import type { MessageRecord } from './message.record.js';

/** At most this many distinct `@names` of one message are looked up; later ones stay plain text. */
export const MAX_MENTIONS = 50;

/**
 * `@` then a run of username characters (any case). Before the `@`: the start
 * of the text or a character that is not part of a word, so `a@b.c` is an
 * address, not a mention. After the run: nothing that could continue a word
 * or a username (`@bobé` is not `@bob`), nor another `@` (`@bob@host`).
 */
const MENTION = /(?<![\p{L}\p{N}\p{M}_])@([A-Za-z0-9_.]+)(?![\p{L}\p{N}\p{M}_.@])/gu;

/**
 * One `@name` of a text: the usernames it may stand for, preferred first.
 * Usernames may contain and end with dots (users.inputs.ts), but "ask @bob."
 * most likely ends a sentence: the run as written comes first, then without
 * its trailing dots, and the first that names a member wins.
 */
export type MentionedName = readonly string[];

/** The distinct `@names` of a text in order of appearance (at most {@link MAX_MENTIONS}); empty without an `@`. */
export function mentionedNames(text: string | null): MentionedName[] {
  if (text === null || !text.includes('@')) return [];
  const names: MentionedName[] = [];
  const seen = new Set<string>();
  for (const match of text.matchAll(MENTION)) {
    const written = match[1]!.toLowerCase();
    if (seen.has(written)) continue;
    const candidates = [written, written.replace(/\.+$/, '')].filter((name, i, all) => all.indexOf(name) === i && USERNAME.test(name));
    if (candidates.length === 0) continue;
    seen.add(written);
    names.push(candidates);
    if (names.length === MAX_MENTIONS) break;
  }
  return names;
}

/**
 * Stores a message's mentions (members of its chat other than the sender,
 * each once) in the caller's transaction, the one that writes the message or
 * its new text; returns the users mentioned. One statement.
 */
export async function recordMentions(
  tx: Tx,
  message: Pick<MessageRecord, 'id' | 'chatId' | 'seq' | 'senderId' | 'text'>,
  names: MentionedName[] = mentionedNames(message.text),
): Promise<string[]> {
  if (names.length === 0) return [];
  const candidates = names.flatMap((name, ord) => name.map((username, pref) => ({ username, ord, pref })));
  // For each @name its first candidate that is a member; then each user once.
  const rows = await tx.$queryRaw<{ userId: string }[]>`
    INSERT INTO "MessageMention" ("messageId", "userId", "chatId", "seq")
    SELECT DISTINCT ${message.id}::uuid, picked."userId", ${message.chatId}::uuid, ${message.seq}::integer
    FROM (
      SELECT DISTINCT ON (c."ord") u."id" AS "userId"
      FROM unnest(${candidates.map((c) => c.username)}::text[], ${candidates.map((c) => c.ord)}::integer[], ${candidates.map((c) => c.pref)}::integer[])
        AS c("username", "ord", "pref")
      JOIN "User" u ON u."username" = c."username"
      JOIN "ChatMember" cm ON cm."chatId" = ${message.chatId}::uuid AND cm."userId" = u."id"
      WHERE u."id" IS DISTINCT FROM ${message.senderId}::uuid
      ORDER BY c."ord", c."pref"
    ) picked
    ON CONFLICT DO NOTHING
    RETURNING "userId"::text AS "userId"`;
  return rows.map((row) => row.userId);
}

/**
 * Replaces a message's mentions after its text changed (an edit; a deletion
 * for everyone leaves none), in the change's transaction. Returns the users
 * the new text mentions and the previous one did not.
 */
export async function replaceMentions(tx: Tx, message: MessageRecord): Promise<string[]> {
  const previous = await tx.$queryRaw<{ userId: string }[]>`
    DELETE FROM "MessageMention" WHERE "messageId" = ${message.id}::uuid RETURNING "userId"::text AS "userId"`;
  if (message.deletedAt !== null) return [];
  const before = new Set(previous.map((row) => row.userId));
  return (await recordMentions(tx, message)).filter((userId) => !before.has(userId));
}

/** Tells listeners (notifications) who a message mentions; call after the commit. */
export function announceMentions(events: ChatEvents | undefined, message: MessageRecord, userIds: readonly string[]): void {
  if (!events || userIds.length === 0 || message.senderId === null) return;
  events.emit('membersMentioned', {
    chatId: message.chatId,
    messageId: message.id,
    seq: message.seq,
    senderId: message.senderId,
    userIds: [...userIds],
    text: message.text,
  });
}

/**
 * The edit and delete-for-everyone hook (MessageChangesService.connect): the
 * mentions follow the text. Only members the edit newly mentions are told:
 * fixing a typo must not notify everyone again.
 */
export function mentionHooks(events: ChatEvents): MessageTextHooks {
  return {
    async textChanged(tx, message) {
      // A deletion for everyone removed the mentions itself, with the edits and reactions: nothing is left to replace.
      if (message.deletedAt !== null) return undefined;
      const added = await replaceMentions(tx, message);
      return () => announceMentions(events, message, added);
    },
  };
}
